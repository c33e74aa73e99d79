"""What partnering shows: blocks, meetings and requests as seen by one of the two people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from bot.errors import NotFound
from bot.partnering.participants import Profile, profile_of
from storage.models import (
    Event,
    Meeting,
    MeetingRequest,
    Venue,
)


@dataclass(frozen=True)
class BlockView:
    id: int
    key: str
    title: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    unavailable: bool = False
    soft: bool = False  # the event's availability is soft: an unavailable block is a last resort, not a rule


@dataclass(frozen=True)
class MeetingView:
    id: int
    request_id: int
    starts_at: datetime
    ends_at: datetime
    table: str
    room: str
    venue: str
    address: str
    topic: str
    other: Profile
    me_id: int
    status: str
    ics_uid: str
    sequence: int
    timezone: str


@dataclass(frozen=True)
class RequestView:
    id: int
    requester: Profile
    invitee: Profile
    topic: str
    message: str
    preferred_day: str | None
    status: str
    created_at: datetime
    decline_reason: str
    timezone: str
    placed: bool


@dataclass(frozen=True)
class Overview:
    upcoming: list[MeetingView]
    waiting_for_me: list[RequestView]
    sent: list[RequestView]
    unplaced: list[RequestView]
    blocks: list[BlockView]


@dataclass(frozen=True)
class AcceptResult:
    request: RequestView
    meeting: MeetingView | None
    held_until: str | None = None  # placement: scheduled; the next run's local ISO time, "" if organisers run it


@dataclass(frozen=True)
class ScheduleAllReport:
    placed: int
    unplaced: list[tuple[RequestView, str]]
    run: object | None = None  # bot.partnering.scheduling.RunResult: bound, least-served, people at zero


CURRENT_EVENT = select(Event).order_by(Event.loaded_at.desc(), Event.id.desc()).limit(1)  # the last one loaded


def current_event(session: OrmSession) -> Event:
    return found_event(session.scalars(CURRENT_EVENT).first())


def found_event(event: Event | None) -> Event:
    if event is None:
        raise NotFound("No event is loaded yet.")
    return event


def request_view(request: MeetingRequest, event: Event, *, placed: bool = False) -> RequestView:
    return RequestView(
        id=request.id,
        requester=profile_of(request.requester),
        invitee=profile_of(request.invitee),
        topic=request.topic,
        message=request.message,
        preferred_day=request.preferred_day,
        status=request.status,
        created_at=request.created_at,
        decline_reason=request.decline_reason,
        timezone=event.timezone,
        placed=placed,
    )


def meeting_view(session: OrmSession, meeting: Meeting, *, me_id: int, event: Event) -> MeetingView:
    request = meeting.request
    other = request.invitee if request.requester_id == me_id else request.requester
    table = meeting.table
    venue = session.get(Venue, table.venue_id)
    return MeetingView(
        id=meeting.id,
        request_id=request.id,
        starts_at=meeting.slot.starts_at,
        ends_at=meeting.slot.ends_at,
        table=table.name,
        room=table.room,
        venue=venue.name if venue else "",
        address=venue.address if venue else "",
        topic=request.topic,
        other=profile_of(other),
        me_id=me_id,
        status=meeting.status,
        ics_uid=meeting.ics_uid,
        sequence=meeting.sequence,
        timezone=event.timezone,
    )
