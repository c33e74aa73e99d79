"""Sending what the outbox holds: claim due rows, render each, send, record the outcome.

Any number of senders may run (web processes right after a change, the worker on a tick):
a row is claimed by moving it to ``sending`` with a lease and a claim token, atomically (on PostgreSQL with
``FOR UPDATE SKIP LOCKED``), so no two senders send the same row. The token is checked again just
before the send and when the row is marked sent, so a claim that ran out and was taken by another
sender is never sent by the first. A sender that dies mid-send leaves its rows to be reclaimed when
the lease runs out: at most the one message in flight can go out twice.

A web process sends only what it just produced (:func:`producing` collects the IDs of the rows a change
queued), under its process lease (:mod:`bot.delivery.leases`): a few seconds, renewed while it lives.
Everything else is the worker's.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session as OrmSession

from bot.clock import Clock
from bot.delivery.leases import ProcessLease
from bot.delivery.notifier import Attachment, DeliveryError, Notifier, Recipient
from bot.replies import Reply
from storage.db import Database
from storage.models import Delivery, Participant

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
_produced: ContextVar[list[int] | None] = ContextVar("partnerup_produced", default=None)
BULK_KINDS = ("announcement",)


@dataclass
class Outgoing:
    reply: Reply
    attachments: tuple[Attachment, ...] = ()
    channel: str | None = None  # post in this channel rather than the person's DMs


@dataclass
class Skip:
    reason: str


Renderer = Callable[[OrmSession, Delivery, Participant, datetime], Outgoing | Skip]


def enqueue(
    session: OrmSession,
    *,
    participant_id: int,
    kind: str,
    dedupe_key: str,
    due_at: datetime,
    now: datetime,
    ref_id: int | None = None,
    payload: dict | None = None,
) -> None:
    """Queue a message inside the caller's transaction; a second one with the same key is ignored."""
    enqueue_many(session, [message(participant_id=participant_id, kind=kind, dedupe_key=dedupe_key, due_at=due_at,
                                   now=now, ref_id=ref_id, payload=payload)])  # fmt: skip


def message(
    *, participant_id: int, kind: str, dedupe_key: str, due_at: datetime, now: datetime, ref_id: int | None = None,
    payload: dict | None = None,
) -> dict:  # fmt: skip
    """One outbox row's values, for :func:`enqueue_many`."""
    return dict(participant_id=participant_id, kind=kind, ref_id=ref_id, dedupe_key=dedupe_key, payload=payload or {},
                due_at=due_at, status="pending", attempts=0, created_at=now, detail="", platform_ref="")  # fmt: skip


