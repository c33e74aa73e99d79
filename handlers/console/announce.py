"""/announce in the console, typed on one line since there is no modal (see :mod:`bot.announcements.typed`):

/announce [to everyone|day 2|session <words>|block <number>|types pharma,biotech|#channel] [at 08:00 | at 2026-12-04 08:00]: <text>
/announce list
"""

from __future__ import annotations

from bot.announcements import typed
from bot.announcements.broadcasts import Draft
from bot.assistant import Assistant

HELP = typed.syntax("/announce", "#console")


def parse(assistant: Assistant, text: str) -> Draft:
    """Raises UserError with the syntax when the line cannot be read."""
    return typed.parse_line(text, event=assistant.event(), blocks=assistant.partnering.blocks(), now=assistant.clock.now(),
                            command="/announce", default_audience="#console")  # fmt: skip
