"""/session: organisers move, re-room, cancel or restore a session; the people affected are told once."""

from slack_bolt import Ack, App, BoltContext, Respond

from handlers.slack import blocks


def session_callback(ack: Ack, command: dict, context: BoltContext, respond: Respond) -> None:
    if command.get("text", "").split()[:1] == ["import"]:  # fetching the programme can take longer than Slack waits
        ack(response_type="ephemeral", text="Reading the programme...")
        reply = context["assistant"].edit_session(external_id=command["user_id"], text=command.get("text", ""))
        respond(response_type="ephemeral", **blocks.message(reply, with_share=False))
        return
    reply = context["assistant"].edit_session(external_id=command["user_id"], text=command.get("text", ""))
    ack(response_type="ephemeral", **blocks.message(reply, with_share=False))


def register(app: App) -> None:
    app.command("/session")(session_callback)
