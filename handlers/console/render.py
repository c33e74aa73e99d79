"""Replies as readable terminal text; buttons get numbers so they can be pressed by typing them."""

from __future__ import annotations

import textwrap
from datetime import date

from bot import lang, timefmt
from bot.reminders.replies import BOOKMARK_ADD, BOOKMARK_REMOVE
from bot.replies import (
    Actions,
    Button,
    DayHeading,
    Divider,
    Heading,
    Markdown,
    MeetingCard,
    Note,
    Paragraph,
    ProfileCard,
    Reply,
    RequestCard,
    SessionCard,
    VenueCard,
)

WIDTH = 100


def _wrap(text: str, indent: str = "") -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines.extend(textwrap.wrap(paragraph, WIDTH, initial_indent=indent, subsequent_indent=indent) or [indent])
    return lines


def session_lines(card: SessionCard, code: str = lang.DEFAULT) -> list[str]:
    session, zone = card.session, card.timezone
    when = timefmt.span(session.starts_at, session.ends_at, zone)
    if card.show_day:
        when = f"{lang.short_day(timefmt.local(session.starts_at, zone).date(), code)} {when}"
    lines = [f"  • {when}  {session.title}"]
    place = ", ".join(p for p in (session.room, session.venue.name if session.venue else None) if p)
    if place:
        lines.append(f"      at {place}")
    if session.speakers:
        people = "; ".join(f"{s.name} ({s.organisation})" if s.organisation else s.name for s in session.speakers)
        lines.extend(_wrap(f"with {people}", "      "))
    if card.show_description and session.description:
        lines.extend(_wrap(session.description, "      "))
    return lines


def venue_lines(card: VenueCard, code: str = lang.DEFAULT) -> list[str]:
    venue = card.venue
    lines = [f"  ◆ {venue.name}"]
    if card.days:
        lines.append("      " + ", ".join(f"{lang.day_n(n, code)} ({lang.short_day(d, code)})" for n, d in card.days))
    if venue.address:
        lines.append(f"      {venue.address}")
    if venue.map_url:
        lines.append(f"      Map: {venue.map_url}")
    if venue.directions:
        lines.extend(_wrap(f"Getting there: {venue.directions}", "      "))
    if venue.rooms:
        lines.append(f"      {lang.say(code, 'rooms')}: {', '.join(venue.rooms)}")
    return lines


def profile_lines(card: ProfileCard, code: str = lang.DEFAULT) -> list[str]:
    person = card.profile
    words = lang.table(code)["say"]
    lines = [f"  👤 {person.headline()}"]
    if person.offers:
        lines.extend(_wrap(f"{words['card_offers']}: {person.offers}", "      "))
    if person.seeks:
        lines.extend(_wrap(f"{words['card_seeks']}: {person.seeks}", "      "))
    if person.interests:
        lines.extend(_wrap(f"{words['card_interests']}: {', '.join(person.interests)}", "      "))
    return lines


def meeting_lines(card: MeetingCard, code: str = lang.DEFAULT) -> list[str]:
    meeting = card.meeting
    start = timefmt.local(meeting.starts_at, meeting.timezone)
    when = f"{lang.short_day(start.date(), code)} {timefmt.span(meeting.starts_at, meeting.ends_at, meeting.timezone)}"
    place = ", ".join(p for p in (meeting.table, meeting.room, meeting.venue) if p)
    words = lang.table(code)["say"]
    lines = [f"  🤝 {when}  {words['card_with']} {meeting.other.headline()}", f"      {words['card_at']} {place}"]
    lines.extend(_wrap(f"{words['card_topic']}: {meeting.topic}", "      "))
    return lines


def request_lines(card: RequestCard, code: str = lang.DEFAULT) -> list[str]:
    request = card.request
    words = lang.table(code)["say"]
    if card.side == "invitee":
        head = f"{words['card_from']} {request.requester.headline()}"
    elif card.side == "requester":
        head = f"{words['card_to']} {request.invitee.headline()}"
    else:
        head = f"{request.requester.name} {words['and']} {request.invitee.name}"
    lines = [f"  ✉ {words['card_request'].format(id=request.id)} {head}"]
    lines.extend(_wrap(f"{words['card_topic']}: {request.topic}", "      "))
    if request.message:
        lines.extend(_wrap(f"{words['card_message']}: {request.message}", "      "))
    if request.preferred_day:
        day = lang.short_day(date.fromisoformat(request.preferred_day), code)
        lines.append(f"      {words['card_preferred_day']}: {day}")
    return lines


def render(reply: Reply, *, with_share: bool = True) -> tuple[str, list[Button]]:
    """The reply as text, and the buttons in the order of their numbers."""
    lines: list[str] = []
    buttons: list[Button] = []

    def number(button: Button) -> str:
        buttons.append(button)
        return f"[{len(buttons)}] {button.label}"

    for part in reply.parts:
        match part:
            case Heading(text=text):
                lines.extend(["", text.upper() if len(text) < 60 else text])
            case DayHeading(day=day, number=n):
                lines.append(timefmt.day_label(day, n))
            case Paragraph(text=text):
                lines.extend(_wrap(text))
            case Note(text=text):
                lines.extend(_wrap(f"({text})"))
            case Markdown(text=text):
                lines.extend(_wrap(text))
            case SessionCard(bookmarked=bookmarked):
                lines.extend(session_lines(part, reply.lang))
                if bookmarked is not None:
                    label, action = ("Don't remind me", BOOKMARK_REMOVE) if bookmarked else ("Remind me", BOOKMARK_ADD)
                    lines.append("      " + number(Button(label, action, str(part.session.id))))
            case VenueCard():
                lines.extend(venue_lines(part, reply.lang))
            case ProfileCard():
                lines.extend(profile_lines(part, reply.lang))
            case MeetingCard():
                lines.extend(meeting_lines(part, reply.lang))
            case RequestCard():
                lines.extend(request_lines(part, reply.lang))
            case Actions(buttons=items):
                lines.append("  " + "   ".join(number(b) for b in items))
            case Divider():
                lines.append("-" * 40)
    if with_share and reply.share is not None:
        lines.append("  " + number(reply.share))
    return "\n".join(lines).strip("\n"), buttons
