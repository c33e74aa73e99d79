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
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, exists, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session as OrmSession

from bot.delivery import intake
from bot.delivery.intake import IntakeLog
from bot.delivery.outbox import enqueue_many, producing, settle_held
from bot.errors import UserError
from bot.partnering import placement
from bot.partnering import replies as meeting_replies
from bot.partnering.answering import write_accepts
from bot.partnering.calendar import calendar_file, meeting_uid
from bot.partnering.held import hold_for_run
from bot.partnering.placement import KEEP, announce_placement, booked_messages
from bot.partnering.requests import ACCEPT_PRESS, Partnering
from bot.partnering.rules import Rules
from bot.partnering.views import AcceptResult, found_event, meeting_view, request_view
from bot.replies import HeldMessage, Paragraph, ProfileCard, Reply
from storage.models import (
    Delivery,
    Event,
    Intake,
    Meeting,
    MeetingRequest,
    MeetingSeat,
    MeetingSlot,
    MeetingTable,
    Participant,
    PublishedFile,
    Unavailability,
    Venue,
)

log = logging.getLogger(__name__)
LULL = 0.02  # seconds without a new press before a batch is taken (presses of one burst arrive within ms)
MOST_WAIT = 0.3  # never hold the first press of a batch longer than this for more to arrive
IDLE_WAIT = 2.0  # at most this long other background work (sending DMs) steps aside for placements
GRACE = 0.3  # and for this long after a batch while the doors send its replies (less once they all say so),
GRACE_PER_PRESS = 0.003  # or longer after a big one: a hundred replies take about 0.15 s to post from one process
MAX_BATCH = 500
SETTLE_TRIES = 3  # what the doors said of their held messages is written at most this often before it is dropped
MAX_TRIES = 3  # a batch the database refused (a deadlock between processes) is tried press by press, this often
SORRY = "Sorry, something went wrong on my side; your press is kept and will be carried out shortly."
UNKNOWN = "I can't find you in this workspace."
HANDLED = "That press was already handled; see /meetings."


# Close a batch's records in one statement (a Core UPDATE, built once: a placement's statements are cheap next to
# building them).
_CLOSE_PRESSES = (
    update(Intake.__table__)
    .where(Intake.__table__.c.id.in_(bindparam("ids", expanding=True)), Intake.__table__.c.status == "pending")
    .values(status="done", done_at=bindparam("now"), detail="accepted")
    .returning(Intake.__table__.c.id)
)


# A refused press's record: the reason, in one statement for a batch's refusals (a burst of double clicks).
_REFUSED = update(Intake.__table__).where(Intake.__table__.c.id == bindparam("b_id")).values(detail=bindparam("b_detail"))


# PostgreSQL: the floor's lock, the event and the records closed in one statement. The UPDATE waits for the lock
# (its condition reads the lock's CTE, evaluated once, before any row is taken): placements and the worker's
# take-over all lock the floor before the records, so two of them queue on the floor and never deadlock.
_CLOSED_PRESSES = _CLOSE_PRESSES.where(exists(select(placement.FLOOR.c.held))).cte("closed")
_HOLD_FLOOR_AND_CLOSE = placement.CURRENT_EVENT_ON_THE_FLOOR.add_columns(
    select(func.array_agg(_CLOSED_PRESSES.c.id)).scalar_subquery()
)


def hold_floor_and_close(session: OrmSession, intake_ids: list[int], now: datetime) -> tuple[Event, set[int]]:
    """:func:`~bot.partnering.placement.hold_floor`, then the presses' records closed: returns the event and the
    IDs of the records this transaction closed (those still pending). One round trip on PostgreSQL.

    Raises:
        NotFound: no event is loaded.
    """
    parameters = {"ids": intake_ids, "now": now}
    if session.get_bind().dialect.name != "postgresql":
        event = placement.hold_floor(session)
        return event, set(session.scalars(_CLOSE_PRESSES, parameters))
    row = session.execute(_HOLD_FLOOR_AND_CLOSE, placement.floor_parameters() | parameters).first()
    event = found_event(row[0] if row is not None else None)
    return event, set(row[1] or ())


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
    shows_booking: bool = False  # the door's answer can show the booking itself (see bot.replies.HeldMessage)


