"""Understanding which day someone means: "today", "tomorrow", "day 2", "friday", "4 dec", "2026-12-04"."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from bot.agenda.catalog import EventView
from bot.text import fold
from bot.text import tokens as tokens_of

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
# Whole month names or their usual abbreviations only, so "decision 3" is not read as 3 December.
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(?:uary|ruary|ch|il|e|y|ust|t|tember|ober|ember)?\b"
_DAY_PATTERNS = [
    (re.compile(r"\bday\s*(\d{1,2})\b"), "number"),
    (re.compile(r"\b(first|second|third|fourth|last)\s+day\b"), "ordinal"),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "iso"),
    (re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"\b"), "day_month"),
    (re.compile(r"\b" + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b"), "month_day"),
    (re.compile(r"\b(today|tonight|this (?:morning|afternoon|evening))\b"), "today"),
    (re.compile(r"\b(tomorrow|tmrw|tmr)\b"), "tomorrow"),
    (re.compile(r"\b(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|rsday|urday)?\b"), "weekday"),
]
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4}


class UnknownDay(Exception):
    """The text names a day, but the event is not on it; the message says which days exist."""


def today_in_event(event: EventView, now: datetime) -> date:
    return event.local_date(now)


def default_day(event: EventView, now: datetime) -> date:
    """Today when the event is on, otherwise its next day, otherwise its last."""
    today = today_in_event(event, now)
    upcoming = [d for d in event.dates if d >= today]
    return upcoming[0] if upcoming else event.dates[-1]


def _date_in_event_year(event: EventView, month: int, day: int) -> date | None:
    for year in sorted({d.year for d in event.dates}):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate in event.dates:
            return candidate
    try:
        return date(event.dates[0].year, month, day)
    except ValueError:
        return None


def find_day(text: str, event: EventView, now: datetime) -> tuple[date | None, str]:
    """The event day named in ``text`` and the text without the words that named it.

    Returns ``(None, text)`` when no day is named.

    Raises:
        UnknownDay: a day is named but the event does not run on it.
    """
    folded = fold(text)
    today = today_in_event(event, now)
    for pattern, kind in _DAY_PATTERNS:
        match = pattern.search(folded)
        if not match:
            continue
        rest = (folded[: match.start()] + " " + folded[match.end() :]).strip()
        day: date | None
        if kind == "number":
            number = int(match.group(1))
            if not 1 <= number <= len(event.dates):
                raise UnknownDay(f"There is no day {number}: {event.name} has {_days_phrase(event)}.")
            return event.dates[number - 1], rest
        if kind == "ordinal":
            word = match.group(1)
            index = len(event.dates) if word == "last" else _ORDINALS[word]
            if index > len(event.dates):
                raise UnknownDay(f"There is no {word} day: {event.name} has {_days_phrase(event)}.")
            return event.dates[index - 1], rest
        if kind == "iso":
            try:
                day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                raise UnknownDay(f"That is not a date I know. {event.name} has {_days_phrase(event)}.") from None
        elif kind == "day_month":
            day = _date_in_event_year(event, MONTHS.index(match.group(2)[:3]) + 1, int(match.group(1)))
        elif kind == "month_day":
            day = _date_in_event_year(event, MONTHS.index(match.group(1)[:3]) + 1, int(match.group(2)))
        elif kind == "today":
            day = today
        elif kind == "tomorrow":
            day = today + timedelta(days=1)
        else:
            if match.group(0) not in WEEKDAYS and tokens_of(rest):
                continue  # "sun pharma", "wed lab": an abbreviation among other words is not a day
            wanted = next(i for i, name in enumerate(WEEKDAYS) if name.startswith(match.group(1)[:3]))
            matches = [d for d in event.dates if d.weekday() == wanted]
            day = next((d for d in matches if d >= today), matches[0] if matches else None)
            if day is None:
                raise UnknownDay(f"{event.name} is not on a {WEEKDAYS[wanted].title()}: it has {_days_phrase(event)}.")
        if day is None or day not in event.dates:
            label = "today" if kind == "today" else "tomorrow" if kind == "tomorrow" else "that day"
            raise UnknownDay(f"{event.name} is not on {label}: it has {_days_phrase(event)}.")
        return day, rest
    return None, text


def _days_phrase(event: EventView) -> str:
    parts = [f"day {i} ({d:%a} {d.day} {d:%b})" for i, d in enumerate(event.dates, start=1)]
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def days_phrase(event: EventView) -> str:
    return _days_phrase(event)
