"""/partnerup [help]: what the bot can do. Any other text is treated as a question."""

from slack_bolt import Ack, App, BoltContext

from bot.text import tokens
from handlers.slack import blocks


def partnerup_callback(ack: Ack, command: dict, context: BoltContext) -> None:
    text = command.get("text", "")
    assistant = context["assistant"]
    reply = assistant.help() if tokens(text) in ([], ["help"]) else assistant.ask(text=text)
    ack(response_type="ephemeral", **blocks.message(reply, with_share=False))


def register(app: App) -> None:
    app.command("/partnerup")(partnerup_callback)
