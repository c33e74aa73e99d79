"""Bursts of Accept presses placed together (bot.partnering.instant), in every door: one transaction for the
batch, the database still having the last word on conflicts."""

from __future__ import annotations

import json
import logging
import time
import types
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.partnering import instant, placement
from bot.partnering.instant import Press, carry_out
from handlers.teams import accept as teams_accept
from storage.db import Database
from storage.models import Delivery, Intake, Meeting, MeetingRequest, MeetingSeat, MeetingSlot
from tests.fake_teams import FakeBotConnector
from tests.partnering_helpers import RecordingNotifier, people
from tests.teams_harness import TeamsHttpApp, card_text


@pytest.fixture(scope="module")
def fake_teams():
    fake = FakeBotConnector()
    yield fake
    fake.close()


def ask(assistant: Assistant, pairs: list[tuple[int, int]]) -> list[int]:
    for requester, invitee in pairs:
        assistant.partnering.create_request(requester_id=requester, invitee_id=invitee, topic="ADC licensing")
    with assistant.db.transaction() as session:
        return list(session.scalars(select(MeetingRequest.id).order_by(MeetingRequest.id)))


def presses(assistant: Assistant, requests: list[int], actors: list[int]) -> list[Press]:
    return [
        Press(intake_id=assistant.record_accept(platform="console", external_id="x", request_id=r), request_id=r,
              resolve=lambda: None, actor=actor)
        for r, actor in zip(requests, actors, strict=True)
    ]  # fmt: skip


def booked(db: Database) -> list[tuple[int, int, int]]:
    """(request, slot, table) of every booked meeting."""
    with db.transaction() as session:
        return list(
            session.execute(select(Meeting.request_id, Meeting.slot_id, Meeting.table_id).where(Meeting.status == "booked"))
        )


def no_double_booking(db: Database) -> None:
    with db.transaction() as session:
        assert not session.execute(
            select(MeetingSeat.participant_id, MeetingSeat.slot_id).where(MeetingSeat.active.is_(True))
            .group_by(MeetingSeat.participant_id, MeetingSeat.slot_id).having(func.count() > 1)
        ).all()  # fmt: skip
        assert not session.execute(
            select(Meeting.slot_id, Meeting.table_id).where(Meeting.status == "booked")
            .group_by(Meeting.slot_id, Meeting.table_id).having(func.count() > 1)
        ).all()  # fmt: skip


def test_a_batch_with_one_person_in_several_requests_books_each_once_at_different_times(
    event_db: Database, clock: FixedClock
) -> None:
    assistant = Assistant(db=event_db, clock=clock, send_now=True)
    notifier = RecordingNotifier()
    assistant.add_notifier("console", notifier)
    ada, bjorn, carl, dina = people(assistant, "Ada Berg", "Bjørn Lund", "Carl Moe", "Dina Ali")
    requests = ask(assistant, [(ada, bjorn), (ada, carl), (dina, bjorn)])  # Ada twice, Bjørn twice
    batch = presses(assistant, requests, [bjorn, carl, bjorn])
    batch.append(presses(assistant, [requests[0]], [bjorn])[0])  # a double click in the same batch
    batch.append(presses(assistant, [requests[1]], [ada])[0])  # someone else's button
    notifier.clear()

    replies, again, produced = carry_out(assistant.partnering, batch)

    assert again == [] and len(produced) >= 6  # both people's "Meeting booked" for three meetings (+ reminders)
    texts = [replies[p.intake_id].text for p in batch]
    assert [t.startswith("Accepted.") for t in texts[:3]] == [True, True, True]
    assert "already accepted" in texts[3] and "Only the person who was asked" in texts[4]
    meetings = booked(event_db)
    assert sorted(r for r, _, _ in meetings) == requests
    slot_of = {r: s for r, s, _ in meetings}
    assert slot_of[requests[0]] != slot_of[requests[1]] and slot_of[requests[0]] != slot_of[requests[2]]
    no_double_booking(event_db)
    with event_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Intake).where(Intake.status == "pending")) == 0
        details = sorted(session.scalars(select(Intake.detail).where(Intake.detail.like("refused%"))))
        assert len(details) == 2  # each refused press's record says why, as its presser was told
        assert any("already accepted" in d for d in details) and any("Only the person who was asked" in d for d in details)
    assistant.sent(produced)
    for name in ("Ada Berg", "Bjørn Lund", "Carl Moe", "Dina Ali"):
        assert any("booked" in t.lower() for t in notifier.texts(name)), name


