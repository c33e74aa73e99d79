"""Three real worker processes share one send budget (the ``pacing`` row): an announcement to 600 people
against a fake Slack that answers 429 above the workspace limit gets no 429 and sends nobody anything twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from bot.announcements.broadcasts import Announcements, Draft
from bot.clock import SystemClock
from bot.event_setup import load_event_file
from bot.partnering.participants import Participants, PersonInfo
from bot.worker import SharedPacer
from storage.db import Database
from storage.models import Delivery
from tests.fake_slack import FakeSlack
from tests.test_worker_process import ROOT, event_starting_soon

PEOPLE = 600
RATE = 40  # WORKER_MESSAGES_PER_SECOND, for all workers together


def start_worker(database_url: str, fake: FakeSlack) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "WORKER_"))}
    env.update(DATABASE_URL=database_url, SLACK_BOT_TOKEN="xoxb-worker-test", SLACK_SIGNING_SECRET="unused",
               SLACK_API_URL=fake.url, WORKER_MESSAGES_PER_SECOND=str(RATE), WORKER_LEASE_SECONDS="20",
               LOG_LEVEL="WARNING")  # fmt: skip
    return subprocess.Popen([sys.executable, "-m", "bot", "worker"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)


def test_three_workers_keep_one_budget(database_url: str, db: Database, fake_slack: FakeSlack, tmp_path: Path) -> None:
    clock = SystemClock()
    db.migrate()
    load_event_file(db, event_starting_soon(tmp_path / "soon.yml"), clock=clock)
    participants = Participants(db)
    users = [f"U{n:05d}" for n in range(PEOPLE)]
    ids = [participants.ensure(platform="slack", external_id=u, lookup=lambda u=u: PersonInfo(display_name=u), now=clock.now())
           for u in users]  # fmt: skip
    # The workspace limit, enforced by the fake on wall-clock time: RATE a second with a short burst (Slack allows
    # bursts), so a send delayed by a busy machine and the on-time ones after it may arrive together.
    fake_slack.rate_limit("chat.postMessage", per_second=RATE, burst=10, per_channel=False)
    Announcements(db=db, clock=clock).create(
        author_id=ids[0], author_ref=users[0], draft=Draft("Lunch is served", "everyone")
    )

    def announcement_calls() -> list:
        return [c for c in fake_slack.calls("chat.postMessage") if c.status == 200 and
                c.params.get("text", "").startswith("From the organisers")]  # fmt: skip

    workers = [start_worker(database_url, fake_slack) for _ in range(3)]
    started = time.monotonic()
    try:
        deadline = started + 120
        while len(announcement_calls()) < PEOPLE and time.monotonic() < deadline:
            time.sleep(0.2)  # polling a real process, not waiting for our own code
        took = time.monotonic() - started
    finally:
        errors = []
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            errors.append(worker.communicate(timeout=30)[1])
    assert all(w.returncode == 0 for w in workers), errors
    limited = [c for c in fake_slack.calls("chat.postMessage") if c.status == 429]
    assert limited == []
    per_user = Counter(c.params["channel"] for c in announcement_calls())
    assert set(per_user) == set(users)
    assert max(per_user.values()) == 1
    assert took >= PEOPLE / RATE * 0.9  # the three together kept one budget (one each would take a third)
    with db.transaction() as session:
        senders = Counter(session.scalars(select(Delivery.claimed_by).where(Delivery.kind == "announcement")))
    assert len(senders) >= 2, senders  # the replicas really shared the work


def test_shared_pacer_hands_out_one_turn_per_interval(db: Database) -> None:
    """Two pacers on one database (two replicas) take turns 1/rate apart, never the same turn."""
    db.migrate()
    now = [1000.0]
    slept: list[float] = []
    first = SharedPacer(db, 4.0, now=lambda: now[0], sleep=slept.append)
    second = SharedPacer(db, 4.0, now=lambda: now[0], sleep=slept.append)
    turns = [pacer.take_turn() for pacer in (first, second, first, second)]
    assert turns == [1000.0, 1000.25, 1000.5, 1000.75]
    now[0] = 1010.0  # after a quiet spell, no burst of saved-up turns
    second()
    first()
    assert slept == [0.25]
