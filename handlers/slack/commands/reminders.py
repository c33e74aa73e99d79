"""/reminders: what I will be reminded of, my lead time, meeting reminders and the evening summary."""

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.assistant import say
from bot.errors import UserError
from handlers.slack import blocks
from handlers.slack.identity import participant


def reminders_callback(ack: Ack, command: dict, client: WebClient, context: BoltContext) -> None:
    try:
        me = participant(context, client, command["user_id"])
    except UserError as error:
        return ack(response_type="ephemeral", **blocks.message(say(str(error)), with_share=False))
    ack(response_type="ephemeral", **blocks.message(context["assistant"].reminders_overview(actor=me), with_share=False))


def register(app: App) -> None:
    app.command("/reminders")(reminders_callback)
