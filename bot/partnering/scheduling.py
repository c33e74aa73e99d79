"""A scheduling run: every accepted, unplaced request placed by the optimiser in one transaction.

Reads the floor into an :class:`bot.partnering.optimiser.Instance`, solves it, books the result (tables handed
out per slot), tells people, and records the run (:class:`storage.models.ScheduleRun`) for /report and the
dashboard. Confirmed meetings stay where they are unless ``reoptimise``; then a moved meeting is cancelled
and booked again with the next calendar sequence, and both people hear it once.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session as OrmSession

from bot.delivery.outbox import enqueue_many, message
from bot.partnering import optimiser
from bot.partnering.calendar import meeting_uid
from bot.partnering.placement import confirmations, tables_by_venue, tables_in_retired_slots
from bot.partnering.rules import Rules
from bot.reminders.bookmarks import queue_meeting_reminders
from storage.models import (
    Event,
    Meeting,
    MeetingBlock,
    MeetingRequest,
    MeetingSeat,
    MeetingSlot,
    ScheduleRun,
    Unavailability,
)

log = logging.getLogger(__name__)

NO_SLOT = "no slot left in which both are free"
NO_TABLE = "every table is taken when both are free"
PARTNERS_BUSY = "every slot both are free in is taken by their other meetings"
LIMITS = "the event's limits (meetings a day, in a row, venue changes) leave no slot"
# These words are stored with a run (older runs have them too); bot.partnering.replies.reason says them in the
# reader's language from the "why" table of bot/data/lang.
BATCH = 2000  # rows per INSERT when booking


@dataclass
class Floor:
    """The instance and what maps it back to the database."""

    instance: optimiser.Instance
    slot_ids: list[int]
    slot_venues: list[int | None]
    tables: dict[int, list[int]]  # venue -> tables in order
    used: dict[int, set[int]]  # slot index -> tables taken by meetings that stay
    requests: dict[int, MeetingRequest]
    movable: dict[int, Meeting] = field(default_factory=dict)  # request id -> its booked meeting (--reoptimise)
    day_of: dict[int, str] = field(default_factory=dict)  # slot index -> local ISO day


@dataclass
class RunResult:
    run_id: int
    placed: int  # new meetings
    moved: int
    total: int  # booked meetings after the run
    bound: int
    least: int
    at_zero: int
    zero_reasons: dict[str, int]
    method: str
    seconds: float
    unplaced: list[tuple[int, str]]  # (request id, why)
    changes: str  # in English, for logs; since/then are its parts for other languages
    waiting: int = 0  # requests the run considered
    since: int | None = None  # booked meetings gained since the previous run (None: the first run)
    then: int | None = None  # booked meetings after the previous run


def read_floor(session: OrmSession, *, event: Event, now: datetime, reoptimise: bool) -> Floor:
    rules = Rules.of(event)
    zone = ZoneInfo(event.timezone)
    rows = session.execute(
        select(MeetingSlot.id, MeetingSlot.block_id, MeetingBlock.venue_id, MeetingSlot.starts_at, MeetingSlot.ends_at)
        .join(MeetingBlock, MeetingBlock.id == MeetingSlot.block_id)
        .where(MeetingBlock.event_id == event.id, MeetingBlock.active.is_(True), MeetingSlot.active.is_(True))
        .order_by(MeetingSlot.starts_at)
    ).all()
    tables = tables_by_venue(session, event)
    origin = rows[0].starts_at if rows else now
    days = sorted({r.starts_at.astimezone(zone).date() for r in rows})
    slots, index_of, block_of = [], {}, []
    for i, (slot_id, block_id, venue_id, start, end) in enumerate(rows):
        index_of[slot_id] = i
        block_of.append(block_id)
        slots.append(optimiser.Slot(
            index=i, id=slot_id, day=days.index(start.astimezone(zone).date()), venue_id=venue_id,
            starts_min=int((start - origin).total_seconds() // 60), ends_min=int((end - origin).total_seconds() // 60),
            capacity=len(tables.get(venue_id or -1, [])) if start > now else 0,
        ))  # fmt: skip
    starts = {s.starts_min: s.index for s in slots}
    for s in slots:
        s.after = starts.get(s.ends_min, -1)
    used: dict[int, set[int]] = defaultdict(set)
    for table, start, end in tables_in_retired_slots(session, event):
        for (_, _, _, s_start, s_end), slot in zip(rows, slots, strict=True):
            if s_start < end and start < s_end:
                used[slot.index].add(table)
    # Booked meetings: they stay (fixed), or with --reoptimise the future ones may move.
    fixed: dict[int, list[int]] = defaultdict(list)
    busy: dict[int, set[int]] = defaultdict(set)
    movable: dict[int, Meeting] = {}
    booked = session.execute(
        select(Meeting, MeetingRequest.requester_id, MeetingRequest.invitee_id, MeetingSlot.starts_at, MeetingSlot.ends_at)
        .join(MeetingRequest, MeetingRequest.id == Meeting.request_id)
        .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
        .where(Meeting.event_id == event.id, Meeting.status == "booked")
    ).all()
    for meeting, a, b, start, end in booked:
        index = index_of.get(meeting.slot_id)
        if reoptimise and index is not None and start > now:
            movable[meeting.request_id] = meeting
            continue
        if index is not None:
            used[index].add(meeting.table_id)
            for person in (a, b):
                fixed[person].append(index)
        else:  # a retired slot: the time is still taken
            for (_, _, _, s_start, s_end), slot in zip(rows, slots, strict=True):
                if s_start < end and start < s_end:
                    busy[a].add(slot.index)
                    busy[b].add(slot.index)
    for s in slots:
        s.capacity = max(0, s.capacity - len(used[s.index] & set(tables.get(s.venue_id or -1, []))))
    placed_ids = select(Meeting.request_id).where(Meeting.status == "booked")
    waiting = session.scalars(
        select(MeetingRequest)
        .where(MeetingRequest.event_id == event.id, MeetingRequest.status == "accepted",
               (MeetingRequest.id.not_in(placed_ids)) | MeetingRequest.id.in_(list(movable) or [-1]))
        .order_by(MeetingRequest.created_at, MeetingRequest.id)
    ).all()  # fmt: skip
    people = {p for r in waiting for p in (r.requester_id, r.invitee_id)}
    away: dict[int, set[int]] = defaultdict(set)
    for person, block_id in session.execute(select(Unavailability.participant_id, Unavailability.block_id)):
        if person in people:
            away[person].add(block_id)
    day_of = {s.index: rows[s.index].starts_at.astimezone(zone).date().isoformat() for s in slots}
    requests = []
    for rank, r in enumerate(waiting):
        a, b = r.requester_id, r.invitee_id
        own = set(fixed.get(a, ())) | set(fixed.get(b, ())) | busy[a] | busy[b]
        off = away[a] | away[b]
        allowed = [s.index for s in slots if s.capacity > 0 and s.index not in own
                   and (rules.soft_availability or block_of[s.index] not in off)]  # fmt: skip
        discouraged = frozenset(i for i in allowed if block_of[i] in off)
        current = index_of.get(movable[r.id].slot_id) if r.id in movable else None
        if current is not None and current not in allowed:
            allowed = sorted(set(allowed) | {current})
        preferred = frozenset(i for i in allowed if day_of[i] == r.preferred_day) if r.preferred_day else frozenset()
        requests.append(optimiser.Request(id=r.id, a=a, b=b, allowed=allowed, preferred=preferred, current=current,
                                          rank=rank, discouraged=discouraged))  # fmt: skip
    for person, indexes in busy.items():
        fixed[person].extend(i for i in indexes if i not in fixed[person])
    instance = optimiser.Instance(slots=slots, requests=requests, rules=rules, fixed=dict(fixed))
    return Floor(instance, [s.id for s in slots], [s.venue_id for s in slots], tables, used,
                 {r.id: r for r in waiting}, movable, day_of)  # fmt: skip


def run(
    session: OrmSession, *, event: Event, now: datetime, trigger: str, time_limit: float = 60.0, reoptimise: bool = False
) -> RunResult | None:
    """One scheduling run inside the caller's transaction; None when ``trigger`` already ran (a second worker)."""
    if session.scalar(select(ScheduleRun.id).where(ScheduleRun.event_id == event.id, ScheduleRun.trigger_key == trigger)):
        return None
    record = ScheduleRun(event_id=event.id, trigger_key=trigger, started_at=now, detail={})
    session.add(record)
    session.flush()
    floor = read_floor(session, event=event, now=now, reoptimise=reoptimise)
    solution = optimiser.solve(floor.instance, time_limit=time_limit)
    new, moved = _book(session, event, floor, solution.placed, now)
    rules = Rules.of(event)
    _tell(session, rules, record.id, floor, new, moved, now)
    result = _summarise(session, event, floor, solution, record, new, moved)
    record.finished_at = now
    record.method = solution.method[:40]
    record.placed = result.total
    record.bound = result.bound
    record.detail = {"new": len(new), "moved": len(moved), "least": result.least, "at_zero": result.at_zero,
                     "zero_reasons": result.zero_reasons, "seconds": round(solution.seconds, 2),
                     "stages": solution.stages, "unplaced": len(result.unplaced), "changes": result.changes,
                     "waiting": result.waiting, "since": result.since, "then": result.then,
                     "trigger": trigger}  # fmt: skip
    log.info("scheduling run %s: %s new, %s moved, %s of at most %s (%s)", trigger, len(new), len(moved), result.total,
             result.bound, solution.method)  # fmt: skip
    return result


