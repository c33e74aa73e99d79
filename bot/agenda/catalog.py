"""An in-memory, read-only snapshot of the current event, refreshed when its revision changes.

Answering ``/agenda`` must stay far below Slack's 3-second limit with 1,500 sessions, so
each process keeps the agenda and its search index in memory and asks the database only
for the event's revision (one indexed row) per request. Several web processes stay
consistent because every load bumps the revision.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload

from storage.db import Database
from storage.models import AgendaSession, Event, Venue


class NoEventLoaded(Exception):
    """The database holds no event yet."""


@dataclass(frozen=True)
class SpeakerView:
    name: str
    title: str
    organisation: str


@dataclass(frozen=True)
class VenueView:
    key: str
    name: str
    address: str
    map_url: str
    directions: str
    rooms: tuple[str, ...]


@dataclass(frozen=True)
class SessionView:
    id: int
    key: str
    title: str
    description: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    venue: VenueView | None
    room: str | None
    speakers: tuple[SpeakerView, ...]


@dataclass(frozen=True)
class OrganiserView:
    name: str
    role: str
    url: str


@dataclass(frozen=True)
class EventView:
    """The event as the assistant sees it; sessions sorted by start, cancelled ones left out."""

    id: int
    key: str
    name: str
    description: str
    timezone: str
    dates: tuple[date, ...]
    revision: int
    organisers: tuple[OrganiserView, ...]
    venues: tuple[VenueView, ...]
    sessions: tuple[SessionView, ...]
    slot_minutes: int = 30  # length of a 1:1 partnering meeting

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def day_number(self, day: date) -> int | None:
        """1-based event day of a calendar date, or None when the event is not on that date."""
        try:
            return self.dates.index(day) + 1
        except ValueError:
            return None

    def sessions_on(self, day: date) -> list[SessionView]:
        return list(self._by_day.get(day, ()))

    @cached_property
    def _by_day(self) -> dict[date, tuple[SessionView, ...]]:
        """Sessions per local day, built once per snapshot: questions and listings ask for a day's sessions often."""
        days: dict[date, list[SessionView]] = {}
        for session in self.sessions:
            days.setdefault(self.local_date(session.starts_at), []).append(session)
        return {day: tuple(items) for day, items in days.items()}

    def venues_on(self, day: date) -> list[VenueView]:
        """Venues in use on a day, the busiest first."""
        counts: dict[str, int] = {}
        for session in self.sessions_on(day):
            if session.venue is not None:
                counts[session.venue.key] = counts.get(session.venue.key, 0) + 1
        by_key = {v.key: v for v in self.venues}
        return [by_key[key] for key, _ in sorted(counts.items(), key=lambda item: -item[1])]

    def days_at(self, venue: VenueView) -> list[date]:
        return sorted({self.local_date(s.starts_at) for s in self.sessions if s.venue and s.venue.key == venue.key})

    @cached_property
    def search_index(self):
        from bot.agenda.search import SearchIndex

        return SearchIndex(self)


def _venue_view(venue: Venue) -> VenueView:
    return VenueView(
        key=venue.key,
        name=venue.name,
        address=venue.address,
        map_url=venue.map_url,
        directions=venue.directions,
        rooms=tuple(room.name for room in venue.rooms),
    )


def _session_view(row: AgendaSession, venue: VenueView | None) -> SessionView:
    return SessionView(
        id=row.id,
        key=row.key,
        title=row.title,
        description=row.description,
        kind=row.kind,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        venue=venue,
        room=row.room.name if row.room else None,
        speakers=tuple(SpeakerView(s.name, s.title, s.organisation) for s in row.speakers),
    )


def load_session_view(session: OrmSession, session_id: int) -> SessionView:
    """One session as a view, straight from the database (for messages rendered at send time)."""
    row = session.get(AgendaSession, session_id)
    venue = session.get(Venue, row.venue_id) if row.venue_id else None
    return _session_view(row, _venue_view(venue) if venue else None)


def read_event(db: Database, event_id: int) -> EventView:
    with db.transaction() as session:
        event = session.scalars(
            select(Event)
            .where(Event.id == event_id)
            .options(selectinload(Event.organisers), selectinload(Event.venues).selectinload(Venue.rooms))
        ).one()
        venues = {venue.id: _venue_view(venue) for venue in event.venues}
        rows = session.scalars(
            select(AgendaSession)
            .where(AgendaSession.event_id == event.id, AgendaSession.status == "scheduled")
            .order_by(AgendaSession.starts_at, AgendaSession.ends_at, AgendaSession.title)
            .options(selectinload(AgendaSession.speakers), selectinload(AgendaSession.room))
        )
        sessions = tuple(_session_view(row, venues.get(row.venue_id) if row.venue_id else None) for row in rows)
        return EventView(
            id=event.id,
            key=event.key,
            name=event.name,
            description=event.description,
            timezone=event.timezone,
            dates=tuple(date.fromisoformat(d) for d in event.dates),
            revision=event.revision,
            organisers=tuple(OrganiserView(o.name, o.role, o.url) for o in event.organisers),
            venues=tuple(venues.values()),
            sessions=sessions,
            slot_minutes=event.slot_minutes,
        )


class Catalog:
    """Hands out the current :class:`EventView`, rebuilding it only when the database changed."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._view: EventView | None = None

    def current(self) -> EventView:
        """The most recently loaded event.

        Raises:
            NoEventLoaded: nothing has been loaded yet.
        """
        with self._db.engine.connect() as connection:
            row = connection.execute(
                select(Event.id, Event.revision).order_by(Event.loaded_at.desc(), Event.id.desc()).limit(1)
            ).first()
        if row is None:
            raise NoEventLoaded("no event is loaded yet; run `python -m bot load-event FILE`")
        view = self._view
        if view is not None and (view.id, view.revision) == (row.id, row.revision):
            return view
        with self._lock:
            view = self._view
            if view is None or (view.id, view.revision) != (row.id, row.revision):
                view = read_event(self._db, row.id)
                view.search_index  # noqa: B018 - build the index once, outside request hot paths
                self._view = view
        return view
