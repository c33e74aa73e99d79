"""Instant placement of Accept presses, in bursts, for every door (Slack, Teams, the console) and the worker.

A door calls :meth:`InstantPlacer.press`: the press is written down (:mod:`bot.delivery.intake`, group commit) and
the door answers the platform at once; the press joins a queue that one thread per process empties in batches.
A batch is placed in ONE transaction, one savepoint per press: a press that is refused (a double click, someone
else's button) or loses a race rolls back alone, and the database keeps the last word on conflicts (the unique
indexes on seats and on table+slot, see :mod:`bot.partnering.placement`). The confirmation messages the batch
queued are sent by this process right after the commit, and each door gets its reply through a future.

Placing a hundred presses one transaction each made the last person wait for the 99 before them (each commit a
turn at SQLite's write lock, and the placements fighting the web threads for the interpreter); one transaction
for the lot costs about what one placement's reads cost, once per batch rather than once per press.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from bot.delivery import intake
from bot.delivery.intake import IntakeLog
from bot.delivery.outbox import producing
from bot.errors import UserError
from bot.partnering import replies as meeting_replies
from bot.partnering.requests import ACCEPT_PRESS, Partnering
from bot.partnering.views import current_event
from bot.replies import Paragraph, Reply
from storage.models import Participant

log = logging.getLogger(__name__)
LULL = 0.02  # seconds without a new press before a batch is taken (presses of one burst arrive within ms)
MOST_WAIT = 0.25  # never hold the first press of a batch longer than this for more to arrive
MAX_BATCH = 500
MAX_TRIES = 3  # a batch the database refused (a deadlock between processes) is tried press by press, this often
SORRY = "Sorry, something went wrong on my side; your press is kept and will be carried out shortly."
UNKNOWN = "I can't find you in this workspace."


def _say(text: str) -> Reply:
    return Reply(text=text).add(Paragraph(text))


@dataclass
class Press:
    """One recorded Accept press waiting to be carried out."""

    intake_id: int
    request_id: int
    resolve: Callable[[], int | None]  # the presser's participant ID (a door may look a new person up)
    future: Future = field(default_factory=Future)
    actor: int | None = None
    unknown: str = UNKNOWN  # what to answer when ``resolve`` found nobody


def carry_out(partnering: Partnering, presses: list[Press]) -> tuple[dict[int, Reply], list[Press], list[int]]:
    """Place ``presses`` in one transaction. Returns the reply per intake ID, the presses to try again (the
    database refused the batch: a deadlock or a lost connection), and the IDs of the outbox rows queued."""
    now = partnering.clock.now()
    replies: dict[int, Reply] = {}
    again: list[Press] = []
    with producing() as produced:
        try:
            with partnering.db.transaction(write=True) as session:
                event = current_event(session)
                for press in presses:
                    if press.actor is None:
                        intake.close(session, press.intake_id, now=now, detail="refused: unknown person")
                        replies[press.intake_id] = _say(press.unknown)
                        continue
                    try:
                        with session.begin_nested():
                            result = partnering.accept_in(session, event=event, request_id=press.request_id,
                                                          actor_id=press.actor, intake_id=press.intake_id, now=now)  # fmt: skip
                        replies[press.intake_id] = meeting_replies.accept_reply(result, viewer=press.actor)
                    except UserError as error:
                        intake.close(session, press.intake_id, now=now, detail=f"refused: {error}"[:1000])
                        replies[press.intake_id] = _say(str(error))
        except DBAPIError:
            log.warning("placing a batch of %s presses failed; trying them again one by one", len(presses), exc_info=True)
            return {}, presses, []
        except UserError as error:  # no event loaded
            return {p.intake_id: _say(str(error)) for p in presses}, [], []
    return replies, again, list(produced)


class InstantPlacer:
    """This process's queue of recorded presses and the one thread that places them in batches."""

    def __init__(self, *, partnering: Partnering, intake_log: IntakeLog, deliver: Callable[[list[int]], None]) -> None:
        """``deliver``: send the outbox rows a batch queued (the assistant's ``sent``), before replies go out."""
        self.partnering = partnering
        self.intake = intake_log
        self.deliver = deliver
        self._cond = threading.Condition()
        self._queue: list[Press] = []
        self._last = 0.0
        self._thread: threading.Thread | None = None

    def press(self, *, platform: str, external_id: str, request_id: int, resolve: Callable[[], int | None]) -> Future:
        """Record an Accept press (returns once it is durable) and queue it; the future gets the presser's reply.

        Raises:
            TimeoutError: the database did not take the record in time (the door apologises; nothing changed).
        """
        intake_id = self.intake.record(kind=ACCEPT_PRESS, platform=platform, external_id=external_id, ref_id=request_id)
        press = Press(intake_id=intake_id, request_id=request_id, resolve=resolve)
        with self._cond:
            self._queue.append(press)
            self._last = time.monotonic()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="partnerup-placing", daemon=True)
                self._thread.start()
            self._cond.notify()
        return press.future

    def _take(self) -> list[Press]:
        with self._cond:
            self._cond.wait_for(lambda: bool(self._queue))
            first = time.monotonic()
            # Let the burst finish arriving (and its records be written) so that one transaction takes it all.
            while time.monotonic() - first < MOST_WAIT and (self.intake.busy() or time.monotonic() - self._last < LULL):
                self._cond.wait(0.005)
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            return batch

    def _run(self) -> None:
        while True:
            batch = self._take()
            try:
                self._place(batch)
            except Exception:  # never lose the thread; the presses stay recorded for the worker
                log.exception("placing %s presses failed; the worker carries them out", len(batch))
                for press in batch:
                    if not press.future.done():
                        press.future.set_result(_say(SORRY))

    def _place(self, batch: list[Press]) -> None:
        for press in batch:
            try:
                press.actor = press.resolve()
            except UserError as error:
                press.actor, press.unknown = None, str(error)
        replies, again, produced = carry_out(self.partnering, batch)
        self._answer(batch, replies, produced)
        for press in again:  # the batch was refused as a whole: one by one, so one bad press does not sink the rest
            for _ in range(MAX_TRIES):
                replies, failed, produced = carry_out(self.partnering, [press])
                if not failed:
                    self._answer([press], replies, produced)
                    break
            else:
                press.future.set_result(_say(SORRY))  # still recorded: the worker takes it over

    def _answer(self, presses: list[Press], replies: dict[int, Reply], produced: list[int]) -> None:
        """Send what the batch queued (both people's "Meeting booked"), then give each door its reply."""
        try:
            self.deliver(produced)
        except Exception:
            log.exception("sending confirmations failed; the worker sends them")
        for press in presses:
            if press.intake_id in replies:
                press.future.set_result(replies[press.intake_id])


def take_over(partnering: Partnering) -> int:
    """The worker's share: carry out presses whose web process's lease ran out, in one transaction. Both people
    hear the outcome from the outbox as usual (the worker sends it); a refused press is closed with the reason."""
    now = partnering.clock.now()
    left = intake.leftovers(partnering.db, kind=ACCEPT_PRESS, now=now)
    if not left:
        return 0
    with partnering.db.transaction() as session:
        keys = {(p.platform, p.external_id) for p in left}
        known = {
            (platform, external_id): pid
            for pid, platform, external_id in session.execute(
                select(Participant.id, Participant.platform, Participant.external_id).where(
                    Participant.external_id.in_({k[1] for k in keys})
                )
            )
        }
    presses = []
    for row in left:
        actor = known.get((row.platform, row.external_id))
        presses.append(Press(intake_id=row.id, request_id=row.ref_id, resolve=lambda a=actor: a, actor=actor))
    replies, again, _ = carry_out(partnering, presses)
    for press in again:  # one by one, so one bad press does not hold up the rest
        carry_out(partnering, [press])
    done = len(replies)
    if done:
        log.info("carried out %s accept press(es) a web process had left", done)
    return done
