"""Reminders end to end: bookmarks and meetings → outbox rows → the worker → Slack (the fake server).

Time is injected: the worker ticks at instants the test chooses; nothing sleeps.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.agenda.catalog import Catalog
from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.event_setup import DEFAULT_EVENT_FILE, load_event_file
from bot.partnering.participants import PersonInfo
from bot.worker import Pacer, Worker
from handlers.slack.app import make_client
from handlers.slack.notifier import SlackNotifier
from storage.db import Database
from storage.models import AgendaSession, Delivery
from tests.conftest import oslo
from tests.fake_slack import FakeSlack


def make_assistant(db: Database, clock: FixedClock, fake: FakeSlack) -> Assistant:
    assistant = Assistant(db=db, clock=clock, send_now=True)
    assistant.add_notifier("slack", SlackNotifier(make_client(token="xoxb-test", base_url=fake.url)))
    return assistant


def make_worker(assistant: Assistant) -> Worker:
    return Worker(deliverer=assistant.deliverer, partnering=assistant.partnering, reminders=assistant.reminders, rate=None)


def slack_people(assistant: Assistant, *users: str) -> list[int]:
    return [
        assistant.identify(
            platform="slack", external_id=user, lookup=lambda user=user: PersonInfo(display_name=f"Person {user}")
        )
        for user in users
    ]


def session_id(db: Database, key: str) -> int:
    with db.transaction() as session:
        return session.scalar(select(AgendaSession.id).where(AgendaSession.key == key))


def received(fake: FakeSlack, user: str) -> list[str]:
    return [c.params["text"] for c in fake.calls("chat.postMessage") if c.params.get("channel") == user and c.ok]


def outcomes(db: Database, kind: str) -> list[tuple[str, str]]:
    with db.transaction() as session:
        return [(s, d) for s, d in session.execute(select(Delivery.status, Delivery.detail).where(Delivery.kind == kind))]


@pytest.fixture
def olweus_key(event_db: Database) -> str:
    return Catalog(event_db).current().search_index.search("olweus")[0].session.key


@pytest.fixture
def early(clock: FixedClock) -> FixedClock:
    clock.set(oslo(3, 8, 0))  # the morning of day 1, before everything
    return clock


def test_bookmark_is_reminded_lead_time_before(event_db, early, fake_slack, olweus_key) -> None:
    assistant = make_assistant(event_db, early, fake_slack)
    worker = make_worker(assistant)
    [ada] = slack_people(assistant, "U100")
    reply = assistant.bookmark(actor=ada, session_id=session_id(event_db, olweus_key))
    assert (
        reply.text
        == "Done: I'll remind you 10 minutes before From lab to patient: cancer immunotherapy research at Oslo University Hospital."
    )
    early.set(oslo(3, 9, 59))
    worker.tick()
    assert received(fake_slack, "U100") == []
    early.set(oslo(3, 10, 0))
    worker.tick()
    [text] = received(fake_slack, "U100")
    assert (
        text
        == "Starting in 10 min: From lab to patient: cancer immunotherapy research at Oslo University Hospital (Auditorium, Oslo Cancer Cluster Innovation Park)"
    )
    blocks = json.dumps(fake_slack.calls("chat.postMessage")[-1].params["blocks"], ensure_ascii=False)
    assert "10:10–10:50 CET" in blocks and "Johanna Olweus" in blocks
    worker.tick()
    early.set(oslo(3, 10, 5))
    worker.tick()
    assert len(received(fake_slack, "U100")) == 1  # exactly once


def test_lead_time_and_immediate_reminder(event_db, early, fake_slack, olweus_key) -> None:
    assistant = make_assistant(event_db, early, fake_slack)
    worker = make_worker(assistant)
    [ada] = slack_people(assistant, "U100")
    assistant.set_reminder_preferences(actor=ada, lead_minutes=30)
    assistant.bookmark(actor=ada, session_id=session_id(event_db, olweus_key))
    early.set(oslo(3, 9, 40))
    worker.tick()
    assert received(fake_slack, "U100")[0].startswith("Starting in 30 min")
    # A session that starts sooner than the lead time: reminded straight away; one that started: refused.
    early.set(oslo(3, 11, 5))
    reply = assistant.bookmark(actor=ada, session_id=session_id(event_db, "d1-startup-pitches"))
    assert "right away" in reply.text
    worker.tick()
    assert received(fake_slack, "U100")[-1].startswith("Starting in 5 min: Start-up pitches")
    assert "already started" in assistant.bookmark(actor=ada, session_id=session_id(event_db, olweus_key)).text
    refused = assistant.set_reminder_preferences(actor=ada, lead_minutes=7)
    assert refused.text == "Choose a lead time of 5, 10, 15, 30, 60 minutes."
    assert assistant.reminders.preferences(ada).lead_minutes == 30


def test_moved_session_reminder_follows_the_new_time(event_db, early, fake_slack, olweus_key, tmp_path: Path) -> None:
    assistant = make_assistant(event_db, early, fake_slack)
    worker = make_worker(assistant)
    [ada] = slack_people(assistant, "U100")
    assistant.bookmark(actor=ada, session_id=session_id(event_db, olweus_key))
    moved = DEFAULT_EVENT_FILE.read_text(encoding="utf-8").replace(
        'start: "10:10"\n    end: "10:50"', 'start: "14:10"\n    end: "14:50"', 1
    )
    assert moved != DEFAULT_EVENT_FILE.read_text(encoding="utf-8")
    (tmp_path / "moved.yml").write_text(moved, encoding="utf-8")
    load_event_file(event_db, tmp_path / "moved.yml", clock=early)
    early.set(oslo(3, 10, 0))
    worker.tick()
    [notice] = received(fake_slack, "U100")  # told once that it moved, not reminded at the old time
    assert notice.startswith("Agenda change: From lab to patient") and "moves to Thu 3 Dec 14:10–14:50 CET" in notice
    early.set(oslo(3, 14, 0))
    worker.tick()
    assert received(fake_slack, "U100")[1:] == [
        "Starting in 10 min: From lab to patient: cancer immunotherapy research at Oslo University Hospital (Auditorium, Oslo Cancer Cluster Innovation Park)"
    ]


def test_cancelled_session_drops_reminders_and_tells_bookmarkers_once(
    event_db, early, fake_slack, olweus_key, tmp_path: Path
) -> None:
    assistant = make_assistant(event_db, early, fake_slack)
    worker = make_worker(assistant)
    ada, bo = slack_people(assistant, "U100", "U200")
    for person in (ada, bo):
        assistant.bookmark(actor=person, session_id=session_id(event_db, olweus_key))
    text = DEFAULT_EVENT_FILE.read_text(encoding="utf-8")
    start = text.index(f"  - key: {olweus_key}")
    end = text.index("  - key:", start + 10)
    (tmp_path / "cancelled.yml").write_text(text[:start] + text[end:], encoding="utf-8")
    report = load_event_file(event_db, tmp_path / "cancelled.yml", clock=early)
    assert report.cancelled == [olweus_key] and report.told_of_changes == 2
    load_event_file(event_db, tmp_path / "cancelled.yml", clock=early)  # loading it again tells nobody again
    worker.tick()
    early.set(oslo(3, 10, 0))
    worker.tick()
    for user in ("U100", "U200"):
        [notice] = received(fake_slack, user)
        assert notice == (
            "Agenda change: From lab to patient: cancer immunotherapy research at Oslo University Hospital "
            "(Thu 3 Dec 10:10–10:50 CET) is cancelled; its reminder is removed."
        )
    assert outcomes(event_db, "session_reminder") == [("skipped", "the session was cancelled")] * 2


def test_worker_down_past_the_due_time(event_db, early, fake_slack, olweus_key) -> None:
    """Policy: overdue reminders go out while the session has not started; after that they are skipped."""
    assistant = make_assistant(event_db, early, fake_slack)
    worker = make_worker(assistant)
    ada, bo = slack_people(assistant, "U100", "U200")
    assistant.bookmark(actor=ada, session_id=session_id(event_db, olweus_key))
    assistant.bookmark(actor=bo, session_id=session_id(event_db, "d1-welcome"))
    early.set(oslo(3, 10, 8))  # the worker comes back at 10:08: welcome (09:15) is over, Olweus (10:10) is not
    make_worker(make_assistant(event_db, early, fake_slack)).tick()
    assert received(fake_slack, "U100") == [
        "Starting in 2 min: From lab to patient: cancer immunotherapy research at Oslo University Hospital (Auditorium, Oslo Cancer Cluster Innovation Park)"
    ]
    assert received(fake_slack, "U200") == []
    assert ("skipped", "too late: the session had started") in outcomes(event_db, "session_reminder")
    del worker


def test_rate_limited_calls_wait_and_are_sent(event_db, early, fake_slack, olweus_key) -> None:
    assistant = make_assistant(event_db, early, fake_slack)
    users = [f"U{n}" for n in range(300, 306)]
    ids = slack_people(assistant, *users)
    for person in ids:
        assistant.bookmark(actor=person, session_id=session_id(event_db, olweus_key))
    fake_slack.fail_next("chat.postMessage", error="ratelimited", status=429, retry_after=0, times=4)
    early.set(oslo(3, 10, 0))
    make_worker(assistant).tick()
    assert all(len(received(fake_slack, user)) == 1 for user in users)
    assert len([c for c in fake_slack.calls("chat.postMessage") if c.status == 429]) == 4
    assert outcomes(event_db, "session_reminder") == [("sent", "")] * 6


def test_a_permanent_error_is_recorded_and_does_not_hold_up_others(event_db, early, fake_slack, olweus_key) -> None:
    assistant = make_assistant(event_db, early, fake_slack)
    ada, gone, bo = slack_people(assistant, "U100", "U666", "U200")
    for person in (ada, gone, bo):
        assistant.bookmark(actor=person, session_id=session_id(event_db, olweus_key))
    fake_slack.fail_for_channel("U666", "account_inactive")
    early.set(oslo(3, 10, 0))
    make_worker(assistant).tick()
    assert len(received(fake_slack, "U100")) == 1 and len(received(fake_slack, "U200")) == 1
    assert sorted(outcomes(event_db, "session_reminder")) == [("failed", "account_inactive"), ("sent", ""), ("sent", "")]


def test_meeting_reminders_reach_both(event_db, early, fake_slack) -> None:
    assistant = make_assistant(event_db, early, fake_slack)
    worker = make_worker(assistant)
    ada, bo = slack_people(assistant, "U100", "U200")
    request = assistant.partnering.create_request(requester_id=ada, invitee_id=bo, topic="TCR licensing")
    assistant.accept(actor=bo, request_id=request.id)
    early.set(oslo(3, 11, 0))
    worker.tick()
    assert (
        received(fake_slack, "U100")[-1]
        == "In 10 min: your meeting with Person U200 at Table 1, Partnering lounge, Oslo Cancer Cluster Innovation Park. Topic: TCR licensing"
    )
    assert received(fake_slack, "U200")[-1].startswith("In 10 min: your meeting with Person U100 at Table 1")


def test_meeting_reminders_switched_off_are_not_sent(event_db, early, fake_slack) -> None:
    assistant = make_assistant(event_db, early, fake_slack)
    ada, bo = slack_people(assistant, "U100", "U200")
    request = assistant.partnering.create_request(requester_id=ada, invitee_id=bo, topic="TCR licensing")
    assistant.accept(actor=bo, request_id=request.id)
    assistant.set_reminder_preferences(actor=ada, meeting_reminders=False)
    early.set(oslo(3, 11, 0))
    make_worker(assistant).tick()
    assert not any(text.startswith("In 10 min") for text in received(fake_slack, "U100"))
    assert received(fake_slack, "U200")[-1].startswith("In 10 min: your meeting with Person U100")


def test_two_workers_send_each_reminder_once(database_url, event_db, early, fake_slack, olweus_key) -> None:
    assistant = make_assistant(event_db, early, fake_slack)
    users = [f"U{n:04d}" for n in range(1000, 1120)]
    for person in slack_people(assistant, *users):
        assistant.bookmark(actor=person, session_id=session_id(event_db, olweus_key))
    early.set(oslo(3, 10, 0))
    replicas = []
    for _ in range(2):
        db = Database(database_url)
        replica = make_assistant(db, early, fake_slack)
        replicas.append((db, Worker(deliverer=replica.deliverer, partnering=replica.partnering, reminders=replica.reminders,
                                    rate=None, batch=5)))  # fmt: skip
    barrier = threading.Barrier(2)
    reports = []

    def run(worker: Worker) -> None:
        barrier.wait()
        reports.append(worker.tick())

    threads = [threading.Thread(target=run, args=(w,)) for _, w in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for db, _ in replicas:
        db.dispose()
    assert all(len(received(fake_slack, user)) == 1 for user in users)
    assert sum(r.sent for r in reports) == len(users)
    assert all(r.sent > 0 for r in reports) or event_db.is_sqlite  # on PostgreSQL both share the work
    with event_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "sent")) == len(users)


def test_pacer_spaces_sends_without_sleeping_for_real() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(4.0, sleep=sleep, monotonic=lambda: now[0])
    for _ in range(5):
        pacer()
    assert slept == [0.25, 0.25, 0.25, 0.25]


def test_several_changes_in_one_load_give_one_notice_per_person(
    event_db, early, fake_slack, olweus_key, tmp_path: Path
) -> None:
    assistant = make_assistant(event_db, early, fake_slack)
    worker = make_worker(assistant)
    ada, bo = slack_people(assistant, "U100", "U200")
    for key in (olweus_key, "d1-welcome", "d1-lunch"):
        assistant.bookmark(actor=ada, session_id=session_id(event_db, key))
    assistant.bookmark(actor=bo, session_id=session_id(event_db, "d1-lunch"))
    text = DEFAULT_EVENT_FILE.read_text(encoding="utf-8")
    text = text.replace('start: "10:10"\n    end: "10:50"', 'start: "10:20"\n    end: "11:00"', 1)  # Olweus moves
    welcome = text.index("  - key: d1-welcome")
    text = text[:welcome] + text[welcome:].replace("room: Auditorium", "room: Foyer", 1)  # welcome changes room
    (tmp_path / "edited.yml").write_text(text, encoding="utf-8")
    report = load_event_file(event_db, tmp_path / "edited.yml", clock=early)
    assert sorted(c.key for c in report.changed) == sorted([olweus_key, "d1-welcome"])
    assert report.told_of_changes == 1  # only Ada bookmarked what changed; Bo's lunch did not change
    worker.tick()
    [notice] = received(fake_slack, "U100")
    assert notice.startswith("2 agenda changes:")
    assert "moves to Thu 3 Dec 10:20–11:00 CET (was Thu 3 Dec 10:10–10:50 CET)." in notice
    assert "Welcome to Days to partner up is now in Foyer, Oslo Cancer Cluster Innovation Park (was Auditorium" in notice
    assert received(fake_slack, "U200") == []


def test_evening_digest_lists_the_next_day_in_order(event_db, early, fake_slack, olweus_key) -> None:
    assistant = make_assistant(event_db, early, fake_slack)
    worker = make_worker(assistant)
    ada, bo, cy = slack_people(assistant, "U100", "U200", "U300")
    early.set(oslo(2, 12, 0))  # the day before the event
    assistant.bookmark(actor=ada, session_id=session_id(event_db, "d1-lunch"))
    assistant.bookmark(actor=ada, session_id=session_id(event_db, olweus_key))
    request = assistant.partnering.create_request(requester_id=ada, invitee_id=bo, topic="TCR licensing")
    assistant.accept(actor=bo, request_id=request.id)
    assistant.set_reminder_preferences(actor=bo, daily_digest=False)
    fake_slack.reset()
    early.set(oslo(2, 17, 59))
    worker.tick()
    assert received(fake_slack, "U100") == []
    early.set(oslo(2, 18, 0))
    worker.tick()
    [digest] = received(fake_slack, "U100")
    assert digest == "Your day tomorrow (Day 1 · Thursday 3 December): 2 session(s), 1 meeting(s)."
    blocks = json.dumps(fake_slack.calls("chat.postMessage")[-1].params["blocks"], ensure_ascii=False)
    assert blocks.index("From lab to patient") < blocks.index("TCR licensing") < blocks.index("Lunch")
    assert received(fake_slack, "U200") == []  # switched off
    assert received(fake_slack, "U300") == []  # nothing planned
    worker.tick()
    assert len(received(fake_slack, "U100")) == 1
