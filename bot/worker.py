"""The worker: one process that sends everything queued, paced to Slack's limits.

``python -m bot worker`` runs APScheduler 3.11 with one short interval job, ``tick``. The
database rows are the queue (see :mod:`bot.delivery`), so APScheduler only keeps time:
its jobs live in memory, because APScheduler 3 cannot share a job store between processes
(its FAQ says so), and several worker replicas must be able to run at once. A tick:

1. queues nudges for requests left unanswered and the evening digests that have become due;
2. sends what is due, oldest first, at most ``rate`` messages a second; reminders are
   taken early when many fall due together, so that a batch of 2,000 for one keynote is
   done before it starts;
3. once a day, deletes the personal data of events past their retention period (see :mod:`bot.privacy`), and
   the records nobody needs any more (see :mod:`bot.housekeeping`).
"""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, select, update

from bot.announcements import replies as announcement_replies
from bot.announcements.broadcasts import Announcements
from bot.delivery.notifier import Recipient
from bot.delivery.outbox import Deliverer, RunReport, producing
from bot.housekeeping import tidy
from bot.partnering.floor import FloorPlan
from bot.partnering.requests import Partnering
from bot.privacy.data import Privacy
from bot.reminders.bookmarks import Reminders
from storage.db import Database
from storage.models import Delivery, Pacing, Participant

log = logging.getLogger(__name__)
LOOKAHEAD_HORIZON = timedelta(minutes=15)
TIMED_REMINDERS = ("session_reminder", "meeting_reminder")
MAX_LOOKAHEAD = timedelta(minutes=30)


