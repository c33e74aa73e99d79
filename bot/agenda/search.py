"""Typo- and accent-tolerant search, for the agenda and for partner profiles.

A small inverted index: every folded token (and its light stem, and each pair of
neighbouring tokens joined, so "startup" finds "start-up") points at the documents it
appears in, with a weight per field. Query words are matched against the vocabulary
exactly, by prefix, or fuzzily with rapidfuzz, so "olveus" finds "Olweus". Documents can
be added and replaced one at a time, so a profile edit does not rebuild the index.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from bot.text import STOPWORDS, content_tokens, stem, tokens

if TYPE_CHECKING:
    from bot.agenda.catalog import EventView, SessionView

SESSION_FIELDS = {
    "title": 3.0,
    "speaker": 3.0,
    "kind": 2.0,
    "organisation": 2.0,
    "venue": 1.5,
    "room": 1.5,
    "description": 1.0,
    "key": 2.5,  # the organisers' slug ("d1-olweus-keynote") names what the title may not, above the kind's words
}
KIND_WORDS = {
    "talk": "talk keynote lecture",
    "panel": "panel discussion debate",
    "pitch": "pitch pitches startup start up",
    "partnering": "partnering meetings one to one 1:1",
    "break": "break",
    "networking": "networking reception mingle",
}


def terms_of(text: str) -> set[str]:
    words = tokens(text)
    return set(words) | {stem(w) for w in words} | {a + b for a, b in zip(words, words[1:], strict=False)}


def query_words(query: str) -> list[str]:
    words = [w for w in dict.fromkeys(content_tokens(query)) if len(w) > 1 or w.isdigit()]
    if not words:
        words = [w for w in dict.fromkeys(tokens(query)) if w not in STOPWORDS or len(w) > 3]
    return words[:12]


@dataclass(frozen=True)
class Match:
    doc: int
    score: float
    matched: int


class TermIndex:
    """Documents (integer IDs) with weighted text fields; thread-safe for one writer and many readers."""

    def __init__(self) -> None:
        self._postings: dict[str, dict[int, dict[str, float]]] = {}
        self._doc_terms: dict[int, set[str]] = {}
        self._vocabulary: list[str] = []
        self._expansions: dict[str, tuple[tuple[str, float], ...]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._doc_terms)

    def put(self, doc: int, fields: Iterable[tuple[str, float, str]]) -> None:
        """Add or replace a document: ``fields`` are (field name, weight, text)."""
        with self._lock:
            self._remove(doc)
            seen: set[str] = set()
            for field, weight, text in fields:
                for term in terms_of(text):
                    posting = self._postings.get(term)
                    if posting is None:
                        posting = self._postings[term] = {}
                        self._vocabulary.append(term)
                        self._expansions = {}
                    by_field = posting.setdefault(doc, {})
                    if by_field.get(field, 0.0) < weight:
                        by_field[field] = weight
                    seen.add(term)
            self._doc_terms[doc] = seen

    def knows(self, term: str) -> bool:
        """Whether ``term`` (or its stem) is a word some document uses: such words are names, not typos."""
        return bool(self._postings.get(term) or self._postings.get(stem(term)))

    def _remove(self, doc: int) -> None:
        for term in self._doc_terms.pop(doc, ()):
            self._postings[term].pop(doc, None)

    def _expand(self, word: str) -> tuple[tuple[str, float], ...]:
        """Vocabulary terms a query word stands for, each with a match quality in 0..1."""
        cached = self._expansions.get(word)
        if cached is not None:
            return cached
        postings = self._postings
        found: dict[str, float] = {}
        for term in {word, stem(word)}:
            if postings.get(term):
                found[term] = 1.0
        vocabulary = self._vocabulary
        if len(word) >= 3:
            for term in vocabulary:
                if term.startswith(word) and term not in found:
                    found[term] = 0.9
        cutoff = None if len(word) <= 3 else 80.0 if len(word) <= 5 else 75.0
        if cutoff is not None and not found:
            for term, score, _ in process.extract(word, vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff, limit=8):
                found.setdefault(term, score / 100.0 * 0.85)
        result = tuple(found.items())
        if len(self._expansions) > 20_000:
            self._expansions = {}
        self._expansions[word] = result
        return result

    def search(self, query: str, *, fields: set[str] | None = None, any_word: bool = False) -> list[Match]:
        """Documents matching the most query words first, then by score; weak tails are cut.

        Only the strong matches are kept (at least half the best score), so a precise query
        ("olweus") gives one answer instead of everything that shares a common word.
        """
        words = query_words(query)
        if not words:
            return []
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, int] = defaultdict(int)
        for word in words:
            best: dict[int, float] = {}
            for term, quality in self._expand(word):
                posting = self._postings.get(term, {})
                if fields is None:  # the common case, kept tight: it runs once per matching document
                    for doc, by_field in posting.items():
                        value = quality * max(by_field.values())
                        if value > best.get(doc, 0.0):
                            best[doc] = value
                    continue
                for doc, by_field in posting.items():
                    weight = max((w for f, w in by_field.items() if f in fields), default=0.0)
                    value = quality * weight
                    if value > best.get(doc, 0.0):
                        best[doc] = value
            for doc, value in best.items():
                scores[doc] += value
                matched[doc] += 1
        if not scores:
            return []
        if any_word:  # suggestions: everything that shares something, the most in common first
            ranked = [Match(doc, scores[doc], matched[doc]) for doc in scores]
            return sorted(ranked, key=lambda m: -m.score)
        most = max(matched.values())
        candidates = [doc for doc in scores if matched[doc] == most]
        top = max(scores[doc] for doc in candidates)
        kept = [Match(doc, scores[doc], matched[doc]) for doc in candidates if scores[doc] >= top * 0.5]
        kept.sort(key=lambda m: -m.score)
        return kept


@dataclass(frozen=True)
class Hit:
    session: SessionView
    score: float
    matched: int


class SearchIndex:
    """The agenda's sessions in a :class:`TermIndex`."""

    def __init__(self, event: EventView) -> None:
        self._sessions = event.sessions
        self._index = TermIndex()
        for number, session in enumerate(event.sessions):
            fields = [
                ("title", SESSION_FIELDS["title"], session.title),
                ("kind", SESSION_FIELDS["kind"], KIND_WORDS.get(session.kind, session.kind)),
                ("description", SESSION_FIELDS["description"], session.description),
                ("room", SESSION_FIELDS["room"], session.room or ""),
                ("key", SESSION_FIELDS["key"], session.key.replace("-", " ").replace("_", " ")),
            ]
            if session.venue is not None:
                fields.append(("venue", SESSION_FIELDS["venue"], f"{session.venue.name} {session.venue.address}"))
            for speaker in session.speakers:
                fields.append(("speaker", SESSION_FIELDS["speaker"], f"{speaker.title} {speaker.name}"))
                fields.append(("organisation", SESSION_FIELDS["organisation"], speaker.organisation))
            self._index.put(number, fields)

    def knows(self, term: str) -> bool:
        return self._index.knows(term)

    def search(self, query: str, *, limit: int | None = None, fields: set[str] | None = None) -> list[Hit]:
        """Sessions matching ``query``, best first; ``fields`` limits where to look (e.g. {"organisation"})."""
        matches = self._index.search(query, fields=fields)
        matches.sort(key=lambda m: (-m.score, self._sessions[m.doc].starts_at))
        hits = [Hit(self._sessions[m.doc], m.score, m.matched) for m in matches]
        return hits[:limit] if limit else hits
