"""announce in Teams (organisers). Syntax, as in the console, since a message is the quickest composer:

announce [to everyone|day 2|session <words>|block <number>|types pharma,biotech|#channel] [at 2026-12-04 08:00]: <text>
announce list
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.agenda.days import UnknownDay, find_day
from bot.announcements.broadcasts import Draft
from bot.assistant import Assistant
from bot.errors import UserError

HEADER = re.compile(r"^(?:to\s+(?P<audience>.+?))?\s*(?:\bat\s+(?P<at>.+))?$", re.S)
HELP = (
    "Write: announce [to everyone|day 2|session <words>|block <number>|types pharma,biotech|#channel] "
    "[at 2026-12-04 08:00]: <message>. Without 'to', it goes to everyone."
)


def parse(assistant: Assistant, text: str) -> Draft:
    """Raises UserError with the syntax when the line cannot be read."""
    text = text.strip()
    header, sep, message = text.partition(": ")
    if not sep or not header.startswith(("to ", "at ")):
        header, message = "", text.removeprefix(":").strip()  # "announce <text>": to everyone, now
    match = HEADER.match(header.strip())
    if not match or not message.strip():
        raise UserError(HELP)
    audience = (match.group("audience") or "everyone").strip()
    event = assistant.event()
    send_at = None
    if match.group("at"):
        try:
            send_at = datetime.strptime(match.group("at").strip(), "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(event.timezone))
        except ValueError:
            raise UserError("Give the date and the time like this: at 2026-12-04 07:30") from None
    word, _, rest = audience.partition(" ")
    if audience.startswith("#"):
        return Draft(message, "channel", audience, send_at=send_at)
    if word == "everyone":
        return Draft(message, "everyone", send_at=send_at)
    if word == "day":
        try:
            day, _ = find_day(audience, event, assistant.clock.now())
        except UnknownDay as error:
            raise UserError(str(error)) from None
        return Draft(message, "day", day.isoformat() if day else "", send_at=send_at)
    if word == "session":
        hits = event.search_index.search(rest)
        if not hits:
            raise UserError("No session matches that; try agenda <words> to find it.")
        return Draft(message, "session", str(hits[0].session.id), send_at=send_at)
    if word == "block":
        blocks = assistant.partnering.blocks()
        if not rest.strip().isdigit() or not 1 <= int(rest) <= len(blocks):
            raise UserError(f"Say which partnering block, 1 to {len(blocks)}.")
        return Draft(message, "block", str(blocks[int(rest) - 1].id), send_at=send_at)
    if word == "types":
        return Draft(message, "org_types", rest.replace(" ", ""), send_at=send_at)
    raise UserError(HELP)
