"""A question typed in the bot's DM gets an answer in the same DM."""

from slack_bolt import App, BoltContext, Say
from slack_sdk import WebClient

from handlers.slack import blocks
from handlers.slack.identity import optional_participant

IGNORED_SUBTYPES = {"message_changed", "message_deleted", "bot_message", "channel_join", "message_replied"}


def direct_message_callback(event: dict, say: Say, client: WebClient, context: BoltContext) -> None:
    if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype") in IGNORED_SUBTYPES:
        return
    reply = context["assistant"].ask(
        text=event.get("text", ""), actor=optional_participant(context, client, event.get("user", ""))
    )
    say(**blocks.message(reply, with_share=False))


def register(app: App) -> None:
    app.event("message")(direct_message_callback)
