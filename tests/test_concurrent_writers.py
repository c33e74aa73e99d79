"""Concurrent writers on the embedded database: people saving profiles and pressing buttons over HTTP while a
real worker process sends an announcement. On SQLite writers take turns (the lock taken up front, a busy
timeout between processes); none fails with "database is locked"."""

from __future__ import annotations

import logging
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from bot.announcements.broadcasts import Announcements, Draft
from bot.assistant import Assistant
from bot.clock import FixedClock, SystemClock
from bot.partnering.participants import Participants, PersonInfo
from bot.reminders import replies as rr
from storage.db import Database
from storage.models import AgendaSession, Bookmark, Participant
from tests.fake_slack import FakeSlack
from tests.slack_harness import SlackHttpApp, submit_view, text_input, view_payload
from tests.slack_harness import select as pick
from tests.test_worker_process import start_worker

PEOPLE = 24
AUDIENCE = 150


@pytest.fixture
def assistant(event_db: Database, clock: FixedClock) -> Assistant:
    return Assistant(db=event_db, clock=clock)


def save_profile(app: SlackHttpApp, user: str, n: int) -> int:
    values = {"organisation": text_input(f"Org {n}"), "org_type": pick("biotech"), "role": text_input("BD"),
              "offers": text_input("antibody payloads"), "seeks": text_input("licensing partners"),
              "interests": text_input("oncology, ADC")}  # fmt: skip
    return submit_view(app, view_payload("profile_submit", values, user=user)).status


def test_profiles_and_buttons_while_the_worker_sends(
    database_url: str, event_db: Database, slack_app: SlackHttpApp, fake_slack: FakeSlack, clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.WARNING)
    participants = Participants(event_db)
    audience = [participants.ensure(platform="slack", external_id=f"UA{n:04d}", now=clock.now(),
                                    lookup=lambda n=n: PersonInfo(display_name=f"A {n}")) for n in range(AUDIENCE)]  # fmt: skip
    Announcements(db=event_db, clock=clock).create(
        author_id=audience[0], author_ref="UA0000", draft=Draft("Coffee", "everyone")
    )
    users = [f"UW{n:04d}" for n in range(PEOPLE)]
    for user in users:
        fake_slack.add_user(user, real_name=f"Writer {user}")
    with event_db.transaction() as session:
        sessions = session.scalars(select(AgendaSession.id).order_by(AgendaSession.starts_at.desc()).limit(3)).all()

    # The event's fixed dates are behind the worker's real clock: keep its daily retention run from erasing the
    # people this test writes for, whatever today's date is.
    days_since_event = (SystemClock().now() - clock.now()).days
    # 10 messages a second: the announcement takes 15 s to go out, so the writers below run while it does even on a
    # loaded machine (at 40 a second it was over before they were in one suite run on a busy CI machine).
    worker = start_worker(database_url, fake_slack, EVENT_RETENTION_DAYS=str(max(90, days_since_event + 30)),
                          WORKER_MESSAGES_PER_SECOND="10")  # fmt: skip
    try:
        fake_slack.wait_for("chat.postMessage", count=5, timeout=60)  # the worker is writing now
        jobs = []
        with ThreadPoolExecutor(max_workers=8) as pool:
            for n, user in enumerate(users):
                jobs.append(pool.submit(save_profile, slack_app, user, n))
                for session_id in sessions:
                    jobs.append(
                        pool.submit(lambda u=user, s=session_id: slack_app.action(rr.BOOKMARK_ADD, str(s), user=u).status)
                    )
                jobs.append(pool.submit(lambda u=user: slack_app.action(rr.SET_LEAD, "15", user=u).status))
            statuses = [job.result() for job in jobs]
        still_sending = len(fake_slack.calls("chat.postMessage")) < AUDIENCE
        deadline = time.monotonic() + 60
        while len(fake_slack.calls("chat.postMessage")) < AUDIENCE and time.monotonic() < deadline:
            time.sleep(0.2)  # polling the real worker process
    finally:
        worker.send_signal(signal.SIGTERM)
        _, errors = worker.communicate(timeout=30)
    assert statuses == [200] * len(statuses)
    assert still_sending, "the worker finished before the writers started; nothing was tested"
    assert "locked" not in errors and worker.returncode == 0, errors
    assert not [r for r in caplog.records if "locked" in r.getMessage() or r.exc_info]
    with event_db.transaction() as session:
        saved = session.scalar(select(func.count()).select_from(Participant).where(Participant.organisation.like("Org %")))
        bookmarks = session.scalar(select(func.count()).select_from(Bookmark))
    assert saved == PEOPLE
    assert bookmarks == PEOPLE * len(sessions)
