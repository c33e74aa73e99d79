"""/session: organisers move, re-room, cancel or restore a session; the people affected are told once."""

from slack_bolt import Ack, App, BoltContext

from handlers.slack import blocks


def session_callback(ack: Ack, command: dict, context: BoltContext) -> None:
    reply = context["assistant"].edit_session(external_id=command["user_id"], text=command.get("text", ""))
    ack(response_type="ephemeral", **blocks.message(reply, with_share=False))


def register(app: App) -> None:
    app.command("/session")(session_callback)