def test_the_database_has_the_last_word_when_a_place_was_taken_meanwhile(
    event_db: Database, clock: FixedClock, monkeypatch, caplog
) -> None:
    """The batch plans from what it read; if another process booked a table or person since, the batch's insert is
    refused by the unique indexes and each request is placed again on its own, from what the database holds."""
    assistant = Assistant(db=event_db, clock=clock, send_now=True)
    ada, bjorn, carl, dina, erik, frida = people(assistant, "Ada Berg", "Bjørn Lund", "Carl Moe", "Dina Ali",
                                                 "Erik Dahl", "Frida Holm")  # fmt: skip
    first, *rest = ask(assistant, [(ada, bjorn), (carl, dina), (erik, frida)])
    assistant.accept(actor=bjorn, request_id=first)  # "another process": the earliest slot's first table is taken
    taken = booked(event_db)
    # The batch reads a floor on which that table is still free (as if it read just before the other commit).
    stale = types.SimpleNamespace(**{name: getattr(placement, name) for name in dir(placement) if not name.startswith("_")})
    stale.used_tables = lambda session, slot_ids: {slot_id: set() for slot_id in slot_ids}
    stale.booked_counts = lambda session, slot_ids: {}
    monkeypatch.setattr(instant, "placement", stale)

    with caplog.at_level(logging.INFO, logger="bot.partnering.instant"):
        replies, again, _ = carry_out(assistant.partnering, presses(assistant, rest, [dina, frida]))

    assert "met a concurrent booking" in caplog.text  # the unique index refused the batch's insert

    assert again == [] and all(r.text.startswith("Accepted.") for r in replies.values())
    meetings = booked(event_db)
    assert len(meetings) == 3 and taken[0] in meetings
    no_double_booking(event_db)


def test_a_lone_press_that_meets_a_place_taken_outside_the_floor_lock_is_placed_again(
    event_db: Database, clock: FixedClock, monkeypatch
) -> None:
    """A lone press books without a savepoint (its transaction holds the floor: no other placement races it). A
    scheduling run does not take the floor lock, so a place it took meanwhile ends the press's transaction, which
    is handed back and carried out again on its own, retried in place: booked at the next free table."""
    assistant = Assistant(db=event_db, clock=clock, send_now=True)
    ada, bjorn, carl, dina = people(assistant, "Ada Berg", "Bjørn Lund", "Carl Moe", "Dina Ali")
    first, second = ask(assistant, [(ada, bjorn), (carl, dina)])
    assistant.accept(actor=bjorn, request_id=first)  # as if a scheduling run had booked it a moment ago
    [(_, _, taken_table)] = booked(event_db)
    real = placement.first_free_table
    stale_once = []

    def stale_first_free_table(session, *, event, candidate):
        table = real(session, event=event, candidate=candidate)
        if not stale_once:  # the first read still sees the table the run just took
            stale_once.append(table)
            return session.get(type(table), taken_table)
        return table

    monkeypatch.setattr(placement, "first_free_table", stale_first_free_table)
    [press] = presses(assistant, [second], [dina])

    replies, again, produced = carry_out(assistant.partnering, [press])
    assert (replies, again, produced) == ({}, [press], [])  # refused whole: nothing of it was kept
    with event_db.transaction() as session:
        assert session.scalar(select(Intake.status).where(Intake.id == press.intake_id)) == "pending"
    assert len(booked(event_db)) == 1

    stale_once.clear()  # the retry reads the same stale table first, and tries again in place
    replies, again, _ = carry_out(assistant.partnering, [press], retry_in_place=True)
    assert again == [] and replies[press.intake_id].text.startswith("Accepted.")
    assert len(booked(event_db)) == 2
    no_double_booking(event_db)


