"""The console's demo cast: fictional attendees, one request waiting and one meeting about to start.

A newcomer alone at the console has nobody to partner with; this seeds the people in ``data/demo_cast.yml``
through the same services Slack uses, so that ``/partners``, ``/meetings``, Accept and a meeting reminder
all answer something within the first minute. Only the console calls it, on its own database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update

from bot.assistant import Assistant
from bot.partnering.participants import ProfileUpdate
from bot.partnering.views import current_event
from storage.models import Delivery, MeetingBlock, MeetingSlot, MeetingTable

DEMO_CAST_FILE = Path(__file__).with_name("data") / "demo_cast.yml"
DROP_IN_KEY = "demo-drop-in"


class _Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organisation: str
    org_type: str
    role: str = ""
    offers: str = ""
    seeks: str = ""
    interests: list[str] = Field(default_factory=list)

    def update(self) -> ProfileUpdate:
        return ProfileUpdate(**self.model_dump(exclude={"name"}))


class _Person(_Profile):
    name: str


class _Ask(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    requester: str = Field(alias="from")
    topic: str
    starts_in_minutes: int = Field(default=5, ge=1, le=60)


class DemoCast(BaseModel):
    model_config = ConfigDict(extra="forbid")
    newcomer: _Profile
    people: list[_Person] = Field(min_length=1)
    waiting: _Ask
    booked: _Ask


@dataclass(frozen=True)
class Seeded:
    people: list[str]
    waiting_request: int
    meeting_booked: bool


def load_cast(path: Path = DEMO_CAST_FILE) -> DemoCast:
    return DemoCast.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def seed_demo_cast(
    assistant: Assistant, *, newcomer: int, identify: Callable[[str], int], cast: DemoCast | None = None
) -> Seeded:
    """Profiles for the cast and the newcomer, a booked meeting a few minutes away and a request waiting.

    ``identify`` turns a cast member's name into a participant of the calling door. What the cast members
    themselves would be told (request sent, meeting booked) is marked skipped: nobody reads their messages.
    """
    cast = cast or load_cast()
    now = assistant.clock.now()
    ids = {person.name: identify(person.name) for person in cast.people}
    for person in cast.people:
        assistant.participants.update_profile(ids[person.name], person.update(), now=now)
    assistant.participants.update_profile(newcomer, cast.newcomer.update(), now=now)
    _open_drop_in(assistant, starts_at=_next_five_minutes(now + timedelta(minutes=cast.booked.starts_in_minutes - 1)))
    booked = assistant.partnering.create_request(
        requester_id=ids[cast.booked.requester], invitee_id=newcomer, topic=cast.booked.topic
    )
    placed = assistant.partnering.accept(request_id=booked.id, actor_id=newcomer)
    waiting = assistant.partnering.create_request(
        requester_id=ids[cast.waiting.requester], invitee_id=newcomer, topic=cast.waiting.topic
    )
    with assistant.db.transaction(write=True) as session:
        session.execute(
            update(Delivery)
            .where(Delivery.participant_id.in_(list(ids.values())), Delivery.status == "pending")
            .values(status="skipped", detail="demo cast: set up before the console started")
        )
    return Seeded(people=list(ids), waiting_request=waiting.id, meeting_booked=placed.meeting is not None)


def _next_five_minutes(instant: datetime) -> datetime:
    """The first whole five minutes at or after ``instant`` (12:31:10 → 12:35), as a person would book."""
    rounded = instant.replace(second=0, microsecond=0)
    if rounded < instant:
        rounded += timedelta(minutes=1)
    return rounded + timedelta(minutes=-rounded.minute % 5)


def _open_drop_in(assistant: Assistant, *, starts_at: datetime) -> None:
    """One extra partnering slot starting a few minutes from now, so the booked meeting's reminder is due at once.

    Skipped when it would overlap one of the event's own blocks (tables are shared): then the next real slot,
    at most one slot away, takes the meeting.
    """
    with assistant.db.transaction(write=True) as session:
        event = current_event(session)
        ends_at = starts_at + timedelta(minutes=event.slot_minutes)
        overlapping = session.scalar(
            select(MeetingBlock.id).where(
                MeetingBlock.event_id == event.id,
                MeetingBlock.active.is_(True),
                MeetingBlock.starts_at < ends_at,
                MeetingBlock.ends_at > starts_at,
            )
        )
        with_tables = select(MeetingTable.venue_id).where(MeetingTable.event_id == event.id, MeetingTable.active.is_(True))
        venue_id = session.scalar(  # where the next partnering block is, so the drop-in is at today's venue
            select(MeetingBlock.venue_id)
            .where(MeetingBlock.event_id == event.id, MeetingBlock.active.is_(True), MeetingBlock.starts_at >= ends_at,
                   MeetingBlock.venue_id.in_(with_tables))
            .order_by(MeetingBlock.starts_at)
        ) or session.scalar(with_tables.order_by(MeetingTable.position))  # fmt: skip
        if overlapping is not None or venue_id is None:
            return
        block = MeetingBlock(event_id=event.id, key=DROP_IN_KEY, title="Demo drop-in meetings", starts_at=starts_at,
                             ends_at=ends_at, venue_id=venue_id, active=True)  # fmt: skip
        session.add(block)
        session.flush()
        session.add(MeetingSlot(block_id=block.id, starts_at=starts_at, ends_at=ends_at, active=True))
