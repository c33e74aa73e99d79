"""Agenda buttons. A button's value is only a query to run again, never trusted content."""

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.agenda.listing import ACTION_PAGE, ACTION_SHARE, decode_query
from handlers.slack import blocks
from handlers.slack.identity import optional_participant


def agenda_page_callback(
    ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    ack()
    query, page = decode_query(action.get("value", ""))
    me = optional_participant(context, client, body.get("user", {}).get("id", ""))
    reply = context["assistant"].agenda(text=query, page=page, actor=me)
    respond(replace_original=True, response_type="ephemeral", **blocks.message(reply))


def agenda_share_callback(ack: Ack, action: dict, body: dict, respond: Respond, context: BoltContext) -> None:
    ack()
    query, page = decode_query(action.get("value", ""))
    reply = context["assistant"].agenda_to_share(text=query, page=page)
    user_id = body.get("user", {}).get("id", "")
    rendered = blocks.message(reply, with_share=False)
    if user_id.isalnum():  # a Slack user ID from the signed payload, safe to mention
        rendered["blocks"].append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Shared by <@{user_id}>"}]})
    respond(replace_original=False, response_type="in_channel", **rendered)


def register(app: App) -> None:
    app.action(ACTION_PAGE)(agenda_page_callback)
    app.action(ACTION_SHARE)(agenda_share_callback)
