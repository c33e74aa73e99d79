"""Plain questions in a direct message, an @mention, ``/partnerup <question>`` or the console, about the event.

``understand.parse`` reads the question (in any language with a vocabulary table) and
``answers.answer`` answers it in that language. Questions about the asker's own meetings and
bookmarks, and about people in the partner directory, need data from higher layers: the
assistant's questions desk answers those and hands everything else here.
"""

from __future__ import annotations

from datetime import datetime

from bot import lang
from bot.agenda import answers
from bot.agenda.catalog import EventView
from bot.agenda.understand import Question, parse
from bot.replies import Reply

EXAMPLES = tuple(lang.table("en")["say"]["examples"])


def read(event: EventView, *, question: str, now: datetime, preferred: str = lang.DEFAULT) -> Question:
    """What ``question`` asks; ``preferred`` is the asker's language when we know it (their Slack locale)."""
    return parse(question, event=event, now=now, preferred=preferred)


def answer(event: EventView, *, question: str, now: datetime, preferred: str = lang.DEFAULT) -> Reply:
    """Answer a free-text question about the event; always returns something useful."""
    q = read(event, question=question, now=now, preferred=preferred)
    return answers.answer(event, q, now=now)
