"""/agenda: answered in the command's own HTTP response, visible only to the person who asked."""

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from handlers.slack import blocks
from handlers.slack.identity import optional_participant


def agenda_callback(ack: Ack, command: dict, client: WebClient, context: BoltContext) -> None:
    reply = context["assistant"].agenda(
        text=command.get("text", ""), actor=optional_participant(context, client, command["user_id"])
    )
    ack(response_type="ephemeral", **blocks.message(reply))


def register(app: App) -> None:
    app.command("/agenda")(agenda_callback)
