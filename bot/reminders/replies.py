"""What reminders, the evening digest and /reminders say."""

from __future__ import annotations

from datetime import date, datetime

from bot import timefmt
from bot.agenda.catalog import SessionView
from bot.reminders.bookmarks import LEAD_CHOICES, BookmarkView, Preferences
from bot.replies import Actions, Button, Divider, Heading, MeetingCard, Note, Paragraph, Reply, SessionCard

BOOKMARK_ADD = "bookmark_add"
BOOKMARK_REMOVE = "bookmark_remove"
SET_LEAD = "reminders_lead"
MEETING_REMINDERS = "reminders_meetings"
DIGEST = "reminders_digest"


def session_reminder(session: SessionView, timezone: str, now: datetime) -> Reply:
    minutes = timefmt.minutes_until(session.starts_at, now)
    where = ", ".join(p for p in (session.room, session.venue.name if session.venue else None) if p)
    text = f"Starting in {minutes} min: {session.title}" + (f" ({where})" if where else "")
    reply = Reply(text=text).add(
        Heading(f"Starting in {minutes} minutes"), SessionCard(session, timezone, show_description=True)
    )
    reply.add(Actions((Button("Don't remind me", BOOKMARK_REMOVE, str(session.id)),)))
    return reply


def digest(day: date, number: int | None, sessions: list[SessionView], meetings: list, timezone: str) -> Reply:
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
