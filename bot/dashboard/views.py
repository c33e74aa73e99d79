"""Read-only views of the event for the organisers' dashboard: the numbers, the table plan per block and
every person's itinerary.

Each view is a plain dataclass loaded in a few aggregate queries, so a page at BIO scale (400 tables,
32 slots, thousands of meetings) stays well under a second; the pages and PDFs only draw them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from bot import timefmt
from bot.clock import Clock
from bot.partnering.replies import run_summary
from bot.text import fold
from storage.db import Database
from storage.models import (
    ORG_TYPES,
    REQUEST_STATUSES,
    Delivery,
    Event,
    Meeting,
    MeetingBlock,
    MeetingRequest,
    MeetingSeat,
    MeetingSlot,
    MeetingTable,
    Participant,
    Registration,
    ScheduleRun,
    Venue,
)

REMINDER_KINDS = ("session_reminder", "meeting_reminder")
ANNOUNCEMENT_KINDS = ("announcement",)


class NoEvent(Exception):
    """No event is loaded: there is nothing to show."""


@dataclass(frozen=True)
class BlockUse:
    key: str
    title: str
    when: str
    tables: int
    slots: int
    meetings: int

    @property
    def capacity(self) -> int:
        return self.tables * self.slots

    @property
    def percent(self) -> int:
        return round(100 * self.meetings / self.capacity) if self.capacity else 0


@dataclass(frozen=True)
class Sending:
    """Direct messages of one kind: how many went out, how many failed, how many wait."""

    label: str
    sent: int
    failed: int
    pending: int


@dataclass(frozen=True)
class Numbers:
    """The event at a glance, with the series the charts draw (and the tables beside them repeat)."""

    event_key: str
    event_name: str
    timezone: str
    participants: int
    profiles: int
    with_meeting: int
    requests: dict[str, int]
    meetings: int
    blocks: list[BlockUse]
    per_slot: dict[str, list[tuple[str, int]]]  # block key -> [(slot label, meetings)]
    by_type: dict[tuple[str, str], int]  # (requester's organisation type, invitee's) -> requests
    sending: list[Sending]
    per_hour: list[tuple[str, int, int]]  # (hour label in the event's zone, sent, failed)
    registrants: dict[str, int] = field(default_factory=dict)  # the registration list: linked, unlinked, opted_out
    schedule_run: str = ""  # the last scheduling run: placed vs bound, least-served, people at zero and why

    @property
    def without_meeting(self) -> int:
        return max(0, self.participants - self.with_meeting)

    @property
    def requests_total(self) -> int:
        return sum(self.requests.values())

    @property
    def org_types(self) -> list[str]:
        """The organisation types that occur in requests, in the profile form's order."""
        seen = {kind for pair in self.by_type for kind in pair}
        return [kind for kind in (*ORG_TYPES, "") if kind in seen]


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    organisation: str


@dataclass(frozen=True)
class Slot:
    id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Table:
    id: int
    name: str
    room: str
    venue: str


@dataclass(frozen=True)
class Booking:
    """A booked meeting: when, where, who."""

    id: int
    block_key: str
    slot: Slot
    table: Table
    address: str
    topic: str
    people: tuple[Person, Person]

    def other(self, person_id: int) -> Person:
        return self.people[1] if self.people[0].id == person_id else self.people[0]

    def matches(self, folded_query: str) -> bool:
        return any(folded_query in fold(f"{p.name} {p.organisation}") for p in self.people)


@dataclass
class BlockPlan:
    """One block's grid: tables down, slots across, a booking or nothing in each cell."""

    key: str
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    slots: list[Slot] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    cells: dict[tuple[int, int], Booking] = field(default_factory=dict)

    @property
    def bookings(self) -> list[Booking]:
        return list(self.cells.values())

    def rows(self, folded_query: str = "") -> list[tuple[Table, list[Booking | None]]]:
        """The grid's rows; with a query only the tables where a matching person sits (others' cells stay)."""
        rows = []
        for table in self.tables:
            cells = [self.cells.get((table.id, slot.id)) for slot in self.slots]
            if folded_query and not any(cell and cell.matches(folded_query) for cell in cells):
                continue
            rows.append((table, cells))
        return rows


@dataclass(frozen=True)
class Itinerary:
    person: Person
    bookings: list[Booking]


