"""An announcement typed on one line, for doors without a composer form at hand (the console, a Teams message):

<command> [to everyone|day 2|session <words>|block <number>|types pharma,biotech|#channel] [at 08:00 | at YYYY-MM-DD 08:00]: <text>
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.agenda.catalog import EventView
from bot.agenda.days import UnknownDay, find_day
from bot.announcements.broadcasts import Draft
from bot.errors import UserError
from bot.partnering.views import BlockView

HEADER = re.compile(r"^(?:to\s+(?P<audience>.+?))?\s*(?:\bat\s+(?P<at>.+))?$", re.S)


def syntax(command: str, default_audience: str) -> str:
    """How to write one, for the door's help and for every refusal."""
    return (
        f"Write: {command} [to everyone|day 2|session <words>|block <number>|types pharma,biotech|#channel] "
        f"[at 08:00 (today) or at YYYY-MM-DD 08:00]: <message>. Without 'to', it goes to {default_audience}."
    )


def send_at(text: str, zone: ZoneInfo, now: datetime) -> datetime:
    """ "2026-12-04 07:30", or "07:30" for today in the event's zone (a demo's dates move, so a time alone helps)."""
    for layout in ("%Y-%m-%d %H:%M", "%H:%M"):
        try:
            parsed = datetime.strptime(text, layout)
        except ValueError:
            continue
        if layout == "%H:%M":
            parsed = datetime.combine(now.astimezone(zone).date(), parsed.time())
        return parsed.replace(tzinfo=zone)
    today = now.astimezone(zone).date()
    raise UserError(f"Give the time like this: at 07:30 (today), or with the date: at {today.isoformat()} 07:30")


def parse_line(
    text: str, *, event: EventView, blocks: list[BlockView], now: datetime, command: str, default_audience: str
) -> Draft:
    """The draft a typed line describes; ``default_audience`` ("everyone" or "#channel") when it names none.

    Raises:
        UserError: the line cannot be read (with the syntax), or names a day, session or block the event lacks.
    """
    text = text.strip()
    header, sep, message = text.partition(": ")
    if not sep or not header.startswith(("to ", "at ")):
        header, message = "", text.removeprefix(":").strip()  # "<command> <text>": the default audience, now
    match = HEADER.match(header.strip())
    if not match or not message.strip():
        raise UserError(syntax(command, default_audience))
    audience = (match.group("audience") or default_audience).strip()
    when = send_at(match.group("at").strip(), ZoneInfo(event.timezone), now) if match.group("at") else None
    word, _, rest = audience.partition(" ")
    if audience.startswith("#"):
        return Draft(message, "channel", audience, send_at=when)
    if word == "everyone":
        return Draft(message, "everyone", send_at=when)
    if word == "day":
        try:
            day, _ = find_day(audience, event, now)
        except UnknownDay as error:
            raise UserError(str(error)) from None
        return Draft(message, "day", day.isoformat() if day else "", send_at=when)
    if word == "session":
        hits = event.search_index.search(rest)
        if not hits:
            raise UserError(f"No session matches that; try {command.replace('announce', 'agenda')} <words> to find it.")
        return Draft(message, "session", str(hits[0].session.id), send_at=when)
    if word == "block":
        if not rest.strip().isdigit() or not 1 <= int(rest) <= len(blocks):
            raise UserError(f"Say which partnering block, 1 to {len(blocks)}.")
        return Draft(message, "block", str(blocks[int(rest) - 1].id), send_at=when)
    if word == "types":
        return Draft(message, "org_types", rest.replace(" ", ""), send_at=when)
    raise UserError(syntax(command, default_audience))
