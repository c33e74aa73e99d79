"""Sending a burst of confirmations: messages side by side, files after them, and a sender that dies midway.

Against the fake Slack Web API with the real SlackNotifier: what each person receives, and what the outbox holds.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import select, update

from bot.assistant import Assistant
from bot.delivery import outbox
from bot.delivery.outbox import Deliverer
from bot.messages import RENDERERS
from bot.partnering.participants import PersonInfo
from handlers.slack.notifier import SlackNotifier
from storage.models import Delivery
from tests.conftest import oslo
from tests.fake_slack import FakeSlack


def _slack_people(assistant: Assistant, *users: str) -> list[int]:
    return [
        assistant.identify(platform="slack", external_id=u, lookup=lambda u=u: PersonInfo(display_name=f"Person {u}"))
        for u in users
    ]


def _meetings(assistant: Assistant, pairs: int) -> list[str]:
    """``pairs`` accepted requests, each placed into a meeting; the Slack user IDs of everyone involved."""
    users = [f"U{n:04d}" for n in range(2 * pairs)]
    ids = _slack_people(assistant, *users)
    for n in range(pairs):
        request = assistant.partnering.create_request(requester_id=ids[2 * n], invitee_id=ids[2 * n + 1], topic="TCR")
        assert assistant.partnering.accept(request_id=request.id, actor_id=ids[2 * n + 1]).meeting is not None
    return users


def _sender(event_db, clock, fake: FakeSlack, *, threads: int = 8) -> Deliverer:
    return Deliverer(db=event_db, clock=clock, renderers=RENDERERS, send_threads=threads,
                     notifiers={"slack": SlackNotifier(WebClient(token="xoxb-test", base_url=fake.url))})  # fmt: skip


def _booked(fake: FakeSlack) -> list:
    return [c for c in fake.calls("chat.postMessage") if c.ok and "Meeting booked" in json.dumps(c.params)]


def _statuses(event_db) -> dict[str, int]:
    with event_db.transaction() as session:
        rows = session.scalars(select(Delivery.status).where(Delivery.kind == "meeting_confirmed")).all()
    return {status: rows.count(status) for status in set(rows)}


@pytest.fixture
def web(event_db, clock) -> Assistant:
    clock.set(oslo(3, 8, 0))
    return Assistant(db=event_db, clock=clock)  # a web process: it queues, a Deliverer here sends


def test_every_confirmation_goes_out_before_any_calendar_file(web, event_db, clock, fake_slack) -> None:
    users = _meetings(web, 6)
    report = _sender(event_db, clock, fake_slack).run_once(limit=100)
    assert report.sent >= 12 and report.failed == 0
    booked = _booked(fake_slack)
    assert sorted(c.params["channel"] for c in booked) == sorted(users)  # each person once
    uploads = fake_slack.calls("files.completeUploadExternal")
    assert len(uploads) == 12
    assert max(c.at for c in booked) <= min(c.at for c in uploads)
    # each file lands in the conversation its message went to
    assert {c.params["channel_id"] for c in uploads} == {c.response["channel"] for c in booked}
    assert _statuses(event_db) == {"sent": 12}


def test_a_sender_that_dies_before_recording_what_slack_took_sends_nothing_twice(
    web, event_db, clock, fake_slack, monkeypatch
) -> None:
    users = _meetings(web, 3)
    dying = _sender(event_db, clock, fake_slack)

    def killed(jobs) -> None:
        raise SystemExit("killed after Slack answered, before the outbox was written")

    monkeypatch.setattr(dying, "_record", killed)
    with pytest.raises(SystemExit):
        dying.run_once(limit=100)
    first = {c.params["channel"]: c.response["channel"] + "/" + c.response["ts"] for c in _booked(fake_slack)}
    assert sorted(first) == sorted(users)
    assert fake_slack.calls("files.completeUploadExternal") == []
    assert _statuses(event_db) == {"sending": 6}
    sent_before = len(fake_slack.calls("chat.postMessage"))

    clock.set(clock.now() + timedelta(minutes=6))  # its claim runs out; the next sender reclaims the rows
    report = _sender(event_db, clock, fake_slack).run_once(limit=100)
    assert report.failed == report.retried == 0
    assert len(_booked(fake_slack)) == 6, "someone got their confirmation twice"
    assert len(fake_slack.calls("chat.postMessage")) == sent_before  # nor the requests' notices
    assert len(fake_slack.calls("files.completeUploadExternal")) == 6  # the files it never sent, once each
    with event_db.transaction() as session:
        refs = session.scalars(select(Delivery.platform_ref).where(Delivery.kind == "meeting_confirmed")).all()
    assert sorted(refs) == sorted(first.values())  # the messages Slack took, so later updates edit them
    assert _statuses(event_db) == {"sent": 6}


def test_a_retry_asks_slack_first_and_sends_what_never_arrived(web, event_db, clock, fake_slack) -> None:
    _meetings(web, 2)
    fake_slack.fail_next("chat.postMessage", error="fatal_error", status=500, times=1)
    first = _sender(event_db, clock, fake_slack, threads=1).run_once(limit=100)
    assert first.retried == 1
    assert fake_slack.calls("conversations.history") == []  # a first try does not look
    clock.set(clock.now() + timedelta(minutes=1))
    again = _sender(event_db, clock, fake_slack, threads=1).run_once(limit=100)
    assert again.sent == 1 and again.retried == 0
    assert len(fake_slack.calls("conversations.history")) == 1  # the retry looked first, found nothing, sent
    delivered = [c for c in fake_slack.calls("chat.postMessage") if c.ok]
    assert len(delivered) == first.sent + again.sent  # one message per row, none twice
    with event_db.transaction() as session:
        left = session.scalars(
            select(Delivery.status).where(Delivery.status.in_(("pending", "sending")), Delivery.due_at <= clock.now())
        ).all()
    assert left == []


def test_a_message_that_cannot_be_written_fails_alone(web, event_db, clock, fake_slack) -> None:
    users = _meetings(web, 3)
    sender = _sender(event_db, clock, fake_slack)
    renderers = dict(RENDERERS)
    broken_for = web.participants.known(platform="slack", external_id=users[0])

    def meeting_confirmed(session, delivery, person, now):
        if person.id == broken_for:
            raise KeyError("a bug in one message")
        return RENDERERS["meeting_confirmed"](session, delivery, person, now)

    renderers["meeting_confirmed"] = meeting_confirmed
    sender.renderers = renderers
    report = sender.run_once(limit=100)
    assert report.failed == 1
    assert sorted(c.params["channel"] for c in _booked(fake_slack)) == sorted(users[1:])
    with event_db.transaction() as session:
        broken = session.execute(
            select(Delivery.status, Delivery.detail).where(Delivery.participant_id == broken_for,
                                                           Delivery.kind == "meeting_confirmed")
        ).one()  # fmt: skip
    assert broken == ("failed", "could not be written: KeyError")
    assert _statuses(event_db) == {"sent": 5, "failed": 1}


def test_whoever_has_heard_nothing_yet_is_told_first(web, event_db, clock, fake_slack) -> None:
    users = _meetings(web, 5)  # U0000 asked U0001, U0002 asked U0003, ...; each invitee accepted
    _sender(event_db, clock, fake_slack).run_once(limit=100)
    order = [c.params["channel"] for c in _booked(fake_slack)]
    requesters, accepters = set(users[0::2]), set(users[1::2])
    assert set(order[:5]) == requesters  # they learn of the meeting only from this message
    assert set(order[5:]) == accepters  # they saw "Meeting booked" where they pressed Accept


def test_a_batch_whose_send_fails_midway_is_given_back_for_any_sender(web, event_db, clock, fake_slack) -> None:
    """A database error while rendering (or a bug) in a web process's background send: its rows used to stay
    claimed, renewed by the process's heartbeat for as long as it lived, and nobody was told."""
    _meetings(web, 2)
    with event_db.transaction() as session:
        ids = list(session.scalars(select(Delivery.id).where(Delivery.kind == "meeting_confirmed")))
    sender = _sender(event_db, clock, fake_slack)

    def database_gone(session, deliveries):
        raise RuntimeError("server closed the connection unexpectedly")

    sender.prefetch = database_gone
    sender.kick(ids)
    deadline = time.monotonic() + 10
    while sender.sending() and time.monotonic() < deadline:
        time.sleep(0.01)  # the background send: a bounded poll
    assert not sender.sending()
    assert _statuses(event_db) == {"pending": 4} and _booked(fake_slack) == []
    clock.set(clock.now() + timedelta(seconds=16))  # due again in a moment, for any sender
    report = _sender(event_db, clock, fake_slack).run_once(limit=100)
    assert report.sent >= 4 and _statuses(event_db) == {"sent": 4}
    assert len(_booked(fake_slack)) == 4


