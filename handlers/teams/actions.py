"""Button presses in Teams (``Action.Execute`` invokes): the value is re-validated here, as in every door, and
the answer replaces the card. The Teams counterpart of handlers/slack/actions."""

from __future__ import annotations

import asyncio
import time
from datetime import date

from microsoft_teams.api import (
    AdaptiveCardActionCardResponse,
    AdaptiveCardActionMessageResponse,
    AdaptiveCardActionResponse,
)

from bot.agenda.listing import ACTION_PAGE, ACTION_SHARE, decode_query
from bot.assistant import say
from bot.errors import UserError
from bot.partnering import replies as mr
from bot.partnering.calendar import calendar_link
from bot.privacy import replies as pr
from bot.reminders import replies as rr
from bot.replies import Reply
from bot.text import button_id
from handlers.teams import accept, cards, lists
from handlers.teams.accept import accept_pressed
from handlers.teams.identity import external_id, identify
from handlers.teams.render import as_card, message
from handlers.teams.sdk import ActivityContext


def register(door) -> None:
    @door.sdk.on_card_action_execute
    async def on_execute(ctx: ActivityContext):
        arrived = time.monotonic()
        data = ctx.activity.value.action.data or {}
        reply = None
        if str(data.get("action", "")) == mr.ACCEPT:  # placed with its burst, awaited without holding a thread
            reply = await accept_pressed(door, ctx.activity, str(data.get("value", "")), arrived=arrived)
        shown = False
        try:
            response, also, shown = await asyncio.to_thread(answer_press, door, ctx.activity, data, reply)
        finally:
            if reply is not None and reply.held is not None:  # the presser's "Meeting booked", held for this answer:
                # shown only if the card is going back within Teams' limit (later, Teams shows its own error)
                in_time = time.monotonic() - arrived < accept.ANSWERED_WITHIN
                door.assistant.held_message_shown(reply.held, shown=shown and in_time)
        if also is not None:  # a result with buttons of its own, under the list it came from
            await door.send_reply(ctx, message(also))
        return response


def answer_press(
    door, activity, data: dict, reply: Reply | None = None
) -> tuple[AdaptiveCardActionResponse, Reply | None, bool]:
    """What Teams shows after a press: a card about one thing is replaced by its new state; a list stays a list
    (see :mod:`handlers.teams.lists`). Also returns a reply to send as a message of its own, if any, and whether
    the answer shows ``reply.held`` (a booking, with its Add to calendar, in the person's own chat).
    ``reply``: the press was already carried out (an Accept, :mod:`handlers.teams.accept`)."""
    action, value = str(data.get("action", "")), str(data.get("value", ""))
    if reply is None:
        reply = press(door, activity, action, value)
    personal = (activity.conversation.conversation_type or "personal") == "personal"
    links, shows = (), False
    if reply.held is not None and personal:  # in a group chat the card is everyone's: the booking goes as a DM
        links, shows = (calendar_link(door.settings.public_url, reply.held.calendar_token),), True
    if action in lists.NAVIGATION:  # another page of the same list: it replaces this one and stays rebuildable
        query, page = decode_query(value)
        source = lists.source_for(f"agenda {query}", page) if personal else None
        return _card(lists.stamp(cards.card(reply), source)), None, False
    if "list" not in data:
        return _card(cards.card(reply, links=links)), None, shows
    # A booking shown in place of its message keeps the list, with the booking on top (its buttons are in the list).
    also = reply if lists.has_buttons(reply) and reply.held is None else None
    source = lists.source_of(data)
    if source is None:  # a list that cannot be rebuilt here: it stays as it is, and the result is a message
        return AdaptiveCardActionMessageResponse(value=reply.text[:500]), also, False
    fresh = rebuild(door, activity, source)
    if also is not None:
        return _card(lists.stamp(lists.mark_done(cards.card(fresh), action, value), source)), also, False
    card = cards.card(lists.with_result(fresh, reply), links=links)  # the result on top, its calendar link below
    return _card(lists.stamp(lists.mark_done(card, action, value), source)), None, shows


def rebuild(door, activity, source: dict) -> Reply:
    """The list a card showed, as it is now: its typed line run again (a checked, read-only one)."""
    from handlers.teams.commands import answer

    line, page = source["line"], source.get("page", 1)
    word, _, rest = line.lstrip("/").partition(" ")
    if page > 1 and word.lower() == "agenda":
        return door.assistant.agenda(text=rest, page=page, actor=identify(door, activity))
    return answer(door, activity, line)[0]


def _card(payload: dict) -> AdaptiveCardActionCardResponse:
    return AdaptiveCardActionCardResponse(value=as_card(payload))


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
        request_text, kind, target = (value.split(":") + ["", "", ""])[:3]
        request_id, block_id = button_id(request_text), button_id(target)
        try:
            if request_id is not None and kind == "day":
                return a.propose(actor=me, request_id=request_id, day=date.fromisoformat(target))
            if request_id is not None and kind == "block" and block_id is not None:
                return a.propose(actor=me, request_id=request_id, block_id=block_id)
        except ValueError:
            pass
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
