"""The shared question set (tests/data/questions-default-event.yaml, a copy of
/work/shared/questions/default-event.yaml): loading it and checking an answer the way its README says."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

SHARED = Path(__file__).parent / "data" / "questions-default-event.yaml"
HELD_OUT = Path(__file__).parent / "data" / "questions-held-out.yaml"
EVERYDAY = Path(__file__).parent / "data" / "questions-everyday.yaml"
TIME = r"\d{1,2}:\d{2}"


@dataclass(frozen=True)
class Case:
    q: str
    now: datetime
    expect: tuple[str, ...]
    forbid: tuple[str, ...] = ()
    lang: str = "en"
    focus: int | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)


def load(path: Path = SHARED) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    default_now = _instant(data["now"])
    return [
        Case(
            q=str(item["q"]),
            now=_instant(item["now"]) if "now" in item else default_now,
            expect=tuple(item.get("expect", ())),
            forbid=tuple(item.get("forbid", ()) or ()),
            lang=item.get("lang", "en"),
            focus=item.get("focus"),
        )
        for item in data["questions"]
    ]


def _instant(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def fold(text: str) -> str:
    """Case- and accent-folded, as the README says patterns are matched ("gaustadalleen" matches "Gaustadalléen")."""
    text = text.casefold().translate(str.maketrans({"ø": "o", "æ": "ae", "å": "a"}))
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def problems(case: Case, seen: str, sessions: int) -> list[str]:
    """What is wrong with an answer whose visible text is ``seen`` and which shows ``sessions`` sessions."""
    text = fold(seen)
    found = []
    for pattern in case.expect:
        if not re.search(fold(pattern).replace("<time>", TIME), text):
            found.append(f"expected /{pattern}/")
    for pattern in case.forbid:
        if re.search(fold(pattern).replace("<time>", TIME), text):
            found.append(f"forbidden /{pattern}/")
    if case.focus is not None and sessions > case.focus:
        found.append(f"{sessions} sessions shown, at most {case.focus} wanted")
    return found
