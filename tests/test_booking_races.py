"""Accepts racing for the same table or the same person: the database has the last word.

Each thread has its own :class:`storage.db.Database` on the same URL (as separate web
processes would), and a barrier starts them together. Runs on SQLite, and on PostgreSQL
when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.event_setup import DEFAULT_EVENT_FILE, load_event_file
from bot.partnering.instant import Press, carry_out
from bot.partnering.placement import FLOOR_LOCK, hold_floor
from bot.replies import Reply
from storage.db import Database
from storage.models import Event, Meeting, MeetingRequest, MeetingSeat, MeetingSlot, MeetingTable
from tests.partnering_helpers import RecordingNotifier, people, tiny_event_file

PAIRS = 6


def race(database_url: str, clock: FixedClock, notifier: RecordingNotifier, moves: list[Callable[[Assistant], Reply]]):
    """Run each move in its own thread, with its own Database and Assistant, all released at once."""
    barrier = threading.Barrier(len(moves))
    replies: list[Reply | None] = [None] * len(moves)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        db = Database(database_url)
        try:
            assistant = Assistant(db=db, clock=clock, send_now=True)
            assistant.add_notifier("console", notifier)
            barrier.wait(timeout=30)
            replies[index] = moves[index](assistant)
        except BaseException as error:  # reported by the test below, not lost in the thread
            errors.append(error)
        finally:
            db.dispose()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(moves))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racing accept never finished"
    assert not errors, errors
    return replies


def double_bookings(db: Database) -> tuple[list, list]:
    """(slot, table) pairs with two booked meetings, and (person, slot) pairs with two active seats."""
    with db.transaction() as session:
        tables = session.execute(
            select(Meeting.slot_id, Meeting.table_id)
            .where(Meeting.status == "booked")
            .group_by(Meeting.slot_id, Meeting.table_id)
            .having(func.count() > 1)
        ).all()
        people_ = session.execute(
            select(MeetingSeat.participant_id, MeetingSeat.slot_id)
            .where(MeetingSeat.active.is_(True))
            .group_by(MeetingSeat.participant_id, MeetingSeat.slot_id)
            .having(func.count() > 1)
        ).all()
    return tables, people_


def booked_requests(db: Database) -> list[int]:
    with db.transaction() as session:
        return list(session.scalars(select(Meeting.request_id).where(Meeting.status == "booked")))


@pytest.fixture
def one_table_db(db: Database, clock: FixedClock, tmp_path: Path) -> Database:
    """An event with one slot (3 Dec 11:00–11:30) and one table."""
    load_event_file(db, tiny_event_file(tmp_path, tables=1, slots=1), clock=clock)
    return db


def test_parallel_accepts_for_the_last_table_book_exactly_one(
    one_table_db: Database, database_url: str, clock: FixedClock
) -> None:
    notifier = RecordingNotifier()
    setup = Assistant(db=one_table_db, clock=clock)
    names = [f"{side} {n}" for n in range(PAIRS) for side in ("Asker", "Guest")]
    ids = dict(zip(names, people(setup, *names), strict=True))
    requests = {
        n: setup.partnering.create_request(
            requester_id=ids[f"Asker {n}"], invitee_id=ids[f"Guest {n}"], topic=f"Deal {n}"
        ).id
        for n in range(PAIRS)
    }

    replies = race(
        database_url,
        clock,
        notifier,
        [lambda a, n=n: a.accept(actor=ids[f"Guest {n}"], request_id=requests[n]) for n in range(PAIRS)],
    )

    booked = [n for n, reply in enumerate(replies) if reply.text.startswith("Accepted.")]
    told_no_slot = [n for n, reply in enumerate(replies) if reply.text.startswith("Accepted, but there is no slot")]
    assert len(booked) == 1, [reply.text for reply in replies]
    assert sorted(booked + told_no_slot) == list(range(PAIRS))
    [winner] = booked
    assert "Thu 3 Dec 11:00–11:30 CET at Table 1, Lounge, Small Hall" in replies[winner].text

    assert booked_requests(one_table_db) == [requests[winner]]
    assert double_bookings(one_table_db) == ([], [])
    with one_table_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(MeetingSeat)) == 2
        statuses = set(session.scalars(select(MeetingRequest.status)))
    assert statuses == {"accepted"}

    Assistant(db=one_table_db, clock=clock, notifiers={"console": notifier}, send_now=True).sent()
    for n in range(PAIRS):
        for side in ("Asker", "Guest"):
            texts = notifier.texts(f"{side} {n}")
            outcomes = [t for t in texts if t.startswith("Meeting booked with") or "but there is no slot" in t]
            assert len(outcomes) == 1, (n, side, texts)
            assert outcomes[0].startswith("Meeting booked with") == (n == winner), (n, side, texts)


def test_one_person_accepting_many_invitations_at_once_is_never_in_two_places(
    db: Database, database_url: str, clock: FixedClock
) -> None:
    load_event_file(db, DEFAULT_EVENT_FILE, clock=clock)
    notifier = RecordingNotifier()
    setup = Assistant(db=db, clock=clock)
    [host] = people(setup, "Popular Host")
    askers = people(setup, *[f"Asker {n}" for n in range(PAIRS)])
    requests = [
        setup.partnering.create_request(requester_id=asker, invitee_id=host, topic=f"Deal {n}").id
        for n, asker in enumerate(askers)
    ]

    replies = race(
        database_url,
        clock,
        notifier,
        [lambda a, request_id=request_id: a.accept(actor=host, request_id=request_id) for request_id in requests],
    )

    assert all(reply.text.startswith("Accepted.") for reply in replies), [reply.text for reply in replies]
    assert double_bookings(db) == ([], [])
    with db.transaction() as session:
        host_slots = session.execute(
            select(MeetingSlot.starts_at)
            .join(MeetingSeat, MeetingSeat.slot_id == MeetingSlot.id)
            .where(MeetingSeat.participant_id == host, MeetingSeat.active.is_(True))
            .order_by(MeetingSlot.starts_at)
        ).scalars()
        host_slots = list(host_slots)
    assert len(host_slots) == len(set(host_slots)) == PAIRS
    assert sorted(booked_requests(db)) == sorted(requests)
    # Nobody is pushed further than needed: the host's meetings fill the first slots in order.
    with db.transaction() as session:
        first_slots = list(session.scalars(select(MeetingSlot.starts_at).order_by(MeetingSlot.starts_at).limit(PAIRS)))
    assert host_slots == first_slots


def test_the_database_refuses_a_direct_double_booking(one_table_db: Database, clock: FixedClock) -> None:
    setup = Assistant(db=one_table_db, clock=clock)
    ann, bo, cai, dag = people(setup, "Ann", "Bo", "Cai", "Dag")
    first = setup.partnering.create_request(requester_id=ann, invitee_id=bo, topic="One").id
    second = setup.partnering.create_request(requester_id=cai, invitee_id=dag, topic="Two").id
    with one_table_db.transaction() as session:
        event_id = session.scalar(select(Event.id))
        slot_id = session.scalar(select(MeetingSlot.id))
        table_id = session.scalar(select(MeetingTable.id))

    def add_meeting(request_id: int, status: str = "booked") -> int:
        with one_table_db.transaction() as session:
            meeting = Meeting(
                event_id=event_id, request_id=request_id, slot_id=slot_id, table_id=table_id, status=status,
                ics_uid=f"uid-{request_id}", sequence=0, created_at=clock.now(),
            )  # fmt: skip
            session.add(meeting)
            session.flush()
            return meeting.id

    def add_seat(meeting_id: int, *, active: bool = True) -> None:
        with one_table_db.transaction() as session:
            session.add(MeetingSeat(meeting_id=meeting_id, participant_id=ann, slot_id=slot_id, active=active))

    booked = add_meeting(first)
    with pytest.raises(IntegrityError):
        add_meeting(second)  # same slot, same table
    cancelled = add_meeting(second, status="cancelled")  # a cancelled meeting there is history, not a booking
    add_seat(booked)
    with pytest.raises(IntegrityError):
        add_seat(cancelled)  # Ann twice in the same slot
    add_seat(cancelled, active=False)

    with one_table_db.transaction() as session:
        rows = session.execute(select(Meeting.request_id, Meeting.status).order_by(Meeting.id)).all()
        seats = session.execute(select(MeetingSeat.meeting_id, MeetingSeat.active).order_by(MeetingSeat.id)).all()
    assert rows == [(first, "booked"), (second, "cancelled")]
    assert seats == [(booked, True), (cancelled, False)]


def test_two_processes_placing_at_once_take_turns_instead_of_colliding(
    db: Database, database_url: str, clock: FixedClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two web processes each place their own presses (bot.partnering.instant). On PostgreSQL both would read the
    same free floor and pick the same table, and the later batch would be refused whole and placed again one by
    one; instead the second waits on the floor lock and reads the floor after the first has committed."""
    if db.is_sqlite:
        pytest.skip("on SQLite every write transaction holds the one write lock already")
    load_event_file(db, tiny_event_file(tmp_path, tables=3, slots=1), clock=clock)
    setup = Assistant(db=db, clock=clock)
    names = [f"{side} {x}" for x in "ABC" for side in ("Asker", "Guest")]
    ids = dict(zip(names, people(setup, *names), strict=True))
    first, *batch = [setup.partnering.create_request(requester_id=ids[f"Asker {x}"], invitee_id=ids[f"Guest {x}"],
                                                     topic=f"Deal {x}").id for x in "ABC"]  # fmt: skip
    other = Database(database_url)  # the second web process
    try:
        second = Assistant(db=other, clock=clock)
        presses = [Press(intake_id=second.record_accept(platform="console", external_id=x, request_id=request_id),
                         request_id=request_id, resolve=lambda: None, actor=ids[f"Guest {x}"])
                   for x, request_id in zip("BC", batch, strict=True)]  # fmt: skip
        outcome: list = []
        caplog.set_level(logging.INFO, logger="bot.partnering.instant")
        with db.transaction(write=True) as session:  # the first process, placing
            hold_floor(session)
            placing = threading.Thread(target=lambda: outcome.append(carry_out(second.partnering, presses)))
            placing.start()
            deadline = time.monotonic() + 30
            while not _waiting_for_the_floor(other):
                placing.join(timeout=0.01)
                assert placing.is_alive(), "the second batch did not wait for the first"
                assert time.monotonic() < deadline, "the second batch is stuck on something else"
            event = session.scalars(select(Event)).one()
            setup.partnering.accept_in(session, event=event, request_id=first, actor_id=ids["Guest A"], intake_id=None,
                                       now=clock.now())  # fmt: skip
        placing.join(timeout=60)
    finally:
        other.dispose()

    [(replies, again, _)] = outcome
    assert again == [] and all(r.text.startswith("Accepted.") for r in replies.values()), replies
    assert "met a concurrent booking" not in caplog.text  # read the floor after the first: nothing to redo
    assert sorted(booked_requests(db)) == sorted([first, *batch])
    assert double_bookings(db) == ([], [])


