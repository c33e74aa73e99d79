"""Replies as readable terminal text; buttons get numbers so they can be pressed by typing them."""

from __future__ import annotations

import textwrap

from bot import timefmt
from bot.replies import Actions, Button, DayHeading, Divider, Heading, Note, Paragraph, Reply, SessionCard, VenueCard

WIDTH = 100


def _wrap(text: str, indent: str = "") -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines.extend(textwrap.wrap(paragraph, WIDTH, initial_indent=indent, subsequent_indent=indent) or [indent])
    return lines


def session_lines(card: SessionCard) -> list[str]:
    session, zone = card.session, card.timezone
    when = timefmt.span(session.starts_at, session.ends_at, zone)
    if card.show_day:
        when = f"{timefmt.short_day(timefmt.local(session.starts_at, zone).date())} {when}"
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


def venue_lines(card: VenueCard) -> list[str]:
    venue = card.venue
    lines = [f"  ◆ {venue.name}"]
    if card.days:
        lines.append("      " + ", ".join(f"Day {n} ({timefmt.short_day(d)})" for n, d in card.days))
    if venue.address:
        lines.append(f"      {venue.address}")
    if venue.map_url:
        lines.append(f"      Map: {venue.map_url}")
    if venue.directions:
        lines.extend(_wrap(f"Getting there: {venue.directions}", "      "))
    if venue.rooms:
        lines.append(f"      Rooms: {', '.join(venue.rooms)}")
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
            case SessionCard():
                lines.extend(session_lines(part))
            case VenueCard():
                lines.extend(venue_lines(part))
            case Actions(buttons=items):
                lines.append("  " + "   ".join(number(b) for b in items))
            case Divider():
                lines.append("-" * 40)
    if with_share and reply.share is not None:
        lines.append("  " + number(reply.share))
    return "\n".join(lines).strip("\n"), buttons
