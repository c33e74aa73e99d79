"""Several real web processes (`python -m bot serve`) and a worker on one PostgreSQL database, a burst of Accept
presses spread over them, one web process killed with SIGKILL: what each person receives.

- Presses the dead process had answered are carried out by the worker within seconds (its lease lapses five
  seconds after its last heartbeat), not after a fixed minute.
- A web process sends only the messages it produced, under its lease: a live one stuck in Slack's 429 back-off
  keeps them (nobody else sends them meanwhile), a dead one's are sent by the worker, and nobody gets a message
  twice.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.burst import SECRET, free_port, prepare, press_body, wait_up
from storage.models import Intake, Meeting, MeetingSeat
from tests.conftest import TEST_DATABASE_URL
from tests.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="several processes on one database: PostgreSQL only")


def _env(fake: FakeSlack, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "WORKER_", "TEAMS_"))}
    env.update(DATABASE_URL=database_url, SLACK_BOT_TOKEN="xoxb-crash-test", SLACK_SIGNING_SECRET=SECRET,
               SLACK_API_URL=fake.url, LOG_LEVEL="WARNING", **extra)  # fmt: skip
    return env


def start(command: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot", command], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)


def press_all(presses: list[tuple[int, bytes, dict[str, str]]], on_all_acked=None) -> list[int]:
    """POST every press at once (port, body, headers); returns the HTTP statuses (0: no answer)."""
    statuses = [0] * len(presses)
    barrier = threading.Barrier(len(presses))

    def one(i: int) -> None:
        port, body, headers = presses[i]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        barrier.wait()
        try:
            connection.request("POST", "/slack/events", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            statuses[i] = response.status
        except OSError:
            statuses[i] = 0
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(presses))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if on_all_acked:
        on_all_acked()
    return statuses


def booked_dms(fake: FakeSlack) -> Counter:
    """How many "Meeting booked" direct messages each person got."""
    return Counter(
        c.params.get("channel") for c in fake.calls("chat.postMessage") if c.ok and "booked" in json.dumps(c.params).lower()
    )


def wait_until(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)  # polling real processes, bounded
    return check()


def no_double_bookings(db) -> None:
    with db.transaction() as session:
        seats = session.execute(
            select(MeetingSeat.participant_id, MeetingSeat.slot_id).where(MeetingSeat.active.is_(True))
            .group_by(MeetingSeat.participant_id, MeetingSeat.slot_id).having(func.count() > 1)
        ).all()  # fmt: skip
        tables = session.execute(
            select(Meeting.slot_id, Meeting.table_id).where(Meeting.status == "booked")
            .group_by(Meeting.slot_id, Meeting.table_id).having(func.count() > 1)
        ).all()  # fmt: skip
    assert seats == [] and tables == []


def told_booked(fake: FakeSlack, invitee_of: dict[int, str]) -> Counter:
    """How many times each presser was told their meeting is booked: "Meeting booked" DMs, and answers to their
    press (``response/<request ID>``) that showed the booking in place of that message, with its Add to calendar."""
    told = booked_dms(fake)
    for call in fake.calls("response_url"):
        request_id = call.path.rsplit("/", 1)[-1]
        if call.ok and request_id.isdigit() and "/calendar/" in json.dumps(call.params):
            told[invitee_of[int(request_id)]] += 1
    return told


@pytest.mark.parametrize("public_url", ["", "https://partnerup.example.org"], ids=["dm", "in-the-answer"])
def test_presses_a_killed_web_process_answered_are_carried_out_within_seconds(
    fake_slack: FakeSlack, public_url: str
) -> None:
    """``in-the-answer``: PUBLIC_URL set, so a presser's "Meeting booked" is held for the answer to the press; the
    killed process's held messages go out when their hold ends, and nobody hears twice."""
    db, requests = prepare(TEST_DATABASE_URL, people=200, tables=20, presses=60)
    for _, user in requests:
        fake_slack.add_user(user, real_name=f"Person {user}")
    invitee_of = {r: u for r, u in requests}
    ports = [free_port() for _ in range(3)]
    links = {"PUBLIC_URL": public_url, "DASHBOARD_SECRET": "crash-test-dashboard-secret"} if public_url else {}
    serves = [start("serve", _env(fake_slack, db.url, PORT=str(port), **links)) for port in ports]
    worker = start("worker", _env(fake_slack, db.url, WORKER_MESSAGES_PER_SECOND="40"))
    victim = serves[2]
    try:
        for port in ports:
            wait_up(port)
        # The burst, spread over the three; the victim's presses go last and it is killed the moment they are answered.
        survivors = [(ports[i % 2], *press_body(r, u, fake_slack.url_root + f"response/{r}")) for i, (r, u) in
                     enumerate(requests[:40])]  # fmt: skip
        doomed = [(ports[2], *press_body(r, u, fake_slack.url_root + f"response/{r}")) for r, u in requests[40:]]
        assert press_all(survivors) == [200] * len(survivors)
        killed_at: list[float] = []

        killed_wall: list[float] = []

        def kill() -> None:
            victim.send_signal(signal.SIGKILL)
            killed_at.append(time.monotonic())
            killed_wall.append(time.time())

        statuses = press_all(doomed, on_all_acked=kill)
        victim.wait(10)
        answered = [requests[40 + i] for i, status in enumerate(statuses) if status == 200]
        assert answered, "the victim answered none of its presses"
        invitees = {u for _, u in requests[:40]} | {u for _, u in answered}
        # Every answered press ends with the invitee told "booked", once, within seconds of the death.
        assert wait_until(lambda: invitees <= set(told_booked(fake_slack, invitee_of)), timeout=20), (
            f"{len(invitees - set(told_booked(fake_slack, invitee_of)))} answered presses never confirmed"
        )
        first_dm = {}
        for call in fake_slack.calls("chat.postMessage"):
            if call.ok and "booked" in json.dumps(call.params).lower():
                first_dm.setdefault(call.params.get("channel"), call.at)
        for call in fake_slack.calls("response_url"):
            request_id = call.path.rsplit("/", 1)[-1]
            if call.ok and request_id.isdigit() and "/calendar/" in json.dumps(call.params):
                first_dm.setdefault(invitee_of[int(request_id)], call.at)
        late = sorted(round(first_dm[u] - killed_at[0], 1) for _, u in answered)
        assert max(late) < 20, f"the victim's presses were confirmed {late} s after the kill"
        with db.transaction() as session:
            left = session.scalars(select(Intake.claimed_by).where(Intake.status == "pending")).all()
            victims = session.scalars(select(Intake.done_at).where(Intake.claimed_by.contains(f":{victim.pid}:"))).all()
        assert left == [] and len(victims) == len(answered)
        taken_over = sorted(
            round(done.timestamp() - killed_wall[0], 1) for done in victims if done.timestamp() > killed_wall[0]
        )
        # The lease is 4 s after the last heartbeat (every second); the worker looks every second.
        assert not taken_over or max(taken_over) < 8, f"presses carried out {taken_over} s after the kill"
        print(f"{len(answered)} presses answered by the killed process; {len(taken_over)} carried out by the worker "
              f"{taken_over} s after the kill; confirmations at {late} s")  # fmt: skip
        time.sleep(3)  # bounded: give any late duplicate the chance to show before counting
        counts = told_booked(fake_slack, invitee_of)
        assert max(counts.values()) == 1, [who for who, n in counts.items() if n > 1]
        in_answers = sum(1 for c in fake_slack.calls("response_url") if "/calendar/" in json.dumps(c.params))
        assert (in_answers > 0) is bool(public_url), in_answers  # the survivors' answers showed the bookings
        no_double_bookings(db)
    finally:
        for process in [*serves, worker]:
            if process.poll() is None:
                process.terminate()
                process.wait(10)
        db.dispose()


