"""One-time sign-in links for the dashboard: a random token, 15 minutes, one use, one organiser.

Only the token's SHA-256 is stored, so a copy of the database signs nobody in. Redeeming marks the row
used with a conditional UPDATE, so two clicks on the same link racing cannot both succeed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update

from storage.db import Database
from storage.models import DashboardToken

LINK_LIFETIME = timedelta(minutes=15)


@dataclass(frozen=True)
class SignedIn:
    """Who a redeemed link belonged to."""

    participant_id: int
    external_id: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(db: Database, *, participant_id: int, external_id: str, now: datetime) -> str:
    """A fresh token for this organiser (the raw value is returned once and never stored)."""
    token = secrets.token_urlsafe(32)
    with db.transaction(write=True) as session:
        session.execute(delete(DashboardToken).where(DashboardToken.expires_at < now - timedelta(days=1)))
        session.add(DashboardToken(token_hash=_digest(token), participant_id=participant_id, external_id=external_id,
                                   created_at=now, expires_at=now + LINK_LIFETIME, used_at=None))  # fmt: skip
    return token


def redeem(db: Database, *, token: str, now: datetime) -> SignedIn | None:
    """The organiser a valid, unused, unexpired token belongs to, marking it used; None otherwise."""
    if not token or len(token) > 200:
        return None
    digest = _digest(token)
    with db.transaction(write=True) as session:
        row = session.execute(
            update(DashboardToken)
            .where(DashboardToken.token_hash == digest, DashboardToken.used_at.is_(None), DashboardToken.expires_at > now)
            .values(used_at=now)
            .returning(DashboardToken.participant_id, DashboardToken.external_id)
        ).first()
        return SignedIn(row[0], row[1]) if row else None
