"""Placement "scheduled": an accepted request waits for the next scheduling run instead of taking a slot at once."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session as OrmSession

from bot.delivery.outbox import enqueue
from bot.partnering.rules import Rules
from storage.models import Event, MeetingRequest


def next_run(rules: Rules, now: datetime) -> datetime | None:
    """The next ``schedule_at`` time after ``now`` (aware, in the event's zone), or None."""
    zone = ZoneInfo(rules.timezone)
    times = sorted(datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=zone) for text in rules.schedule_at)
    return next((at for at in times if at > now), None)


def due_runs(rules: Rules, now: datetime) -> list[str]:
    """The ``schedule_at`` times that have come (each runs once: the run records its time as its trigger)."""
    zone = ZoneInfo(rules.timezone)
    return [text for text in rules.schedule_at if datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=zone) <= now]


def held_until(rules: Rules, now: datetime) -> str:
    """When a held request gets its time: the next run's local time in ISO form, or "" when only the organisers
    run the schedule. The replies say it in each person's language (``replies.held_words``)."""
    at = next_run(rules, now)
    return at.isoformat() if at is not None else ""


def hold_for_run(session: OrmSession, *, request: MeetingRequest, event: Event, now: datetime) -> str | None:
    """For a scheduled event: tell the requester the request is accepted and waits for the run; return
    :func:`held_until`. None for an instant event (the caller places the meeting at once)."""
    rules = Rules.of(event)
    if not rules.scheduled:
        return None
    enqueue(session, participant_id=request.requester_id, kind="meeting_held", ref_id=request.id,
            dedupe_key=f"meeting_held:{request.id}", due_at=now, now=now)  # fmt: skip
    return held_until(rules, now)
