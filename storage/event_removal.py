"""Removing a whole event (the demo an import replaces, or a real event replaced on purpose), in the caller's
transaction. Participants are not per event and stay; everything attached to the event goes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session as OrmSession

from storage.models import AgendaSession, Bookmark, Event, Meeting, MeetingBlock, MeetingRequest, MeetingSeat, MeetingSlot


@dataclass(frozen=True)
class EventHoldings:
    """What removing an event loses, for the organiser to read before saying --replace."""

    key: str
    name: str
    sessions: int
    bookmarks: int
    meetings: int
    requests: int

    def describe(self) -> str:
        return (f"{self.name} ({self.key}): {self.sessions} session(s), {self.bookmarks} bookmark(s),"
                f" {self.meetings} booked meeting(s), {self.requests} meeting request(s)")  # fmt: skip


def holdings(session: OrmSession, event: Event) -> EventHoldings:
    sessions = select(AgendaSession.id).where(AgendaSession.event_id == event.id)
    count = lambda query: session.scalar(select(func.count()).select_from(query.subquery())) or 0  # noqa: E731
    return EventHoldings(
        key=event.key,
        name=event.name,
        sessions=count(sessions.where(AgendaSession.status == "scheduled")),
        bookmarks=count(select(Bookmark.id).where(Bookmark.session_id.in_(sessions))),
        meetings=count(select(Meeting.id).where(Meeting.event_id == event.id, Meeting.status == "booked")),
        requests=count(select(MeetingRequest.id).where(MeetingRequest.event_id == event.id)),
    )


def remove_event(session: OrmSession, event: Event) -> None:
    """Delete ``event`` and what hangs on it. Meetings go first: their slots and tables refuse to go before them."""
    meetings = select(Meeting.id).where(Meeting.event_id == event.id)
    session.execute(delete(MeetingSeat).where(MeetingSeat.meeting_id.in_(meetings)))
    session.execute(delete(Meeting).where(Meeting.event_id == event.id))
    blocks = select(MeetingBlock.id).where(MeetingBlock.event_id == event.id)
    session.execute(delete(MeetingSlot).where(MeetingSlot.block_id.in_(blocks)))
    session.execute(delete(Event).where(Event.id == event.id))
    session.expire_all()
