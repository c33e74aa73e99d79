"""Sending what the outbox holds: claim due rows, render each, send, record the outcome.

Any number of senders may run (web processes right after a change, the worker on a tick):
a row is claimed by moving it to ``sending`` with a lease and a claim token, atomically (on PostgreSQL with
``FOR UPDATE SKIP LOCKED``), so no two senders send the same row. The token is checked again just
before the send and when the row is marked sent, so a claim that ran out and was taken by another
sender is never sent by the first. A sender that dies mid-send leaves its rows to be reclaimed when
the lease runs out; the next sender first asks the platform whether the message went out (Slack: the message's
metadata carries the row's key), so only where a platform cannot tell (Teams) may a message in flight go twice.
A message's files go after it, and the row is marked sent once they are out: a sender that dies in between leaves
a row whose message the next sender finds already sent (Slack), so only the files go again.

A web process sends only what it just produced (:func:`producing` collects the IDs of the rows a change
queued), under its process lease (:mod:`bot.delivery.leases`): a few seconds, renewed while it lives.
Everything else is the worker's.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.util import identity_key

from bot.clock import Clock
from bot.delivery.leases import ProcessLease
from bot.delivery.notifier import Attachment, DeliveryError, Notifier, Recipient
from bot.replies import Reply
from storage.db import Database
from storage.insert import ArrayRows
from storage.models import Delivery, Participant

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
_produced: ContextVar[list[int] | None] = ContextVar("partnerup_produced", default=None)
BULK_KINDS = ("announcement",)
# A row's payload key: its person already saw the result where they acted (an Accept press's answer), so in a
# batch it goes after the messages of people who have heard nothing yet.
ANSWERED = "answered_in_place"
# A row's payload key: held for the door to show in its answer (see bot.replies.HeldMessage); due HELD_FOR after it
# was queued, so a door that never says whether it showed it (or a process that died) still gets it out.
HELD = "held_for_answer"
HELD_FOR = timedelta(seconds=10)
RELEASE_AFTER = timedelta(seconds=15)  # a batch whose send failed midway is tried again this much later
# What a web process just produced is claimed up to this many rows at once: a burst of 100 meetings queues ~300
# rows, and batches of 100 would each wait for the slowest send of the one before.
PRODUCED_BATCH = 500
FILES_WAIT = 1.0  # seconds a burst's calendar files wait, at most, for other processes' confirmations to go out
FILES_POLL = 0.02


@dataclass
class Outgoing:
    reply: Reply
    attachments: tuple[Attachment, ...] = ()
    channel: str | None = None  # post in this channel rather than the person's DMs


@dataclass
class Skip:
    reason: str
    failed: bool = False  # recorded as failed (never sent), not as skipped


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


def settle_held(session: OrmSession, *, shown: list[int], released: list[int], now: datetime) -> list[int]:
    """The doors' word on held messages: ``shown`` ones are recorded sent (the person saw them in the answer),
    ``released`` ones are due now. Returns the released rows still pending, for the caller to send. A row already
    taken by a sender (held past its time) is left to it."""
    if shown:
        session.execute(
            update(Delivery).where(Delivery.id.in_(shown), Delivery.status == "pending")
            .values(status="sent", sent_at=now, detail="shown in the answer to the press", claimed_until=None)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    if not released:
        return []
    return list(
        session.scalars(
            update(Delivery)
            .where(Delivery.id.in_(released), Delivery.status == "pending")
            .values(due_at=now)
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    )


def enqueue_many(session: OrmSession, rows: list[dict]) -> None:
    """Queue many messages in one statement (an announcement to thousands, "schedule all"). Rows come from
    :func:`message`."""
    collector = _produced.get()
    for start in range(0, len(rows), 2000):
        ids = _ENQUEUE.insert(session, rows[start : start + 2000])
        if collector is not None:
            collector.extend(ids)


# Is a "Meeting booked" due whose message is not out, that another process holds or nobody has claimed yet? (See
# Deliverer._messages_first.)
_CONFIRMATION_DUE = (
    select(Delivery.id)
    .where(or_(Delivery.status == "pending", and_(Delivery.status == "sending", Delivery.platform_ref == "")),
           Delivery.kind == "meeting_confirmed", Delivery.due_at <= bindparam("now"),
           Delivery.claimed_by.not_like(bindparam("mine"), escape="\\"))
    .limit(1)
)  # fmt: skip
# A message is out, its files are not: its reference, while the row stays "sending" (see Deliverer._messages_out).
_MESSAGE_OUT = (
    update(Delivery.__table__)
    .where(Delivery.__table__.c.id == bindparam("b_id"), Delivery.__table__.c.status == "sending",
           Delivery.__table__.c.claimed_by == bindparam("b_token"))
    .values(platform_ref=bindparam("b_ref"))
)  # fmt: skip


# Built once and compiled once (every placement queues its messages through it); on PostgreSQL one array per column.
_ENQUEUE = ArrayRows(Delivery.__table__, key="dedupe_key", returning="id",
                     columns=("participant_id", "kind", "ref_id", "dedupe_key", "payload", "due_at", "status", "attempts",
                              "created_at", "detail", "platform_ref"))  # what message() gives  # fmt: skip


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


def _people(session: OrmSession, ids: set[int]) -> dict[int, Participant]:
    """The recipients of a batch: those the prefetch loaded already (both people of each meeting) from the session,
    the rest in one query."""
    people = {}
    for participant_id in ids:
        loaded = session.identity_map.get(identity_key(Participant, participant_id))
        if loaded is not None:
            people[participant_id] = loaded
    missing = ids - people.keys()
    if missing:
        people.update((p.id, p) for p in session.scalars(select(Participant).where(Participant.id.in_(missing))))
    return people


@dataclass
class _Job:
    """One claimed row on its way out: whom, what, and (once the message is out) the platform's reference."""

    delivery_id: int
    recipient: Recipient
    rendered: Outgoing | Skip
    attempts: int
    token: str
    lease: timedelta
    since: float  # time.monotonic() when its claim was last renewed
    ref: str = ""
    outcome: str = ""
    detail: str = ""
    unrecorded: bool = False  # sent, not yet marked so (see Deliverer._record)
    answered: bool = False  # its person already saw the result (see ANSWERED)


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
    KEY_PREFIX = "partnerup-delivery-"  # a sent message's tag (where the platform keeps one): this + the row's ID

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
        prefetch: Callable[[OrmSession, list[Delivery]], None] | None = None,
        send_threads: int = 1,
    ) -> None:
        """``holder``: this process's lease; the messages it just produced are claimed under it (short, renewed
        by its heartbeat), everything else under ``lease``. ``prefetch(session, deliveries)``: loads what the
        renderers of a claimed batch will read, before they run. ``send_threads``: messages sent side by side on
        each platform (see :meth:`run_once`)."""
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
        self.prefetch = prefetch  # loads what a batch's renderers read, in a few statements
        self.send_threads = send_threads
        self._pools: dict[str, ThreadPoolExecutor] = {}  # a platform's sending threads
        self._pool_lock = threading.Lock()

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
        files_later: list[_Job] | None = None,
    ) -> RunReport:
        """Send up to ``limit`` due messages (``ids``: only these); returns what happened to each.

        The claimed rows are rendered together (one read), then their messages go out ``send_threads`` at a time
        (a platform answers in 0.1-0.3 s; one after another, a burst's confirmations would queue behind each
        other), and only then the files some of them carry (the message is what people wait for); with
        ``files_later``, those are left in it for :meth:`send_files`."""
        report = RunReport()
        claimed = self.claim(limit=limit, exclude_kinds=exclude_kinds, early_kinds=early_kinds, lookahead=lookahead,
                             ids=ids)  # fmt: skip
        if not claimed:
            return report
        token, lease = self._claims.token, self._claims.lease
        jobs: list[_Job] | None = None
        try:
            jobs = self._render(claimed, token=token, lease=lease)
            held = self._confirm([job.delivery_id for job in jobs], token, lease)
            for job in jobs:
                job.outcome = "" if job.delivery_id in held else "lost"
            for wave in (False, True):  # people who have heard nothing yet first, then those answered in place
                self._each(lambda job: self._send_message(job, before_send),
                           [job for job in jobs if not job.outcome and job.answered == wave])  # fmt: skip
            self._record(jobs)
            self._messages_out([job for job in jobs if job.outcome == "attaching"])
        except Exception:
            # Give back what was not sent, or sent and not yet recorded (found by its tag before it goes again);
            # what was sent and recorded one by one (Teams) stays as it is.
            self.release(claimed if jobs is None else
                         [job.delivery_id for job in jobs if not job.outcome or job.unrecorded
                          or job.outcome == "attaching"], token)  # fmt: skip
            raise
        attaching = [job for job in jobs if job.outcome == "attaching"]
        if files_later is None:
            self.send_files(attaching)
        else:
            files_later.extend(attaching)
        for job in jobs:
            if job.outcome == "lost":
                log.warning("delivery %s was taken over by another sender; not sending it again", job.delivery_id)
                continue
            outcome = "sent" if job.outcome == "attaching" else job.outcome
            setattr(report, outcome, getattr(report, outcome) + 1)
            report.outcomes.append((job.delivery_id, outcome, job.detail))
        return report

    def send_files(self, jobs: list[_Job]) -> None:
        """The files of rows whose message is out; then the rows are sent. A failed file is logged, never sent
        again with its message."""

        def attach(job: _Job) -> None:
            try:
                self.notifiers[job.recipient.platform].attach(job.recipient, job.ref, job.rendered.attachments)
            except Exception:
                log.exception("the message of delivery %s went out, but its files did not", job.delivery_id)
            job.outcome, job.unrecorded = "sent", True

        self._each(attach, jobs)
        self._record(jobs)

    def _each(self, work: Callable[[_Job], None], jobs: list[_Job]) -> None:
        """``work`` on every job: side by side when this sender has threads for it, in order otherwise. Each
        platform has its own threads, so a slow one (Teams' SDK, a 429 back-off) never holds up another's people."""
        if self.send_threads <= 1 or len(jobs) <= 1:
            for job in jobs:
                work(job)
            return
        futures = [self._pool_for(job.recipient.platform).submit(work, job) for job in jobs]
        wait(futures)  # every send has finished before a failure is raised: none is still going when rows are given back
        for future in futures:
            future.result()

    def _pool_for(self, platform: str) -> ThreadPoolExecutor:
        with self._pool_lock:
            pool = self._pools.get(platform)
            if pool is None:
                pool = self._pools[platform] = ThreadPoolExecutor(
                    max_workers=self.send_threads, thread_name_prefix=f"partnerup-send-{platform}"
                )
            return pool

    def drain(self, *, batch: int = 100, max_rounds: int = 1000, exclude_kinds: tuple[str, ...] = ()) -> RunReport:
        """Send everything due now (the console, tests and web kicks; the worker ticks instead)."""
        total = RunReport()
        for _ in range(max_rounds):
            report = self.run_once(limit=batch, exclude_kinds=exclude_kinds)
            total.merge(report)
            if report.claimed == 0 or report.retried == report.claimed:
                break
        return total

    def send_produced(
        self, ids: list[int], *, exclude_kinds: tuple[str, ...] = (), files_later: list[_Job] | None = None
    ) -> RunReport:
        """Send the rows this process just produced (and only those), now, in this thread."""
        total = RunReport()
        for start in range(0, len(ids), PRODUCED_BATCH):
            total.merge(
                self.run_once(
                    limit=PRODUCED_BATCH,
                    exclude_kinds=exclude_kinds,
                    ids=ids[start : start + PRODUCED_BATCH],
                    before_send=self.yield_to,
                    files_later=files_later,
                )  # fmt: skip
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
        """Messages first, files when no message waits: in a burst, everyone's confirmation goes out before the
        calendar files of the first meetings placed, this process's and (for at most ``FILES_WAIT``) the other
        web processes' (:meth:`confirmations_waiting`)."""
        files: list[_Job] = []
        files_since = time.monotonic()
        while True:
            if self.yield_to is not None:  # a burst still being placed: its messages are claimed together after it
                self.yield_to()
            with self._kick_lock:
                ids, self._kick_ids = self._kick_ids, []
                if not ids and not files:
                    self._kick_thread = None
                    return
            batch: list[_Job] = []
            try:
                if ids:
                    self.send_produced(ids, exclude_kinds=exclude_kinds, files_later=files)
                    files_since = time.monotonic()
                else:
                    self._messages_first(until=files_since + FILES_WAIT)
                    if self._kick_ids:
                        continue  # this process's next burst came meanwhile: its messages go first
                    some = max(1, self.send_threads)
                    batch, files[:] = files[:some], files[some:]
                    self.send_files(batch)
            except Exception:
                log.exception("sending queued messages failed; they are given back for a retry")
                self.release([job.delivery_id for job in batch + files], None)  # run_once gave back its own
                files.clear()

    def confirmations_waiting(self) -> bool:
        """A "Meeting booked" is due and its message not yet out, claimed by no one or by another process: another
        web process's share of a burst, still being sent."""
        with self.db.transaction() as session:
            mine = self.name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"
            return session.scalar(_CONFIRMATION_DUE, {"now": self.clock.now(), "mine": mine}) is not None

    def _messages_first(self, *, until: float) -> None:
        """Calendar files step aside (until ``until``, a monotonic time) while another process's confirmations are
        going out: two web processes share two cores, and a file costs three API calls to one message's one."""
        while time.monotonic() < until and not self._kick_ids and self.confirmations_waiting():
            time.sleep(FILES_POLL)  # a new burst of this process's own (_kick_ids) goes first, files or not

    def release(self, ids: list[int], token: str | None) -> None:
        """Give back the claims on ``ids`` (under ``token``; None: any of this sender's) after a send failed midway
        (a database error while rendering, a bug): due again in a moment, for any sender, or failed once tried
        :data:`MAX_ATTEMPTS` times. Without this, a web process's heartbeat kept renewing them and they went nowhere
        while it lived. One whose message went out is found first where the platform can tell
        (:meth:`_send_message`), so its person is not told twice."""
        if not ids:
            return
        mine = Delivery.claimed_by == token if token else Delivery.claimed_by.startswith(self.name + "/", autoescape=True)
        try:
            with self.db.transaction(write=True) as session:
                session.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(ids), Delivery.status == "sending", mine)
                    .values(status=case((Delivery.attempts >= MAX_ATTEMPTS, "failed"), else_="pending"),
                            detail=case((Delivery.attempts >= MAX_ATTEMPTS, "could not be sent: an error on our side"),
                                        else_=Delivery.detail),
                            claimed_until=None, due_at=self.clock.now() + RELEASE_AFTER)
                    .execution_options(synchronize_session=False)
                )  # fmt: skip
        except Exception:  # the database is away: the claims lapse when this process's lease does
            log.warning("could not give back %s claimed messages", len(ids), exc_info=True)

    def _confirm(self, ids: list[int], token: str, lease: timedelta) -> set[int]:
        """Renew this claim (its token) on ``ids`` just before sending; the ones it returns are still this
        sender's (one whose lease ran out and that another sender took must not be sent by this one)."""
        if not ids:
            return set()
        with self.db.transaction(write=True) as session:
            return set(
                session.scalars(
                    update(Delivery)
                    .where(Delivery.id.in_(ids), Delivery.status == "sending", Delivery.claimed_by == token)
                    .values(claimed_until=self.clock.now() + lease)
                    .returning(Delivery.id)
                )
            )

    def _render(self, claimed: list[int], *, token: str, lease: timedelta) -> list[_Job]:
        """What each claimed row says, read from the current state in one transaction."""
        now = self.clock.now()
        jobs: list[_Job] = []
        with self.db.transaction() as session:
            deliveries = {d.id: d for d in session.scalars(select(Delivery).where(Delivery.id.in_(claimed)))}
            if self.prefetch is not None:
                self.prefetch(session, list(deliveries.values()))
            people = _people(session, {d.participant_id for d in deliveries.values()})
            for delivery_id in claimed:
                delivery = deliveries[delivery_id]
                participant = people[delivery.participant_id]
                renderer = self.renderers.get(delivery.kind)
                rendered: Outgoing | Skip
                if renderer is None:
                    rendered = Skip(f"no renderer for {delivery.kind}")
                elif participant.is_bot:
                    rendered = Skip("recipient is a bot")
                elif participant.deleted_at is not None:
                    rendered = Skip("the person deleted their data")
                else:
                    try:
                        rendered = renderer(session, delivery, participant, now)
                    except DBAPIError:
                        raise  # the transaction is gone: the whole batch is tried again later
                    except Exception as error:  # one message's bug must not hold up the batch it came in
                        log.exception("delivery %s (%s) could not be rendered", delivery_id, delivery.kind)
                        rendered = Skip(f"could not be written: {type(error).__name__}", failed=True)
                recipient = Recipient(participant.id, participant.platform, participant.external_id,
                                      participant.display_name)  # fmt: skip
                if isinstance(rendered, Outgoing) and rendered.channel:
                    recipient = replace(recipient, channel=rendered.channel)
                jobs.append(_Job(delivery_id, recipient, rendered, delivery.attempts, token=token, lease=lease,
                                 since=time.monotonic(), answered=bool((delivery.payload or {}).get(ANSWERED))))  # fmt: skip
        return jobs

    def _send_message(self, job: _Job, before_send: Callable[[], None] | None) -> None:
        """Send one row's message and set its outcome: ``attaching`` when its files are still to go.

        Where the platform can tell whether a message went out (:meth:`find_sent`), the outcome is recorded with
        the rest of the batch (:meth:`_record`): a sender that dies before that leaves rows the next sender finds
        sent. Elsewhere each is recorded at once, so at most the messages in flight can go twice."""
        rendered, recipient, token = job.rendered, job.recipient, job.token
        if isinstance(rendered, Skip):
            outcome = "failed" if rendered.failed else "skipped"
            self._finish(job.delivery_id, token, status=outcome, detail=rendered.reason)
            job.outcome, job.detail = outcome, rendered.reason
            return
        notifier = self.notifiers.get(recipient.platform)
        if notifier is None:
            detail = f"no way to reach {recipient.platform} users from this process"
            self._finish(job.delivery_id, token, status="skipped", detail=detail)
            job.outcome, job.detail = "skipped", recipient.platform
            return
        if before_send is not None:
            before_send()
        # A send held up (rate limits, a slow platform) renews its claim alone before it goes.
        if time.monotonic() - job.since > job.lease.total_seconds() / 4 and not self._confirm(
            [job.delivery_id], token, job.lease
        ):
            job.outcome = "lost"
            return
        tagging = hasattr(notifier, "find_sent")
        key = f"{self.KEY_PREFIX}{job.delivery_id}"
        try:
            ref = None
            if job.attempts > 1 and tagging:  # did an earlier try get out before its sender died?
                ref = notifier.find_sent(recipient, key)
            if ref is None and tagging:
                ref = notifier.send_tagged(recipient, rendered.reply, key=key)
            elif ref is None:
                ref = notifier.send(recipient, rendered.reply, attachments=rendered.attachments)
        except Exception as raised:  # a notifier's bug or a database error in it: retried, and counted, like a failure
            error = raised if isinstance(raised, DeliveryError) else DeliveryError(
                f"could not be sent: {type(raised).__name__}", permanent=False)  # fmt: skip
            if not isinstance(raised, DeliveryError):
                log.exception("sending delivery %s raised", job.delivery_id)
            if error.permanent or job.attempts >= MAX_ATTEMPTS:
                self._finish(job.delivery_id, token, status="failed", detail=error.reason)
                job.outcome, job.detail = "failed", error.reason
                return
            backoff = timedelta(seconds=min(300, 15 * 2 ** (job.attempts - 1)))
            self._finish(job.delivery_id, token, status="pending", detail=error.reason, due_at=self.clock.now() + backoff)
            job.outcome, job.detail = "retried", error.reason
            return
        job.ref = job.detail = ref or ""
        if tagging and rendered.attachments and hasattr(notifier, "attach"):
            job.outcome = "attaching"
        elif tagging:
            job.outcome, job.unrecorded = "sent", True
        else:
            self._finish(job.delivery_id, token, status="sent", detail="", platform_ref=job.ref)
            job.outcome = "sent"

    def _messages_out(self, jobs: list[_Job]) -> None:
        """Write down the platform's reference of messages that are out while their files are still to go (the
        rows stay ``sending``): other web processes' calendar files stop waiting for them
        (:meth:`confirmations_waiting`). One statement."""
        if not jobs:
            return
        rows = [{"b_id": job.delivery_id, "b_token": job.token, "b_ref": job.ref[:100]}
                for job in sorted(jobs, key=lambda job: job.delivery_id)]  # fmt: skip
        try:
            with self.db.transaction(write=True) as session:
                session.execute(_MESSAGE_OUT, rows)
        except Exception:  # only other processes' files wait on it, and for at most FILES_WAIT
            log.warning("could not note %s messages as out; their files go as usual", len(rows), exc_info=True)

    def _record(self, jobs: list[_Job]) -> None:
        """Mark sent, in one transaction, the rows whose messages (and files) went out unrecorded."""
        done = [job for job in jobs if job.unrecorded and job.outcome == "sent"]
        if not done:
            return
        now = self.clock.now()
        # In ID order (the order an UPDATE ... WHERE id IN (...) takes them by the primary key), not in send order.
        rows = [{"b_id": job.delivery_id, "b_token": job.token, "b_ref": job.ref[:100]}
                for job in sorted(done, key=lambda job: job.delivery_id)]  # fmt: skip
        with self.db.transaction(write=True) as session:
            table = Delivery.__table__  # a Core executemany: one statement, a row of values per delivery
            session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"), table.c.status == "sending",
                       table.c.claimed_by == bindparam("b_token"))
                .values(status="sent", detail="", claimed_until=None, sent_at=now, platform_ref=bindparam("b_ref")),
                rows,
            )  # fmt: skip
        for job in done:
            job.unrecorded = False

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
