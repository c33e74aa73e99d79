"""What reminders, the evening digest and /reminders say."""

from __future__ import annotations

from datetime import date, datetime

from bot import timefmt
from bot.agenda.catalog import SessionView
from bot.partnering.requests import MeetingView
from bot.reminders.bookmarks import LEAD_CHOICES, BookmarkView, Preferences
from bot.replies import Actions, Button, Divider, Heading, MeetingCard, Note, Paragraph, Reply, SessionCard

BOOKMARK_ADD = "bookmark_add"
BOOKMARK_REMOVE = "bookmark_remove"
SET_LEAD = "reminders_lead"
MEETING_REMINDERS = "reminders_meetings"
DIGEST = "reminders_digest"


def minutes_until(start: datetime, now: datetime) -> int:
    return max(0, round((start - now).total_seconds() / 60))


def session_reminder(session: SessionView, timezone: str, now: datetime) -> Reply:
    minutes = minutes_until(session.starts_at, now)
    where = ", ".join(p for p in (session.room, session.venue.name if session.venue else None) if p)
    text = f"Starting in {minutes} min: {session.title}" + (f" ({where})" if where else "")
    reply = Reply(text=text).add(
        Heading(f"Starting in {minutes} minutes"), SessionCard(session, timezone, show_description=True)
    )
    reply.add(Actions((Button("Don't remind me", BOOKMARK_REMOVE, str(session.id)),)))
    return reply


def meeting_reminder(meeting: MeetingView, now: datetime) -> Reply:
    minutes = minutes_until(meeting.starts_at, now)
    org = f" ({meeting.other.organisation})" if meeting.other.organisation else ""
    place = ", ".join(p for p in (meeting.table, meeting.room, meeting.venue) if p)
    text = f"In {minutes} min: your meeting with {meeting.other.name}{org} at {place}. Topic: {meeting.topic}"
    return Reply(text=text).add(Heading(f"Meeting in {minutes} minutes"), MeetingCard(meeting))


def agenda_changes(lines: list[str]) -> Reply:
    """One notice for everything a load changed that concerns this person."""
    text = "Agenda change: " + lines[0] if len(lines) == 1 else f"{len(lines)} agenda changes: " + " ".join(lines)
    reply = Reply(text=text[:3000]).add(Heading("Agenda change" if len(lines) == 1 else "Agenda changes"))
    reply.add(Paragraph("\n".join(f"• {line}" for line in lines)))
    return reply.add(Note("See the latest with /agenda."))


def digest(day: date, number: int | None, sessions: list[SessionView], meetings: list[MeetingView], timezone: str) -> Reply:
    label = timefmt.day_label(day, number)
    text = f"Your day tomorrow ({label}): {len(sessions)} session(s), {len(meetings)} meeting(s)."
    reply = Reply(text=text).add(Heading("Your day tomorrow"), Paragraph(label))
    items: list[tuple[datetime, object]] = [(s.starts_at, SessionCard(s, timezone)) for s in sessions]
    items += [(m.starts_at, MeetingCard(m)) for m in meetings]
    for _, part in sorted(items, key=lambda item: item[0]):
        reply.add(part)
    reply.add(Note("Switch this evening summary off with /reminders."))
    return reply


def reminders_overview(bookmarks: list[BookmarkView], prefs: Preferences, timezone: str) -> Reply:
    reply = Reply(text="Your reminders").add(Heading("Your reminders"))
    if bookmarks:
        for bookmark in bookmarks:
            day = timefmt.short_day(timefmt.local(bookmark.starts_at, timezone).date())
            span = timefmt.span(bookmark.starts_at, bookmark.ends_at, timezone)
            state = " (cancelled)" if bookmark.cancelled else ""
            reply.add(Paragraph(f"{day} {span}  {bookmark.title}{state}"))
            reply.add(Actions((Button("Remove", BOOKMARK_REMOVE, str(bookmark.session_id)),)))
    else:
        reply.add(Paragraph('No sessions picked yet. Press "Remind me" on any session in /agenda.'))
    reply.add(Divider(), Paragraph(f"I remind you {prefs.lead_minutes} minutes before."))
    reply.add(
        Actions(
            tuple(Button(f"{m} min" + (" ✓" if m == prefs.lead_minutes else ""), SET_LEAD, str(m)) for m in LEAD_CHOICES)
        )
    )
    meeting_state = "on" if prefs.meeting_reminders else "off"
    digest_state = "on" if prefs.daily_digest else "off"
    reply.add(Paragraph(f"Meeting reminders: {meeting_state}. Evening summary of your next day: {digest_state}."))
    reply.add(
        Actions(
            (
                Button(f"Turn meeting reminders {'off' if prefs.meeting_reminders else 'on'}", MEETING_REMINDERS,
                       "off" if prefs.meeting_reminders else "on"),
                Button(f"Turn evening summary {'off' if prefs.daily_digest else 'on'}", DIGEST,
                       "off" if prefs.daily_digest else "on"),
            )
        )
    )  # fmt: skip
    return reply