def carry_out(
    partnering: Partnering, presses: list[Press], *, retry_in_place: bool = False
) -> tuple[dict[int, Reply], list[Press], list[int]]:
    """Place ``presses`` in one transaction. Returns the reply per intake ID, the presses to try again (the
    database refused the batch: a deadlock, a lost connection, a place a scheduling run took meanwhile), and the
    IDs of the outbox rows queued. ``retry_in_place``: each booking in a savepoint, tried again in place if the
    database refuses it (for a press tried again on its own; see placement.place)."""
    now = partnering.clock.now()
    replies: dict[int, Reply] = {}
    with producing() as produced:
        try:
            with partnering.db.transaction(write=True) as session:
                # First the floor: another process's batch may be placing (see placement.hold_floor). And the batch's
                # records closed: one that is closed already was carried out by someone else (the worker took over a
                # slow press), and must not be again.
                event, mine = hold_floor_and_close(session, [p.intake_id for p in presses], now)
                refused: dict[int, str] = {}
                accepted: list[tuple[Press, MeetingRequest]] = []
                again: list[Press] = []  # refused presses of the invitee: a double click, or Accept pressed once more
                taken: list[MeetingRequest] = []  # accepted by these presses: written in one statement below
                loaded = partnering.requests_for_update(session, [p.request_id for p in presses])
                for press in presses:
                    if press.intake_id not in mine:
                        replies[press.intake_id] = _say(HANDLED)
                    elif press.actor is None:
                        refused[press.intake_id] = "refused: unknown person"
                        replies[press.intake_id] = _say(press.unknown)
                    else:
                        try:  # checks before it changes anything: no savepoint needed
                            request = partnering.take_accept(session, request_id=press.request_id, actor_id=press.actor,
                                                             intake_id=None, now=now, loaded=loaded,
                                                             written_later=True)  # fmt: skip
                            taken.append(request)
                        except UserError as error:
                            refused[press.intake_id] = f"refused: {error}"[:1000]
                            replies[press.intake_id] = _say(str(error))
                            request = loaded.get(press.request_id)
                            if press.shows_booking and request is not None and request.invitee_id == press.actor:
                                again.append(press)  # its answer replaces the card that may show the booking
                            continue
                        held = hold_for_run(session, request=request, event=event, now=now)  # placement: scheduled
                        if held is not None:
                            result = AcceptResult(request_view(request, event), None, held_until=held)
                            replies[press.intake_id] = meeting_replies.accept_reply(result, viewer=press.actor)
                        else:
                            accepted.append((press, request))
                write_accepts(session, taken, now)
                if refused:  # why each refused press changed nothing (one executemany)
                    session.execute(_REFUSED, [{"b_id": i, "b_detail": detail} for i, detail in refused.items()])
                meetings = place_burst(session, event=event, requests=[r for _, r in accepted], now=now,
                                       retry_in_place=retry_in_place)  # fmt: skip
                held = {r.id for p, r in accepted if p.shows_booking and meetings.get(r.id) is not None}
                announce_burst(session, [r for _, r in accepted], meetings, now, held=held)
                views = {}
                for press, request in accepted:
                    meeting = meetings.get(request.id)
                    view = meeting_view(session, meeting, me_id=press.actor, event=event) if meeting else None
                    result = AcceptResult(request_view(request, event, placed=meeting is not None), view)
                    replies[press.intake_id] = meeting_replies.accept_reply(result, viewer=press.actor)
                    views[request.id] = view
                hold_for_answers(
                    session,
                    event=event,
                    now=now,
                    replies=replies,
                    held=[(p, meetings[r.id], views[r.id]) for p, r in accepted if r.id in held],
                )
                first = {r.id: replies[p.intake_id] for p, r in accepted if meetings.get(r.id) is not None}
                show_booking_again(session, event=event, now=now, replies=replies, presses=again, loaded=loaded,
                                   first=first)  # fmt: skip
        except IntegrityError:  # without savepoints, a place a scheduling run took meanwhile (see place_burst)
            log.info("placing a batch of %s presses met a place taken meanwhile; trying them again one by one",
                     len(presses))  # fmt: skip
            return {}, presses, []
        except DBAPIError:
            log.warning("placing a batch of %s presses failed; trying them again one by one", len(presses), exc_info=True)
            return {}, presses, []
        except UserError as error:  # no event loaded
            return {p.intake_id: _say(str(error)) for p in presses}, [], []
    return replies, [], list(produced)


