"""Rows that have served their purpose, deleted once a day by the worker (:meth:`bot.worker.Worker.purge_daily`):
carried-out press records (they name who pressed, and a big event writes tens of thousands) once nobody can ask
about them any more, and agenda import previews past their half hour (the Apply button answers "out of date"
without them; they hold a whole programme file each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete

from bot.assistant.imports import PREVIEW_FOR
from storage.db import Database
from storage.models import ImportPreview, Intake

PRESSES_KEPT = timedelta(days=7)  # a carried-out press's record, for an organiser or engineer asking what happened


@dataclass
class Tidied:
    presses: int = 0
    previews: int = 0


def tidy(db: Database, now: datetime) -> Tidied:
    """Delete what is past keeping (by indexed columns: cheap when there is nothing). Pending presses stay
    whatever their age: they are still to be carried out."""
    with db.transaction(write=True) as session:
        presses = session.execute(
            delete(Intake).where(Intake.status == "done", Intake.created_at < now - PRESSES_KEPT)
        ).rowcount
        previews = session.execute(delete(ImportPreview).where(ImportPreview.created_at < now - PREVIEW_FOR)).rowcount
    return Tidied(presses=presses or 0, previews=previews or 0)
