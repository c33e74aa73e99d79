"""Button presses in Teams (``Action.Execute`` invokes): the value is re-validated here, as in every door, and
the answer replaces the card. The Teams counterpart of handlers/slack/actions."""

from __future__ import annotations

import asyncio
from datetime import date

from microsoft_teams.api import AdaptiveCardActionCardResponse

from bot.agenda.listing import ACTION_PAGE, ACTION_SHARE, decode_query
from bot.assistant import say
from bot.errors import UserError
from bot.partnering import replies as mr
from bot.privacy import replies as pr
from bot.reminders import replies as rr
from bot.replies import Reply
from handlers.teams import cards
from handlers.teams.identity import external_id, identify
from handlers.teams.render import as_card
from handlers.teams.sdk import ActivityContext


def register(door) -> None:
    @door.sdk.on_card_action_execute
    async def on_execute(ctx: ActivityContext):
        data = ctx.activity.value.action.data or {}
        reply = await asyncio.to_thread(press, door, ctx.activity, str(data.get("action", "")), str(data.get("value", "")))
        return AdaptiveCardActionCardResponse(value=as_card(cards.card(reply)))


def press(door, activity, action: str, value: str) -> Reply:
    """An Action.Execute button: the value is re-validated here, as in every door."""
    a = door.assistant
    try:
        me = identify(door, activity)
    except UserError as error:
        return say(str(error))
    who = external_id(activity)
    if action == ACTION_PAGE:
        query, page = decode_query(value)
        return a.agenda(text=query, page=page, actor=me)
    if action == ACTION_SHARE:
        query, page = decode_query(value)
        return a.agenda(text=query, page=page, actor=me)
    if action in (rr.MEETING_REMINDERS, rr.DIGEST):
        on = value == "on"
        if action == rr.MEETING_REMINDERS:
            return a.set_reminder_preferences(actor=me, meeting_reminders=on)
        return a.set_reminder_preferences(actor=me, daily_digest=on)
    if action == mr.PROPOSE_DAY:
        request_id, kind, target = (value.split(":") + ["", "", ""])[:3]
        try:
            if kind == "day":
                return a.propose(actor=me, request_id=int(request_id), day=date.fromisoformat(target))
            return a.propose(actor=me, request_id=int(request_id), block_id=int(target))
        except ValueError:
            return say("That button is out of date; type meetings to see the current ones.")
    privacy = {
        pr.DOWNLOAD: lambda: a.download_my_data(actor=me),
        pr.HIDE: lambda: a.set_hidden(actor=me, hidden=True),
        pr.SHOW: lambda: a.set_hidden(actor=me, hidden=False),
        pr.DELETE: lambda: a.confirm_delete_my_data(actor=me),
        pr.DELETE_CONFIRM: lambda: a.delete_my_data(actor=me),
        pr.DELETE_CANCEL: lambda: say("Nothing was deleted."),
    }
    if action in privacy:
        return privacy[action]()
    reply = a.press(actor=me, external_id=who, action=action, value=value)
    return say("That button does nothing here any more.") if reply is None else reply
