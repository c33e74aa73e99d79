"""``/agenda``: a day's programme, what is on now or next, or a search across the agenda."""

from __future__ import annotations

import json
from datetime import date, datetime

from bot.agenda.catalog import EventView, SessionView
from bot.agenda.days import UnknownDay, default_day, find_day, today_in_event
from bot.replies import Actions, Button, DayHeading, Heading, Note, Paragraph, Reply, SessionCard
from bot.text import clean_input, tokens

PAGE_SIZE = 10
MAX_QUERY_IN_BUTTON = 200
ACTION_PAGE = "agenda_page"
ACTION_SHARE = "agenda_share"


def encode_query(query: str, page: int) -> str:
    return json.dumps({"q": query[:MAX_QUERY_IN_BUTTON], "p": page}, separators=(",", ":"))


def decode_query(value: str) -> tuple[str, int]:
    """Read a button value back; anything malformed becomes the plain agenda, page 1."""
    try:
        data = json.loads(value)
        query, page = str(data.get("q", ""))[:MAX_QUERY_IN_BUTTON], int(data.get("p", 1))
    except (ValueError, TypeError, AttributeError):
        return "", 1
    return query, max(1, min(page, 1000))


def agenda(event: EventView, *, query: str, now: datetime, page: int = 1) -> Reply:
    """Answer ``/agenda <query>``: empty, a day, "now", "next", or words to search for."""
    query = clean_input(query)
    words = tokens(query)
    if words in (["help"], ["h"]):
        return agenda_help(event)
    if words == ["now"]:
        return happening_now(event, now=now)
    if words in (["next"], ["up", "next"], ["later"]):
        return coming_next(event, now=now)
    try:
        day, rest = find_day(query, event, now) if query else (default_day(event, now), "")
    except UnknownDay as error:
        return Reply(text=str(error)).add(
            Paragraph(str(error)), Note("Try /agenda day 1, /agenda day 2 or /agenda <words>.")
        )
    if day is not None and not tokens(rest):
        return day_programme(event, day=day, now=now, query=query, page=page)
    return search(event, query=rest if day is not None else query, now=now, page=page, within=day, paging_query=query)


def day_programme(event: EventView, *, day: date, now: datetime, query: str, page: int = 1) -> Reply:
    sessions = event.sessions_on(day)
    number = event.day_number(day)
    venues = ", ".join(v.name for v in event.venues_on(day))
    title = f"{event.name}: day {number}" if number else event.name
    reply = Reply(text=f"{title}, {day:%A} {day.day} {day:%B}" + (f", at {venues}" if venues else ""))
    reply.add(Heading(title), DayHeading(day, number))
    if venues:
        reply.add(Note(f"At {venues}"))
    if today_in_event(event, now) > event.dates[-1]:
        reply.add(Note(f"{event.name} is over; this was its programme."))
    if not sessions:
        reply.add(Paragraph("Nothing is scheduled on this day yet."))
        return reply
    return _paged(reply, event, sessions, query=query, page=page, show_day=False)


def happening_now(event: EventView, *, now: datetime) -> Reply:
    current = [s for s in event.sessions if s.starts_at <= now < s.ends_at]
    if current:
        reply = Reply(text=f"On now: {', '.join(s.title for s in current)}").add(Heading("On now"))
        reply.add(*(SessionCard(s, event.timezone) for s in current[:PAGE_SIZE]))
        if len(current) > PAGE_SIZE:
            reply.add(Note(f"…and {len(current) - PAGE_SIZE} more."))
        reply.share = Button("Share in channel", ACTION_SHARE, encode_query("now", 1))
        return reply
    later = upcoming(event, now)
    if not later:
        return Reply(text="Nothing is on right now, and nothing more is scheduled.").add(
            Paragraph(f"Nothing is on right now, and {event.name} has nothing more scheduled.")
        )
    reply = Reply(text="Nothing is on right now.").add(Paragraph("Nothing is on right now. Coming up next:"))
    reply.add(*(SessionCard(s, event.timezone, show_day=True) for s in later))
    return reply


def coming_next(event: EventView, *, now: datetime) -> Reply:
    later = upcoming(event, now)
    if not later:
        return Reply(text="Nothing more is scheduled.").add(Paragraph(f"{event.name} has nothing more scheduled."))
    reply = Reply(text=f"Next: {', '.join(s.title for s in later)}").add(Heading("Coming up next"))
    reply.add(*(SessionCard(s, event.timezone, show_day=True) for s in later))
    reply.share = Button("Share in channel", ACTION_SHARE, encode_query("next", 1))
    return reply


def upcoming(event: EventView, now: datetime, *, count: int = 5) -> list[SessionView]:
    """The sessions starting next: everything in the first start slot after now, topped up to ``count``."""
    later = [s for s in event.sessions if s.starts_at > now]
    if not later:
        return []
    first_start = later[0].starts_at
    same_time = [s for s in later if s.starts_at == first_start]
    return same_time if len(same_time) >= count else later[: max(count, len(same_time))]


def search(
    event: EventView,
    *,
    query: str,
    now: datetime,
    page: int = 1,
    within: date | None = None,
    paging_query: str | None = None,
) -> Reply:
    hits = event.search_index.search(query)
    sessions = [hit.session for hit in hits]
    if within is not None:
        sessions = [s for s in sessions if event.local_date(s.starts_at) == within]
    sessions.sort(key=lambda s: (s.starts_at, s.title))
    if not sessions:
        reply = Reply(text="No session matches that search.")
        reply.add(Paragraph("I found no session matching that search."))
        reply.add(
            Note("Try a speaker, an organisation, a topic or a venue, e.g. /agenda olweus, /agenda pitches, /agenda day 2.")
        )
        return reply
    label = f"{len(sessions)} session{'s' if len(sessions) != 1 else ''} found"
    reply = Reply(text=label).add(Heading(label))
    return _paged(reply, event, sessions, query=query, page=page, show_day=True)


def _paged(reply: Reply, event: EventView, sessions: list[SessionView], *, query: str, page: int, show_day: bool) -> Reply:
    pages = max(1, -(-len(sessions) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    chunk = sessions[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    reply.add(*(SessionCard(s, event.timezone, show_day=show_day) for s in chunk))
    if pages > 1:
        first = (page - 1) * PAGE_SIZE + 1
        reply.add(Note(f"Showing {first}–{first + len(chunk) - 1} of {len(sessions)}."))
        buttons = []
        if page > 1:
            buttons.append(Button("◀ Previous", ACTION_PAGE, encode_query(query, page - 1)))
        if page < pages:
            buttons.append(Button("More ▶", ACTION_PAGE, encode_query(query, page + 1)))
        reply.add(Actions(tuple(buttons)))
    reply.share = Button("Share in channel", ACTION_SHARE, encode_query(query, page))
    return reply


def agenda_help(event: EventView) -> Reply:
    lines = [
        "/agenda: today's sessions (or the next event day's)",
        "/agenda day 2, /agenda tomorrow, /agenda friday: one day",
        "/agenda now, /agenda next: what is on now, and what starts next",
        "/agenda <words>: search titles, speakers, organisations, topics and venues",
    ]
    return Reply(text="How to use /agenda").add(Heading(f"/agenda for {event.name}"), Paragraph("\n".join(lines)))
