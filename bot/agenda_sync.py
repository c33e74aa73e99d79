"""Following a live programme: the worker re-imports ``AGENDA_SOURCE_URL`` every ``AGENDA_SYNC_MINUTES``, asking
conditionally (ETag / If-Modified-Since) so an unchanged source costs one short request.

A source that is down, slow, empty or broken never changes the agenda: the last good programme stays, and the
organisers are told once (and once more when it works again). A version that would cancel more than half of
the programme is held back the same way: that is a broken export far more often than a real change.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.clock import Clock
from bot.delivery.outbox import enqueue_many, message
from bot.importing import ImportResult, import_agenda
from bot.sources import ImportOptions, SourceError, read_programme
from bot.sources.fetch import fetch_url
from storage.db import Database
from storage.models import AgendaSession, Event, Participant

log = logging.getLogger(__name__)
KIND = "agenda_sync_notice"
MOST_CANCELLED = 0.5  # of the scheduled sessions; more than this in one go is held back


@dataclass(frozen=True)
class SyncSettings:
    url: str
    fmt: str = "auto"
    minutes: float = 10.0
    options: ImportOptions = ImportOptions()


class AgendaSync:
    """One live source. :meth:`run_due` is cheap to call often; it syncs when the interval has passed."""

    def __init__(
        self, *, db: Database, clock: Clock, settings: SyncSettings, organisers: frozenset[str] = frozenset(),
        fetch: Callable[..., object] = fetch_url,
    ) -> None:  # fmt: skip
        self.db, self.clock, self.settings, self.organisers = db, clock, settings, organisers
        self.fetch = fetch
        self.etag = ""
        self.last_modified = ""
        self.problem: str | None = None  # what the organisers were last told is wrong
        self.next_due: datetime | None = None
        self.last_good: datetime | None = None

    def run_due(self) -> ImportResult | None:
        now = self.clock.now()
        if self.next_due is not None and now < self.next_due:
            return None
        self.next_due = now + timedelta(minutes=self.settings.minutes)
        return self.sync()

    def sync(self) -> ImportResult | None:
        """Fetch and import once; never raises for a bad source (it is reported instead)."""
        url = self.settings.url
        try:
            fetched = self.fetch(url, etag=self.etag, last_modified=self.last_modified)
            if fetched.data is None:
                self._recovered()
                return None  # 304: nothing new
            self._not_a_wipe(fetched.data)
            result = import_agenda(self.db, fetched.data, source=url, clock=self.clock, fmt=self.settings.fmt,
                                   options=self.settings.options)  # fmt: skip
        except SourceError as error:
            self._tell_once(str(error))
            return None
        except Exception as error:  # a bug must not stop the worker; the agenda stays as it was
            log.exception("agenda sync from %s failed", url)
            self._tell_once(f"{url}: the import failed ({type(error).__name__}); nothing was changed")
            return None
        self.etag, self.last_modified = fetched.etag, fetched.last_modified
        self.last_good = self.clock.now()
        self._recovered()
        if not result.nothing_changed:
            log.info("agenda sync from %s: %s", url, " ".join(result.lines()[-2:]))
        return result

    def _not_a_wipe(self, data: bytes) -> None:
        event_file, _ = read_programme(data, source=self.settings.url, fmt=self.settings.fmt, options=self._options())
        wanted = {s.key for s in event_file.sessions}
        with self.db.transaction() as session:
            event_id = session.scalar(select(Event.id).where(Event.key == event_file.event.key))
            if event_id is None:
                return
            keys = session.scalars(
                select(AgendaSession.key).where(AgendaSession.event_id == event_id, AgendaSession.status == "scheduled")
            ).all()
        gone = [key for key in keys if key not in wanted]
        if keys and len(gone) > MOST_CANCELLED * len(keys):
            raise SourceError(f"{self.settings.url}: this version would cancel {len(gone)} of {len(keys)} sessions;"
                              " held back as a probably broken export (run import-agenda by hand if it is real)")  # fmt: skip

    def _options(self) -> ImportOptions:
        from dataclasses import replace

        with self.db.transaction() as session:
            zone = session.scalar(select(Event.timezone).order_by(Event.loaded_at.desc(), Event.id.desc()).limit(1))
        return replace(self.settings.options, fallback_timezone=self.settings.options.fallback_timezone or zone)

    def _tell_once(self, problem: str) -> None:
        if problem == self.problem:
            return
        self.problem = problem
        since = f" The agenda stays as last imported{self.last_good and f' at {self.last_good:%H:%M} UTC' or ''}."
        log.warning("agenda sync: %s", problem)
        self._tell(f"Agenda sync: {problem}.{since}".replace("..", "."))

    def _recovered(self) -> None:
        if self.problem is not None:
            self.problem = None
            self._tell(f"Agenda sync works again: {self.settings.url} is read and followed.")

    def _tell(self, text: str) -> None:
        """A message to every organiser the database knows (Slack IDs and lower-cased Teams IDs)."""
        now = self.clock.now()
        names = {o.lower() for o in self.organisers} | set(self.organisers)
        with self.db.transaction(write=True) as session:
            if "*" in self.organisers:
                people = session.scalars(select(Participant.id).where(Participant.deleted_at.is_(None))).all()
            else:
                people = session.scalars(select(Participant.id).where(Participant.external_id.in_(names))).all()
            digest = hashlib.sha1(f"{text}|{now.isoformat()}".encode()).hexdigest()[:16]
            enqueue_many(session, [
                message(participant_id=p, kind=KIND, dedupe_key=f"{KIND}:{digest}:{p}", due_at=now, now=now,
                        payload={"text": text})
                for p in people
            ])  # fmt: skip
            log.info("agenda sync notice queued for %s organiser(s)", len(people))