def show_booking_again(
    session: OrmSession, *, event: Event, now: datetime, replies: dict[int, Reply], presses: list[Press],
    loaded: dict[int, MeetingRequest], first: dict[int, Reply],
) -> None:  # fmt: skip
    """A second Accept from the invitee of a booked request, in a door whose answer shows the booking (Teams), is
    answered with the booking, not "already accepted": whichever answer to a double click arrives last replaces the
    card, and it must still show the meeting and its Add to calendar (its "Meeting booked" message may be held for
    that card). ``first``: the replies of this batch's accepting presses, shared (so is what they hold)."""
    for press in presses:
        request = loaded[press.request_id]
        if request.status != "accepted":
            continue
        if request.id in first:
            replies[press.intake_id] = first[request.id]
            continue
        meeting = session.scalar(select(Meeting).where(Meeting.request_id == request.id, Meeting.status == "booked"))
        if meeting is None:
            continue  # accepted, not placed: "already accepted; see /meetings" says it
        view = meeting_view(session, meeting, me_id=press.actor, event=event)
        reply = meeting_replies.accept_reply(AcceptResult(request_view(request, event, placed=True), view),
                                             viewer=press.actor)  # fmt: skip
        token, row = calendar_row(meeting, view, participant_id=press.actor, event=event, now=now)
        session.execute(insert(PublishedFile), [row])
        reply = with_message_parts(reply, view)
        reply.held = HeldMessage(delivery_id=None, calendar_token=token)
        replies[press.intake_id] = reply


def with_message_parts(reply: Reply, view) -> Reply:
    """An Accept's answer that stands for the presser's "Meeting booked": what that message has besides the meeting
    (who they meet, Reschedule and Cancel), so nothing is lost by not sending it."""
    return reply.add(ProfileCard(view.other), meeting_replies.meeting_buttons(view, reply.lang))


def calendar_row(meeting: Meeting, view, *, participant_id: int, event: Event, now: datetime) -> tuple[str, dict]:
    """A meeting's calendar file for ``participant_id``, published at an unguessable address (for a door that links
    to it instead of attaching it): its token and the ``published_files`` row to insert."""
    calendar = calendar_file(meeting, view, event_name=event.name, stamp=now)
    token = secrets.token_urlsafe(24)
    return token, dict(token=token, participant_id=participant_id, filename=calendar.filename,
                       mimetype=calendar.mimetype, content=calendar.content, created_at=now)  # fmt: skip