@dataclass
class Plan:
    """Every block's grid, and from the same bookings every person's itinerary."""

    event_key: str
    event_name: str
    timezone: str
    blocks: list[BlockPlan]

    def block(self, key: str) -> BlockPlan | None:
        return next((b for b in self.blocks if b.key == key), None)

    def bookings(self, block_key: str | None = None) -> list[Booking]:
        return [b for block in self.blocks if block_key in (None, block.key) for b in block.bookings]

    def itineraries(self, *, block_key: str | None = None, query: str = "") -> list[Itinerary]:
        """Each person with meetings (in ``block_key`` when given), by name; ``query`` matches name or organisation."""
        by_person: dict[int, list[Booking]] = defaultdict(list)
        people: dict[int, Person] = {}
        for booking in self.bookings(block_key):
            for person in booking.people:
                by_person[person.id].append(booking)
                people[person.id] = person
        folded = fold(query.strip())
        chosen = [p for p in people.values() if not folded or folded in fold(f"{p.name} {p.organisation}")]
        chosen.sort(key=lambda p: (fold(p.name), p.id))
        return [Itinerary(p, sorted(by_person[p.id], key=lambda b: b.slot.starts_at)) for p in chosen]


class Dashboard:
    """What the dashboard asks the database; every method reads, none writes."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    @staticmethod
    def _event(session) -> Event:
        event = session.scalars(select(Event).order_by(Event.loaded_at.desc(), Event.id.desc()).limit(1)).first()
        if event is None:
            raise NoEvent("No event is loaded yet.")
        return event

    def event_key(self) -> tuple[str, str]:
        """The current event's key and time zone (for file names and dates)."""
        with self.db.transaction() as session:
            event = self._event(session)
            return event.key, event.timezone

    def numbers(self) -> Numbers:
        with self.db.transaction() as session:
            event = self._event(session)
            zone = event.timezone
            count = lambda query: session.scalar(query) or 0  # noqa: E731
            humans = Participant.is_bot.is_(False)
            participants = count(select(func.count()).select_from(Participant).where(humans))
            profiles = count(select(func.count()).select_from(Participant).where(humans, Participant.organisation != ""))
            statuses = dict(
                session.execute(
                    select(MeetingRequest.status, func.count())
                    .where(MeetingRequest.event_id == event.id)
                    .group_by(MeetingRequest.status)
                ).all()
            )
            requests = {status: statuses.get(status, 0) for status in REQUEST_STATUSES}
            booked = (Meeting.event_id == event.id) & (Meeting.status == "booked")
            meetings = count(select(func.count()).select_from(Meeting).where(booked))
            with_meeting = count(
                select(func.count(func.distinct(MeetingSeat.participant_id)))
                .join(Meeting, Meeting.id == MeetingSeat.meeting_id)
                .where(booked, MeetingSeat.active.is_(True))
            )
            per_slot_rows = dict(
                session.execute(select(Meeting.slot_id, func.count()).where(booked).group_by(Meeting.slot_id)).all()
            )
            blocks, per_slot = [], {}
            tables_at = self._tables_by_venue(session, event)
            for block, slots in self._blocks(session, event, per_slot_rows):
                tables = tables_at.get(block.venue_id, 0) if block.venue_id else sum(tables_at.values())
                in_block = sum(per_slot_rows.get(s.id, 0) for s in slots)
                local = timefmt.local(block.starts_at, zone)
                when = f"{timefmt.short_day(local.date())} {timefmt.span(block.starts_at, block.ends_at, zone)}"
                blocks.append(BlockUse(block.key, block.title or block.key, when, tables, len(slots), in_block))
                per_slot[block.key] = [(timefmt.clock(s.starts_at, zone), per_slot_rows.get(s.id, 0)) for s in slots]
            requester, invitee = aliased(Participant), aliased(Participant)
            by_type = {
                (a or "", b or ""): n
                for a, b, n in session.execute(
                    select(requester.org_type, invitee.org_type, func.count())
                    .select_from(MeetingRequest)
                    .join(requester, requester.id == MeetingRequest.requester_id)
                    .join(invitee, invitee.id == MeetingRequest.invitee_id)
                    .where(MeetingRequest.event_id == event.id)
                    .group_by(requester.org_type, invitee.org_type)
                )
            }
            sending = self._sending(session)
            per_hour = self._per_hour(session, zone)
            registrants = dict(
                session.execute(select(Registration.status, func.count()).group_by(Registration.status)).all()
            )
            last_run = session.scalars(
                select(ScheduleRun).where(ScheduleRun.event_id == event.id, ScheduleRun.finished_at.is_not(None))
                .order_by(ScheduleRun.id.desc()).limit(1)
            ).first()  # fmt: skip
            schedule_run = run_summary(last_run) if last_run is not None else ""
        return Numbers(
            schedule_run=schedule_run,
            event_key=event.key,
            event_name=event.name,
            timezone=zone,
            participants=participants,
            profiles=profiles,
            with_meeting=with_meeting,
            requests=requests,
            meetings=meetings,
            blocks=blocks,
            per_slot=per_slot,
            by_type=by_type,
            sending=sending,
            per_hour=per_hour,
            registrants={status: registrants.get(status, 0) for status in ("linked", "unlinked", "opted_out")},
        )

    @staticmethod
    def _blocks(session, event: Event, booked_per_slot: dict[int, int]) -> list[tuple[MeetingBlock, list[MeetingSlot]]]:
        """Active blocks and retired ones that still hold meetings, in time order, each with its slots that are
        offered or hold a meeting."""
        blocks = session.scalars(
            select(MeetingBlock).where(MeetingBlock.event_id == event.id).order_by(MeetingBlock.starts_at)
        ).all()
        slots = session.scalars(
            select(MeetingSlot).where(MeetingSlot.block_id.in_([b.id for b in blocks])).order_by(MeetingSlot.starts_at)
        ).all()
        by_block: dict[int, list[MeetingSlot]] = defaultdict(list)
        for slot in slots:
            by_block[slot.block_id].append(slot)
        kept = []
        for block in blocks:
            shown = [s for s in by_block[block.id] if s.active or booked_per_slot.get(s.id)]
            if block.active or any(booked_per_slot.get(s.id) for s in shown):
                kept.append((block, shown))
        return kept

    @staticmethod
    def _tables_by_venue(session, event: Event) -> dict[int, int]:
        return dict(
            session.execute(
                select(MeetingTable.venue_id, func.count())
                .where(MeetingTable.event_id == event.id, MeetingTable.active.is_(True))
                .group_by(MeetingTable.venue_id)
            ).all()
        )

    @staticmethod
    def _sending(session) -> list[Sending]:
        rows = session.execute(select(Delivery.kind, Delivery.status, func.count()).group_by(Delivery.kind, Delivery.status))
        groups: dict[str, Counter] = defaultdict(Counter)
        for kind, status, n in rows:
            group = "reminders" if kind in REMINDER_KINDS else "announcements" if kind in ANNOUNCEMENT_KINDS else "other"
            groups[group]["pending" if status in ("pending", "sending") else status] += n
        labels = {"reminders": "Reminders", "announcements": "Announcement messages", "other": "Other direct messages"}
        return [
            Sending(label, groups[key]["sent"], groups[key]["failed"], groups[key]["pending"])
            for key, label in labels.items()
        ]

    @staticmethod
    def _per_hour(session, zone: str) -> list[tuple[str, int, int]]:
        """Messages sent and failed per hour (of when they were sent, or due when they failed)."""
        when = func.coalesce(Delivery.sent_at, Delivery.due_at)
        if session.bind.dialect.name == "postgresql":
            hour = func.to_char(func.date_trunc("hour", func.timezone("UTC", when)), "YYYY-MM-DD HH24")
        else:
            hour = func.strftime("%Y-%m-%d %H", when)
        rows = session.execute(
            select(hour, Delivery.status, func.count())
            .where(Delivery.status.in_(("sent", "failed")))
            .group_by(hour, Delivery.status)
            .order_by(hour)
        ).all()
        table: dict[str, list[int]] = {}
        for label, status, n in rows:
            table.setdefault(label, [0, 0])[0 if status == "sent" else 1] += n
        out = []
        for label, (sent, failed) in sorted(table.items()):
            local = timefmt.local(datetime.strptime(label, "%Y-%m-%d %H").replace(tzinfo=UTC), zone)
            out.append((f"{timefmt.short_day(local.date())} {local:%H}:00", sent, failed))
        return out

    def plan(self) -> Plan:
        """Every block's grid of tables × slots with the booked meetings in it."""
        with self.db.transaction() as session:
            event = self._event(session)
            booked_rows = session.execute(
                select(Meeting.id, Meeting.slot_id, Meeting.table_id, Meeting.request_id)
                .where(Meeting.event_id == event.id, Meeting.status == "booked")
            ).all()  # fmt: skip
            booked_per_slot = Counter(row.slot_id for row in booked_rows)
            blocks = self._blocks(session, event, booked_per_slot)
            venues = {v.id: v for v in session.scalars(select(Venue).where(Venue.event_id == event.id))}
            tables = session.scalars(
                select(MeetingTable)
                .where(MeetingTable.event_id == event.id)
                .order_by(MeetingTable.position, MeetingTable.id)
            ).all()
            table_views = {
                t.id: Table(t.id, t.name, t.room or "", venues[t.venue_id].name if t.venue_id in venues else "")
                for t in tables
            }
            address = {t.id: venues[t.venue_id].address if t.venue_id in venues else "" for t in tables}
            requester, invitee = aliased(Participant), aliased(Participant)
            request_rows = {
                r[0]: r
                for r in session.execute(
                    select(MeetingRequest.id, MeetingRequest.topic, requester.id, requester.display_name, requester.organisation,
                           invitee.id, invitee.display_name, invitee.organisation)
                    .join(requester, requester.id == MeetingRequest.requester_id)
                    .join(invitee, invitee.id == MeetingRequest.invitee_id)
                    .join(Meeting, Meeting.request_id == MeetingRequest.id)
                    .where(Meeting.event_id == event.id, Meeting.status == "booked")
                )
            }  # fmt: skip
            plans: list[BlockPlan] = []
            slot_home: dict[int, tuple[BlockPlan, Slot]] = {}
            for block, shown in blocks:
                venue = venues.get(block.venue_id)
                plan = BlockPlan(
                    block.key, block.title or block.key, block.starts_at, block.ends_at, venue.name if venue else ""
                )
                for s in shown:
                    slot = Slot(s.id, s.starts_at, s.ends_at)
                    plan.slots.append(slot)
                    slot_home[s.id] = (plan, slot)
                plans.append(plan)
            for row in booked_rows:
                plan, slot = slot_home.get(row.slot_id, (None, None))
                request = request_rows.get(row.request_id)
                if plan is None or request is None:
                    continue
                _, topic, a_id, a_name, a_org, b_id, b_name, b_org = request
                table = table_views[row.table_id]
                plan.cells[(row.table_id, row.slot_id)] = Booking(
                    id=row.id, block_key=plan.key, slot=slot, table=table, address=address[row.table_id],
                    topic=topic, people=(Person(a_id, a_name, a_org or ""), Person(b_id, b_name, b_org or "")),
                )  # fmt: skip
            for plan, (block, _) in zip(plans, blocks, strict=True):
                used = {table_id for table_id, _ in plan.cells}
                plan.tables = [
                    table_views[t.id]
                    for t in tables
                    if t.id in used
                    or (t.active and (block.venue_id is None or t.venue_id == block.venue_id) and block.active)
                ]
        return Plan(event.key, event.name, event.timezone, plans)

    def people_without_meetings(self, *, limit: int = 200) -> tuple[int, list[Person]]:
        """How many people with a profile have no meeting yet, and the first ``limit`` of them by name."""
        with self.db.transaction() as session:
            event = self._event(session)
            seated = (
                select(MeetingSeat.participant_id)
                .join(Meeting, Meeting.id == MeetingSeat.meeting_id)
                .where(Meeting.event_id == event.id, Meeting.status == "booked", MeetingSeat.active.is_(True))
            )
            where = (Participant.is_bot.is_(False), Participant.organisation != "", Participant.id.not_in(seated))
            total = session.scalar(select(func.count()).select_from(Participant).where(*where)) or 0
            rows = session.execute(
                select(Participant.id, Participant.display_name, Participant.organisation)
                .where(*where)
                .order_by(Participant.display_name, Participant.id)
                .limit(limit)
            ).all()
            return total, [Person(i, n, o or "") for i, n, o in rows]
