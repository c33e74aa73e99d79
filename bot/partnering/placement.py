"""Placing accepted meetings into free slots at free tables.

The rule "nobody in two meetings at once, no table hosting two at once" lives in the
database (partial unique indexes on seats and on table+slot); this module finds the
earliest slot that satisfies it and lets the database have the last word: when a parallel
accept takes the same table or person first, the insert fails, the savepoint is rolled
back and the next candidate is tried.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, bindparam, exists, func, insert, select, true, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.util import identity_key

from bot.delivery.outbox import ANSWERED, HELD, HELD_FOR, enqueue, enqueue_many, message
from bot.partnering import rules
from bot.partnering.calendar import meeting_uid
from bot.partnering.views import CURRENT_EVENT, current_event, found_event
from bot.reminders.bookmarks import new_meeting_reminders
from storage.models import (
    Event,
    Meeting,
    MeetingBlock,
    MeetingRequest,
    MeetingSeat,
    MeetingSlot,
    MeetingTable,
    Participant,
    Unavailability,
    Venue,
)

log = logging.getLogger(__name__)
MAX_RACE_RETRIES = 20
FLOOR_LOCK = 0x50617274_6E657255  # "PartnerU": the advisory lock placements queue on (PostgreSQL)
FLOOR_WAIT = 10.0  # seconds a placing transaction waits for a lock before it gives up and is tried again
# The floor's lock, this transaction's lock waits limited first (same statement), in a CTE: one that calls a volatile
# function is run once, never folded into the query that reads it.
FLOOR = (
    select(func.pg_advisory_xact_lock(bindparam("key")).label("held"))
    .select_from(select(func.set_config("lock_timeout", bindparam("wait"), True).label("waits")).subquery("waiting_at_most"))
    .cte("floor")
)
CURRENT_EVENT_ON_THE_FLOOR = CURRENT_EVENT.join(FLOOR, true())  # parameters: floor_parameters()
KEEP = "partnerup_keep"  # session.info key: rows read for the replies, held until the transaction ends


def keep(session: OrmSession, rows) -> list:
    """Hold ``rows`` until the transaction ends: the session's identity map keeps only what is referenced, and a
    reply that shows them (the people, the table, its venue, the slot) then finds them there without a query."""
    rows = list(rows)
    session.info.setdefault(KEEP, []).extend(rows)
    return rows


def hold_people(session: OrmSession, people) -> None:
    """Read the people a placement's reply and reminders show, unless the session has them already (the requests
    were read with them, :meth:`bot.partnering.base.PartneringBase.requests_for_update`)."""
    missing = [p for p in people if identity_key(Participant, p) not in session.identity_map]
    if missing:
        keep(session, session.scalars(_PEOPLE, {"people": missing}))


@dataclass(frozen=True)
class Candidate:
    slot_id: int
    block_id: int
    venue_id: int | None
    starts_at: datetime
    ends_at: datetime

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.starts_at < end and start < self.ends_at


# The statements of one placement, built once: at this size building a SELECT costs about as much as running it.
_CANDIDATE_SLOTS = (
    select(MeetingSlot.id, MeetingSlot.block_id, MeetingBlock.venue_id, MeetingSlot.starts_at, MeetingSlot.ends_at)
    .join(MeetingBlock, MeetingBlock.id == MeetingSlot.block_id)
    .where(
        MeetingBlock.event_id == bindparam("event_id"),
        MeetingBlock.active.is_(True),
        MeetingSlot.active.is_(True),
        MeetingSlot.starts_at > bindparam("now"),
    )
    .order_by(MeetingSlot.starts_at)
)
_BUSY_TIMES = (
    select(MeetingSeat.participant_id, MeetingSlot.starts_at, MeetingSlot.ends_at)
    .join(MeetingSlot, MeetingSlot.id == MeetingSeat.slot_id)
    .where(MeetingSeat.participant_id.in_(bindparam("people", expanding=True)), MeetingSeat.active.is_(True))
)
_PEOPLE = select(Participant).where(Participant.id.in_(bindparam("people", expanding=True)))
_TABLES_PER_VENUE = (
    select(MeetingTable.venue_id, func.count().label("tables"))
    .where(MeetingTable.event_id == bindparam("event_id"), MeetingTable.active.is_(True))
    .group_by(MeetingTable.venue_id)
    .subquery()
)
_BOOKED_IN_SLOT = (
    select(func.count())
    .where(Meeting.slot_id == MeetingSlot.id, Meeting.status == "booked")
    .correlate(MeetingSlot)
    .scalar_subquery()
)
_OPEN_SLOTS = (  # the candidate slots, each with how many of its venue's tables are not booked
    _CANDIDATE_SLOTS.add_columns(func.coalesce(_TABLES_PER_VENUE.c.tables, 0) - _BOOKED_IN_SLOT).outerjoin(
        _TABLES_PER_VENUE, _TABLES_PER_VENUE.c.venue_id == MeetingBlock.venue_id
    )
)
_SEAT_SLOT = aliased(MeetingSlot, name="seat_slot")
_OPEN_SLOTS_FOR_PAIR = _OPEN_SLOTS.add_columns(  # and, for two people, whether either is busy or away in each
    exists()
    .where(
        MeetingSeat.participant_id.in_(bindparam("people", expanding=True)),
        MeetingSeat.active.is_(True),
        _SEAT_SLOT.id == MeetingSeat.slot_id,
        _SEAT_SLOT.starts_at < MeetingSlot.ends_at,  # times, not slot IDs: see busy_times
        MeetingSlot.starts_at < _SEAT_SLOT.ends_at,
    )
    .correlate(MeetingSlot),
    exists()
    .where(
        Unavailability.participant_id.in_(bindparam("people", expanding=True)),
        Unavailability.block_id == MeetingSlot.block_id,
    )
    .correlate(MeetingSlot),
)
_BOOKED_COUNTS = (
    select(Meeting.slot_id, func.count())
    .where(Meeting.slot_id.in_(bindparam("slot_ids", expanding=True)), Meeting.status == "booked")
    .group_by(Meeting.slot_id)
)
_RETIRED_AT_THE_TIME = select(MeetingSlot.id).where(
    MeetingSlot.active.is_(False),
    MeetingSlot.starts_at < bindparam("ends_at"),
    MeetingSlot.ends_at > bindparam("starts_at"),
)  # any event's: the tables asked about are one event's, so only that event's meetings can hold them
_FIRST_FREE_TABLE = (
    select(MeetingTable, MeetingSlot, Venue)
    .join(Venue, Venue.id == MeetingTable.venue_id)
    .join(MeetingSlot, MeetingSlot.id == bindparam("slot_id"))
    .where(
        MeetingTable.event_id == bindparam("event_id"),
        MeetingTable.active.is_(True),
        MeetingTable.venue_id == bindparam("venue_id"),
        MeetingTable.id.not_in(
            select(Meeting.table_id).where(Meeting.slot_id == bindparam("slot_id"), Meeting.status == "booked")
        ),
        MeetingTable.id.not_in(
            select(Meeting.table_id).where(Meeting.slot_id.in_(_RETIRED_AT_THE_TIME), Meeting.status == "booked")
        ),
    )
    .order_by(MeetingTable.position, MeetingTable.id)
    .limit(1)
)
_LATEST_SEQUENCE = select(func.max(Meeting.sequence)).where(Meeting.request_id == bindparam("request_id"))
_MEETING_VALUES = dict(  # a meeting, its calendar sequence one past the request's last meeting's (a move keeps the UID)
    event_id=bindparam("event_id"), request_id=bindparam("request_id"), slot_id=bindparam("slot_id"),
    table_id=bindparam("table_id"), status="booked", ics_uid=bindparam("ics_uid"), created_at=bindparam("created_at"),
    sequence=func.coalesce(_LATEST_SEQUENCE.scalar_subquery() + 1, 0),
)  # fmt: skip
# A booking rolled back with its savepoint stays in the session as it was (an INSERT ... RETURNING loads a row like a
# SELECT); a retry that gets the same ID back (SQLite reuses it) must see the new row, not that one: populate_existing.
_BOOK = insert(Meeting).values(**_MEETING_VALUES).returning(Meeting).execution_options(populate_existing=True)
_BOOKED = insert(Meeting.__table__).values(**_MEETING_VALUES).returning(*Meeting.__table__.c).cte("booked")
_SEATED = (
    insert(MeetingSeat.__table__)
    .from_select(
        ["meeting_id", "participant_id", "slot_id", "active"],
        union_all(*(select(_BOOKED.c.id, bindparam(person, type_=Integer), _BOOKED.c.slot_id, true())
                    for person in ("requester_id", "invitee_id"))),
    )
    .cte("seated")
)  # fmt: skip
# PostgreSQL: the meeting and both seats in one statement (data-modifying CTEs; one round trip less per placement).
# A seat or table taken meanwhile fails the whole statement, as the two INSERTs did.
_BOOK_WITH_SEATS = select(Meeting).from_statement(select(_BOOKED).add_cte(_SEATED)).execution_options(populate_existing=True)


def hold_floor(session: OrmSession) -> Event:
    """Queue this transaction behind any other that is placing meetings, until it ends, and return the current
    event: call it first thing in a transaction that places. Several web processes each place their own presses;
    two placing at once read the same free floor and choose the same earliest tables, so one of them meets the
    unique index and places its whole batch again one by one (seconds, for a burst). Waiting a few milliseconds
    for the other costs less. On SQLite a write transaction holds the database's one write lock already.

    The event is read as it was when the statement began, before any wait for the lock: a reload committed during
    the wait is seen by the next transaction (the event loader does not take this lock, and did not order with
    placements before either).

    Raises:
        NotFound: no event is loaded.
    """
    if session.get_bind().dialect.name != "postgresql":
        return current_event(session)
    # One round trip for the lock and the event: this transaction's lock waits end after FLOOR_WAIT (a stuck holder
    # must not stall every process's presses; the caller's retries and the worker take over).
    return found_event(session.scalars(CURRENT_EVENT_ON_THE_FLOOR, floor_parameters()).first())


def floor_parameters() -> dict:
    """The parameters of :data:`FLOOR` (the lock's key, and how long this transaction's lock waits may last)."""
    return {"key": FLOOR_LOCK, "wait": f"{int(FLOOR_WAIT * 1000)}ms"}


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, start + timedelta(days=1)


def candidate_slots(
    session: OrmSession, *, event: Event, now: datetime, day: date | None = None, block_id: int | None = None
) -> list[Candidate]:
    """Active slots that have not started, earliest first, optionally within one day or block."""
    query = _within(_CANDIDATE_SLOTS, event=event, day=day, block_id=block_id)
    return [Candidate(*row) for row in session.execute(query, {"event_id": event.id, "now": now})]


def open_slots(
    session: OrmSession,
    *,
    event: Event,
    now: datetime,
    people: list[int],
    day: date | None = None,
    block_id: int | None = None,
) -> list[OpenSlot]:
    """:func:`candidate_slots`, each with the number of its venue's tables not booked in it and whether either of
    ``people`` is in a meeting then or marked its block unavailable: what one placement reads, in one query."""
    query = _within(_OPEN_SLOTS_FOR_PAIR, event=event, day=day, block_id=block_id)
    return [
        OpenSlot(Candidate(*row[:5]), free=row[5], busy=row[6], unavailable=row[7])
        for row in session.execute(query, {"event_id": event.id, "now": now, "people": people})
    ]


@dataclass(frozen=True)
class OpenSlot:
    candidate: Candidate
    free: int  # tables of its venue not booked in it
    busy: bool  # one of the two people is in a meeting at this time
    unavailable: bool  # one of them marked its block unavailable


def _within(query, *, event: Event, day: date | None, block_id: int | None):
    if day is not None:
        start, end = day_bounds(day, event.timezone)
        query = query.where(MeetingSlot.starts_at >= start, MeetingSlot.starts_at < end)
    if block_id is not None:
        query = query.where(MeetingSlot.block_id == block_id)
    return query


def busy_slots(session: OrmSession, participant_ids: list[int]) -> set[int]:
    return set(
        session.scalars(
            select(MeetingSeat.slot_id).where(MeetingSeat.participant_id.in_(participant_ids), MeetingSeat.active.is_(True))
        )
    )


def busy_times(session: OrmSession, participant_ids: list[int]) -> dict[int, list[tuple[datetime, datetime]]]:
    """When each person is in a meeting. Times, not slot IDs: a reloaded event file can retire a slot
    that still holds a meeting and add a new one that overlaps it."""
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    for person, start, end in session.execute(_BUSY_TIMES, {"people": participant_ids}):
        busy.setdefault(person, []).append((start, end))
    return busy


def tables_in_retired_slots(session: OrmSession, event: Event) -> list[tuple[int, datetime, datetime]]:
    """Tables still hosting a booked meeting in a retired slot (rare: only after a reload moved a block).
    Read from the few retired slots, not from every booked meeting of the event."""
    retired = (
        select(MeetingSlot.id)
        .join(MeetingBlock, MeetingBlock.id == MeetingSlot.block_id)
        .where(MeetingBlock.event_id == event.id, MeetingSlot.active.is_(False))
    )
    return list(
        session.execute(
            select(Meeting.table_id, MeetingSlot.starts_at, MeetingSlot.ends_at)
            .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
            .where(Meeting.slot_id.in_(retired), Meeting.status == "booked")
        ).all()
    )


def by_availability(*, event: Event, candidates: list[Candidate], unavailable: set[int]) -> list[Candidate]:
    """The candidates outside the blocks either person marked ``unavailable`` (:func:`open_slots`); with
    ``availability: soft`` the others follow them, as a last resort."""
    free = [c for c in candidates if c.block_id not in unavailable]
    if not rules.Rules.of(event).soft_availability:
        return free
    return free + [c for c in candidates if c.block_id in unavailable]


def tables_by_venue(session: OrmSession, event: Event) -> dict[int, list[int]]:
    tables: dict[int, list[int]] = {}
    for table_id, venue_id in session.execute(
        select(MeetingTable.id, MeetingTable.venue_id)
        .where(MeetingTable.event_id == event.id, MeetingTable.active.is_(True))
        .order_by(MeetingTable.position, MeetingTable.id)
    ):
        tables.setdefault(venue_id, []).append(table_id)
    return tables


def first_free_table(session: OrmSession, *, event: Event, candidate: Candidate) -> MeetingTable | None:
    """The first table (in the venue's order) free in ``candidate``'s slot, read with the slot and the venue
    (held for the reply): nor booked in that slot, nor hosting a meeting in a retired slot at the same time."""
    row = session.execute(
        _FIRST_FREE_TABLE,
        {"event_id": event.id, "slot_id": candidate.slot_id, "venue_id": candidate.venue_id,
         "starts_at": candidate.starts_at, "ends_at": candidate.ends_at},
    ).first()  # fmt: skip
    if row is None:
        return None
    keep(session, row)
    return row[0]


def used_tables(session: OrmSession, slot_ids: list[int]) -> dict[int, set[int]]:
    used: dict[int, set[int]] = {slot_id: set() for slot_id in slot_ids}
    if slot_ids:
        for slot_id, table_id in session.execute(
            select(Meeting.slot_id, Meeting.table_id).where(Meeting.slot_id.in_(slot_ids), Meeting.status == "booked")
        ):
            used[slot_id].add(table_id)
    return used


def booked_counts(session: OrmSession, slot_ids: list[int]) -> dict[int, int]:
    if not slot_ids:
        return {}
    return dict(session.execute(_BOOKED_COUNTS, {"slot_ids": slot_ids}).all())


def book(
    session: OrmSession, *, request: MeetingRequest, event: Event, slot_id: int, table_id: int, now: datetime
) -> Meeting:
    """Insert a meeting and both seats; raises IntegrityError when the database says the place is taken."""
    values = {"event_id": event.id, "request_id": request.id, "slot_id": slot_id, "table_id": table_id,
              "ics_uid": meeting_uid(request.id, event.key), "created_at": now}  # fmt: skip
    if session.get_bind().dialect.name == "postgresql":
        people = {"requester_id": request.requester_id, "invitee_id": request.invitee_id}
        return session.scalars(_BOOK_WITH_SEATS, values | people).one()
    meeting = session.scalars(_BOOK, values).one()
    seats = [
        dict(meeting_id=meeting.id, participant_id=person, slot_id=slot_id, active=True)
        for person in (request.requester_id, request.invitee_id)
    ]
    session.execute(insert(MeetingSeat.__table__), seats)  # one statement for both (the table: no ORM bulk path)
    return meeting


def place(
    session: OrmSession,
    *,
    request: MeetingRequest,
    event: Event,
    now: datetime,
    day: date | None = None,
    block_id: int | None = None,
    retry_in_place: bool = True,
) -> Meeting | None:
    """Book ``request`` at the earliest slot where both people and a table are free, or return None.

    ``retry_in_place``: book inside a savepoint, so that a place another transaction took meanwhile is tried again
    here. A caller that holds the floor (:func:`hold_floor`) meets no such race from other placements, only from a
    scheduling run, so it may pass False and save the savepoint's two round trips: the rare IntegrityError then
    ends its transaction, and it places again in a new one.

    Reads only what this request needs: the slots, each with how many tables it has free and whether either person
    is busy or away then (one query), then the first free table of the first slot that has one (not every table of the event).
    Both people are read once, for the reply and their reminders."""
    people = [request.requester_id, request.invitee_id]
    hold_people(session, people)
    slots = open_slots(session, event=event, now=now, people=people, day=day, block_id=block_id)
    unavailable = {s.candidate.block_id for s in slots if s.unavailable}
    candidates = [s.candidate for s in slots if not s.busy]
    candidates = by_availability(event=event, candidates=candidates, unavailable=unavailable)
    candidates = rules.permitted(session, event=event, people=people, candidates=candidates)  # the event's limits
    if not candidates:
        return None
    free = {s.candidate.slot_id: s.free for s in slots}
    retries = 0
    for candidate in candidates:
        if free[candidate.slot_id] <= 0:
            continue  # every table taken: skip without reading which
        while retries <= MAX_RACE_RETRIES:
            table = first_free_table(session, event=event, candidate=candidate)
            if table is None:
                break
            try:
                with session.begin_nested() if retry_in_place else nullcontext():
                    return book(session, request=request, event=event, slot_id=candidate.slot_id, table_id=table.id, now=now)
            except IntegrityError:
                if not retry_in_place:
                    raise  # the transaction is lost: the caller places again in a new one
                retries += 1
                log.info("slot %s table %s was taken concurrently; trying again", candidate.slot_id, table.id)
                if busy_slots(session, people) & {candidate.slot_id}:
                    break  # one of the two was booked elsewhere at this time meanwhile
    return None


@dataclass
class PlanResult:
    placed: list[tuple[int, int, int]]  # (request id, slot id, table id)
    unplaced: list[tuple[int, str]]  # (request id, why)


def plan_all(session: OrmSession, *, event: Event, requests: list[MeetingRequest], now: datetime) -> PlanResult:
    """Greedy placement of many requests in memory, in the order given (the organisers' "schedule all").

    Reads the whole state once, so 10,000 requests take seconds, not one round trip each.
    """
    candidates = candidate_slots(session, event=event, now=now)
    tables = tables_by_venue(session, event)
    used = used_tables(session, [c.slot_id for c in candidates])
    for table, start, end in tables_in_retired_slots(session, event):
        for candidate in candidates:
            if candidate.overlaps(start, end):
                used[candidate.slot_id].add(table)
    people = {pid for r in requests for pid in (r.requester_id, r.invitee_id)}
    # Each person's busy slots among the candidates, from the times of all their meetings.
    busy: dict[int, set[int]] = {}
    for participant_id, start, end in session.execute(
        select(MeetingSeat.participant_id, MeetingSlot.starts_at, MeetingSlot.ends_at)
        .join(MeetingSlot, MeetingSlot.id == MeetingSeat.slot_id)
        .where(MeetingSeat.active.is_(True))
    ):
        if participant_id in people:
            busy.setdefault(participant_id, set()).update(c.slot_id for c in candidates if c.overlaps(start, end))
    unavailable: dict[int, set[int]] = {}
    for participant_id, block_id in session.execute(select(Unavailability.participant_id, Unavailability.block_id)):
        if participant_id in people:
            unavailable.setdefault(participant_id, set()).add(block_id)
    days = {c.slot_id: c.starts_at.astimezone(ZoneInfo(event.timezone)).date().isoformat() for c in candidates}
    free_tables = {c.slot_id: [t for t in tables.get(c.venue_id or -1, []) if t not in used[c.slot_id]] for c in candidates}
    result = PlanResult(placed=[], unplaced=[])
    for request in requests:
        a, b = request.requester_id, request.invitee_id
        blocked = unavailable.get(a, set()) | unavailable.get(b, set())
        busy_a, busy_b = busy.setdefault(a, set()), busy.setdefault(b, set())
        reason = "no slot left in which both are free"
        chosen = None
        for candidate in candidates:
            if request.preferred_day and days[candidate.slot_id] != request.preferred_day:
                continue
            if candidate.slot_id in busy_a or candidate.slot_id in busy_b or candidate.block_id in blocked:
                continue
            if not free_tables[candidate.slot_id]:
                reason = "every table is taken when both are free"
                continue
            chosen = candidate
            break
        if chosen is None:
            if request.preferred_day and not any(days[c.slot_id] == request.preferred_day for c in candidates):
                reason = f"no partnering slot left on the preferred day {request.preferred_day}"
            result.unplaced.append((request.id, reason))
            continue
        table_id = free_tables[chosen.slot_id].pop(0)
        busy_a.add(chosen.slot_id)
        busy_b.add(chosen.slot_id)
        result.placed.append((request.id, chosen.slot_id, table_id))
    return result


def announce_placement(session: OrmSession, request: MeetingRequest, meeting: Meeting | None, now: datetime) -> None:
    """Queue what a placement attempt means for both people: "meeting booked" and reminders, or "no slot"."""
    if meeting is not None:
        enqueue_many(session, booked_messages(request, meeting, now))
        return
    stamp = int(now.timestamp() * 1000)
    for person in (request.requester_id, request.invitee_id):
        enqueue(session, participant_id=person, kind="no_slot", ref_id=request.id,
                dedupe_key=f"no_slot:{request.id}:{person}:{stamp}", due_at=now, now=now)  # fmt: skip


def booked_messages(request: MeetingRequest, meeting: Meeting, now: datetime, *, held: bool = False) -> list[dict]:
    """Both people's "meeting booked" and their reminders before it, from rows the placement already holds (the
    people, the slot): one INSERT for all four, no query to find whom to remind. ``held``: the presser's is held
    for their door to show in its answer (see :class:`bot.replies.HeldMessage`)."""
    people = [request.requester, request.invitee]
    return confirmations(request, meeting.id, now, answered=request.invitee_id, held=held) + new_meeting_reminders(
        meeting.id, people, meeting.slot.starts_at, now
    )


def confirmations(
    request: MeetingRequest, meeting_id: int, now: datetime, *, answered: int | None = None, held: bool = False
) -> list[dict]:
    """The two "meeting booked" messages of a placed meeting. ``answered``: the person who accepted and saw the
    result where they pressed; theirs is marked to go after everyone who has heard nothing yet (see
    :data:`bot.delivery.outbox.ANSWERED`), and with ``held`` it waits for their door to say whether its answer
    showed it (:data:`bot.delivery.outbox.HELD`)."""
    rows = []
    for person in (request.requester_id, request.invitee_id):
        payload, due = None, now
        if person == answered:
            payload = {ANSWERED: True, HELD: True} if held else {ANSWERED: True}
            due = now + HELD_FOR if held else now
        rows.append(message(participant_id=person, kind="meeting_confirmed", ref_id=meeting_id, due_at=due, now=now,
                            dedupe_key=confirmation_key(meeting_id, person), payload=payload))  # fmt: skip
    return rows


def confirmation_key(meeting_id: int, person: int) -> str:
    return f"meeting_confirmed:{meeting_id}:{person}"
