"""Remind me / Don't remind me on sessions, and the /reminders settings buttons."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.assistant import say
from bot.errors import UserError
from bot.reminders import replies as rr
from bot.text import button_id
from handlers.slack import blocks
from handlers.slack.identity import participant


def reminder_button_callback(
    ack: Ack, action: dict, body: dict, client: WebClient, respond: Respond, context: BoltContext
) -> None:
    ack()
    a = context["assistant"]
    try:
        me = participant(context, client, body.get("user", {}).get("id", ""))
    except UserError as error:
        return respond(
            replace_original=False, response_type="ephemeral", **blocks.message(say(str(error)), with_share=False)
        )
    value = str(action.get("value", ""))
    action_id = action["action_id"]
    if action_id in (rr.BOOKMARK_ADD, rr.BOOKMARK_REMOVE, rr.SET_LEAD) and button_id(value) is None:
        reply = say("That button is out of date. Try /agenda again.")
    elif action_id == rr.BOOKMARK_ADD:
        reply = a.bookmark(actor=me, session_id=int(value))
    elif action_id == rr.BOOKMARK_REMOVE:
        reply = a.unbookmark(actor=me, session_id=int(value))
    elif action_id == rr.SET_LEAD:
        reply = a.set_reminder_preferences(actor=me, lead_minutes=int(value))
    elif action_id == rr.MEETING_REMINDERS:
        reply = a.set_reminder_preferences(actor=me, meeting_reminders=value == "on")
    else:
        reply = a.set_reminder_preferences(actor=me, daily_digest=value == "on")
    settings = action_id in (rr.SET_LEAD, rr.MEETING_REMINDERS, rr.DIGEST)
    respond(replace_original=settings, response_type="ephemeral", **blocks.message(reply, with_share=False))


def register(app: App) -> None:
    for action_id in (rr.BOOKMARK_ADD, rr.BOOKMARK_REMOVE, rr.SET_LEAD, rr.MEETING_REMINDERS, rr.DIGEST):
        app.action(action_id)(reminder_button_callback)