def _book(session: OrmSession, event: Event, floor: Floor, placed: dict[int, int], now: datetime):
    """Meetings for the placed requests (moved ones cancelled and booked again); tables in order per slot.
    Returns (request, meeting ID) pairs, new and moved. Written in multi-row INSERTs: ten thousand meetings and
    their seats as ORM objects, and a scan of every table per meeting, took seconds."""
    sequences = dict(
        session.execute(
            select(Meeting.request_id, func.max(Meeting.sequence))
            .where(Meeting.request_id.in_(list(placed) or [-1]))
            .group_by(Meeting.request_id)
        ).all()
    )
    used = {i: set(tables) for i, tables in floor.used.items()}
    staying = {rid: index for rid, index in placed.items() if rid in floor.movable
               and floor.slot_ids[index] == floor.movable[rid].slot_id}  # fmt: skip
    for rid in staying:
        used.setdefault(staying[rid], set()).add(floor.movable[rid].table_id)
    new: list[tuple[MeetingRequest, int]] = []
    moved: list[tuple[MeetingRequest, int]] = []
    for rid, meeting in floor.movable.items():
        if rid in placed and rid not in staying:
            meeting.status = "cancelled"
            meeting.cancelled_at = now
            for seat in session.scalars(select(MeetingSeat).where(MeetingSeat.meeting_id == meeting.id)):
                seat.active = False
    session.flush()
    free: dict[int, Iterator[int]] = {}  # slot index -> its free tables in order, handed out one by one
    rows, booked = [], []
    for rid, index in sorted(placed.items(), key=lambda item: (item[1], item[0])):
        if rid in staying:
            continue
        if index not in free:
            taken = used.get(index, set())
            free[index] = iter([t for t in floor.tables.get(floor.slot_venues[index] or -1, []) if t not in taken])
        table = next(free[index])  # the model kept each slot within its free tables
        rows.append(dict(event_id=event.id, request_id=rid, slot_id=floor.slot_ids[index], table_id=table, status="booked",
                         ics_uid=meeting_uid(rid, event.key), sequence=sequences.get(rid, -1) + 1, created_at=now))  # fmt: skip
        booked.append(floor.requests[rid])
    made: dict[int, int] = {}
    for start in range(0, len(rows), BATCH):
        made.update(
            session.execute(insert(Meeting).returning(Meeting.request_id, Meeting.id), rows[start : start + BATCH]).all()
        )
    seats = [dict(meeting_id=made[r.id], participant_id=person, slot_id=row["slot_id"], active=True)
             for r, row in zip(booked, rows, strict=True) for person in (r.requester_id, r.invitee_id)]  # fmt: skip
    for start in range(0, len(seats), BATCH):
        session.execute(insert(MeetingSeat), seats[start : start + BATCH])  # the unique indexes have the last word
    for request in booked:
        (moved if request.id in floor.movable else new).append((request, made[request.id]))
    return new, moved


