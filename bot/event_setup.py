"""Loading event files, and the bundled default event for a brand-new database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from bot.agenda import changes as agenda_changes
from bot.clock import Clock
from bot.reminders.bookmarks import follow_agenda_changes
from bot.timefmt import short_day
from storage.db import Database
from storage.event_file import EventFile, parse_event_file
from storage.event_loader import LoadReport, load_event
from storage.models import AgendaSession, Event

DEFAULT_EVENT_FILE = Path(__file__).with_name("data") / "default_event.yml"


def load_event_file(db: Database, path: str | Path, *, clock: Clock, start_on: date | None = None) -> LoadReport:
    """Validate ``path`` fully, then apply it in one transaction (all or nothing); ``start_on`` moves day 1 there.

    Raises:
        storage.event_file.EventFileError: the file is broken; the database is untouched.
    """
    return load_parsed_event(db, parse_event_file(path), clock=clock, start_on=start_on)


class _DryRun(Exception):  # noqa: N818 - control flow: roll the transaction back, keep the report
    def __init__(self, report: LoadReport) -> None:
        self.report = report


def load_parsed_event(
    db: Database,
    event_file: EventFile,
    *,
    clock: Clock,
    start_on: date | None = None,
    imported: bool = False,
    before: Callable[[OrmSession], None] | None = None,
    dry_run: bool = False,
) -> LoadReport:
    """Apply a parsed event file, moved by whole days when ``start_on`` is given; reminders follow moved sessions.

    ``imported``: read from an outside programme (PartnerUp's own organisers and partnering stay). ``before`` runs
    first in the same transaction (an import replacing the demo event). ``dry_run`` does everything, reports it,
    and rolls it all back: the diff an import would apply, with nothing changed.
    """
    moved_from = None
    if start_on is not None and start_on != event_file.event.dates[0]:
        moved_from, event_file = event_file.event.dates[0], event_file.starting_on(start_on)
    now = clock.now()
    try:
        return _apply(db, event_file, now=now, moved_from=moved_from, imported=imported, before=before, dry_run=dry_run)
    except _DryRun as rolled_back:
        return rolled_back.report


def _apply(db: Database, event_file: EventFile, *, now: datetime, moved_from: date | None, imported: bool,
           before: Callable[[OrmSession], None] | None, dry_run: bool) -> LoadReport:  # fmt: skip
    with db.transaction(write=True) as session:
        if before is not None:
            before(session)
        report = load_event(session, event_file, now=now, imported=imported)
        if moved_from is not None:
            report.moved_from, report.first_day = moved_from, event_file.event.dates[0]
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
        if dry_run:
            raise _DryRun(report)
        return report


def live_start(event_file: EventFile, now: datetime) -> date | None:
    """Where day 1 goes so that a past event is live again: today, or tomorrow once today's programme is over.

    None while the event is still to come or under way: a real event is never moved unless asked.
    """
    if now < event_file.last_end():
        return None
    today = now.astimezone(event_file.zone).date()
    day_one_end = event_file.starting_on(today).day_end(1)
    return today + timedelta(days=1) if day_one_end is not None and now >= day_one_end else today


def ensure_default_event(db: Database, *, clock: Clock) -> LoadReport | None:
    """Load the bundled "Days to partner up" event when the database holds no event at all.

    Its dates are fixed in the file; once they have passed it is loaded moved to start today (or tomorrow), so
    that a newcomer on any date sees a live event: something on now, free meeting slots, reminders that fire.
    """
    with db.transaction() as session:
        if session.scalar(select(func.count()).select_from(Event)):
            return None
    event_file = parse_event_file(DEFAULT_EVENT_FILE)
    return load_parsed_event(db, event_file, clock=clock, start_on=live_start(event_file, clock.now()))


def demo_notice(report: LoadReport | None, *, now: datetime) -> str | None:
    """The one line that says the bundled event was moved, e.g. "Demo: ... starting today, Thu 11 Mar"."""
    if report is None or report.first_day is None:
        return None
    today = now.astimezone(parse_event_file(DEFAULT_EVENT_FILE).zone).date()
    when = {today: "today", today + timedelta(days=1): "tomorrow"}.get(report.first_day, "on")
    return f"Demo: the bundled event is shown starting {when}, {short_day(report.first_day)}."
