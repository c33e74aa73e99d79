"""The intake: what a person did, written down before the door answers, and carried out right after.

A burst of presses (100 invitees pressing *Accept* as a partnering block opens) must each be answered within
Slack's 3 s, yet placing a meeting takes tens of milliseconds and placements queue behind each other. So a
door records the press here and answers at once; the same process then carries it out in the background
(:mod:`bot.partnering.instant`), and the worker carries out whatever a dead process left (:func:`leftovers`):
each record names its process, whose heartbeat keeps it for a few seconds at a time (:mod:`bot.delivery.leases`). Records are written by one thread in
batches (group commit): 100 waiting presses cost a few transactions, not 100, which matters most on SQLite,
where writers take turns.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, insert, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session as OrmSession

from bot.clock import Clock
from bot.delivery.leases import ProcessLease
from storage.db import Database
from storage.models import Intake

log = logging.getLogger(__name__)
RECORD_TIMEOUT = 10.0  # seconds; well inside Slack's 3 s in practice, this only bounds a stuck database
WRITER_IDLE = 5.0  # seconds the writer waits for more presses before it gives its connection back and ends
UNLEASED_AFTER = timedelta(seconds=60)  # records written before leases existed are taken over after this


@dataclass
class _Waiting:
    row: dict
    recorded: threading.Event = field(default_factory=threading.Event)
    intake_id: int | None = None
    error: BaseException | None = None


class IntakeLog:
    """Durable records of presses, written in batches by one thread while the callers wait."""

    def __init__(self, *, db: Database, clock: Clock, holder: ProcessLease | None = None) -> None:
        self.db = db
        self.clock = clock
        self.holder = holder or ProcessLease(db=db, clock=clock)
        self._cond = threading.Condition()
        self._queue: list[_Waiting] = []
        self._writer: threading.Thread | None = None
        self._connection: Connection | None = None  # the writer thread's own (PostgreSQL)

    def record(self, *, kind: str, platform: str, external_id: str, ref_id: int, payload: dict | None = None) -> int:
        """Write one record (with whatever others wait alongside) and return its ID once it is committed.

        Raises:
            TimeoutError: the database did not take it within ``RECORD_TIMEOUT``.
        """
        waiting = _Waiting(dict(kind=kind, platform=platform, external_id=external_id[:64], ref_id=ref_id,
                                payload=payload or {}, status="pending", created_at=self.clock.now(), detail="",
                                claimed_by=self.holder.name, claimed_until=self.holder.until()))  # fmt: skip
        with self._cond:
            self._queue.append(waiting)
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._write_batches, name="partnerup-intake", daemon=True)
                self._writer.start()
            self._cond.notify()
        if not waiting.recorded.wait(RECORD_TIMEOUT):
            raise TimeoutError("the intake could not be written in time")
        if waiting.error is not None:
            raise waiting.error
        assert waiting.intake_id is not None
        return waiting.intake_id

    def busy(self) -> bool:
        """Presses wait to be written: background work should let them go first."""
        with self._cond:
            return bool(self._queue)

    def _write_batches(self) -> None:
        while True:
            with self._cond:
                if not self._cond.wait_for(lambda: bool(self._queue), timeout=WRITER_IDLE):
                    # Idle: end, and give the connection back, so an assistant that is no longer used (a test's, a
                    # finished command's) holds no PostgreSQL connection; the next press starts a new writer.
                    self._writer = None
                    self._hang_up()
                    return
                batch, self._queue = self._queue, []
            try:
                ids = self._insert([w.row for w in batch])
                for waiting, intake_id in zip(batch, ids, strict=True):
                    waiting.intake_id = intake_id
            except BaseException as error:  # each caller sees the failure and answers with an apology
                log.exception("could not write %s intake record(s)", len(batch))
                for waiting in batch:
                    waiting.error = error
            for waiting in batch:
                waiting.recorded.set()

    def _insert(self, rows: list[dict]) -> list[int]:
        """One INSERT for the batch. On PostgreSQL on a connection of the writer's own in autocommit (one round
        trip, where a pooled transaction costs four: ping, BEGIN, INSERT, COMMIT); on SQLite through the write
        lock every writer of this process queues on."""
        statement = insert(Intake).returning(Intake.id, sort_by_parameter_order=True)
        if self.db.is_sqlite:
            with self.db.transaction(write=True) as session:
                return list(session.scalars(statement, rows).all())
        for attempt in (1, 2):
            try:
                if self._connection is None or self._connection.closed:
                    self._connection = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                return list(self._connection.execute(statement, rows).scalars().all())
            except DBAPIError as error:
                self._connection = None
                if attempt == 2 or not error.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    def _hang_up(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # a broken connection is dropped all the same
                log.info("the intake writer's connection did not close cleanly", exc_info=True)
            self._connection = None

    def close(self, intake_id: int, *, detail: str = "") -> bool:
        """Mark a record carried out in its own transaction (a refusal: nothing else changed)."""
        with self.db.transaction(write=True) as session:
            return close(session, intake_id, now=self.clock.now(), detail=detail)


def close(session: OrmSession, intake_id: int, *, now: datetime, detail: str = "") -> bool:
    """Mark a record done inside the caller's transaction; False if someone else already did (then the caller
    must not carry it out again)."""
    result = session.execute(
        update(Intake)
        .where(Intake.id == intake_id, Intake.status == "pending")
        .values(status="done", done_at=now, detail=detail[:1000])
    )
    return result.rowcount == 1


def leftovers(db: Database, *, kind: str, now: datetime, limit: int = 200) -> list[Intake]:
    """Records still pending whose process's lease ran out: it died (or lost the database) after answering."""
    lapsed = or_(
        Intake.claimed_until < now,
        and_(Intake.claimed_until.is_(None), Intake.created_at <= now - UNLEASED_AFTER),
    )
    with db.transaction() as session:
        return list(
            session.scalars(
                select(Intake)
                .where(Intake.kind == kind, Intake.status == "pending", lapsed)
                .order_by(Intake.id)
                .limit(limit)
            ).all()
        )