def _tell(session: OrmSession, rules: Rules, run_id: int, floor: Floor, new: list, moved: list, now: datetime) -> None:
    """Scheduled events: each person with a new or moved meeting gets their whole schedule in one message (the
    moved ones marked). Instant events ("schedule all" as a catch-up): the usual "meeting booked" per new meeting,
    and "meeting moved" per moved one. ``new`` and ``moved`` hold (request, meeting ID) pairs."""
    meetings = [m for _, m in new + moved]
    if rules.scheduled:
        people = sorted({p for r, _ in new + moved for p in (r.requester_id, r.invitee_id)})
        moved_of: dict[int, list[int]] = defaultdict(list)
        for r, m in moved:
            for p in (r.requester_id, r.invitee_id):
                moved_of[p].append(m)
        enqueue_many(session, [message(participant_id=p, kind="schedule_ready", ref_id=run_id,
                                       dedupe_key=f"schedule_ready:{run_id}:{p}", due_at=now, now=now,
                                       payload={"moved": moved_of[p]} if moved_of.get(p) else None)
                               for p in people])  # fmt: skip
    else:
        rows = [row for r, m in new for row in confirmations(r, m, now)]
        rows += [message(participant_id=p, kind="meeting_moved", ref_id=m, dedupe_key=f"meeting_moved:{m}:{p}",
                         due_at=now, now=now) for r, m in moved for p in (r.requester_id, r.invitee_id)]  # fmt: skip
        enqueue_many(session, rows)
    queue_meeting_reminders(session, now=now, meeting_ids=meetings)


