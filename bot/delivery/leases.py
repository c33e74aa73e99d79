"""One lease per process, renewed by a heartbeat, on everything the process holds: recorded presses and claimed
outgoing messages.

A web process answers a press before it carries it out and claims the messages it just produced. If it dies,
someone else must take over, soon (the person is waiting) but never while it is still at work (a press placed
twice, a message sent twice). A fixed timeout cannot be both. So each row the process holds names it and carries
``claimed_until``, a few seconds ahead; a heartbeat thread pushes that forward every second for as long as the
process lives. When the process dies, the renewals stop and the rows are free ``LEASE`` seconds later. A process
whose heartbeat stalls (a database outage) can lose its rows while alive: the press is then guarded by closing it
in the placement's own transaction, the message by its claim token, checked again just before the send.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from bot.clock import Clock
from storage.db import Database
from storage.models import Delivery, Intake

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=4)  # a dead process's presses and messages are taken over this long after its last beat
BEAT_EVERY = 1.0  # seconds between renewals


def process_name() -> str:
    """Unique per process (and per restart): host, PID, and a random part."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class ProcessLease:
    """This process's lease: the name its rows carry, and the heartbeat that keeps them its own."""

    def __init__(self, *, db: Database, clock: Clock, name: str | None = None, lease: timedelta = LEASE,
                 every: float = BEAT_EVERY) -> None:  # fmt: skip
        self.db = db
        self.clock = clock
        self.name = name or process_name()
        self.lease = lease
        self.every = every
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def owner_of_claim(self) -> str:
        """A claim token for one claim of outgoing messages: this process's name and a random part, so a claim
        that ran out and was taken again (by anyone, this process too) is told apart from the new one."""
        return f"{self.name}/{uuid.uuid4().hex[:12]}"

    def until(self):
        return self.clock.now() + self.lease

    def start(self) -> None:
        """Start the heartbeat (once; later calls do nothing). A web process starts it when it begins serving;
        without it (tests, the console) rows are held for one ``lease`` from when they were written."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="partnerup-heartbeat", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.beat()
            except Exception:  # the database is away: the rows lapse and others take over, as they should
                log.warning("could not renew this process's lease", exc_info=True)

    def beat(self) -> int:
        """Push the lease forward on every row this process holds and nobody is writing at this moment; how many
        it renewed. A row locked now is being recorded or carried out by one of this process's own threads (no
        other process touches a row while its lease holds): waiting for it, in whatever order the rows lie on
        disk, while that thread waits for one this beat locked, was a deadlock (seen in a burst: the sender
        recording a hundred calendar files). It is skipped, and the next beat renews it if it is still held."""
        now = self.clock.now()
        until = now + self.lease
        with self.db.transaction(write=True) as session:
            held_presses = (
                select(Intake.id)
                .where(Intake.status == "pending", Intake.claimed_by == self.name)
                .with_for_update(skip_locked=True)
            )
            presses = session.execute(
                update(Intake).where(Intake.id.in_(held_presses)).values(claimed_until=until)
                .execution_options(synchronize_session=False)
            ).rowcount  # fmt: skip
            held_messages = (
                select(Delivery.id)
                .where(
                    Delivery.status == "sending",
                    Delivery.claimed_by.startswith(self.name + "/", autoescape=True),
                    Delivery.claimed_until < until,
                )
                .with_for_update(skip_locked=True)
            )
            messages = session.execute(
                update(Delivery).where(Delivery.id.in_(held_messages)).values(claimed_until=until)
                .execution_options(synchronize_session=False)
            ).rowcount  # fmt: skip
        return presses + messages
