"""``/venue``: where the event happens, how to get there, and its rooms."""

from __future__ import annotations

from datetime import datetime

from rapidfuzz import fuzz

from bot.agenda.catalog import EventView, VenueView
from bot.agenda.days import UnknownDay, days_phrase, find_day
from bot.replies import Heading, Note, Paragraph, Reply, VenueCard
from bot.text import clean_input, fold, tokens


def venue_card(event: EventView, venue: VenueView) -> VenueCard:
    return VenueCard(venue, tuple((event.dates.index(d) + 1, d) for d in event.days_at(venue)))


def match_venue(event: EventView, text: str) -> VenueView | None:
    """The venue whose key, name, address or room best matches ``text``, if any matches well."""
    query = " ".join(tokens(text))
    if not query:
        return None
    best, best_score = None, 0.0
    for venue in event.venues:
        haystacks = [venue.key, venue.name, venue.address, *venue.rooms]
        score = max(
            fuzz.partial_ratio(query, fold(h)) if len(query) >= 4 else (100.0 if query == fold(h) else 0.0)
            for h in haystacks
            if h
        )
        score = max(score, fuzz.token_set_ratio(query, fold(venue.name)))
        if score > best_score:
            best, best_score = venue, score
    return best if best_score >= 80 else None


def venues(event: EventView, *, query: str, now: datetime) -> Reply:
    """Answer ``/venue`` (all venues) or ``/venue <name or day>`` (one venue in full)."""
    query = clean_input(query)
    if not tokens(query):
        reply = Reply(text=f"Venues of {event.name}").add(Heading(f"Venues of {event.name}"))
        reply.add(*(venue_card(event, v) for v in event.venues))
        return reply
    try:
        day, rest = find_day(query, event, now)
    except UnknownDay as error:
        return Reply(text=str(error)).add(Paragraph(str(error)))
    if day is not None and not tokens(rest):
        found = event.venues_on(day)
        number = event.day_number(day)
        if not found:
            return Reply(text="No venue is set for that day yet.").add(Paragraph(f"No venue is set for day {number} yet."))
        reply = Reply(text=f"Day {number} is at {found[0].name}, {found[0].address}")
        reply.add(Heading(f"Day {number} ({day:%A} {day.day} {day:%B})"), *(venue_card(event, v) for v in found))
        return reply
    venue = match_venue(event, query)
    if venue is None:
        names = ", ".join(v.name for v in event.venues)
        reply = Reply(text="I don't know that venue.")
        reply.add(Paragraph(f"I don't know that venue. {event.name} is at {names}."))
        reply.add(Note(f"Try /venue, /venue day 2 or /venue {event.venues[0].name}. The event has {days_phrase(event)}."))
        return reply
    return Reply(text=f"{venue.name}, {venue.address}").add(venue_card(event, venue))
