"""What the partnering operations share: their services, limits, and reading and locking requests and meetings.

Every operation checks who is acting against the database (button values are never
trusted), changes state in one transaction, and queues the messages it causes in the same
transaction (see :mod:`bot.delivery`), so a change and its notices stand or fall together.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import joinedload

from bot.clock import Clock
from bot.errors import NotAllowed, NotFound, UserError
from bot.partnering import placement as scheduling
from bot.partnering.participants import Participants
from bot.partnering.rules import Rules
from bot.partnering.views import BlockView
from bot.text import clean_input
from storage.db import Database
from storage.models import Event, Meeting, MeetingBlock, MeetingRequest, Unavailability, Venue

log = logging.getLogger(__name__)
TOPIC_LIMIT = 200
MESSAGE_LIMIT = 1500
REASON_LIMIT = 500
_REQUESTS_WITH_PEOPLE = (
    select(MeetingRequest)
    .options(joinedload(MeetingRequest.requester, innerjoin=True), joinedload(MeetingRequest.invitee, innerjoin=True))
    .where(MeetingRequest.id.in_(bindparam("ids", expanding=True)))
    .order_by(MeetingRequest.id)
)
_REQUESTS_WITH_PEOPLE_LOCKED = _REQUESTS_WITH_PEOPLE.with_for_update(of=MeetingRequest)


@dataclass(frozen=True)
class Limits:
    requests_per_day: int = 20
    nudge_after: timedelta = timedelta(hours=24)


class PartneringBase:
    """What asking, answering and rescheduling share: the services, and reading and locking rows."""

    def __init__(self, *, db: Database, clock: Clock, participants: Participants, limits: Limits | None = None) -> None:
        self.db = db
        self.clock = clock
        self.participants = participants
        self.limits = limits or Limits()

    def _blocks(self, session: OrmSession, event: Event, participant_id: int | None) -> list[BlockView]:
        unavailable = (
            set(session.scalars(select(Unavailability.block_id).where(Unavailability.participant_id == participant_id)))
            if participant_id
            else set()
        )
        rows = session.execute(
            select(MeetingBlock, Venue.name)
            .outerjoin(Venue, Venue.id == MeetingBlock.venue_id)
            .where(MeetingBlock.event_id == event.id, MeetingBlock.active.is_(True))
            .order_by(MeetingBlock.starts_at)
        ).all()
        soft = Rules.of(event).soft_availability
        return [
            BlockView(b.id, b.key, b.title, b.starts_at, b.ends_at, venue or "", b.id in unavailable, soft)
            for b, venue in rows
        ]

    @staticmethod
    def _is_placed(session: OrmSession, request_id: int) -> bool:
        return bool(session.scalar(select(func.count()).where(Meeting.request_id == request_id, Meeting.status == "booked")))

    def _check_day(self, session: OrmSession, event: Event, day: date, now: datetime) -> None:
        blocks = self._blocks(session, event, None)
        days = sorted({scheduling_day(b.starts_at, event.timezone) for b in blocks})
        if day not in days:
            listed = ", ".join(f"{d:%a} {d.day} {d:%b}" for d in days) or "none yet"
            raise UserError(
                f"There are no partnering meetings on {day:%a} {day.day} {day:%b}. Partnering days: {listed}.", field="day"
            )
        if not scheduling.candidate_slots(session, event=event, now=now, day=day):
            raise UserError(
                f"The partnering slots on {day:%a} {day.day} {day:%b} have all started; pick a later day.", field="day"
            )

    @staticmethod
    def requests_for_update(session: OrmSession, request_ids: list[int]) -> dict[int, MeetingRequest]:
        """Many requests read and locked in one statement (in ID order, so two processes lock alike), with both
        people of each (what placing them and the replies read). The people are not locked: after a wait for a
        request's lock they are as they were when the statement began, which for a name or a reminder setting is
        a moment's difference; a person erasing their data closes their requests first, so the accept is refused."""
        locked = session.get_bind().dialect.name == "postgresql"
        query = _REQUESTS_WITH_PEOPLE_LOCKED if locked else _REQUESTS_WITH_PEOPLE
        return {request.id: request for request in session.scalars(query, {"ids": sorted(set(request_ids))}).unique()}

    def _request_for_update(self, session: OrmSession, request_id: int) -> MeetingRequest:
        query = select(MeetingRequest).where(MeetingRequest.id == request_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        request = session.scalars(query).first()
        if request is None:
            raise NotFound("That meeting request no longer exists.")
        return request

    def _meeting_for_update(self, session: OrmSession, meeting_id: int, actor_id: int, verb: str) -> Meeting:
        query = select(Meeting).where(Meeting.id == meeting_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        meeting = session.scalars(query).first()
        if meeting is None:
            raise NotFound("That meeting no longer exists.")
        if actor_id not in (meeting.request.requester_id, meeting.request.invitee_id):
            log.warning("participant %s tried to %s meeting %s, which is not theirs", actor_id, verb, meeting_id)
            raise NotAllowed(f"Only the two people in this meeting can {verb} it.")
        return meeting


def scheduling_day(instant: datetime, zone: str) -> date:
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo(zone)).date()


def clean_multiline(text: str | None) -> str:
    if not text:
        return ""
    lines = [clean_input(line, MESSAGE_LIMIT * 2) for line in text[: MESSAGE_LIMIT * 4].splitlines()]
    return "\n".join(line for line in lines if line).strip()
