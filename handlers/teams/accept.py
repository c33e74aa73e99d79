"""Accept on a Teams card: the press is written down and placed with the rest of its burst by the core
(:mod:`bot.partnering.instant`), the same path as Slack's and the console's. The invoke waits for the placement
without holding a thread (a burst of a hundred presses must not queue behind the few threads ``to_thread`` has),
so the card comes back as "Accepted. Your meeting with ... is on ..." within the 5 s Teams allows, or as
"placing it now" if the placement takes longer (both people then get the booking as a message).

The card is in the 1:1 chat where the presser's "Meeting booked" message would arrive a moment later, saying
the same: so the card carries its Add to calendar link and that message is held (:class:`bot.replies.HeldMessage`)
and recorded as shown once the card (or, from a list in the 1:1 chat, the list with the booking on top) is the
answer; an answer that cannot show it (a list in a channel, a group chat), a late placement or an answer later
than ANSWERED_WITHIN releases it instead."""

from __future__ import annotations

import asyncio
import logging
import time

from bot.assistant import say
from bot.assistant.partnering import STILL_PLACING
from bot.errors import UserError
from bot.replies import Reply
from bot.text import button_id
from handlers.teams.identity import external_id, identify

log = logging.getLogger(__name__)
OUT_OF_DATE = "That button is out of date; type meetings to see the current ones."
SORRY = "Sorry, I couldn't take that press just now. Please press Accept again in a moment."
TEAMS_WAIT = 3.0  # seconds after an invoke arrives that it waits for the placement (Teams gives an invoke 5 s)
ANSWERED_WITHIN = 4.5  # an answer later than this after the invoke arrived may not reach the card


async def accept_pressed(door, activity, value: str, *, arrived: float | None = None) -> Reply:
    """The reply card for an Accept press on request ``value`` (an ID, re-validated by the core). ``arrived``:
    when the invoke came in (time.monotonic), so the wait for the placement ends TEAMS_WAIT after it, however
    long recording the press took."""
    arrived = time.monotonic() if arrived is None else arrived
    request_id = button_id(value)
    if request_id is None:
        return say(OUT_OF_DATE)

    def record():
        me = identify(door, activity)
        return door.assistant.press_accept(platform="teams", external_id=external_id(activity),
                                           request_id=request_id, resolve=lambda: me, shows_booking=True)  # fmt: skip

    try:
        placed = await asyncio.to_thread(record)
    except UserError as error:
        return say(str(error))
    except TimeoutError:
        log.warning("an Accept press could not be recorded in time")
        return say(SORRY)
    try:
        left = max(0.0, arrived + TEAMS_WAIT - time.monotonic())
        reply = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(placed)), left)
    except TimeoutError:
        placed.add_done_callback(lambda done: _not_shown(door, done))  # the card said "placing it now"
        return say(STILL_PLACING)
    door.assistant.reply_sent()  # the card goes back as this invoke's answer, right after this returns
    return reply


def _not_shown(door, placed) -> None:
    """A placement that finished after the invoke was answered: its held "Meeting booked" goes out now."""
    reply = placed.result()
    if reply.held is not None:
        door.assistant.held_message_shown(reply.held, shown=False)
