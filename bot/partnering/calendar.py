"""Calendar files for meetings, with icalendar.

The UID is fixed per meeting request, and SEQUENCE grows with each change, so a
rescheduled meeting updates the entry in the person's calendar instead of adding one.
"""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event

PRODID = "-//PartnerUp//Partnering meetings//EN"


def meeting_uid(request_id: int, event_key: str) -> str:
    return f"partnerup-meeting-{request_id}@{event_key}"


def meeting_calendar(
    *,
    uid: str,
    sequence: int,
    summary: str,
    description: str,
    location: str,
    starts_at: datetime,
    ends_at: datetime,
    stamp: datetime,
    cancelled: bool = False,
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    entry = Event()
    entry.add("uid", uid)
    entry.add("sequence", sequence)
    entry.add("dtstamp", stamp)
    entry.add("dtstart", starts_at)
    entry.add("dtend", ends_at)
    entry.add("summary", summary)
    entry.add("description", description)
    entry.add("location", location)
    entry.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(entry)
    return calendar.to_ical()
