"""Typo- and accent-tolerant search over the agenda.

A small inverted index: every folded token (and its light stem, and each pair of
neighbouring tokens joined, so "startup" finds "start-up") points at the sessions it
appears in, with a weight per field. Query words are matched against the vocabulary
exactly, by prefix, or fuzzily with rapidfuzz, so "olveus" finds "Olweus".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from bot.text import STOPWORDS, content_tokens, stem, tokens

if TYPE_CHECKING:
    from bot.catalog import EventView, SessionView

FIELD_WEIGHTS = {
    "title": 3.0,
    "speaker": 3.0,
    "kind": 2.0,
    "organisation": 2.0,
    "venue": 1.5,
    "room": 1.5,
    "description": 1.0,
}
KIND_WORDS = {
    "talk": "talk keynote lecture",
    "panel": "panel discussion debate",
    "pitch": "pitch pitches startup start up",
    "partnering": "partnering meetings one to one 1:1",
    "break": "break",
    "networking": "networking reception mingle",
}


@dataclass(frozen=True)
class Hit:
    session: SessionView
    score: float
    matched: int


def _fuzzy_cutoff(word: str) -> float | None:
    if len(word) <= 3:
        return None
    return 80.0 if len(word) <= 5 else 75.0


class SearchIndex:
    def __init__(self, event: EventView) -> None:
        self._sessions = event.sessions
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        for index, session in enumerate(event.sessions):
            fields = [
                ("title", session.title),
                ("kind", KIND_WORDS.get(session.kind, session.kind)),
                ("description", session.description),
                ("room", session.room or ""),
            ]
            if session.venue is not None:
                fields.append(("venue", f"{session.venue.name} {session.venue.address}"))
            for speaker in session.speakers:
                fields.append(("speaker", f"{speaker.title} {speaker.name}"))
                fields.append(("organisation", speaker.organisation))
            for field, text in fields:
                weight = FIELD_WEIGHTS[field]
                words = tokens(text)
                terms = set(words) | {stem(w) for w in words} | {a + b for a, b in zip(words, words[1:], strict=False)}
                for term in terms:
                    if postings[term].get(index, 0.0) < weight:
                        postings[term][index] = weight
        self._postings = dict(postings)
        self._vocabulary = list(self._postings)
        self._expand = lru_cache(maxsize=4096)(self._expand_uncached)

    def _expand_uncached(self, word: str) -> tuple[tuple[str, float], ...]:
        """Vocabulary terms a query word stands for, each with a match quality in 0..1."""
        found: dict[str, float] = {}
        for term in {word, stem(word)}:
            if term in self._postings:
                found[term] = 1.0
        if len(word) >= 3:
            for term in self._vocabulary:
                if term.startswith(word) and term not in found:
                    found[term] = 0.9
        cutoff = _fuzzy_cutoff(word)
        if cutoff is not None and not found:
            for term, score, _ in process.extract(word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff, limit=8):
                found.setdefault(term, score / 100.0 * 0.85)
        return tuple(found.items())

    def search(self, query: str, *, limit: int | None = None) -> list[Hit]:
        """Sessions matching ``query``: those matching the most query words first, then by score.

        Only the strong matches are kept (at least half the best score), so a precise query
        ("olweus") gives one answer instead of everything that shares a common word.
        """
        words = [w for w in dict.fromkeys(content_tokens(query)) if len(w) > 1 or w.isdigit()]
        if not words:
            words = [w for w in dict.fromkeys(tokens(query)) if w not in STOPWORDS or len(w) > 3]
        if not words:
            return []
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, int] = defaultdict(int)
        for word in words[:12]:
            best: dict[int, float] = {}
            for term, quality in self._expand(word):
                for index, weight in self._postings[term].items():
                    value = quality * weight
                    if value > best.get(index, 0.0):
                        best[index] = value
            for index, value in best.items():
                scores[index] += value
                matched[index] += 1
        if not scores:
            return []
        most = max(matched.values())
        candidates = [index for index in scores if matched[index] == most]
        top = max(scores[index] for index in candidates)
        kept = [index for index in candidates if scores[index] >= top * 0.5]
        kept.sort(key=lambda index: (-scores[index], self._sessions[index].starts_at))
        hits = [Hit(self._sessions[index], scores[index], matched[index]) for index in kept]
        return hits[:limit] if limit else hits