def test_a_web_process_keeps_what_it_is_sending_while_alive_and_loses_it_when_killed(fake_slack: FakeSlack) -> None:
    db, requests = prepare(TEST_DATABASE_URL, people=60, tables=20, presses=20)
    for _, user in requests:
        fake_slack.add_user(user, real_name=f"Person {user}")
    slow, dying = free_port(), free_port()
    serves = {port: start("serve", _env(fake_slack, db.url, PORT=str(port))) for port in (slow, dying)}
    worker = start("worker", _env(fake_slack, db.url, WORKER_MESSAGES_PER_SECOND="40"))
    try:
        wait_up(slow)
        wait_up(dying)
        # Slack rate-limits the first send for twice a lease (4 s): the sender waits, still alive, and keeps the
        # message (without the heartbeat the worker would send it at 4 s, and the sender again at 8 s).
        fake_slack.fail_next("chat.postMessage", retry_after=8, times=1)
        first = [(slow, *press_body(r, u, fake_slack.url_root + f"response/{r}")) for r, u in requests[:10]]
        assert press_all(first) == [200] * 10
        assert wait_until(lambda: len(booked_dms(fake_slack)) == 20, timeout=40)
        # A web process dies while Slack makes it wait: its messages are the worker's once its lease lapses.
        limited = sum(1 for c in fake_slack.calls("chat.postMessage") if c.status == 429)
        fake_slack.fail_next("chat.postMessage", retry_after=30, times=1)
        second = [(dying, *press_body(r, u, fake_slack.url_root + f"response/{r}")) for r, u in requests[10:]]
        assert press_all(second) == [200] * 10
        assert wait_until(lambda: sum(1 for c in fake_slack.calls("chat.postMessage") if c.status == 429) > limited, 10)
        serves[dying].send_signal(signal.SIGKILL)
        serves[dying].wait(10)
        assert wait_until(lambda: len(booked_dms(fake_slack)) == 40, timeout=30)
        time.sleep(3)  # bounded: give any late duplicate the chance to show before counting
        counts = booked_dms(fake_slack)
        assert len(counts) == 40 and set(counts.values()) == {1}, counts
        no_double_bookings(db)
    finally:
        for process in [*serves.values(), worker]:
            if process.poll() is None:
                process.terminate()
                process.wait(10)
        db.dispose()
