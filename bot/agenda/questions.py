"""Plain questions in a direct message or an @mention, answered from the event data.

A few intents cover what attendees actually ask ("when does Olweus speak?", "where is
day 2?", "what's on after lunch?", "how do I get to the venue?"); everything else falls
back to an agenda search, and when that finds nothing too, to examples, never silence.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from bot.agenda import listing as agenda_module
from bot.agenda.catalog import EventView, SessionView
from bot.agenda.days import UnknownDay, default_day, find_day, today_in_event
from bot.agenda.help import help_reply
from bot.agenda.venues import match_venue, venue_card
from bot.replies import Heading, Note, Paragraph, Reply, SessionCard
from bot.text import clean_input, content_tokens, fold, tokens
from bot.timefmt import clock, short_day

EXAMPLES = (
    "when does Olweus speak?",
    "where is day 2?",
    "what's on after lunch?",
    "where do the start-up pitches happen?",
    "how do I get to the venue?",
)
_GREETING = re.compile(r"^(hi|hello|hey|hei|hallo|god morgen|good (morning|afternoon|evening)|help|what can you do)\b")
_WHERE = re.compile(
    r"\b(where|directions?|address|location|how (do|can|to|should) (i|we)? ?(get|go|find|reach)|get there|venue)\b"
)
_WHEN = re.compile(r"\b(when|what time|which day|at what time)\b")
_WHO = re.compile(r"\bwho\b")
_NOW = re.compile(r"\b(right now|now|at the moment|currently)\b")
_NEXT = re.compile(r"\b(next|coming up|up next|later)\b")
_AFTER = re.compile(r"\bafter (?:the )?(.+)$")
_BEFORE = re.compile(r"\bbefore (?:the )?(.+)$")
_WHATS_ON = re.compile(
    r"\b(what s on|whats on|what is on|what is happening|what s happening|programme|program|schedule|agenda)\b"
)
_TIME_WORDS = {"now", "right", "currently", "moment", "next", "coming", "up", "later", "on", "stage"}
_FILLER = {
    "venue",
    "venues",
    "directions",
    "direction",
    "address",
    "location",
    "located",
    "time",
    "day",
    "reach",
    "there",
    "room",
}


def answer(event: EventView, *, question: str, now: datetime) -> Reply:
    """Answer a free-text question; always returns something useful."""
    text = clean_input(question)
    folded = " ".join(tokens(text))
    if not folded:
        return _fallback(event, intro="Ask me about the agenda or the venues.")
    if _GREETING.match(folded) and len(folded.split()) <= 5:
        return help_reply(event)
    try:
        day, rest = find_day(folded, event, now)
    except UnknownDay as error:
        return Reply(text=str(error)).add(Paragraph(str(error)))
    rest_words = [w for w in content_tokens(rest) if w not in _FILLER]

    if _WHERE.search(folded):
        return _where(event, day=day, words=rest_words, now=now)
    if match := _AFTER.search(rest):
        return _relative(event, anchor=match.group(1), day=day, now=now, after=True)
    if match := _BEFORE.search(rest):
        return _relative(event, anchor=match.group(1), day=day, now=now, after=False)
    time_only = all(w in _TIME_WORDS for w in rest_words)
    if time_only and _NOW.search(folded):
        return agenda_module.happening_now(event, now=now)
    if time_only and _NEXT.search(folded):
        return agenda_module.coming_next(event, now=now)
    if _WHATS_ON.search(folded) or not rest_words:
        if _NOW.search(folded):
            return agenda_module.happening_now(event, now=now)
        if _NEXT.search(folded):
            return agenda_module.coming_next(event, now=now)
        if not rest_words:
            target = day or default_day(event, now)
            return agenda_module.day_programme(event, day=target, now=now, query=f"day {event.day_number(target)}")
    if _WHO.search(folded):
        return _who(event, words=rest_words, day=day, now=now)
    return _when(event, words=rest_words, day=day, now=now)


def _matches(event: EventView, words: list[str], day: date | None) -> list[SessionView]:
    """Sessions matching most of the question's words: a single shared word ("life" in "the
    meaning of life") is not an answer, so short questions must match every word."""
    hits = event.search_index.search(" ".join(words))
    distinct = len(set(words))
    needed = distinct if distinct <= 2 else -(-2 * distinct // 3)
    sessions = [h.session for h in hits if h.matched >= needed]
    if day is not None:
        sessions = [s for s in sessions if event.local_date(s.starts_at) == day]
    return sorted(sessions, key=lambda s: s.starts_at)


def _speaker_named(session: SessionView, words: list[str]) -> str | None:
    """The speaker of ``session`` the question names, so the answer can say "Johanna Olweus speaks…"."""
    from rapidfuzz import fuzz

    for speaker in session.speakers:
        names = tokens(speaker.name)
        if any(fuzz.ratio(w, n) >= 75 for w in words for n in names if len(w) >= 3):
            return speaker.name
    return None


def _when(event: EventView, *, words: list[str], day: date | None, now: datetime) -> Reply:
    sessions = _matches(event, words, day)
    if not sessions:
        venue = match_venue(event, " ".join(words))
        if venue is not None:
            return Reply(text=f"{venue.name}, {venue.address}").add(venue_card(event, venue))
        return _fallback(event, intro="I couldn't find that in the agenda.")
    first = sessions[0]
    speaker = _speaker_named(first, words)
    local_day = event.local_date(first.starts_at)
    where = ", ".join(p for p in (first.room, first.venue.name if first.venue else None) if p)
    verb = "speaks" if first.kind in ("talk", "panel") else "presents" if first.kind == "pitch" else "is on"
    lead = (
        f"{speaker} {verb} on {short_day(local_day)} at {clock(first.starts_at, event.timezone)}"
        if speaker
        else f"{first.title} is on {short_day(local_day)} at {clock(first.starts_at, event.timezone)}"
    )
    lead += f" ({where})." if where else "."
    reply = Reply(text=lead).add(Paragraph(lead))
    reply.add(*(SessionCard(s, event.timezone, show_day=True) for s in sessions[: agenda_module.PAGE_SIZE]))
    if len(sessions) > agenda_module.PAGE_SIZE:
        reply.add(Note(f"…and {len(sessions) - agenda_module.PAGE_SIZE} more: try /agenda with fewer words."))
    return reply


def _who(event: EventView, *, words: list[str], day: date | None, now: datetime) -> Reply:
    sessions = _matches(event, words, day)
    if not sessions:
        return _fallback(event, intro="I couldn't find that session.")
    first = sessions[0]
    if not first.speakers:
        text = f"{first.title} has no speakers listed."
    else:
        people = "; ".join(f"{s.name} ({s.organisation})" if s.organisation else s.name for s in first.speakers)
        text = f"{first.title}: {people}."
    return Reply(text=text).add(Paragraph(text), SessionCard(first, event.timezone, show_day=True))


def _where(event: EventView, *, day: date | None, words: list[str], now: datetime) -> Reply:
    if words:
        venue = match_venue(event, " ".join(words))
        sessions = _matches(event, words, day)
        if sessions and (venue is None or not any(fold(venue.name).startswith(w) for w in words)):
            first = sessions[0]
            place = ", ".join(p for p in (first.room, first.venue.name if first.venue else None) if p) or "the venue"
            lead = f"{first.title} is in {place}, {short_day(event.local_date(first.starts_at))} at {clock(first.starts_at, event.timezone)}."
            reply = Reply(text=lead).add(Paragraph(lead))
            reply.add(*(SessionCard(s, event.timezone, show_day=True) for s in sessions[:5]))
            if first.venue is not None:
                reply.add(venue_card(event, first.venue))
            return reply
        if venue is not None:
            return Reply(text=f"{venue.name}, {venue.address}").add(venue_card(event, venue))
    target = day or default_day(event, now)
    found = event.venues_on(target)
    number = event.day_number(target)
    if not found:
        return _fallback(event, intro=f"No venue is set for day {number} yet.")
    lead = f"Day {number} ({short_day(target)}) is at {found[0].name}, {found[0].address}."
    if day is None and today_in_event(event, now) not in event.dates:
        lead = f"{event.name} starts with day {number} ({short_day(target)}) at {found[0].name}, {found[0].address}."
    return Reply(text=lead).add(Paragraph(lead), *(venue_card(event, v) for v in found))


def _relative(event: EventView, *, anchor: str, day: date | None, now: datetime, after: bool) -> Reply:
    words = [w for w in content_tokens(anchor) if w not in _FILLER]
    anchors = _matches(event, words, day) if words else []
    if not anchors:
        return _fallback(event, intro="I couldn't find the session you mean.")
    today = today_in_event(event, now)
    pick = next((s for s in anchors if event.local_date(s.starts_at) == (day or today)), None)
    if pick is None:
        pick = next((s for s in anchors if s.ends_at > now), anchors[0])
    pick_day = event.local_date(pick.starts_at)
    same_day = [s for s in event.sessions_on(pick_day) if s.key != pick.key]
    chosen = (
        [s for s in same_day if s.starts_at >= pick.ends_at]
        if after
        else [s for s in same_day if s.ends_at <= pick.starts_at]
    )
    where = "after" if after else "before"
    if not chosen:
        text = f"Nothing is scheduled {where} {pick.title} on {short_day(pick_day)}."
        return Reply(text=text).add(Paragraph(text))
    shown = chosen[:6] if after else chosen[-6:]
    moment = clock(pick.ends_at, event.timezone) if after else clock(pick.starts_at, event.timezone)
    edge = "ends" if after else "starts"
    text = f"{where.title()} {pick.title} ({short_day(pick_day)}, {edge} {moment}):"
    reply = Reply(text=text).add(Paragraph(text), *(SessionCard(s, event.timezone) for s in shown))
    if len(chosen) > len(shown):
        reply.add(Note(f"…and {len(chosen) - len(shown)} more on /agenda day {event.day_number(pick_day)}."))
    return reply


def _fallback(event: EventView, *, intro: str) -> Reply:
    examples = "\n".join(f"• {example}" for example in EXAMPLES)
    reply = Reply(text=intro)
    reply.add(
        Heading(intro), Paragraph(f"I answer questions about {event.name}'s agenda and venues. For example:\n{examples}")
    )
    reply.add(Note("Or use /agenda, /agenda day 2, /agenda <words>, /venue."))
    return reply
