"""Text normalisation shared by search and question answering.

Folding case and accents ("Gaustadalléen" → "gaustadalleen", "Ø" → "o") makes what
people type on phones match what organisers wrote.
"""

from __future__ import annotations

import re
import unicodedata

MAX_INPUT_CHARS = 500
_NON_DECOMPOSING = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ł": "l", "đ": "d", "þ": "th", "œ": "oe", "ı": "i"})
_TOKEN = re.compile(r"[a-z0-9]+")
_SLACK_MARKUP = re.compile(r"<[^<>]*>")

STOPWORDS = frozenset(
    """a an and are at be by can do does for from get go how i in is it me my of on or please show
    tell the there this to what whats when where which who will with you your about any anything
    talk talks speak speaks speaking session sessions happen happens happening held take place
    going give find see list s is are was am us we our tell""".split()
)


def fold(text: str) -> str:
    """Lower-case, accent-free form of ``text`` for matching."""
    text = text.casefold().translate(_NON_DECOMPOSING)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


def stem(token: str) -> str:
    """A light plural stemmer: enough for "pitches" to find "pitch", cheap enough for every token."""
    if len(token) > 5 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 4 and token.endswith(("ches", "shes", "sses", "xes")):
        return token[:-2]
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def content_tokens(text: str) -> list[str]:
    return [t for t in tokens(text) if t not in STOPWORDS]


def clean_input(text: str | None, limit: int = MAX_INPUT_CHARS) -> str:
    """What a user typed, made safe to interpret: Slack markup removed, whitespace folded, length capped.

    Mentions (``<@U123>``), channel pings (``<!channel>``) and links (``<http://x|y>``) carry no
    meaning for agenda questions, so they are dropped before anything reads the text.
    """
    if not text:
        return ""
    text = _SLACK_MARKUP.sub(" ", text[: limit * 4])
    text = " ".join(text.split())
    return text[:limit]


def button_id(value: object) -> int | None:
    """The ID a button carries, or None for anything a client could have tampered with: only ASCII digits count
    (``str.isdigit`` also takes "٣" and "²", and ``int`` reads the first), at most 11 of them."""
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None
