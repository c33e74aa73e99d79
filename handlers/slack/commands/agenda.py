"""/agenda: answered in the command's own HTTP response, visible only to the person who asked."""

from slack_bolt import Ack, App, BoltContext

from handlers.slack import blocks


def agenda_callback(ack: Ack, command: dict, context: BoltContext) -> None:
    reply = context["assistant"].agenda(text=command.get("text", ""))
    ack(response_type="ephemeral", **blocks.message(reply))


def register(app: App) -> None:
    app.command("/agenda")(agenda_callback)
