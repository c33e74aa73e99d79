"""Loading a validated event file into the database, in one transaction.

Sessions, venues and rooms are matched by their stable keys and updated in place, so
re-loading an edited file never duplicates anything. A session that disappears from
the file is cancelled, not deleted: what attendees attached to it stays, and the
report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload

from storage.event_file import EventFile
from storage.models import AgendaSession, Event, Organiser, Room, Speaker, Venue


@dataclass
class SessionChange:
    key: str
    title: str
    fields: list[str]


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

    @property
    def nothing_changed(self) -> bool:
        return not (
            self.added or self.changed or self.cancelled or self.restored or self.venues_added or self.venues_removed
        )

    def summary_lines(self) -> list[str]:
        lines = [f"Event {self.event_key}: {'created' if self.created else 'updated'}."]
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
        lines.append(f"{len(self.added)} added, {len(self.changed)} changed, {len(self.cancelled)} cancelled.")
        return lines


def load_event(session: OrmSession, event_file: EventFile, *, now: datetime) -> LoadReport:
    """Create or update the event described by ``event_file`` inside the caller's transaction."""
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
    session.flush()
    report = LoadReport(event_key=info.key, event_id=event.id, created=created)

    event.organisers.clear()
    session.flush()
    for position, organiser in enumerate(event_file.organisers):
        event.organisers.append(Organiser(position=position, name=organiser.name, role=organiser.role, url=organiser.url))

    venues = _sync_venues(session, event, event_file, report)
    _sync_sessions(session, event, event_file, venues, report)
    session.flush()
    return report


def _sync_venues(session: OrmSession, event: Event, event_file: EventFile, report: LoadReport) -> dict[str, Venue]:
    existing = {venue.key: venue for venue in event.venues}
    wanted = {venue.key for venue in event_file.venues}
    for key, venue in existing.items():
        if key not in wanted:
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
                report.changed.append(SessionChange(key=info.key, title=info.title, fields=changed))
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
