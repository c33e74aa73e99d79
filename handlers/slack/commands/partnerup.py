"""/partnerup [help]: what the bot can do. Any other text is treated as a question (answered only to the asker,
so questions about their own meetings work here too, in their Slack language)."""

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.text import tokens
from handlers.slack import blocks
from handlers.slack.identity import optional_participant


def partnerup_callback(ack: Ack, command: dict, client: WebClient, context: BoltContext) -> None:
    text = command.get("text", "")
    assistant = context["assistant"]
    if tokens(text) in ([], ["help"]):
        reply = assistant.help()
    else:
        reply = assistant.ask(text=text, actor=optional_participant(context, client, command.get("user_id", "")))
    ack(response_type="ephemeral", **blocks.message(reply, with_share=False))


def register(app: App) -> None:
    app.command("/partnerup")(partnerup_callback)
