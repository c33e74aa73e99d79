"""Where a door can reach someone it has to message first, and files published for doors that cannot attach them.

A chat platform that needs a stored reference to start a conversation (a proactive message) keeps it here,
opaque to the core. When the platform says the person can no longer be messaged (they removed the app, an
admin blocked it), the address is marked dead so the outbox records the failure instead of retrying.
"""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from storage.db import Database
from storage.models import Participant, ParticipantAddress, PublishedFile

NEVER_SEEN = "never seen"  # an unreachable() reason: no address stored at all


class Addresses:
    def __init__(self, db: Database) -> None:
        self.db = db

    def remember(self, *, participant_id: int, address: dict, now: datetime) -> None:
        """Store (or refresh) how to reach ``participant_id``; a fresh address revives a dead one."""
        with self.db.transaction(write=True) as session:
            row = session.get(ParticipantAddress, participant_id)
            if row is None:
                session.add(
                    ParticipantAddress(participant_id=participant_id, address=address, dead_reason="", updated_at=now)
                )
            elif row.address != address or row.dead_reason:
                row.address, row.dead_reason, row.updated_at = dict(address), "", now

    def lookup(self, participant_id: int) -> tuple[dict | None, str]:
        """The stored address and, when it is dead, why (``""`` while it works)."""
        with self.db.lookup() as session:
            row = session.get(ParticipantAddress, participant_id)
            return (None, "") if row is None else (dict(row.address), row.dead_reason)

    def mark_dead(self, *, participant_id: int, reason: str, now: datetime) -> None:
        with self.db.transaction(write=True) as session:
            row = session.get(ParticipantAddress, participant_id)
            if row is not None:
                row.dead_reason, row.updated_at = reason[:200], now


def unreachable(session: OrmSession, participant_ids: list[int], platforms: frozenset[str]) -> Counter[tuple[str, str]]:
    """Who of ``participant_ids`` cannot be messaged, by (platform, reason): on a platform in ``platforms`` (whose
    door needs an address) with none stored (``NEVER_SEEN``) or one the platform refused (its dead reason)."""
    if not platforms or not participant_ids:
        return Counter()
    wanted = set(participant_ids)
    rows = session.execute(
        select(Participant.id, Participant.platform, ParticipantAddress.dead_reason)
        .outerjoin(ParticipantAddress, ParticipantAddress.participant_id == Participant.id)
        .where(Participant.platform.in_(sorted(platforms)))
    )
    found: Counter[tuple[str, str]] = Counter()
    for participant_id, platform, dead in rows:
        if participant_id in wanted and (dead is None or dead):
            found[(platform, NEVER_SEEN if dead is None else dead)] += 1
    return found


class PublishedFiles:
    """Files (calendar entries) reachable by an unguessable link instead of an attachment."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def publish(self, *, participant_id: int, filename: str, mimetype: str, content: bytes, now: datetime) -> str:
        token = secrets.token_urlsafe(24)
        with self.db.transaction(write=True) as session:
            session.add(PublishedFile(token=token, participant_id=participant_id, filename=filename[:200],
                                      mimetype=mimetype[:100], content=content, created_at=now))  # fmt: skip
        return token

    def get(self, token: str, *, mimetype: str, newer_than: datetime | None = None) -> tuple[str, str, bytes] | None:
        """(filename, mimetype, content), or None for an unknown token, another kind of file, or one too old."""
        if not token or len(token) > 64:
            return None
        with self.db.transaction() as session:
            row = session.scalar(select(PublishedFile).where(PublishedFile.token == token))
            if row is None or row.mimetype != mimetype or (newer_than is not None and row.created_at < newer_than):
                return None
            return row.filename, row.mimetype, bytes(row.content)
