"""/venue: the venues, or one venue's address, map link, directions and rooms."""

from slack_bolt import Ack, App, BoltContext

from handlers.slack import blocks


def venue_callback(ack: Ack, command: dict, context: BoltContext) -> None:
    reply = context["assistant"].venue(text=command.get("text", ""))
    ack(response_type="ephemeral", **blocks.message(reply, with_share=False))


def register(app: App) -> None:
    app.command("/venue")(venue_callback)
