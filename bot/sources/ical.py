"""iCalendar (``.ics``): one VEVENT per session, times with a TZID or in UTC (Sched, Google Calendar, Outlook,
pretalx). The UID is the stable id."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import icalendar

from bot.sources.plain import plain_text
from bot.sources.programme import Item, Programme, SourceError


def _text(component, name: str) -> str:
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def _categories(component) -> str:
    value = component.get("CATEGORIES")
    values = value if isinstance(value, list) else [value] if value is not None else []
    return " ".join(str(c) for v in values for c in getattr(v, "cats", [v]))


def read_ics(data: bytes, source: str) -> Programme:
    try:
        calendar = icalendar.Calendar.from_ical(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SourceError(f"{source}: not UTF-8 text") from None
    except ValueError as error:
        raise SourceError(f"{source}: not a valid iCalendar file ({str(error)[:120]})") from None
    zone = _text(calendar, "X-WR-TIMEZONE")
    programme = Programme(source=source, items=[], name=_text(calendar, "X-WR-CALNAME"), timezone=zone)
    for index, event in enumerate(calendar.walk("VEVENT"), start=1):
        uid = _text(event, "UID")
        where = f"VEVENT {index}" + (f" (UID {uid[:60]})" if uid else "")
        if event.get("DTSTART") is None:
            raise SourceError(f"{source}: {where}: DTSTART is missing")
        start = event.decoded("DTSTART")
        if not isinstance(start, datetime):
            programme.skipped.append(
                f"{where}: an all-day entry ({start.isoformat() if isinstance(start, date) else start})"
            )
            continue
        if event.get("RRULE") is not None:
            raise SourceError(f"{source}: {where}: RRULE: repeating entries are not sessions; list each one")
        if event.get("DTEND") is not None:
            end = event.decoded("DTEND")
        elif event.get("DURATION") is not None:
            end = start + event.decoded("DURATION")
        else:
            end = start + timedelta(0)
        if not isinstance(end, datetime):
            raise SourceError(f"{source}: {where}: DTEND is a date, not a date and time")
        if _text(event, "STATUS").upper() == "CANCELLED":
            programme.skipped.append(f"{where}: cancelled in the source")
            continue
        if not programme.timezone and getattr(start.tzinfo, "key", "") not in ("", "UTC"):
            programme.timezone = start.tzinfo.key  # the first TZID names the event's zone
        location = _text(event, "LOCATION").strip()
        attendees = event.get("ATTENDEE")
        attendees = attendees if isinstance(attendees, list) else [attendees] if attendees is not None else []
        speakers = [(str(a.params.get("CN", "")).strip(), "") for a in attendees if a.params.get("CN")]
        programme.items.append(
            Item(
                ref=uid,
                title=_text(event, "SUMMARY").strip(),
                start=start,
                end=end,
                where=where,
                room=location,
                kind_hint=_categories(event),
                speakers=speakers,
                description=plain_text(_text(event, "DESCRIPTION")),
            )
        )
    return programme
