"""The real worker process (`python -m bot worker`), killed with SIGKILL mid-batch and started again:
every reminder arrives, and at most the one message in flight at the kill arrives twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select, update

from bot.clock import SystemClock
from bot.event_setup import load_event_file
from bot.partnering.participants import Participants, PersonInfo
from bot.reminders.bookmarks import Reminders
from storage.db import Database
from storage.models import AgendaSession, Delivery, Participant
from tests.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parents[1]
PEOPLE = 150


def event_starting_soon(path: Path) -> Path:
    """A one-session event (UTC) that starts in 30 minutes of real time, or just after midnight when that session
    would cross it (then at most 51 minutes away: still within the tests' 60-minute reminder lead). Near midnight
    it used to end at 23:59, which a session starting at 23:59 cannot."""
    start = (datetime.now(UTC) + timedelta(minutes=30)).replace(second=0, microsecond=0)
    if (start + timedelta(minutes=20)).date() != start.date():
        start = datetime.combine(start.date() + timedelta(days=1), time(0, 1), tzinfo=UTC)
    end = start + timedelta(minutes=20)
    path.write_text(
        f"""event: {{key: soon, name: Soon, timezone: UTC, dates: ["{start.date().isoformat()}"]}}
venues: [{{key: hall, name: Hall, rooms: [Main]}}]
sessions:
  - {{key: keynote, title: The keynote, kind: talk, day: 1, start: "{start:%H:%M}", end: "{end:%H:%M}", venue: hall, room: Main}}
""",
        encoding="utf-8",
    )
    return path


def soon_event_with_people(db: Database, clock: SystemClock, tmp_path: Path) -> tuple[list[str], list[int]]:
    """The one-session event starting soon, and PEOPLE Slack participants; their user IDs and participant IDs."""
    db.migrate()
    load_event_file(db, event_starting_soon(tmp_path / "soon.yml"), clock=clock)
    participants = Participants(db)
    users = [f"U{n:05d}" for n in range(PEOPLE)]
    ids = [participants.ensure(platform="slack", external_id=u, lookup=lambda u=u: PersonInfo(display_name=u), now=clock.now())
           for u in users]  # fmt: skip
    with db.transaction(write=True) as session:  # after 18:00 an event tomorrow gets its evening digest: not counted here
        session.execute(update(Participant).values(daily_digest=False))
    return users, ids


def start_worker(database_url: str, fake: FakeSlack, **extra_env: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "WORKER_"))}
    env.update(
        {
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": "xoxb-worker-test",
            "SLACK_SIGNING_SECRET": "unused",
            "SLACK_API_URL": fake.url,
            "WORKER_MESSAGES_PER_SECOND": "40",
            "WORKER_LEASE_SECONDS": "2",
            "LOG_LEVEL": "WARNING",
        }
        | extra_env  # a test may set any of these otherwise
    )
    return subprocess.Popen([sys.executable, "-m", "bot", "worker"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)


def test_sigkill_mid_batch_then_restart(database_url: str, db: Database, fake_slack: FakeSlack, tmp_path: Path) -> None:
    clock = SystemClock()
    users, ids = soon_event_with_people(db, clock, tmp_path)
    reminders = Reminders(db=db, clock=clock)
    with db.transaction() as session:
        session.execute(update(Participant).values(reminder_minutes=60))  # due at once: the keynote is 30 min away
        keynote = session.scalar(select(AgendaSession.id))
    for person in ids:
        reminders.add(participant_id=person, session_id=keynote)

    first = start_worker(database_url, fake_slack)
    try:
        fake_slack.wait_for("chat.postMessage", count=40, timeout=60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    at_kill = len(fake_slack.calls("chat.postMessage"))
    assert at_kill < PEOPLE, "the batch finished before the kill; nothing was tested"

    second = start_worker(database_url, fake_slack)
    try:
        seen = PEOPLE
        while len({c.params["channel"] for c in fake_slack.calls("chat.postMessage")}) < PEOPLE:
            fake_slack.wait_for("chat.postMessage", count=seen, timeout=60)
            seen += 1
    finally:
        second.send_signal(signal.SIGTERM)
        _, errors = second.communicate(timeout=30)
    assert second.returncode == 0, errors

    per_user = Counter(c.params["channel"] for c in fake_slack.calls("chat.postMessage"))
    assert set(per_user) == set(users)
    assert sum(per_user.values()) - PEOPLE <= 1  # at most the one message in flight at the kill
    with db.transaction() as session:
        statuses = Counter(session.scalars(select(Delivery.status)))
    assert statuses == {"sent": PEOPLE}


def test_sigkill_mid_announcement_then_restart(
    database_url: str, db: Database, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    from bot.announcements.broadcasts import Announcements, Draft

    clock = SystemClock()
    users, ids = soon_event_with_people(db, clock, tmp_path)
    Announcements(db=db, clock=clock).create(
        author_id=ids[0], author_ref=users[0], draft=Draft("Lunch is served", "everyone")
    )

    def announcement_calls() -> list:
        return [
            c for c in fake_slack.calls("chat.postMessage") if c.params.get("text", "").startswith("From the organisers")
        ]

    first = start_worker(database_url, fake_slack)
    try:
        fake_slack.wait_for("chat.postMessage", count=40, timeout=60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert len(announcement_calls()) < PEOPLE, "the batch finished before the kill; nothing was tested"

    second = start_worker(database_url, fake_slack)
    try:
        seen = len(fake_slack.calls("chat.postMessage"))
        while len({c.params["channel"] for c in announcement_calls()}) < PEOPLE:
            seen += 1
            fake_slack.wait_for("chat.postMessage", count=seen, timeout=60)
        fake_slack.wait_for("chat.update", count=1, timeout=60)  # the organiser's final report
    finally:
        second.send_signal(signal.SIGTERM)
        _, errors = second.communicate(timeout=30)
    assert second.returncode == 0, errors
    per_user = Counter(c.params["channel"] for c in announcement_calls())
    assert set(per_user) == set(users)
    assert sum(per_user.values()) - PEOPLE <= 1
    assert fake_slack.calls("chat.update")[-1].params["text"].endswith(f"is done: delivered {PEOPLE}, failed 0, skipped 0.")