class Pacer:
    """A token bucket in front of the Web API: at most ``rate`` sends a second, with no burst."""

    def __init__(self, rate: float | None, *, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.interval = 1.0 / rate if rate else 0.0
        self._sleep = sleep
        self._monotonic = monotonic
        self._next = 0.0

    def __call__(self) -> None:
        if not self.interval:
            return
        now = self._monotonic()
        if self._next > now:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


class SharedPacer:
    """The same budget as :class:`Pacer`, shared by every worker replica through one database row.

    Each send takes the next turn by moving ``pacing.next_at`` one interval on, in one atomic UPDATE (a row
    lock on PostgreSQL, the write lock on SQLite), then waits for its turn; so three workers together keep
    ``rate`` messages a second, not three times it. Turns are wall-clock instants, so replicas on different
    machines need synchronised clocks (NTP), as any platform gives them.
    """

    def __init__(self, db: Database, rate: float | None, *, name: str = "slack", sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.db = db
        self.interval = 1.0 / rate if rate else 0.0
        self.name = name
        self._sleep = sleep
        self._now = now

    def __call__(self) -> None:
        if not self.interval:
            return
        turn = self.take_turn()
        wait = turn - self._now()
        if wait > 0:
            self._sleep(wait)

    def take_turn(self) -> float:
        """Reserve the next send instant (Unix seconds) for this process."""
        now = self._now()
        with self.db.transaction(write=True) as session:
            taken = session.scalar(
                update(Pacing)
                .where(Pacing.name == self.name)
                .values(next_at=case((Pacing.next_at > now, Pacing.next_at), else_=now) + self.interval)
                .returning(Pacing.next_at)
            )
            if taken is None:  # the first send ever: make the row (a racing replica's insert wins harmlessly)
                session.execute(self._insert().values(name=self.name, next_at=0.0).on_conflict_do_nothing())
                taken = session.scalar(
                    update(Pacing)
                    .where(Pacing.name == self.name)
                    .values(next_at=case((Pacing.next_at > now, Pacing.next_at), else_=now) + self.interval)
                    .returning(Pacing.next_at)
                )
        return taken - self.interval

    def _insert(self):
        if self.db.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        return insert(Pacing)


class Worker:
    def __init__(
        self,
        *,
        deliverer: Deliverer,
        partnering: Partnering,
        reminders: Reminders,
        announcements: Announcements | None = None,
        rate: float | None = 8.0,
        batch: int = 50,
        pacer: Pacer | None = None,
        progress_every: float = 2.0,
        privacy: Privacy | None = None,
        agenda_sync=None,
    ) -> None:
        self.deliverer = deliverer
        self.partnering = partnering
        self.reminders = reminders
        self.announcements = announcements or Announcements(db=deliverer.db, clock=deliverer.clock)
        self.progress_every = progress_every
        self._last_progress = 0.0
        self.rate = rate
        self.batch = batch
        self.pacer = pacer or Pacer(rate)
        self._stop = threading.Event()
        self.privacy = privacy
        self._purged_on: str | None = None
        self.link_retries = None  # bot.people.retries.LinkRetries: registrants looked up again (set by the entry point)
        self.floor = FloorPlan(db=deliverer.db, clock=deliverer.clock)  # scheduling runs at partnering.schedule_at
        self.agenda_sync = agenda_sync  # bot.agenda_sync.AgendaSync: a live programme, followed in its own job

    def lookahead(self) -> timedelta:
        """How early to start on reminders: the time it takes to send those due within the next quarter hour
        (the evening digests, due at one fixed time, are left out: a few minutes either way matter little)."""
        if not self.rate:
            return timedelta(0)
        now = self.deliverer.clock.now()
        with self.deliverer.db.transaction() as session:
            upcoming = session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(
                    Delivery.status == "pending",
                    Delivery.kind.in_(TIMED_REMINDERS),
                    Delivery.due_at <= now + LOOKAHEAD_HORIZON,
                )
            )
        return min(MAX_LOOKAHEAD, timedelta(seconds=math.ceil(upcoming / self.rate)))

    def tick(self) -> RunReport:
        """One pass: plan what became due, then send until nothing due is left (or we are told to stop)."""
        total = RunReport()
        try:
            self.partnering.accept_presses_left()
            self.partnering.queue_nudges()
            self.reminders.plan_digests()
            self.announcements.start_due()
        except Exception:
            log.exception("planning nudges, digests and announcements failed; sending goes on")
        self.purge_daily()
        if self.link_retries is not None:
            try:
                self.link_retries.run()
            except Exception:
                log.exception("looking registrants up again failed; tried again later")
        try:
            self.floor.run_due_schedules()
        except Exception:
            log.exception("a scheduling run failed; it is tried again on the next tick")
        lookahead = self.lookahead()
        claim = max(1, min(self.batch, int((self.rate or 100) * self.deliverer.lease.total_seconds() / 4)))
        while not self._stop.is_set():
            report = self.deliverer.run_once(
                limit=claim, early_kinds=TIMED_REMINDERS, lookahead=lookahead, before_send=self.pacer
            )
            total.merge(report)
            self.report_progress()
            if report.claimed == 0 or report.retried == report.claimed:
                break
        self.report_progress(force=True)
        if total.claimed:
            log.info("sent %s, failed %s, skipped %s, retrying %s", total.sent, total.failed, total.skipped, total.retried)
        return total

    def purge_daily(self) -> None:
        """Retention, at the first tick of each UTC day: cheap when nothing has expired, and idempotent,
        so replicas running it on the same day do no harm."""
        today = self.deliverer.clock.now().astimezone(UTC).date().isoformat()
        if self._purged_on == today:
            return
        try:
            if self.privacy is not None:
                self.privacy.purge()
            tidied = tidy(self.deliverer.db, self.deliverer.clock.now())
            if tidied.presses or tidied.previews:
                log.info("deleted %s carried-out press records and %s expired import previews", tidied.presses,
                         tidied.previews)  # fmt: skip
            self._purged_on = today
        except Exception:
            log.exception("the daily retention run failed; it is tried again on the next tick")

    def report_progress(self, *, force: bool = False) -> None:
        """Update each organiser's "sent 340 of 1,200" message, at most every ``progress_every`` seconds,
        and turn it into the final report when everything went out."""
        now = time.monotonic()
        if not force and now - self._last_progress < self.progress_every:
            return
        self._last_progress = now
        try:
            items = self.announcements.in_progress()
        except Exception:
            log.exception("could not read the announcements in progress; will try again")
            return
        for item in items:
            if item.done == item.reported and item.done < item.total:
                continue
            if item.ref:  # the organiser's progress message is out: update it (a failure here is only cosmetic)
                try:
                    view = self.announcements.get(item.id)
                    recipient = self._recipient(item.author_id)
                    notifier = self.deliverer.notifiers.get(recipient.platform)
                    if notifier is not None:
                        notifier.update(recipient, item.ref, announcement_replies.progress(view, item.done))
                except Exception:
                    log.warning("could not update the progress message of announcement %s", item.id, exc_info=True)
            elif item.done < item.total:
                continue
            self.announcements.mark_progress(item.id, done=item.done, total=item.total)

    def _recipient(self, participant_id: int) -> Recipient:
        with self.deliverer.db.transaction() as session:
            person = session.get(Participant, participant_id)
            return Recipient(person.id, person.platform, person.external_id, person.display_name)

    def stop(self) -> None:
        self._stop.set()

    def take_over_presses(self) -> None:
        """Carry out presses whose web process died after answering, and send what they queued right away."""
        try:
            with producing() as produced:
                self.partnering.accept_presses_left()
            if produced:
                self.deliverer.send_produced(list(produced))
        except Exception:
            log.exception("taking over presses left by a web process failed; trying again in a second")

    def run(self, *, interval_seconds: float = 2.0) -> None:
        """Tick forever under APScheduler until SIGTERM or SIGINT."""
        from apscheduler.schedulers.blocking import BlockingScheduler

        scheduler = BlockingScheduler(timezone="UTC")
        scheduler.add_job(self.tick, "interval", seconds=interval_seconds, id="tick", max_instances=1, coalesce=True,
                          next_run_time=datetime.now(UTC))  # fmt: skip
        # Presses a dead web process had answered: checked every second on their own, so that a long sending
        # tick (an announcement to thousands) never holds them up; taken over once the process's lease lapsed.
        scheduler.add_job(self.take_over_presses, "interval", seconds=1.0, id="presses", max_instances=1, coalesce=True)
        if self.agenda_sync is not None:  # its own job: a slow source never holds up reminders
            scheduler.add_job(self.agenda_sync.run_due, "interval", seconds=30, id="agenda_sync", max_instances=1,
                              coalesce=True, next_run_time=datetime.now(UTC))  # fmt: skip

        def shutdown(signum, _frame) -> None:
            log.info("worker stopping (signal %s)", signum)
            self.stop()
            scheduler.shutdown(wait=False)

        signal.signal(signal.SIGTERM, shutdown)
        signal.signal(signal.SIGINT, shutdown)
        log.info("worker %s started: up to %s messages a second", self.deliverer.name, self.rate)
        scheduler.start()
