"""Announcement buttons: post a /announce <text> preview, discard it, cancel a scheduled one, retry failures."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.announcements import replies as ar
from bot.assistant import say
from bot.errors import UserError
from bot.text import button_id
from handlers.slack import blocks
from handlers.slack.commands.announce import DISCARD, channel_problem
from handlers.slack.identity import participant


def announce_button_callback(
    ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    ack()
    a = context["assistant"]
    user_id = body.get("user", {}).get("id", "")
    ref = button_id(action.get("value", ""))
    if ref is None:
        return respond(replace_original=False, text="That button is out of date.")
    try:
        a.check_organiser(user_id)
        me = participant(context, client, user_id)
        if action["action_id"] == ar.CONFIRM:
            reply = a.confirm_announcement(
                external_id=user_id, actor=me, draft_id=ref, channel_problem=channel_problem(client)
            )
        elif action["action_id"] == DISCARD:
            reply = say("Discarded; nothing was sent.")
        elif action["action_id"] == ar.CANCEL:
            reply = a.cancel_announcement(external_id=user_id, announcement_id=ref)
        else:
            reply = a.retry_announcement(external_id=user_id, announcement_id=ref)
    except UserError as error:
        reply = say(str(error))
    replace = action["action_id"] in (ar.CONFIRM, DISCARD)
    respond(replace_original=replace, response_type="ephemeral", **blocks.message(reply, with_share=False))
    return None


def register(app: App) -> None:
    for action_id in (ar.CONFIRM, DISCARD, ar.CANCEL, ar.RETRY):
        app.action(action_id)(announce_button_callback)
