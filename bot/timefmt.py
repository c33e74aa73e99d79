"""Times as people read them: in the event's zone, labelled with the zone's abbreviation."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def local(instant: datetime, timezone: str) -> datetime:
    return instant.astimezone(ZoneInfo(timezone))


def clock(instant: datetime, timezone: str) -> str:
    return local(instant, timezone).strftime("%H:%M")


def span(start: datetime, end: datetime, timezone: str) -> str:
    """ "09:00–09:30 CET" in the event's zone."""
    start_local = local(start, timezone)
    return f"{start_local:%H:%M}–{local(end, timezone):%H:%M} {start_local:%Z}"


def day_label(day: date, number: int | None = None) -> str:
    """ "Thursday 3 December" or "Day 1 · Thursday 3 December"."""
    text = f"{day:%A} {day.day} {day:%B}"
    return f"Day {number} · {text}" if number else text


def short_day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def minutes_until(start: datetime, now: datetime) -> int:
    """Whole minutes from ``now`` to ``start`` (never negative), as reminders say them."""
    return max(0, round((start - now).total_seconds() / 60))
