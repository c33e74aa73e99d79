"""Loading a validated event file into the database, in one transaction.

Sessions, venues and rooms are matched by their stable keys and updated in place, so
re-loading an edited file never duplicates anything. A session that disappears from
the file is cancelled, not deleted: what attendees attached to it stays, and the
report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload

from storage.event_file import EventFile
from storage.models import (
    AgendaSession,
    Event,
    Meeting,
    MeetingBlock,
    MeetingSlot,
    MeetingTable,
    Organiser,
    Room,
    Speaker,
    Venue,
)


@dataclass
class SessionChange:
    key: str
    title: str
    fields: list[str]
    before: dict = field(default_factory=dict)  # the old title, start, end, room and venue names


@dataclass
class LoadReport:
    """What a load did, for the command line and (later) for change notices."""

    event_key: str
    event_id: int
    created: bool
    added: list[str] = field(default_factory=list)
    changed: list[SessionChange] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    venues_added: list[str] = field(default_factory=list)
    venues_removed: list[str] = field(default_factory=list)
    blocks: int = 0
    slots: int = 0
    tables: int = 0
    retired: list[str] = field(default_factory=list)
    retired_slot_ids: list[int] = field(default_factory=list)
    retired_table_ids: list[int] = field(default_factory=list)
    told_of_changes: int = 0
    moved_from: date | None = None  # day 1 as the file says it, when the event was loaded moved (--start-on, demo)
    first_day: date | None = None

    @property
    def nothing_changed(self) -> bool:
        return not (
            self.added or self.changed or self.cancelled or self.restored or self.venues_added or self.venues_removed
        )

    def summary_lines(self) -> list[str]:
        lines = [f"Event {self.event_key}: {'created' if self.created else 'updated'}."]
        if self.moved_from is not None and self.first_day is not None:
            days = (self.first_day - self.moved_from).days
            lines.append(
                f"Moved by {days} day(s): day 1 is {self.first_day:%a} {self.first_day.isoformat()}"
                f" (the file says {self.moved_from:%a} {self.moved_from.isoformat()})."
            )
        if self.nothing_changed and not self.created:
            lines.append("Nothing changed.")
        for key in self.added:
            lines.append(f"  + added     {key}")
        for change in self.changed:
            lines.append(f"  ~ changed   {change.key} ({', '.join(change.fields)})")
        for key in self.restored:
            lines.append(f"  + restored  {key} (was cancelled)")
        for key in self.cancelled:
            lines.append(f"  - cancelled {key} (no longer in the file; kept so bookmarks and meetings are not lost)")
        for key in self.venues_added:
            lines.append(f"  + venue     {key}")
        for key in self.venues_removed:
            lines.append(f"  - venue     {key}")
        for note in self.retired:
            lines.append(f"  ! kept      {note}")
        lines.append(f"{len(self.added)} added, {len(self.changed)} changed, {len(self.cancelled)} cancelled.")
        if self.told_of_changes:
            lines.append(f"{self.told_of_changes} people affected by these changes will get one notice each.")
        if self.blocks:
            lines.append(f"Partnering: {self.blocks} block(s), {self.slots} slot(s), {self.tables} table(s).")
        return lines


def load_event(session: OrmSession, event_file: EventFile, *, now: datetime, imported: bool = False) -> LoadReport:
    """Create or update the event described by ``event_file`` inside the caller's transaction.

    ``imported``: the file was read from an outside programme (schedule XML, a sheet...), which knows nothing of
    PartnerUp's own parts: organisers, partnering blocks, tables and slots are kept as they are, and so are
    venues that hold tables or blocks.
    """
    info = event_file.event
    event = session.scalars(
        select(Event).where(Event.key == info.key).options(selectinload(Event.venues).selectinload(Venue.rooms))
    ).one_or_none()
    created = event is None
    if event is None:
        event = Event(key=info.key, revision=0)
        session.add(event)
    event.name = info.name
    event.timezone = info.timezone
    event.description = info.description
    event.dates = [d.isoformat() for d in info.dates]
    event.revision = (event.revision or 0) + 1
    event.loaded_at = now
    if not imported or created:
        event.slot_minutes = event_file.partnering.slot_minutes
        event.partnering_rules = event_file.partnering.rules()  # an import keeps the organisers' rules
    session.flush()
    report = LoadReport(event_key=info.key, event_id=event.id, created=created)

    if not imported:
        event.organisers.clear()
        session.flush()
        for position, organiser in enumerate(event_file.organisers):
            event.organisers.append(
                Organiser(position=position, name=organiser.name, role=organiser.role, url=organiser.url)
            )

    venues = _sync_venues(session, event, event_file, report, keep_partnering=imported)
    _sync_sessions(session, event, event_file, venues, report)
    if not imported:
        _sync_partnering(session, event, event_file, venues, report)
    session.flush()
    return report


def _sync_partnering(
    session: OrmSession, event: Event, event_file: EventFile, venues: dict[str, Venue], report: LoadReport
) -> None:
    """Blocks and tables by key and name; slots regenerated. A slot, block or table that any meeting refers
    to (booked or cancelled: the history stays) is retired, kept but no longer offered, rather than deleted;
    the report names those that hold booked meetings."""
    meetings = session.execute(
        select(Meeting.slot_id, Meeting.table_id, Meeting.status).where(Meeting.event_id == event.id)
    ).all()
    referenced_slots = {slot for slot, _, _ in meetings}
    referenced_tables = {table for _, table, _ in meetings}
    booked_slots = {slot for slot, _, status in meetings if status == "booked"}
    booked_tables = {table for _, table, status in meetings if status == "booked"}
    blocks = {
        block.key: block
        for block in session.scalars(
            select(MeetingBlock).where(MeetingBlock.event_id == event.id).options(selectinload(MeetingBlock.slots))
        )
    }
    step = timedelta(minutes=event_file.partnering.slot_minutes)
    wanted_blocks = set()
    for info in event_file.partnering.blocks:
        resolved = event_file.resolve_block(info)
        wanted_blocks.add(resolved.key)
        starts_at, ends_at = event_file.block_instants(resolved)
        block = blocks.get(resolved.key)
        if block is None:
            block = MeetingBlock(event_id=event.id, key=resolved.key)
            session.add(block)
        block.title = resolved.title
        block.starts_at, block.ends_at = starts_at, ends_at
        block.venue_id = venues[resolved.venue].id
        block.active = True
        session.flush()
        wanted_starts = []
        moment = starts_at
        while moment + step <= ends_at:
            wanted_starts.append(moment)
            moment += step
        existing = {slot.starts_at: slot for slot in block.slots}
        for start in wanted_starts:
            slot = existing.pop(start, None)
            if slot is None:
                session.add(MeetingSlot(block_id=block.id, starts_at=start, ends_at=start + step, active=True))
            else:
                slot.ends_at, slot.active = start + step, True
            report.slots += 1
        for slot in existing.values():
            if slot.id in booked_slots:
                report.retired_slot_ids.append(slot.id)
            _retire_or_delete(
                session,
                slot,
                slot.id in referenced_slots,
                report,
                f"slot {slot.starts_at:%Y-%m-%d %H:%M} UTC of block {block.key} (it has meetings)"
                if slot.id in booked_slots
                else None,
            )
        report.blocks += 1
    for key, block in blocks.items():
        if key not in wanted_blocks:
            has_meetings = any(slot.id in referenced_slots for slot in block.slots)
            if has_meetings:
                block.active = False
                for slot in block.slots:
                    slot.active = False
                    if slot.id in booked_slots:
                        report.retired_slot_ids.append(slot.id)
                report.retired.append(f"block {key} (it has meetings; no new ones are placed there)")
            else:
                session.delete(block)
    tables = {
        (table.venue_id, table.name): table
        for table in session.scalars(select(MeetingTable).where(MeetingTable.event_id == event.id))
    }
    position = 0
    for info in event_file.partnering.tables:
        venue = venues[info.venue]
        for name in info.table_names():
            table = tables.pop((venue.id, name), None)
            if table is None:
                table = MeetingTable(event_id=event.id, venue_id=venue.id, name=name)
                session.add(table)
            table.room, table.capacity, table.position, table.active = info.room or "", info.capacity, position, True
            position += 1
            report.tables += 1
    for table in tables.values():
        if table.id in booked_tables:
            report.retired_table_ids.append(table.id)
        note = f"table {table.name} (it has meetings)" if table.id in booked_tables else None
        _retire_or_delete(session, table, table.id in referenced_tables, report, note)


def _retire_or_delete(session: OrmSession, row, in_use: bool, report: LoadReport, note: str | None) -> None:
    """Retire (keep, no longer offered) what meetings refer to; delete the rest. ``note`` goes in the report."""
    if in_use:
        row.active = False
        if note:
            report.retired.append(note)
    else:
        session.delete(row)


def _sync_venues(
    session: OrmSession, event: Event, event_file: EventFile, report: LoadReport, *, keep_partnering: bool = False
) -> dict[str, Venue]:
    existing = {venue.key: venue for venue in event.venues}
    wanted = {venue.key for venue in event_file.venues}
    with_meetings = set(
        session.scalars(select(MeetingTable.venue_id).join(Meeting, Meeting.table_id == MeetingTable.id).distinct())
    )
    partnering_venues: set[int | None] = set()
    if keep_partnering:
        partnering_venues = set(session.scalars(select(MeetingTable.venue_id).where(MeetingTable.event_id == event.id)))
        partnering_venues |= set(session.scalars(select(MeetingBlock.venue_id).where(MeetingBlock.event_id == event.id)))
    for key, venue in existing.items():
        if key not in wanted and venue.id in partnering_venues:
            continue  # an import knows nothing of partnering: the venue of its tables and blocks stays
        if key not in wanted:
            if venue.id in with_meetings:  # meetings (booked or past) refer to its tables: keep it
                report.retired.append(f"venue {key} (meetings refer to its tables)")
                continue
            report.venues_removed.append(key)
            event.venues.remove(venue)
    by_key: dict[str, Venue] = {}
    for position, info in enumerate(event_file.venues):
        venue = existing.get(info.key)
        if venue is None:
            venue = Venue(key=info.key)
            event.venues.append(venue)
            if not report.created:
                report.venues_added.append(info.key)
        venue.position = position
        venue.name = info.name
        venue.address = info.address
        venue.map_url = info.map_url
        venue.directions = info.directions
        rooms = {room.name: room for room in venue.rooms}
        for name, room in rooms.items():
            if name not in info.rooms:
                venue.rooms.remove(room)
        for room_position, name in enumerate(info.rooms):
            room = rooms.get(name)
            if room is None:
                venue.rooms.append(Room(name=name, position=room_position))
            else:
                room.position = room_position
        by_key[info.key] = venue
    session.flush()
    return by_key


def _speakers_of(session_row: AgendaSession) -> list[tuple[str, str, str]]:
    return [(s.name, s.title, s.organisation) for s in session_row.speakers]


def _sync_sessions(
    session: OrmSession, event: Event, event_file: EventFile, venues: dict[str, Venue], report: LoadReport
) -> None:
    rows = {
        row.key: row
        for row in session.scalars(
            select(AgendaSession)
            .where(AgendaSession.event_id == event.id)
            .options(
                selectinload(AgendaSession.speakers), selectinload(AgendaSession.venue), selectinload(AgendaSession.room)
            )
        )
    }
    in_file = set()
    for info in event_file.sessions:
        in_file.add(info.key)
        starts_at, ends_at = event_file.session_instants(info)
        venue = venues[info.venue]
        room = next((r for r in venue.rooms if r.name == info.room), None) if info.room else None
        speakers = [(s.name, s.title, s.organisation) for s in info.speakers]
        row = rows.get(info.key)
        if row is None:
            row = AgendaSession(event_id=event.id, key=info.key, status="scheduled")
            session.add(row)
            report.added.append(info.key)
            changed: list[str] = []
        else:
            changed = []
            if row.status == "cancelled":
                report.restored.append(info.key)
            for name, new, old in (
                ("title", info.title, row.title),
                ("description", info.description, row.description),
                ("kind", info.kind, row.kind),
                ("start", starts_at, row.starts_at),
                ("end", ends_at, row.ends_at),
                ("venue", venue.id, row.venue_id),
                ("room", room.id if room else None, row.room_id),
                ("speakers", speakers, _speakers_of(row)),
            ):
                if new != old:
                    changed.append(name)
            if changed and row.status != "cancelled":
                before = {
                    "title": row.title,
                    "start": row.starts_at,
                    "end": row.ends_at,
                    "room": row.room.name if row.room else "",
                    "venue": row.venue.name if row.venue else "",
                }
                report.changed.append(SessionChange(key=info.key, title=info.title, fields=changed, before=before))
        row.status = "scheduled"
        row.title = info.title
        row.description = info.description
        row.kind = info.kind
        row.starts_at = starts_at
        row.ends_at = ends_at
        row.venue = venue
        row.room = room
        if "speakers" in changed or not row.speakers:
            row.speakers.clear()
            session.flush()
            for position, (name, title, organisation) in enumerate(speakers):
                row.speakers.append(Speaker(position=position, name=name, title=title, organisation=organisation))
    for key, row in rows.items():
        if key not in in_file and row.status != "cancelled":
            row.status = "cancelled"
            report.cancelled.append(key)