def _summarise(session, event, floor: Floor, solution: optimiser.Solution, record: ScheduleRun, new, moved) -> RunResult:
    instance = floor.instance
    checker = optimiser.Checker(instance)
    by_id = {r.id: r for r in instance.requests}
    for rid, index in solution.placed.items():
        checker.add(by_id[rid], index)
    count: Counter[int] = Counter({p: len(v) for p, v in instance.fixed.items()})
    for rid in solution.placed:
        count[by_id[rid].a] += 1
        count[by_id[rid].b] += 1
    unplaced, person_reason = [], {}
    for r in instance.requests:
        if r.id in solution.placed:
            continue
        why = _why(checker, r, floor)
        unplaced.append((r.id, why))
        for p in (r.a, r.b):
            person_reason.setdefault(p, why)
    involved = {p for r in instance.requests for p in (r.a, r.b)}
    zero = [p for p in involved if count[p] == 0]
    reasons = Counter(person_reason.get(p, NO_SLOT) for p in zero)
    total = session.scalar(select(func.count()).select_from(Meeting).where(Meeting.event_id == event.id,
                                                                           Meeting.status == "booked"))  # fmt: skip
    fixed_meetings = total - len(solution.placed)
    previous = session.scalars(
        select(ScheduleRun).where(ScheduleRun.event_id == event.id, ScheduleRun.id != record.id,
                                  ScheduleRun.finished_at.is_not(None)).order_by(ScheduleRun.id.desc()).limit(1)
    ).first()  # fmt: skip
    changes = f"{len(new)} new meeting(s), {len(moved)} moved"
    since = then = None
    if previous is not None:
        since, then = total - previous.placed, previous.placed
        changes += f"; {since:+d} booked since the last run ({then} then)"
    return RunResult(
        run_id=record.id, placed=len(new), moved=len(moved), total=total, bound=fixed_meetings + solution.bound,
        least=min((count[p] for p in involved), default=0), at_zero=len(zero), zero_reasons=dict(reasons),
        method=solution.method, seconds=solution.seconds, unplaced=unplaced, changes=changes,
        waiting=len(instance.requests), since=since, then=then,
    )  # fmt: skip


def _why(checker: optimiser.Checker, request: optimiser.Request, floor: Floor) -> str:
    if not request.allowed:
        return NO_SLOT
    tables = busy = rule = False
    for index in request.allowed:
        mine = checker.taken[request.a] | checker.taken[request.b]
        if index in mine:
            busy = True
        elif checker.load[index] >= checker.slots[index].capacity:
            tables = True
        else:
            rule = True
    if rule:
        return LIMITS
    if tables:
        return NO_TABLE
    return PARTNERS_BUSY if busy else NO_SLOT
