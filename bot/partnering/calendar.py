"""Calendar files for meetings, with icalendar.

The UID is fixed per meeting request, and SEQUENCE grows with each change, so a
rescheduled meeting updates the entry in the person's calendar instead of adding one.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from icalendar import Calendar, Event

from bot.delivery.notifier import Attachment

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


def calendar_file(meeting, view, *, event_name: str, stamp, cancelled: bool = False) -> Attachment:
    """A meeting's calendar file as one person sees it (``view``: bot.partnering.views.MeetingView), written when
    it is first read (see :class:`~bot.delivery.notifier.Attachment`) from values taken now."""
    write = partial(
        meeting_calendar,
        uid=meeting.ics_uid,
        sequence=meeting.sequence + (1 if cancelled else 0),
        summary=f"Partnering meeting: {view.other.name}"
        + (f" ({view.other.organisation})" if view.other.organisation else ""),
        description=f"{event_name}: 1:1 partnering meeting about {view.topic}",
        location=", ".join(p for p in (view.table, view.room, view.venue, view.address) if p),
        starts_at=view.starts_at,
        ends_at=view.ends_at,
        stamp=stamp,
        cancelled=cancelled,
    )
    return Attachment(filename=f"meeting-{meeting.request_id}.ics", data=write, title="Add to calendar")


def calendar_link(public_url: str, token: str) -> tuple[str, str]:
    """The Add to calendar button (label, address) of a published calendar file (see handlers.web.files), for a
    door that links to the file instead of attaching it."""
    return ("Add to calendar", f"{public_url}/calendar/{token}.ics")