def test_a_notifier_that_raises_for_one_person_fails_that_message_alone(web, event_db, clock, fake_slack) -> None:
    """A bug in sending one message (not a platform's refusal): with 8 sending threads the others went out and were
    then given back and sent again every 15 s, for ever. Now the one is retried and counted like any failure."""
    users = _meetings(web, 4)
    sender = _sender(event_db, clock, fake_slack, threads=4)
    notifier = sender.notifiers["slack"]
    broken = users[2]
    real_send = notifier.send_tagged

    def send_tagged(recipient, reply, *, key):
        if recipient.external_id == broken:
            raise KeyError("a bug for one person")
        return real_send(recipient, reply, key=key)

    notifier.send_tagged = send_tagged
    for _ in range(8):  # more rounds than MAX_ATTEMPTS, each once its retry is due
        sender.run_once(limit=100)
        clock.set(clock.now() + timedelta(minutes=10))
    booked = sorted(c.params["channel"] for c in _booked(fake_slack))
    assert booked == sorted(u for u in users if u != broken)  # everyone else once, nobody twice
    assert _statuses(event_db) == {"sent": 7, "failed": 1}


def test_calendar_files_wait_while_another_process_is_still_sending_confirmations(
    web, event_db, clock, fake_slack, monkeypatch
) -> None:
    """Two web processes share a burst: the first to finish its messages holds its calendar files (three API calls
    each) back until the other's "Meeting booked" messages are out, so nobody waits for a confirmation behind files."""
    monkeypatch.setattr(outbox, "FILES_WAIT", 60.0)  # the ordering, not the time limit, is what this checks
    _meetings(web, 3)
    with event_db.transaction() as session:
        ids = session.scalars(select(Delivery.id).where(Delivery.kind == "meeting_confirmed").order_by(Delivery.id)).all()
    first, other = _sender(event_db, clock, fake_slack), _sender(event_db, clock, fake_slack)
    first.name, other.name = "web_1:17", "web%2:18"  # names with LIKE's wildcards in them
    first.kick(ids[:-1])  # the other process's share (the last row) is still being placed: not claimed yet
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(_booked(fake_slack)) < len(ids) - 1:
        time.sleep(0.01)
    assert len(_booked(fake_slack)) == len(ids) - 1  # the first process's messages are out
    assert first.confirmations_waiting() and first.sending()
    assert fake_slack.calls("files.completeUploadExternal") == []  # and its files wait

    assert other.run_once(limit=10, ids=[ids[-1]]).sent == 1  # the other process sends its message and its file
    while time.monotonic() < deadline and first.sending():
        time.sleep(0.01)
    uploads = fake_slack.calls("files.completeUploadExternal")
    assert len(uploads) == len(ids)
    assert max(c.at for c in _booked(fake_slack)) <= min(c.at for c in uploads)  # every message before any file
    assert not first.confirmations_waiting() and _statuses(event_db) == {"sent": len(ids)}


