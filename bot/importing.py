"""Bringing a programme in: one core method that the command line, the worker's live sync and the organisers'
chat commands all call. The readers (``bot.sources``) give the validated event model; the one loader
(``bot.event_setup``) diffs and applies it, so an import changes sessions exactly as a YAML load or a
``/session`` edit does: one grouped notice per person who bookmarked a changed session, reminders moved."""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import replace as replace_fields
from pathlib import Path

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session as OrmSession

from bot.clock import Clock
from bot.event_setup import DEFAULT_EVENT_FILE, load_parsed_event
from bot.sources import ImportOptions, Programme, SourceError, read_programme
from storage.db import Database
from storage.event_file import EventFile, parse_event_file
from storage.event_loader import LoadReport
from storage.event_removal import EventHoldings, holdings, remove_event
from storage.models import AgendaSession, Announcement, Delivery, Event, Meeting, MeetingRequest, ScheduleRun


class ReplaceNeeded(SourceError):
    """The import is a different event from the real one in the database; ``--replace`` says to drop that one."""


@dataclass
class ImportResult:
    report: LoadReport
    programme: Programme
    event_file: EventFile
    dry_run: bool
    replaced: list[EventHoldings] = field(default_factory=list)
    demo_replaced: bool = False

    @property
    def nothing_changed(self) -> bool:
        return self.report.nothing_changed and not self.report.created and not self.replaced

    def lines(self) -> list[str]:
        """The diff, in the same words as ``load-event``; a dry run says nothing was changed."""
        lines = []
        if self.dry_run:
            lines.append("Dry run: this is what the import would do; nothing was changed.")
        for held in self.replaced:
            what = "the bundled demo event" if self.demo_replaced else held.describe()
            lines.append(f"{'Would replace' if self.dry_run else 'Replaced'} {what}.")
        lines += self._readable(self.report.summary_lines())
        if self.programme.skipped:
            lines.append(f"Left out {len(self.programme.skipped)}: " + "; ".join(self.programme.skipped[:5])
                         + (" ..." if len(self.programme.skipped) > 5 else ""))  # fmt: skip
        return lines

    def _readable(self, lines: list[str], *, most: int = 15) -> list[str]:
        """Session titles instead of the source's ids; at most ``most`` lines of each kind (a 1,500-session import)."""
        titles = {s.key: s.title for s in self.event_file.sessions}
        out: list[str] = []
        shown: dict[str, int] = {}
        for line in lines:
            parts = line.split()
            if line.startswith("  ") and len(parts) >= 3 and parts[0] in "+~-!":
                kind = parts[1]
                shown[kind] = shown.get(kind, 0) + 1
                if shown[kind] > most:
                    continue
                key = parts[2]
                if key in titles:
                    line = line.replace(key, f"{titles[key][:80]} [{key[:40]}]", 1)
            out.append(line)
        for kind, count in shown.items():
            if count > most:
                out.insert(-1, f"  ... and {count - most} more {kind}")
        return out


def _demo_key() -> str:
    return parse_event_file(DEFAULT_EVENT_FILE).event.key


def current_timezone(db: Database) -> str | None:
    with db.transaction() as session:
        return session.scalar(select(Event.timezone).order_by(Event.loaded_at.desc(), Event.id.desc()).limit(1))


def import_agenda(
    db: Database,
    data: bytes,
    *,
    source: str,
    clock: Clock,
    fmt: str = "auto",
    options: ImportOptions | None = None,
    dry_run: bool = False,
    replace: bool = False,
) -> ImportResult:
    """Read ``data`` and make it the event's programme, in one transaction (or, ``dry_run``, say what would change).

    The bundled demo event gives way to the first import. A different real event is replaced only with
    ``replace``; otherwise :class:`ReplaceNeeded` says what would be lost. Re-importing the same source (same
    event key) syncs: only what changed changes; sessions gone from the source are cancelled, never deleted;
    organisers, partnering blocks, tables and slots stay.

    Raises:
        SourceError: the source is unreadable or invalid (one line: where and which field); nothing changed.
    """
    options = replace_fields(
        options or ImportOptions(),
        fallback_timezone=(options and options.fallback_timezone) or current_timezone(db),
        fallback_name=(options and options.fallback_name) or Path(source.split("?")[0].rstrip("/")).stem,
    )
    event_file, programme = read_programme(data, source=source, fmt=fmt, options=options)
    key = event_file.event.key
    demo = _demo_key()
    with db.transaction() as session:
        others = [e for e in session.scalars(select(Event).where(Event.key != key)).all()]
        others_held = [holdings(session, e) for e in others]
    real_others = [h for h in others_held if h.key != demo]
    if real_others and not replace:
        raise ReplaceNeeded(
            f"{source}: this is {event_file.event.name} ({key}), a different event from "
            + "; ".join(h.describe() for h in real_others)
            + ". Importing it replaces that event and all of the above is lost; add --replace to go ahead."
        )

    def drop_others(session: OrmSession) -> None:
        for event in session.scalars(select(Event).where(Event.key != key)).all():
            forget_messages_about(session, event)
            remove_event(session, event)

    report = load_parsed_event(
        db, event_file, clock=clock, imported=True, before=drop_others if others else None, dry_run=dry_run
    )
    return ImportResult(
        report=report,
        programme=programme,
        event_file=event_file,
        dry_run=dry_run,
        replaced=others_held,
        demo_replaced=bool(others_held) and not real_others,
    )


# What each outbox kind's ``ref_id`` points at, for the kinds about one event's rows. The rest are keyed by something
# that outlives an event (a person, a day, a file's digest). tests/test_import_agenda.py checks every kind is here.
MESSAGES_ABOUT = {
    "meetings": ("meeting_confirmed", "meeting_cancelled", "meeting_moved", "meeting_reminder"),
    "requests": ("request_received", "request_sent", "request_nudge", "request_declined", "request_withdrawn",
                 "meeting_held", "no_slot"),
    "sessions": ("session_reminder",),
    "announcements": ("announcement", "announcement_progress"),
    "schedule_runs": ("schedule_ready",),
    "event": ("agenda_changes",),
}  # fmt: skip
MESSAGES_ABOUT_NO_EVENT_ROW = ("daily_digest", "data_export", "agenda_sync_notice")


def forget_messages_about(session: OrmSession, event: Event) -> int:
    """Delete the outbox rows about ``event``'s meetings, requests, sessions, announcements and runs before it is
    removed. Their messages are moot, and their keys are built from row IDs, which SQLite hands out again once the
    highest rows are gone: after the demo was replaced by an imported event, someone who had demo meeting #1 was
    never told of their new meeting #1 (its "Meeting booked" key was taken)."""
    rows = {
        "meetings": select(Meeting.id).where(Meeting.event_id == event.id),
        "requests": select(MeetingRequest.id).where(MeetingRequest.event_id == event.id),
        "sessions": select(AgendaSession.id).where(AgendaSession.event_id == event.id),
        "announcements": select(Announcement.id).where(Announcement.event_id == event.id),
        "schedule_runs": select(ScheduleRun.id).where(ScheduleRun.event_id == event.id),
    }
    about = [and_(Delivery.kind.in_(kinds), Delivery.ref_id.in_(rows[what]))
             for what, kinds in MESSAGES_ABOUT.items() if what in rows]  # fmt: skip
    about.append(and_(Delivery.kind.in_(MESSAGES_ABOUT["event"]), Delivery.ref_id == event.id))
    return session.execute(delete(Delivery).where(or_(*about)).execution_options(synchronize_session=False)).rowcount