def place_burst(
    session: OrmSession, *, event: Event, requests: list[MeetingRequest], now: datetime, retry_in_place: bool = False
) -> dict[int, Meeting | None]:
    """Place many accepted requests together, in the order given, each at the earliest slot where both people
    and a table are free (the rule :func:`bot.partnering.placement.place` applies to one): the floor is read
    once for the batch, the choices made in memory, and the meetings written in two statements. The database
    still has the last word: if another process took a table or a person meanwhile, the batch's insert fails,
    and each request is booked on its own (:func:`~bot.partnering.placement.place` reads the floor again)."""
    if not requests:
        return {}
    if len(requests) == 1 or Rules.of(event).any or Rules.of(event).soft_availability:
        # A press on its own: the one-request path reads only what that request needs. With the organisers' rules
        # (max_per_day, max_in_a_row, venue_change_slots) each placement must see the ones before it, which the
        # rules read from the database: one by one, still in this one transaction. So with soft availability,
        # where each placement tries the available slots first (placement.by_availability).
        # The floor is held (carry_out): no other placement races these, so no savepoint per booking.
        return {request.id: _place_one(session, event=event, request=request, now=now, retry_in_place=retry_in_place)
                for request in requests}  # fmt: skip
    zone = ZoneInfo(event.timezone)
    candidates = placement.candidate_slots(session, event=event, now=now)
    tables = placement.tables_by_venue(session, event)
    full = placement.booked_counts(session, [c.slot_id for c in candidates])  # one count per slot, not every row
    retired = placement.tables_in_retired_slots(session, event)
    used: dict[int, set[int]] = {}

    def taken(candidate: placement.Candidate) -> set[int]:
        """The tables in use in a slot, read the first time the batch looks at it."""
        if candidate.slot_id not in used:
            used[candidate.slot_id] = placement.used_tables(session, [candidate.slot_id])[candidate.slot_id]
            used[candidate.slot_id] |= {table for table, start, end in retired if candidate.overlaps(start, end)}
        return used[candidate.slot_id]

    people = sorted({pid for r in requests for pid in (r.requester_id, r.invitee_id)})
    busy = placement.busy_times(session, people)
    blocked: dict[int, set[int]] = {}
    for person, block_id in session.execute(
        select(Unavailability.participant_id, Unavailability.block_id).where(Unavailability.participant_id.in_(people))
    ):
        blocked.setdefault(person, set()).add(block_id)
    # What the replies show, read once: held here, as the session's identity map keeps only what is referenced.
    placement.hold_people(session, people)
    days = {c.slot_id: c.starts_at.astimezone(zone).date().isoformat() for c in candidates}
    plan: list[tuple[MeetingRequest, placement.Candidate, int]] = []
    for request in requests:
        a, b = request.requester_id, request.invitee_id
        off = blocked.get(a, set()) | blocked.get(b, set())
        spans = busy.get(a, []) + busy.get(b, [])
        for candidate in candidates:
            if request.preferred_day and days[candidate.slot_id] != request.preferred_day:
                continue
            if candidate.block_id in off or any(candidate.overlaps(start, end) for start, end in spans):
                continue
            venue_tables = tables.get(candidate.venue_id or -1, [])
            if candidate.slot_id not in used and full.get(candidate.slot_id, 0) >= len(venue_tables):
                continue  # every table taken: skip without reading which
            free = [t for t in venue_tables if t not in taken(candidate)]
            if free:
                used[candidate.slot_id].add(free[0])
                for person in (a, b):
                    busy.setdefault(person, []).append((candidate.starts_at, candidate.ends_at))
                plan.append((request, candidate, free[0]))
                break
    placed: dict[int, Meeting | None] = {r.id: None for r in requests}
    try:
        with session.begin_nested():
            placed.update(_book_all(session, event=event, plan=plan, now=now))
        return placed
    except IntegrityError:  # another process got there first: one by one, each reading the floor again
        log.info("a burst of %s placements met a concurrent booking; placing them one by one", len(plan))
    for request in requests:
        placed[request.id] = _place_one(session, event=event, request=request, now=now)
    return placed


def _place_one(
    session: OrmSession, *, event: Event, request: MeetingRequest, now: datetime, retry_in_place: bool = True
) -> Meeting | None:
    day = date.fromisoformat(request.preferred_day) if request.preferred_day else None
    meeting = placement.place(session, request=request, event=event, now=now, day=day, retry_in_place=retry_in_place)
    session.flush()  # the next placement's rules and free-slot reads see this one
    return meeting


def _book_all(
    session: OrmSession, *, event: Event, plan: list[tuple[MeetingRequest, placement.Candidate, int]], now: datetime
) -> dict[int, Meeting]:
    """Insert the planned meetings and their seats (two INSERTs; IntegrityError when a place was taken)."""
    if not plan:
        return {}
    ids = [request.id for request, _, _ in plan]
    latest = dict(
        session.execute(
            select(Meeting.request_id, func.max(Meeting.sequence))
            .where(Meeting.request_id.in_(ids))
            .group_by(Meeting.request_id)
        ).all()
    )
    rows = [
        dict(event_id=event.id, request_id=request.id, slot_id=candidate.slot_id, table_id=table_id, status="booked",
             ics_uid=meeting_uid(request.id, event.key), sequence=latest.get(request.id, -1) + 1, created_at=now)
        for request, candidate, table_id in plan
    ]  # fmt: skip
    made = dict(session.execute(insert(Meeting).returning(Meeting.request_id, Meeting.id), rows).all())
    session.execute(
        insert(MeetingSeat),
        [
            dict(meeting_id=made[request.id], participant_id=person, slot_id=candidate.slot_id, active=True)
            for request, candidate, _ in plan
            for person in (request.requester_id, request.invitee_id)
        ],
    )
    meetings = session.scalars(select(Meeting).where(Meeting.id.in_(made.values()))).all()
    # What the replies show, read once: held, as the session's identity map keeps only what is referenced.
    keep = session.info.setdefault(KEEP, [])
    keep += session.scalars(select(MeetingSlot).where(MeetingSlot.id.in_({c.slot_id for _, c, _ in plan})))
    tables = session.scalars(select(MeetingTable).where(MeetingTable.id.in_({t for _, _, t in plan}))).all()
    keep += tables
    keep += session.scalars(select(Venue).where(Venue.id.in_({t.venue_id for t in tables})))
    return {meeting.request_id: meeting for meeting in meetings}