def test_a_confirmation_counts_as_waiting_for_other_processes_until_its_message_is_out(web, event_db, clock,
                                                                                      fake_slack) -> None:  # fmt: skip
    _meetings(web, 1)
    first, other = _sender(event_db, clock, fake_slack), _sender(event_db, clock, fake_slack)
    first.name, other.name = "web1:17", "web%"  # unescaped, the other's name would match the first's claims
    assert first.confirmations_waiting() and other.confirmations_waiting()  # due, claimed by nobody
    with event_db.transaction() as session:
        ids = session.scalars(select(Delivery.id).where(Delivery.kind == "meeting_confirmed")).all()
    assert len(first.claim(limit=10, ids=ids[:1])) == 1
    assert other.confirmations_waiting()  # the first's claim is another process's to the other
    claimed = other.claim(limit=10, ids=ids[1:]) + ids[:1]
    assert len(claimed) == 2
    assert first.confirmations_waiting() and other.confirmations_waiting()  # each waits only for the other's
    with event_db.transaction() as session:  # both messages out, their files still to go (see _messages_out)
        session.execute(update(Delivery).where(Delivery.id.in_(claimed)).values(platform_ref="1700000000.000100"))
    assert not first.confirmations_waiting()
    with event_db.transaction() as session:  # held for a Teams card: due later, not waited for
        session.execute(update(Delivery).where(Delivery.id.in_(claimed)).values(status="pending", platform_ref="",
                                                                                  due_at=clock.now() + timedelta(seconds=10)))  # fmt: skip
    assert not first.confirmations_waiting() and not other.confirmations_waiting()


