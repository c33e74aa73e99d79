"""Reading a question for what it asks, what it is about and when, in any language we have a table for.

The parser knows no words itself: question words, day names, kinds of session and the
Norwegian words for what the (English) agenda calls things all come from the vocabulary
tables in ``bot/data/lang``. It only knows the shapes: phrases, a number after "day", a
clock time, a word after "after". Everyday words for what the programme holds ("check-in",
"after-party", "grab a bite") are read as the programme's own words first (each table's
``everyday``), so the rest of the parser never sees them. Typos in question words are fixed from the tables
(explicit slips first, then rapidfuzz against the table's words), never in names the agenda
knows, so "olveus" still reaches the search as "olveus".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache

from rapidfuzz import fuzz, process

from bot import lang
from bot.agenda.catalog import EventView
from bot.text import STOPWORDS, clean_input, fold

_TOKEN = re.compile(r"[a-z0-9]+")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_CLOCK = re.compile(r"\b(?:kl\.?\s*|klokka\s*|klokken\s*)?([01]?\d|2[0-3])[:.]([0-5]\d)\b(?!\s*[a-z]{3})")
_AMPM = re.compile(r"\b(1[0-2]|0?[1-9])(?:[:.]([0-5]\d))?\s*(am|pm)\b")
_KL = re.compile(r"\b(?:kl|klokka|klokken)\.?\s*([01]?\d|2[0-3])\b")
_AT_HOUR = re.compile(r"\bat\s+([01]?\d|2[0-3])\b(?!\s*(?:min|minutes))")
PARTS_OF_DAY = {
    "morning": (time(0, 0), time(12, 0)),
    "afternoon": (time(12, 0), time(17, 0)),
    "evening": (time(17, 0), time(23, 59)),
}


@dataclass
class Question:
    """What a question asks (``asks``: words from the tables' ``asks`` keys), about what, and when."""

    lang: str
    tokens: list[str]
    asks: set[str] = field(default_factory=set)
    words: list[str] = field(default_factory=list)  # topic words, in the agenda's language, for search
    names: list[str] = field(default_factory=list)  # topic words as typed (names are not translated)
    kinds: set[str] = field(default_factory=set)
    org_types: set[str] = field(default_factory=set)
    day: date | None = None
    day_problem: str = ""
    part: str | None = None
    at: time | None = None
    anchor: list[str] = field(default_factory=list)  # the words after "after"/"before"
    first: str = ""  # the first ask phrase in the question ("when", "who", ...)

    def has(self, *asks: str) -> bool:
        return any(a in self.asks for a in asks)


_Everyday = tuple[tuple[str, ...], tuple[str, ...]]  # an everyday phrase and what the programme calls it


@dataclass(frozen=True)
class _Phrases:
    """One language's phrase lists, tokenised once."""

    asks: dict[str, list[tuple[tuple[str, ...], str]]]  # phrase, and where it counts: "^" start, "$" end, "" anywhere
    kinds: dict[str, list[tuple[str, ...]]]
    org_types: dict[str, list[tuple[str, ...]]]
    today: list[tuple[str, ...]]
    tomorrow: list[tuple[str, ...]]
    day_words: set[str]
    weekdays: list[str]
    months: list[str]
    month_abbreviations: list[str]
    ordinals: dict[str, int]
    parts: dict[str, list[tuple[str, ...]]]
    markers: set[str]
    typos: dict[str, str]
    stopwords: set[str]
    translate: dict[str, list[str]]
    everyday: dict[str, list[_Everyday]]  # by first word, longest phrase first
    known: tuple[str, ...]


def _tok(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(fold(str(text))))


@cache
def phrases(code: str) -> _Phrases:
    t = lang.table(code)
    asks = {name: [_ask_phrase(str(p)) for p in items] for name, items in t.get("asks", {}).items()}
    days = t.get("days", {})
    known = {w for items in asks.values() for p, _ in items for w in p}
    for section in ("kinds", "org_types", "parts_of_day"):
        known |= {w for items in t.get(section, {}).values() for p in items for w in _tok(p)}
    known |= set(days.get("weekdays", [])) | {w for p in days.get("today", []) + days.get("tomorrow", []) for w in _tok(p)}
    return _Phrases(
        asks=asks,
        kinds={k: sorted((_tok(p) for p in v), key=len, reverse=True) for k, v in t.get("kinds", {}).items()},
        org_types={k: sorted((_tok(p) for p in v), key=len, reverse=True) for k, v in t.get("org_types", {}).items()},
        today=[_tok(p) for p in days.get("today", [])],
        tomorrow=[_tok(p) for p in days.get("tomorrow", [])],
        day_words={fold(w) for w in days.get("day", [])},
        weekdays=[fold(w) for w in days.get("weekdays", [])],
        months=[fold(w) for w in days.get("months", [])],
        month_abbreviations=[fold(w) for w in days.get("month_abbreviations", [])],
        ordinals={fold(k): int(v) for k, v in days.get("ordinals", {}).items()},
        parts={k: sorted((_tok(p) for p in v), key=len, reverse=True) for k, v in t.get("parts_of_day", {}).items()},
        markers={fold(w) for w in t.get("markers", [])},
        typos={fold(k): fold(v) for k, v in t.get("typos", {}).items()},
        stopwords={fold(w) for w in t.get("stopwords", [])},
        translate={fold(k): list(_tok(v)) for k, v in t.get("translate", {}).items()},
        everyday=_by_first_word((_tok(k), _tok(v)) for k, v in t.get("everyday", {}).items()),
        known=tuple(sorted(w for w in known if len(w) >= 4)),
    )


def _ask_phrase(phrase: str) -> tuple[tuple[str, ...], str]:
    """An ask phrase and where it counts: "^when" only at the start of a question, "about$" only at its end."""
    if phrase.startswith("^"):
        return _tok(phrase[1:]), "^"
    if phrase.endswith("$"):
        return _tok(phrase[:-1]), "$"
    return _tok(phrase), ""


def _by_first_word(pairs) -> dict[str, list[_Everyday]]:
    found: dict[str, list[_Everyday]] = {}
    for phrase, words in sorted(pairs, key=lambda pair: -len(pair[0])):
        if phrase:
            found.setdefault(phrase[0], []).append((phrase, words))
    return found


def everyday_words(tokens: list[str]) -> list[str]:
    """The tokens with everyday phrases replaced by what the programme calls them, from every language's table
    ("check in" -> "registration", "etterfest" -> "networking reception"), longest phrase first."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for code in lang.LANGUAGES:
            candidates = phrases(code).everyday.get(tokens[i], ())
            found = next((kv for kv in candidates if tuple(tokens[i : i + len(kv[0])]) == kv[0]), None)
            if found is not None:
                out.extend(found[1])
                i += len(found[0])
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def detect(tokens: list[str], preferred: str = lang.DEFAULT) -> str:
    """The language with the most marker words in the question; ``preferred`` on a tie."""
    scores = {code: sum(t in phrases(code).markers for t in tokens) for code in lang.LANGUAGES}
    best = max(scores.values())
    if best == 0 or scores.get(preferred, 0) == best:
        return preferred if preferred in scores else lang.DEFAULT
    return max(scores, key=lambda code: scores[code])


def _find(tokens: list[str], phrase: tuple[str, ...], used: list[bool], *, at_start: bool | str = False) -> int:
    """Index of ``phrase`` among the unused ``tokens``, or -1; ``at_start`` "^" (or True) only at the start, "$" only
    at the end."""
    n = len(phrase)
    if not n:
        return -1
    if at_start == "$":
        starts = [len(tokens) - n] if len(tokens) >= n else []
    elif at_start:
        starts = [0]
    else:
        starts = range(len(tokens) - n + 1)
    for i in starts:
        if tuple(tokens[i : i + n]) == phrase and not any(used[i : i + n]):
            return i
    return -1


def _take(tokens: list[str], phrase: tuple[str, ...], used: list[bool], *, at_start: bool = False) -> int:
    i = _find(tokens, phrase, used, at_start=at_start)
    if i >= 0:
        for j in range(i, i + len(phrase)):
            used[j] = True
    return i


def _fix_typos(tokens: list[str], table: _Phrases, known_terms) -> list[str]:
    """Question words typed wrong ("adress", "wen") become the table's; words the agenda knows stay."""
    fixed = []
    for token in tokens:
        if token in table.typos:
            fixed.append(table.typos[token])
            continue
        if len(token) >= 5 and token not in table.stopwords and token not in STOPWORDS and not known_terms(token):
            found = process.extractOne(token, table.known, scorer=fuzz.ratio, score_cutoff=84)
            if found is not None:
                fixed.append(found[0])
                continue
        fixed.append(token)
    return fixed


def _clock_times(text: str) -> tuple[time | None, str]:
    """The first clock time in ``text`` ("14:00", "kl. 14", "3pm", "at 14") and the text without it."""
    for pattern in (_AMPM, _CLOCK, _KL, _AT_HOUR):
        match = pattern.search(text)
        if not match:
            continue
        hour = int(match.group(1))
        minute = int(match.group(2) or 0) if pattern in (_AMPM, _CLOCK) else 0
        if pattern is _AMPM:
            hour = hour % 12 + (12 if match.group(3) == "pm" else 0)
        elif pattern is _AT_HOUR and hour < 7:
            hour += 12  # "at 3" during an event means the afternoon
        return time(hour, minute), text[: match.start()] + " " + text[match.end() :]
    return None, text


def _days(
    event: EventView, now: datetime, tokens: list[str], used: list[bool], iso: date | None
) -> tuple[date | None, str, str | None]:
    """The event day the tokens name (and consume), a problem to tell the person, and a part of day."""
    today = event.local_date(now)
    problem = ""
    day: date | None = iso
    if iso is not None and iso not in event.dates:
        problem = "not_on_day"
    part = None
    for code in lang.LANGUAGES:
        table = phrases(code)
        for p in table.tomorrow:
            if day is None and _take(tokens, p, used) >= 0:
                day = today + timedelta(days=1)
        for p in table.today:
            if day is None and _find(tokens, p, used) >= 0:
                if not any(_find(tokens, q, used) >= 0 for items in table.parts.values() for q in items if q == p):
                    _take(tokens, p, used)
                day = today
        for i, token in enumerate(tokens):
            if used[i] or day is not None:
                continue
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            prev = tokens[i - 1] if i > 0 else ""
            if token in table.day_words and nxt.isdigit():
                number = int(nxt)
                used[i] = used[i + 1] = True
                if 1 <= number <= len(event.dates):
                    day = event.dates[number - 1]
                else:
                    problem = f"no_day:{number}"
            elif token in table.day_words and prev in table.ordinals:
                index = table.ordinals[prev]
                used[i] = used[i - 1] = True
                if index == -1 or index <= len(event.dates):
                    day = event.dates[index - 1 if index > 0 else -1]
                else:
                    problem = f"no_day:{index}"
            elif token in table.weekdays:
                used[i] = True
                wanted = table.weekdays.index(token)
                matches = [d for d in event.dates if d.weekday() == wanted]
                day = next((d for d in matches if d >= today), matches[0] if matches else None)
                if day is None:
                    problem = "not_on_day"
            elif token.isdigit() and 1 <= int(token) <= 31 and (nxt in table.months or nxt in table.month_abbreviations):
                month = (table.months.index(nxt) if nxt in table.months else table.month_abbreviations.index(nxt)) + 1
                used[i] = used[i + 1] = True
                day = _in_event_year(event, month, int(token))
                problem = "" if day in event.dates else "not_on_day"
                day = day if day in event.dates else None
            elif (token in table.months or token in table.month_abbreviations) and nxt.isdigit() and 1 <= int(nxt) <= 31:
                month = (table.months.index(token) if token in table.months else table.month_abbreviations.index(token)) + 1
                used[i] = used[i + 1] = True
                day = _in_event_year(event, month, int(nxt))
                problem = "" if day in event.dates else "not_on_day"
                day = day if day in event.dates else None
    if day is not None and day not in event.dates:
        problem, day = "not_on_day", None
    for code in lang.LANGUAGES:
        for name, items in phrases(code).parts.items():
            for p in items:
                if part is None and _take(tokens, p, used) >= 0:
                    part = name
    return day, problem, part


def _in_event_year(event: EventView, month: int, day: int) -> date | None:
    for year in sorted({d.year for d in event.dates}):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate in event.dates:
            return candidate
    return None


def parse(text: str, *, event: EventView, now: datetime, preferred: str = lang.DEFAULT) -> Question:
    """Read ``text``: its language, what it asks, about what, and when."""
    folded = fold(clean_input(text)).replace("\u2019", "'")
    iso_day = None
    if match := _ISO.search(folded):
        try:
            iso_day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            iso_day = date(1, 1, 1)
        folded = folded[: match.start()] + " " + folded[match.end() :]
    at, folded = _clock_times(folded)
    raw = _TOKEN.findall(folded)
    code = detect(raw, preferred)
    table = phrases(code)
    known = event.search_index.knows
    tokens = everyday_words(_fix_typos(raw, table, known))
    used = [False] * len(tokens)
    question = Question(lang=code, tokens=tokens, at=at)
    question.day, question.day_problem, question.part = _days(event, now, tokens, used, iso_day)
    # What it asks: every ask whose phrase is there; longer phrases first, so "how long" is not "how".
    firsts: list[tuple[int, str]] = []
    items = sorted(((name, p, start) for name, ps in table.asks.items() for p, start in ps), key=lambda item: -len(item[1]))
    ask_used = list(used)
    for name, p, start in items:
        i = _find(tokens, p, ask_used, at_start=start)
        if i < 0 and start != "^":
            i = _find(tokens, p, used, at_start=start)  # the same word may ask two things ("when ... start")
        if i >= 0:
            question.asks.add(name)
            firsts.append((i, name))
            for j in range(i, i + len(p)):
                ask_used[j] = True
    question.first = min(firsts)[1] if firsts else ""
    # Kinds of session and of organisation, from every table (a Norwegian word in an English question still counts).
    for other in lang.LANGUAGES:
        t = phrases(other)
        for kind, ps in t.kinds.items():
            if any(_find(tokens, p, used) >= 0 for p in ps):
                question.kinds.add(kind)
        for kind, ps in t.org_types.items():
            if any(_find(tokens, p, used) >= 0 for p in ps):
                question.org_types.add(kind)
    # The anchor of "after X" / "before X": the topic words after that word.
    anchor_at = None
    for name in ("after", "before"):
        for p, _ in table.asks.get(name, []):
            i = _find(tokens, p, used)
            if i >= 0 and (anchor_at is None or i < anchor_at):
                anchor_at = i + len(p) - 1
    for i, token in enumerate(tokens):
        if used[i] or ask_used[i]:
            continue
        if token in table.stopwords or token in STOPWORDS or (len(token) == 1 and not token.isdigit()):
            continue
        question.names.append(token)
        translated = next((phrases(c).translate[token] for c in lang.LANGUAGES if token in phrases(c).translate), [token])
        if anchor_at is not None and i > anchor_at:
            question.anchor.extend(translated)
        else:
            question.words.extend(translated)
    question.words = list(dict.fromkeys(question.words))
    if preferred != lang.DEFAULT and preferred in lang.LANGUAGES:
        question.lang = preferred  # the person's own setting wins over the language of one question
    return question
