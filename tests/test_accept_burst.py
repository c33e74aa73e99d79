"""Accept presses are written down before Slack gets its answer and placed right after: a burst over HTTP is
answered, booked once each and confirmed; a press whose web process died is carried out by the worker."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.delivery import intake
from bot.partnering.participants import PersonInfo
from bot.partnering.replies import ACCEPT
from bot.worker import Worker
from storage.db import Database
from storage.models import Delivery, Intake, Meeting, MeetingRequest, MeetingSeat
from tests.fake_slack import FakeSlack
from tests.partnering_helpers import RecordingNotifier, people, persona_id
from tests.slack_harness import SlackHttpApp

PAIRS = 10


def slack_people(assistant: Assistant, fake: FakeSlack, prefix: str, count: int) -> list[tuple[str, int]]:
    out = []
    for n in range(count):
        user = f"{prefix}{n:03d}"
        fake.add_user(user, real_name=f"Person {user}")
        out.append((user, assistant.identify(platform="slack", external_id=user,
                                             lookup=lambda u=user: PersonInfo(display_name=f"Person {u}"))))  # fmt: skip
    return out


def test_a_burst_of_accepts_and_double_clicks_over_http(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, assistant: Assistant
) -> None:
    askers = slack_people(assistant, fake_slack, "UR", PAIRS)
    invitees = slack_people(assistant, fake_slack, "UI", PAIRS)
    for (_, asker), (_, invitee) in zip(askers, invitees, strict=True):
        assistant.request_meeting(actor=asker, invitee=invitee, topic="ADC payload licensing")
    with assistant.db.transaction() as session:
        requests = dict(session.execute(select(MeetingRequest.invitee_id, MeetingRequest.id)).all())
    fake_slack.wait_for("chat.postMessage", count=PAIRS * 2, timeout=30)  # each invitee has the request to accept
    presses = [(user, str(requests[pid])) for user, pid in invitees] * 2  # everyone double-clicks
    presses.append((askers[0][0], str(requests[invitees[0][1]])))  # someone presses another's Accept
    before = len(fake_slack.calls("response_url"))
    with ThreadPoolExecutor(max_workers=len(presses)) as pool:
        statuses = list(pool.map(lambda p: slack_app.action(ACCEPT, p[1], user=p[0], in_dm=True).status, presses))
    assert statuses == [200] * len(presses)

    answers = [json.dumps(c.params) for c in fake_slack.wait_for("response_url", count=before + len(presses), timeout=30)]
    answers = answers[before:]
    assert sum("Accepted." in a for a in answers) == PAIRS
    assert sum("already accepted" in a for a in answers) == PAIRS
    assert sum("Only the person who was asked can accept" in a for a in answers) == 1
    with assistant.db.transaction() as session:
        booked = session.scalar(select(func.count()).select_from(Meeting).where(Meeting.status == "booked"))
        doubled = session.execute(
            select(MeetingSeat.participant_id, MeetingSeat.slot_id).where(MeetingSeat.active.is_(True))
            .group_by(MeetingSeat.participant_id, MeetingSeat.slot_id).having(func.count() > 1)
        ).all()  # fmt: skip
        pending = session.scalar(select(func.count()).select_from(Intake).where(Intake.status == "pending"))
        answered = session.execute(select(MeetingRequest.status, MeetingRequest.responded_at)).all()
    assert booked == PAIRS and doubled == [] and pending == 0
    assert answered == [("accepted", assistant.clock.now())] * PAIRS  # the batch's one UPDATE wrote every accept
    confirmed = fake_slack.wait_for("chat.postMessage", count=PAIRS * 2 + PAIRS * 2, timeout=30)  # requests + bookings
    booked_dms = [c for c in confirmed if "booked" in json.dumps(c.params).lower()]
    assert len({c.params["channel"] for c in booked_dms}) == PAIRS * 2


def test_a_press_left_by_a_dead_web_process_is_carried_out_by_the_worker(event_db: Database, clock: FixedClock) -> None:
    assistant = Assistant(db=event_db, clock=clock, send_now=True)  # no background sender racing the worker
    notifier = RecordingNotifier()
    assistant.add_notifier("console", notifier)
    asker, invitee = people(assistant, "Ada Berg", "Bjørn Lund")
    assistant.request_meeting(actor=asker, invitee=invitee, topic="TCR licensing")
    with assistant.db.transaction() as session:
        request_id = session.scalar(select(MeetingRequest.id))
    # The web process wrote the press down, answered Slack, and died before placing it.
    assistant.record_accept(platform="console", external_id=persona_id("Bjørn Lund"), request_id=request_id)
    worker = Worker(deliverer=assistant.deliverer, partnering=assistant.partnering, reminders=assistant.reminders, rate=None)
    notifier.clear()

    for _ in range(10):  # while the web process lives, its heartbeat keeps the press its own, however long
        clock.advance(seconds=3)
        assistant.holder.beat()
        clock.advance(seconds=3)
        worker.tick()
        with assistant.db.transaction() as session:
            assert session.scalar(select(MeetingRequest.status)) == "pending"

    clock.advance(seconds=6)  # no beat for longer than the lease (5 s): the process died
    worker.tick()
    with assistant.db.transaction() as session:
        assert session.scalar(select(MeetingRequest.status)) == "accepted"
        assert session.scalar(select(func.count()).select_from(Meeting)) == 1
        assert session.scalar(select(Intake.status)) == "done"
    assert any("booked" in text.lower() for text in notifier.texts("Ada Berg"))
    assert any("booked" in text.lower() for text in notifier.texts("Bjørn Lund"))
    worker.tick()  # carried out once
    with assistant.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Meeting)) == 1


def test_the_intake_writer_gives_its_connection_back_when_idle(
    db: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A press starts the writer thread; idle, it ends and holds no connection (on PostgreSQL every assistant
    otherwise kept one open for the life of the process), and the next press starts a new one."""
    monkeypatch.setattr(intake, "WRITER_IDLE", 0.05)
    log = intake.IntakeLog(db=db, clock=clock)
    first = log.record(kind="accept", platform="slack", external_id="U1", ref_id=1)
    writer = log._writer
    assert writer is not None
    writer.join(timeout=10)
    assert not writer.is_alive() and log._connection is None and log._writer is None
    second = log.record(kind="accept", platform="slack", external_id="U1", ref_id=2)
    assert second > first
    with db.transaction() as session:
        assert sorted(session.scalars(select(Intake.ref_id))) == [1, 2]


