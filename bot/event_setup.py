"""Loading event files, and the bundled default event for a brand-new database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.agenda import changes as agenda_changes
from bot.clock import Clock
from bot.reminders.bookmarks import follow_agenda_changes
from storage.db import Database
from storage.event_file import parse_event_file
from storage.event_loader import LoadReport, load_event
from storage.models import AgendaSession, Event

DEFAULT_EVENT_FILE = Path(__file__).with_name("data") / "default_event.yml"


def load_event_file(db: Database, path: str | Path, *, clock: Clock) -> LoadReport:
    """Validate ``path`` fully, then apply it in one transaction (all or nothing).

    Raises:
        storage.event_file.EventFileError: the file is broken; the database is untouched.
    """
    event_file = parse_event_file(path)
    now = clock.now()
    with db.transaction(write=True) as session:
        report = load_event(session, event_file, now=now)
        ids = dict(
            session.execute(
                select(AgendaSession.key, AgendaSession.id).where(AgendaSession.event_id == report.event_id)
            ).all()
        )
        moved = [ids[c.key] for c in report.changed if {"start", "end"} & set(c.fields)]
        follow_agenda_changes(
            session,
            now=now,
            moved=moved,
            cancelled=[ids[k] for k in report.cancelled],
            restored=[ids[k] for k in report.restored],
        )
        report.told_of_changes = agenda_changes.notify(session, report, now=now)
        return report


def ensure_default_event(db: Database, *, clock: Clock) -> LoadReport | None:
    """Load the bundled "Days to partner up" event when the database holds no event at all."""
    with db.transaction() as session:
        if session.scalar(select(func.count()).select_from(Event)):
            return None
    return load_event_file(db, DEFAULT_EVENT_FILE, clock=clock)