def test_a_teams_burst_of_accepts_each_gets_its_booked_card(
    event_db: Database, clock: FixedClock, fake_teams, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What every answer shows, not how fast this machine is: a loaded CI machine once took longer than Teams' 3 s
    # for one of the 16 invokes (its card then says "placing your meeting now" and the booking follows as a message).
    monkeypatch.setattr(teams_accept, "TEAMS_WAIT", 30.0)
    monkeypatch.setattr(teams_accept, "ANSWERED_WITHIN", 60.0)
    assistant = Assistant(db=event_db, clock=clock)
    app = TeamsHttpApp(assistant, fake_teams)
    try:
        askers = [app.person(f"Asker {n}") for n in range(8)]
        invitees = [app.person(f"Invitee {n}") for n in range(8)]
        for person in askers + invitees:
            assert person.say("help").status == 200
        ids = [assistant.participants.known(platform="teams", external_id=p.aad) for p in askers + invitees]
        requests = ask(assistant, list(zip(ids[:8], ids[8:], strict=True)))
        buttons = [{"data": {"action": "request_accept", "value": str(r)}, "verb": "request_accept"} for r in requests]
        with ThreadPoolExecutor(max_workers=16) as pool:  # every card pressed twice at once (a double click)
            pressed = list(zip(invitees, buttons, strict=True)) * 2
            answers = list(pool.map(lambda pair: pair[0].press(pair[1]).json(), pressed))
        assert all(a["statusCode"] == 200 for a in answers)
        # Both answers to a double click show the booking with its calendar link (whichever arrives last stays on
        # the card); it is the invitee's confirmation: their own "Meeting booked" is not sent.
        assert all("Accepted." in card_text(a["value"]) and "Add to calendar" in json.dumps(a) for a in answers)
        assert len(booked(event_db)) == 8
        no_double_booking(event_db)
        # Accept pressed again later shows the booking again, and books nothing more.
        again = invitees[0].press(buttons[0]).json()
        assert "Accepted." in card_text(again["value"]) and "Add to calendar" in json.dumps(again)
        assert len(booked(event_db)) == 8

        def sent() -> int:
            with event_db.transaction() as session:
                return session.scalar(
                    select(func.count())
                    .select_from(Delivery)
                    .where(Delivery.kind == "meeting_confirmed", Delivery.status == "sent")
                )

        deadline = time.monotonic() + 20
        while sent() < 16 and time.monotonic() < deadline:
            time.sleep(0.05)  # this process sends both people's "Meeting booked" in the background: a bounded poll
        assert sent() == 16
        for person in askers:
            assert ["Meeting booked" in a.get("text", "") for a in person.messages()].count(True) == 1
        for person in invitees:
            assert not [a for a in person.messages() if "Meeting booked" in a.get("text", "")]
    finally:
        app.close()


def test_a_web_process_sends_only_what_it_produced(event_db: Database, clock: FixedClock) -> None:
    """Another process's due messages stay where they are: the worker (or that process) sends them."""
    assistant = Assistant(db=event_db, clock=clock)  # a web process: sends in the background
    notifier = RecordingNotifier()
    assistant.add_notifier("console", notifier)
    ada, bjorn, carl = people(assistant, "Ada Berg", "Bjørn Lund", "Carl Moe")
    other = Assistant(db=event_db, clock=clock)  # another process, whose sender is not running
    with other.producing():
        other.partnering.create_request(requester_id=ada, invitee_id=carl, topic="Someone else's")
    reply = assistant.request_meeting(actor=ada, invitee=bjorn, topic="Mine")
    assert "Bjørn Lund" in reply.text
    assistant.placer.wait_idle()
    deadline = time.monotonic() + 10
    while len(notifier.sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)  # the background sender is a real thread: a bounded poll
    assert sorted(s.name for s in notifier.sent) == ["Ada Berg", "Bjørn Lund"]
    with event_db.transaction() as session:
        waiting = session.scalars(select(Delivery.participant_id).where(Delivery.status == "pending")).all()
    assert sorted(waiting) == sorted([ada, carl])  # the other process's two messages: still the worker's to send


def test_button_presses_go_through_the_burst_path_in_the_console(event_db: Database, clock: FixedClock) -> None:
    assistant = Assistant(db=event_db, clock=clock, send_now=True)
    ada, bjorn = people(assistant, "Ada Berg", "Bjørn Lund")
    (request,) = ask(assistant, [(ada, bjorn)])
    reply = assistant.press(actor=bjorn, external_id="bjorn-lund", action="request_accept", value=str(request))
    assert reply.text.startswith("Accepted.")
    with event_db.transaction() as session:
        assert session.scalar(select(Intake.detail)) == "accepted"  # recorded first, like every door's press


def set_rules(db: Database, **rules) -> None:
    from storage.models import Event

    with db.transaction(write=True) as session:
        event = session.scalars(select(Event)).one()
        event.partnering_rules = {**(event.partnering_rules or {}), **rules}


def test_a_batch_on_a_scheduled_event_holds_every_accept_for_the_run(event_db: Database, clock: FixedClock) -> None:
    """placement: scheduled holds accepts until the scheduling run, whether a press comes alone or in a burst."""
    set_rules(event_db, placement="scheduled")
    assistant = Assistant(db=event_db, clock=clock, send_now=True)
    ada, bjorn, carl, dina = people(assistant, "Ada Berg", "Bjørn Lund", "Carl Moe", "Dina Ali")
    requests = ask(assistant, [(ada, bjorn), (carl, dina)])
    replies, again, _ = carry_out(assistant.partnering, presses(assistant, requests, [bjorn, dina]))
    assert again == [] and booked(event_db) == []
    with event_db.transaction() as session:
        assert set(session.scalars(select(MeetingRequest.status))) == {"accepted"}
    for reply in replies.values():
        assert reply.text.startswith("Accepted") and "when the organisers run the schedule" in reply.text


def test_a_batch_keeps_the_organisers_rules(event_db: Database, clock: FixedClock) -> None:
    """max_per_day: 1 holds inside one burst too: Ada's two accepted requests get two different days."""
    set_rules(event_db, max_per_day=1)
    assistant = Assistant(db=event_db, clock=clock, send_now=True)
    ada, bjorn, carl = people(assistant, "Ada Berg", "Bjørn Lund", "Carl Moe")
    requests = ask(assistant, [(bjorn, ada), (carl, ada)])
    carry_out(assistant.partnering, presses(assistant, requests, [ada, ada]))
    with event_db.transaction() as session:
        starts = session.scalars(select(MeetingSlot.starts_at).join(Meeting, Meeting.slot_id == MeetingSlot.id)
                                 .where(Meeting.status == "booked")).all()  # fmt: skip
    zone = ZoneInfo("Europe/Oslo")
    days = [s.astimezone(zone).date() for s in starts]
    assert len(days) == len(set(days)), f"two meetings on one day for Ada: {days}"
    no_double_booking(event_db)


def test_a_lone_press_leaves_a_table_that_still_hosts_a_meeting_in_a_retired_slot_at_that_time(
    event_db: Database, clock: FixedClock
) -> None:
    """A reloaded event file retired the slot of a booked meeting and added one that overlaps it: the table is still
    taken at that time, so a lone press (placement.place, which asks the database for the first free table) is
    given another table in the new slot."""
    assistant = Assistant(db=event_db, clock=clock, send_now=True)
    ada, bjorn, carl, dina = people(assistant, "Ada Berg", "Bjørn Lund", "Carl Moe", "Dina Ali")
    first, second = ask(assistant, [(ada, bjorn), (carl, dina)])
    assistant.accept(actor=bjorn, request_id=first)
    [(_, old_slot, table)] = booked(event_db)
    with event_db.transaction(write=True) as session:
        slot = session.get(MeetingSlot, old_slot)
        slot.active = False
        session.add(MeetingSlot(block_id=slot.block_id, starts_at=slot.starts_at + timedelta(minutes=15),
                                ends_at=slot.ends_at + timedelta(minutes=15), active=True))  # fmt: skip
        session.flush()
        earlier = session.scalar(
            select(func.count()).select_from(MeetingSlot)
            .where(MeetingSlot.active.is_(True), MeetingSlot.starts_at < slot.starts_at + timedelta(minutes=15))
        )  # fmt: skip
        assert earlier == 0  # the new slot is the earliest one left

    replies, again, _ = carry_out(assistant.partnering, presses(assistant, [second], [dina]))

    assert again == [] and next(iter(replies.values())).text.startswith("Accepted.")
    [(_, new_slot, new_table)] = [m for m in booked(event_db) if m[0] == second]
    assert new_slot != old_slot and new_table != table
    no_double_booking(event_db)