def test_the_heartbeat_passes_over_a_row_its_own_sender_is_writing_instead_of_waiting_for_it(
    event_db: Database, clock: FixedClock
) -> None:
    """The heartbeat renews every row its process holds. A row locked at that moment is being recorded by one of the
    process's own threads, which may be waiting for a row the heartbeat has locked: waiting for it was a deadlock
    (PostgreSQL broke it by failing the sender's record). The beat renews the rest and leaves that one."""
    if event_db.engine.dialect.name != "postgresql":
        pytest.skip("row locks taken by one transaction and skipped by another: PostgreSQL (SQLite has one writer)")
    assistant = Assistant(db=event_db, clock=clock)
    holder = assistant.holder
    ada, bo = people(assistant, "Ada Berg", "Bjørn Lund")
    soon = clock.now() + timedelta(seconds=1)
    with event_db.transaction(write=True) as session:
        session.execute(insert(Delivery), [
            {"participant_id": person, "kind": "meeting_confirmed", "ref_id": 1, "dedupe_key": f"held:{person}",
             "payload": {}, "due_at": clock.now(), "status": "sending", "attempts": 1, "claimed_until": soon,
             "claimed_by": f"{holder.name}/claim", "created_at": clock.now(), "detail": "", "platform_ref": ""}
            for person in (ada, bo)
        ])  # fmt: skip
        being_recorded, other = session.scalars(select(Delivery.id).order_by(Delivery.id)).all()
    sender = event_db.engine.connect()
    beat: list[int] = []
    try:
        sender.begin()
        sender.execute(select(Delivery.id).where(Delivery.id == being_recorded).with_for_update())  # its row, locked
        beating = threading.Thread(target=lambda: beat.append(holder.beat()), daemon=True)
        beating.start()
        beating.join(timeout=20)
        assert not beating.is_alive(), "the heartbeat waited for a row its own sender was writing"
    finally:
        sender.rollback()
        sender.close()

    assert beat == [1]
    with event_db.transaction() as session:
        until = dict(session.execute(select(Delivery.id, Delivery.claimed_until)).all())
    assert until[other] == holder.until() and until[being_recorded] == soon