def enqueue_many(session: OrmSession, rows: list[dict]) -> None:
    """Queue many messages in one statement (an announcement to thousands, "schedule all")."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    table = Delivery.__table__  # a Core INSERT (the table, not the class): the ORM's bulk path adds nothing here
    statement = (pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)).on_conflict_do_nothing(
        index_elements=["dedupe_key"]
    )
    collector = _produced.get()
    if collector is not None:
        statement = statement.returning(table.c.id)
    for start in range(0, len(rows), 2000):
        result = session.execute(statement, rows[start : start + 2000])
        if collector is not None:
            collector.extend(result.scalars().all())


def take_produced() -> list[int]:
    """The IDs collected so far in the current :func:`producing` scope, which starts afresh."""
    collected = _produced.get()
    if not collected:
        return []
    taken = list(collected)
    collected.clear()
    return taken


@contextmanager
def producing() -> Iterator[list[int]]:
    """Collect the IDs of the outbox rows queued inside the block (by this thread), so that the process that
    made a change sends exactly those and nothing of anyone else's. Rows of a rolled-back transaction may be
    listed: claiming them finds nothing."""
    collected: list[int] = []
    outer = _produced.get()
    token = _produced.set(collected)
    try:
        yield collected
    finally:
        _produced.reset(token)
        if outer is not None:  # an enclosing scope sees them too (sending a row twice claims nothing the second time)
            outer.extend(collected)


@dataclass
class RunReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    outcomes: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return self.sent + self.failed + self.skipped + self.retried

    def merge(self, other: RunReport) -> None:
        for name in ("sent", "failed", "skipped", "retried"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.outcomes.extend(other.outcomes)


class Deliverer:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        notifiers: dict[str, Notifier],
        renderers: dict[str, Renderer],
        lease: timedelta = timedelta(minutes=5),
        name: str | None = None,
        holder: ProcessLease | None = None,
    ) -> None:
        """``holder``: this process's lease; the messages it just produced are claimed under it (short, renewed
        by its heartbeat), everything else under ``lease``."""
        self.db = db
        self.clock = clock
        self.notifiers = notifiers
        self.renderers = renderers
        self.lease = lease
        self.holder = holder
        self.name = holder.name if holder else name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._kick_lock = threading.Lock()
        self._kick_ids: list[int] = []
        self._kick_thread: threading.Thread | None = None
        self._claims = threading.local()
        self.yield_to: Callable[[], None] | None = None  # called before each send of what this process produced

    def claim(
        self,
        *,
        limit: int,
        exclude_kinds: tuple[str, ...] = (),
        early_kinds: tuple[str, ...] = (),
        lookahead: timedelta = timedelta(0),
        ids: list[int] | None = None,
    ) -> list[int]:
        """Take up to ``limit`` due rows for this sender. ``early_kinds`` may be taken ``lookahead``
        before they are due, so that a big batch (2,000 reminders for one keynote) finishes in time.
        ``ids``: only these rows (what this process just produced), under this process's short lease."""
        now = self.clock.now()
        token = self.holder.owner_of_claim() if self.holder else f"{self.name}/{uuid.uuid4().hex[:12]}"
        self._claims.token = token
        lease = self.lease
        if ids is not None:
            due = select(Delivery.id).where(Delivery.id.in_(ids), Delivery.status == "pending", Delivery.due_at <= now)
            if self.holder is not None:
                lease = self.holder.lease
        else:
            due_now = and_(Delivery.status == "pending", Delivery.due_at <= now)
            if early_kinds and lookahead > timedelta(0):
                due_now = or_(
                    due_now,
                    and_(Delivery.status == "pending", Delivery.kind.in_(early_kinds), Delivery.due_at <= now + lookahead),
                )
            abandoned = and_(Delivery.status == "sending", Delivery.claimed_until < now)
            due = select(Delivery.id).where(or_(due_now, abandoned))
        if exclude_kinds:
            due = due.where(Delivery.kind.not_in(exclude_kinds))
        # Bulk announcements go last, so an announcement to 20,000 never makes a reminder late.
        bulk_last = case((Delivery.kind.in_(BULK_KINDS), 1), else_=0)
        due = due.order_by(bulk_last, Delivery.due_at, Delivery.id).limit(limit)
        if self.db.engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        self._claims.lease = lease
        with self.db.transaction(write=True) as session:
            claimed = session.scalars(
                update(Delivery)
                .where(Delivery.id.in_(due))
                .values(status="sending", claimed_until=now + lease, claimed_by=token, attempts=Delivery.attempts + 1)
                .returning(Delivery.id)
            ).all()
        return sorted(claimed)

    def run_once(
        self,
        *,
        limit: int = 100,
        exclude_kinds: tuple[str, ...] = (),
        early_kinds: tuple[str, ...] = (),
        lookahead: timedelta = timedelta(0),
        before_send: Callable[[], None] | None = None,
        ids: list[int] | None = None,
    ) -> RunReport:
        """Send up to ``limit`` due messages (``ids``: only these); returns what happened to each."""
        report = RunReport()
        claimed = self.claim(limit=limit, exclude_kinds=exclude_kinds, early_kinds=early_kinds, lookahead=lookahead,
                             ids=ids)  # fmt: skip
        token, lease = self._claims.token, self._claims.lease
        for delivery_id in claimed:
            outcome, detail = self._deliver(delivery_id, before_send, token=token, lease=lease)
            if outcome == "lost":
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
            report.outcomes.append((delivery_id, outcome, detail))
        return report

    def drain(self, *, batch: int = 100, max_rounds: int = 1000, exclude_kinds: tuple[str, ...] = ()) -> RunReport:
        """Send everything due now (the console, tests and web kicks; the worker ticks instead)."""
        total = RunReport()
        for _ in range(max_rounds):
            report = self.run_once(limit=batch, exclude_kinds=exclude_kinds)
            total.merge(report)
            if report.claimed == 0 or report.retried == report.claimed:
                break
        return total

    def send_produced(self, ids: list[int], *, exclude_kinds: tuple[str, ...] = ()) -> RunReport:
        """Send the rows this process just produced (and only those), now, in this thread."""
        total = RunReport()
        for start in range(0, len(ids), 100):
            total.merge(
                self.run_once(
                    limit=100, exclude_kinds=exclude_kinds, ids=ids[start : start + 100], before_send=self.yield_to
                )
            )
        return total

    def kick(self, ids: list[int], *, exclude_kinds: tuple[str, ...] = ()) -> None:
        """Send the rows this process just produced in a background thread, right away, so people hear at once;
        rows of other processes are theirs or the worker's. If this process dies first, the worker sends them
        once its lease has run out."""
        if not ids:
            return
        with self._kick_lock:
            self._kick_ids.extend(ids)
            if self._kick_thread is not None and self._kick_thread.is_alive():
                return  # the running sender takes these too
            self._kick_thread = threading.Thread(target=self._kicked, args=(exclude_kinds,), name="partnerup-kick",
                                                 daemon=True)  # fmt: skip
            self._kick_thread.start()

    def sending(self) -> bool:
        """This process is sending what it produced (in the background)."""
        with self._kick_lock:
            return self._kick_thread is not None and self._kick_thread.is_alive()

    def _kicked(self, exclude_kinds: tuple[str, ...]) -> None:
        while True:
            with self._kick_lock:
                ids, self._kick_ids = self._kick_ids, []
                if not ids:
                    self._kick_thread = None
                    return
            try:
                self.send_produced(ids, exclude_kinds=exclude_kinds)
            except Exception:
                log.exception("sending queued messages failed; the worker will retry")

    def _confirm(self, delivery_id: int, token: str, lease: timedelta) -> bool:
        """Renew this claim (its token) just before sending; False when the lease ran out and another
        sender took the row (then this one must not send it)."""
        with self.db.transaction(write=True) as session:
            result = session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.status == "sending", Delivery.claimed_by == token)
                .values(claimed_until=self.clock.now() + lease)
            )
            return result.rowcount == 1

    def _deliver(
        self, delivery_id: int, before_send: Callable[[], None] | None = None, *, token: str, lease: timedelta
    ) -> tuple[str, str]:
        now = self.clock.now()
        with self.db.transaction() as session:
            delivery = session.get(Delivery, delivery_id)
            participant = session.get(Participant, delivery.participant_id)
            renderer = self.renderers.get(delivery.kind)
            rendered: Outgoing | Skip
            if renderer is None:
                rendered = Skip(f"no renderer for {delivery.kind}")
            elif participant.is_bot:
                rendered = Skip("recipient is a bot")
            elif participant.deleted_at is not None:
                rendered = Skip("the person deleted their data")
            else:
                rendered = renderer(session, delivery, participant, now)
            recipient = Recipient(participant.id, participant.platform, participant.external_id, participant.display_name)
            attempts = delivery.attempts
        if isinstance(rendered, Skip):
            self._finish(delivery_id, token, status="skipped", detail=rendered.reason)
            return "skipped", rendered.reason
        if rendered.channel:
            recipient = replace(recipient, channel=rendered.channel)
        notifier = self.notifiers.get(recipient.platform)
        if notifier is None:
            self._finish(
                delivery_id, token, status="skipped", detail=f"no way to reach {recipient.platform} users from this process"
            )
            return "skipped", recipient.platform
        if before_send is not None:
            before_send()
        if not self._confirm(delivery_id, token, lease):
            log.warning("delivery %s was taken over by another sender; not sending it again", delivery_id)
            return "lost", ""
        try:
            ref = notifier.send(recipient, rendered.reply, attachments=rendered.attachments)
        except DeliveryError as error:
            if error.permanent or attempts >= MAX_ATTEMPTS:
                self._finish(delivery_id, token, status="failed", detail=error.reason)
                return "failed", error.reason
            backoff = timedelta(seconds=min(300, 15 * 2 ** (attempts - 1)))
            self._finish(delivery_id, token, status="pending", detail=error.reason, due_at=self.clock.now() + backoff)
            return "retried", error.reason
        self._finish(delivery_id, token, status="sent", detail="", platform_ref=ref or "")
        return "sent", ref or ""

    def _finish(
        self,
        delivery_id: int,
        token: str,
        *,
        status: str,
        detail: str,
        platform_ref: str = "",
        due_at: datetime | None = None,
    ) -> None:
        """Record the outcome, under this claim only: a row another sender took over is theirs to record."""
        values: dict = {"status": status, "detail": detail[:1000], "claimed_until": None}
        if status == "sent":
            values.update(sent_at=self.clock.now(), platform_ref=platform_ref[:100])
        if due_at is not None:
            values["due_at"] = due_at
        with self.db.transaction(write=True) as session:
            result = session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.status == "sending", Delivery.claimed_by == token)
                .values(**values)
            )
        if result.rowcount != 1:
            log.warning("delivery %s was taken over by another sender before it was marked %s", delivery_id, status)
