"""The organisers' audit trail: every organiser action, with who and when (kept by the capability that acts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session as OrmSession

from storage.models import OrganiserAction


def record(session: OrmSession, *, actor: str, action: str, detail: str, now: datetime) -> None:
    """Every organiser action goes into the audit trail, with who and when."""
    session.add(OrganiserAction(actor=actor, action=action, detail=detail[:2000], created_at=now))