def test_two_processes_whose_messages_are_out_do_not_wait_for_each_others_files(
    web, event_db, clock, fake_slack, monkeypatch
) -> None:
    monkeypatch.setattr(outbox, "FILES_WAIT", 60.0)  # a wait for each other would last a minute
    _meetings(web, 4)
    with event_db.transaction() as session:
        ids = session.scalars(select(Delivery.id).where(Delivery.kind == "meeting_confirmed").order_by(Delivery.id)).all()
    first, other = _sender(event_db, clock, fake_slack), _sender(event_db, clock, fake_slack)
    first.name, other.name = "web-1", "web-2"
    first.kick(ids[::2])
    other.kick(ids[1::2])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (first.sending() or other.sending()):
        time.sleep(0.01)
    assert not first.sending() and not other.sending()
    assert len(fake_slack.calls("files.completeUploadExternal")) == len(ids)
    assert _statuses(event_db) == {"sent": len(ids)}


def test_a_new_burst_of_this_process_goes_out_while_its_files_wait(web, event_db, clock, fake_slack, monkeypatch) -> None:
    monkeypatch.setattr(outbox, "FILES_WAIT", 60.0)  # files held for a minute: the new burst must not wait for that
    _meetings(web, 3)
    with event_db.transaction() as session:
        ids = session.scalars(select(Delivery.id).where(Delivery.kind == "meeting_confirmed").order_by(Delivery.id)).all()
    first = _sender(event_db, clock, fake_slack)
    first.kick(ids[:2])  # ids[4:]: another process's share, not sent yet, so this process's files wait
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(_booked(fake_slack)) < 2:
        time.sleep(0.01)
    assert len(_booked(fake_slack)) == 2 and fake_slack.calls("files.completeUploadExternal") == []
    first.kick(ids[2:4])  # the next burst's confirmations
    while time.monotonic() < deadline and len(_booked(fake_slack)) < 4:
        time.sleep(0.01)
    assert len(_booked(fake_slack)) == 4 and fake_slack.calls("files.completeUploadExternal") == []
    with event_db.transaction() as session:  # the other process's messages go out: the files follow
        session.execute(update(Delivery).where(Delivery.id.in_(ids[4:])).values(status="sent"))
    while time.monotonic() < deadline and first.sending():
        time.sleep(0.01)
    assert len(fake_slack.calls("files.completeUploadExternal")) == 4