def _waiting_for_the_floor(db: Database) -> bool:
    """Someone in this database waits for the floor lock (a bigint advisory key: its high and low 32 bits)."""
    with db.lookup() as session:
        return bool(session.scalar(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid::bigint = :high AND objid::bigint = :low"
        ), {"high": FLOOR_LOCK >> 32, "low": FLOOR_LOCK & 0xFFFFFFFF}))  # fmt: skip


def test_a_batch_does_not_wait_for_ever_behind_a_stuck_placement(
    db: Database, database_url: str, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction that holds the floor and hangs (a stuck process) stalls others' presses FLOOR_WAIT at most:
    then the batch is handed back, nothing of it kept, to be tried again (and by the worker, if need be)."""
    if db.is_sqlite:
        pytest.skip("the floor lock is PostgreSQL's")
    monkeypatch.setattr("bot.partnering.placement.FLOOR_WAIT", 0.2)
    load_event_file(db, tiny_event_file(tmp_path, tables=1, slots=1), clock=clock)
    setup = Assistant(db=db, clock=clock)
    asker, guest = people(setup, "Asker", "Guest")
    request_id = setup.partnering.create_request(requester_id=asker, invitee_id=guest, topic="Deal").id
    [press] = [Press(intake_id=setup.record_accept(platform="console", external_id="g", request_id=request_id),
                     request_id=request_id, resolve=lambda: None, actor=guest)]  # fmt: skip
    other = Database(database_url)
    try:
        with other.transaction(write=True) as stuck:
            hold_floor(stuck)
            replies, again, produced = carry_out(setup.partnering, [press])
        assert (replies, again, produced) == ({}, [press], [])
        replies, again, _ = carry_out(setup.partnering, [press])  # the holder is gone: placed
    finally:
        other.dispose()
    assert again == [] and replies[press.intake_id].text.startswith("Accepted.")
    assert booked_requests(db) == [request_id]
