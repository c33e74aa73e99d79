"""The event at a glance, for Slack's App Home tab (and any adapter's start page)."""

from __future__ import annotations

from datetime import datetime

from bot.agenda.catalog import EventView
from bot.agenda.days import days_phrase
from bot.agenda.help import commands_text
from bot.agenda.listing import upcoming
from bot.agenda.venues import venue_card
from bot.replies import Divider, Heading, MeetingCard, Note, Paragraph, Reply, SessionCard


def home(event: EventView, *, now: datetime, meetings: list | None = None) -> Reply:
    reply = Reply(text=f"{event.name}: what's on").add(Heading(event.name))
    if event.description:
        reply.add(Paragraph(event.description))
    phrase = days_phrase(event)
    reply.add(Note(f"{phrase[:1].upper()}{phrase[1:]}. Times are in {event.timezone} time."))
    if meetings:
        reply.add(Divider(), Heading("Your next meetings"), *(MeetingCard(m) for m in meetings))
        reply.add(Note("All your meetings and requests: /meetings"))
    current = [s for s in event.sessions if s.starts_at <= now < s.ends_at]
    reply.add(Divider(), Heading("On now"))
    if current:
        reply.add(*(SessionCard(s, event.timezone) for s in current[:5]))
    else:
        reply.add(Paragraph("Nothing is on right now."))
    later = upcoming(event, now, count=3)
    reply.add(Heading("Next"))
    if later:
        reply.add(*(SessionCard(s, event.timezone, show_day=True) for s in later[:5]))
    else:
        reply.add(Paragraph("Nothing more is scheduled."))
    reply.add(Divider(), Heading("Venues"), *(venue_card(event, v) for v in event.venues))
    reply.add(Divider(), Heading("Commands"), Paragraph(commands_text()))
    return reply