def announce_burst(
    session: OrmSession,
    requests: list[MeetingRequest],
    meetings: dict[int, Meeting | None],
    now: datetime,
    *,
    held: set[int] = frozenset(),
) -> None:
    """What the placements mean for both people of each: "Meeting booked" and reminders, or "no slot".
    ``held``: requests whose presser's "Meeting booked" waits for their door's answer to show it."""
    booked = [(r, meetings[r.id]) for r in requests if meetings.get(r.id) is not None]
    enqueue_many(session, [row for request, meeting in booked
                           for row in booked_messages(request, meeting, now, held=request.id in held)])  # fmt: skip
    for request in requests:
        if meetings.get(request.id) is None:
            announce_placement(session, request, None, now)


def hold_for_answers(
    session: OrmSession, *, event: Event, now: datetime, replies: dict[int, Reply], held: list[tuple[Press, Meeting, object]]
) -> None:
    """Tell each reply in ``held`` which queued message it may show instead (the presser's "Meeting booked") and
    publish that meeting's calendar file for its Add to calendar, in the placement's transaction: two statements
    for a whole burst."""
    if not held:
        return
    keys = [placement.confirmation_key(meeting.id, press.actor) for press, meeting, _ in held]  # new meetings: new keys
    rows = dict(session.execute(select(Delivery.dedupe_key, Delivery.id).where(Delivery.dedupe_key.in_(keys))).all())
    files = []
    for press, meeting, view in held:
        delivery_id = rows.get(placement.confirmation_key(meeting.id, press.actor))
        if delivery_id is None:  # not queued (cannot happen for a meeting just made): nothing to hold
            continue
        token, row = calendar_row(meeting, view, participant_id=press.actor, event=event, now=now)
        files.append(row)
        replies[press.intake_id] = with_message_parts(replies[press.intake_id], view)
        replies[press.intake_id].held = HeldMessage(delivery_id=delivery_id, calendar_token=token)
    if files:
        session.execute(insert(PublishedFile), files)


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
        self._placing = False
        self._placed = 0.0
        self._grace = GRACE
        self._replying = 0  # replies of the last batch handed to doors and not yet sent (see replied)
        self._settling: list[tuple[int, bool]] = []  # held messages the doors showed (True) or did not (False)
        self._last_settled = 0.0
        self._thread: threading.Thread | None = None

    def press(
        self, *, platform: str, external_id: str, request_id: int, resolve: Callable[[], int | None],
        shows_booking: bool = False,
    ) -> Future:  # fmt: skip
        """Record an Accept press (returns once it is durable) and queue it; the future gets the presser's reply.
        ``shows_booking``: the door's answer can show the booking, so the presser's message is held for it.

        Raises:
            TimeoutError: the database did not take the record in time (the door apologises; nothing changed).
        """
        intake_id = self.intake.record(kind=ACCEPT_PRESS, platform=platform, external_id=external_id, ref_id=request_id)
        press = Press(intake_id=intake_id, request_id=request_id, resolve=resolve, shows_booking=shows_booking)
        with self._cond:
            self._queue.append(press)
            self._last = time.monotonic()
            self._start()
            self._cond.notify()
        return press.future

    def settle(self, held: HeldMessage, *, shown: bool) -> None:
        """A door's word on a held message: shown in its answer (recorded sent), or not (sent now). Written by this
        process's placing thread, a burst's in a few statements, after the placements waiting."""
        if held.delivery_id is None:
            return
        with self._cond:
            self._settling.append((held.delivery_id, shown))
            self._last_settled = time.monotonic()
            self._start()
            self._cond.notify()

    def _start(self) -> None:
        """Under ``_cond``: the placing thread, if it is not running."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="partnerup-placing", daemon=True)
            self._thread.start()

    def busy(self) -> bool:
        """Presses wait or are being placed."""
        with self._cond:
            return bool(self._queue) or self._placing

    def replied(self) -> None:
        """A door has sent a press's reply; once a batch's replies are all out, background sending stops waiting
        (a door that never says so, such as the console, leaves the grace period to end the wait)."""
        with self._cond:
            if self._replying:
                self._replying -= 1
                if not self._replying:
                    self._cond.notify_all()

    def wait_idle(self) -> None:
        """Let placements go first (at most ``IDLE_WAIT``): a web process calls this before each message it sends
        in the background, so that a burst's confirmations are not held up by the DMs of the one before, nor the
        presses still being recorded (a Teams invoke's answer waits for its placement; sending a DM on the same
        event loop delays the invokes behind it)."""
        deadline = time.monotonic() + IDLE_WAIT
        with self._cond:
            while time.monotonic() < deadline and (
                self._queue
                or self._placing
                or self.intake.busy()
                or (self._replying and time.monotonic() - self._placed < self._grace)
            ):
                self._cond.wait(0.01)

    def _take(self) -> list[Press]:
        with self._cond:
            self._cond.wait_for(lambda: bool(self._queue or self._settling))
            first = time.monotonic()  # a burst's doors answer within ms of each other: one statement for them all
            while not self._queue and time.monotonic() - first < MOST_WAIT and time.monotonic() - self._last_settled < LULL:
                self._cond.wait(0.005)
            if not self._queue:
                return []
            first = time.monotonic()
            # Let the burst finish arriving (and its records be written) so that one transaction takes it all.
            while time.monotonic() - first < MOST_WAIT and (self.intake.busy() or time.monotonic() - self._last < LULL):
                self._cond.wait(0.005)
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            self._placing = True
            self._replying = 0  # the batch before's replies: past waiting for
            return batch

    def _run(self) -> None:
        while True:
            batch = self._take()
            if not batch:
                self._settle_held()
                continue
            try:
                self._place(batch)
            except Exception:  # never lose the thread; the presses stay recorded for the worker
                log.exception("placing %s presses failed; the worker carries them out", len(batch))
                for press in batch:
                    if not press.future.done():
                        press.future.set_result(_say(SORRY))
            finally:
                with self._cond:
                    self._placing = False
                    self._placed = time.monotonic()
                    self._grace = max(GRACE, GRACE_PER_PRESS * len(batch))
                    self._cond.notify_all()
            if self._settling:  # never left waiting behind a stream of presses
                self._settle_held()

    def _settle_held(self) -> None:
        """Write what the doors said of their held messages (see :meth:`settle`), and send the released ones."""
        with self._cond:
            settling, self._settling = self._settling, []
        for attempt in range(SETTLE_TRIES):
            try:
                with self.partnering.db.transaction(write=True) as session:
                    due = settle_held(session, shown=[i for i, shown in settling if shown],
                                      released=[i for i, shown in settling if not shown],
                                      now=self.partnering.clock.now())  # fmt: skip
            except DBAPIError:  # a lock or a lost connection: once more, or the whole burst is told twice
                log.warning("recording %s held messages failed (try %s)", len(settling), attempt + 1, exc_info=True)
                continue
            except Exception:  # they go out when their hold ends (HELD_FOR), shown or not
                log.exception("recording %s held messages failed; they are sent when their hold ends", len(settling))
                return
            try:
                self.deliver(due)
            except Exception:
                log.exception("sending released held messages failed; the worker sends them")
            return

    def _place(self, batch: list[Press]) -> None:
        for press in batch:
            try:
                press.actor = press.resolve()
            except UserError as error:
                press.actor, press.unknown = None, str(error)
        t0 = time.monotonic()
        replies, again, produced = carry_out(self.partnering, batch)
        t1 = time.monotonic()
        self._answer(batch, replies, produced)
        log.debug("placed %s presses in %.3f s, answered in %.3f s", len(batch), t1 - t0, time.monotonic() - t1)
        for press in again:  # the batch was refused as a whole: one by one, so one bad press does not sink the rest
            for _ in range(MAX_TRIES):
                replies, failed, produced = carry_out(self.partnering, [press], retry_in_place=True)
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
        answered = [p for p in presses if p.intake_id in replies and not p.future.done()]
        with self._cond:
            self._replying += len(answered)
        for press in answered:
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
        carry_out(partnering, [press], retry_in_place=True)
    done = len(replies)
    if done:
        log.info("carried out %s accept press(es) a web process had left", done)
    return done
