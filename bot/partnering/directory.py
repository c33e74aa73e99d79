"""Finding partners: typo-tolerant search over profiles, and suggestions that pair what one
person seeks with what others offer. People who asked to be hidden (``/privacy``) are in neither.

The directory keeps a :class:`~bot.search.TermIndex` of profiles in memory and catches up
with the database by ``updated_at``, so a profile edit is searchable on the next request
without rebuilding an index of 20,000 people.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.agenda.search import TermIndex
from bot.partnering.participants import ORG_TYPE_LABELS, Profile, profile_of
from storage.db import Database
from storage.models import Participant

PROFILE_FIELDS = {
    "organisation": 3.0,
    "org_type": 2.0,
    "interests": 3.0,
    "offers": 1.5,
    "seeks": 1.5,
    "role": 1.0,
    "name": 2.0,
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CATCH_UP_WINDOW = timedelta(minutes=5)


class PartnerDirectory:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._index = TermIndex()
        self._profiles: dict[int, Profile] = {}
        self._watermark = EPOCH
        self._indexed: dict[int, tuple[datetime, bool]] = {}
        self._hidden: set[int] = set()  # asked to be left out (privacy), or erased
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Index every profile changed since the last look (all of them, the first time).

        ``updated_at`` is stamped before commit and by each process's clock, so an edit can
        commit "in the past"; rows from a safety window before the newest stamp seen are read
        again and re-indexed when their stamp differs from the one indexed.
        """
        with self._lock:
            since = self._watermark - CATCH_UP_WINDOW if self._watermark > EPOCH else EPOCH
            with self.db.transaction() as session:
                rows = session.scalars(
                    select(Participant).where(Participant.updated_at >= since, Participant.is_bot.is_(False))
                ).all()
                changed = [
                    (profile_of(row), row.updated_at, bool(row.hidden or row.deleted_at))
                    for row in rows
                    if self._indexed.get(row.id) != (row.updated_at, bool(row.hidden or row.deleted_at))
                ]
            for profile, stamp, hidden in changed:
                self._profiles[profile.id] = profile
                self._indexed[profile.id] = (stamp, hidden)
                if hidden:
                    self._hidden.add(profile.id)
                else:
                    self._hidden.discard(profile.id)
                self._index.put(
                    profile.id,
                    [
                        ("name", PROFILE_FIELDS["name"], profile.name),
                        ("organisation", PROFILE_FIELDS["organisation"], profile.organisation),
                        (
                            "org_type",
                            PROFILE_FIELDS["org_type"],
                            f"{profile.org_type} {ORG_TYPE_LABELS.get(profile.org_type, '')}",
                        ),
                        ("interests", PROFILE_FIELDS["interests"], " ".join(profile.interests)),
                        ("offers", PROFILE_FIELDS["offers"], profile.offers),
                        ("seeks", PROFILE_FIELDS["seeks"], profile.seeks),
                        ("role", PROFILE_FIELDS["role"], f"{profile.role} {profile.title}"),
                    ],
                )
                if stamp > self._watermark:
                    self._watermark = stamp

    def search(self, query: str, *, exclude: int | None = None, limit: int = 10) -> list[Profile]:
        self.refresh()
        matches = self._index.search(query)
        return [self._profiles[m.doc] for m in matches if m.doc != exclude and m.doc not in self._hidden][:limit]

    def suggestions(self, me: Profile, *, limit: int = 8) -> list[Profile]:
        """People whose offer matches what I seek, and who seek what I offer; best of both first."""
        self.refresh()
        scores: dict[int, float] = {}
        wanted = " ".join([me.seeks, " ".join(me.interests)])
        offered = " ".join([me.offers, " ".join(me.interests)])
        for query, fields in (
            (wanted, {"offers", "interests", "organisation", "org_type"}),
            (offered, {"seeks", "interests"}),
        ):
            if not query.strip():
                continue
            for match in self._index.search(query, fields=fields, any_word=True):
                scores[match.doc] = scores.get(match.doc, 0.0) + match.score
        scores.pop(me.id, None)
        for doc in self._hidden:
            scores.pop(doc, None)
        ranked = sorted(scores, key=lambda doc: -scores[doc])
        return [self._profiles[doc] for doc in ranked[:limit]]
