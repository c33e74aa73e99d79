"""A burst of Accept presses over signed HTTP against the served app, next to a bare Bolt app served the same way.

    python -m bench.burst [--presses 100] [--people 2000] [--tables 20] [--database-url postgresql+psycopg://...]

Both apps run as ``python -m bot serve`` does (waitress, 8 threads) in their own process; N client threads press
*Accept* at the same moment, each on a different request. Printed: the HTTP answer (ack) p50/p99/max, and the
time from the press to the booking result reaching the person's response_url (time to confirmation). Then it
checks that nobody is double-booked and that every press got a result.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import func, insert, select, text

from bench.big_event import add_participants, big_event
from bot.clock import SystemClock
from bot.event_setup import load_event_file
from storage.db import Database
from storage.models import Event, Meeting, MeetingRequest, MeetingSeat, Participant
from tests.fake_slack import FakeSlack

SECRET = "bench-secret"
BARE = """
import sys, waitress
from slack_bolt import App
from slack_sdk import WebClient
client = WebClient(token="xoxb-bench", base_url=sys.argv[3])
app = App(client=client, signing_secret=sys.argv[2], process_before_response=True)
@app.action("request_accept")
def accept(ack):
    ack()
from slack_bolt.adapter.wsgi import SlackRequestHandler
waitress.serve(SlackRequestHandler(app), host="127.0.0.1", port=int(sys.argv[1]), threads=8, _quiet=True)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on port {port}")


def prepare(database_url: str, *, people: int, tables: int, presses: int) -> tuple[Database, list[tuple[int, str]]]:
    """A fresh database: a mid-sized event starting tomorrow, ``people`` participants, ``presses`` pending requests
    between distinct pairs (so that each press is on a different request and person)."""
    workdir = Path(tempfile.mkdtemp(prefix="partnerup-burst-"))
    url = database_url or f"sqlite:///{workdir / 'burst.db'}"
    db = Database(url)
    if database_url:
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    db.migrate()
    event = big_event(sessions=200, tables=tables)
    first = date.today() + timedelta(days=1)
    event["event"]["dates"] = [(first + timedelta(days=d)).isoformat() for d in range(4)]
    event["event"]["key"] = "burst-bench"
    path = workdir / "event.yml"
    path.write_text(yaml.safe_dump(event, sort_keys=False), encoding="utf-8")
    load_event_file(db, path, clock=SystemClock())
    add_participants(db, count=people)
    now = datetime.now(UTC)
    with db.transaction() as session:
        ids = session.execute(select(Participant.id, Participant.external_id).order_by(Participant.id)).all()
        event_id = session.scalar(select(Event.id))
    random.Random(5).shuffle(ids)
    rows = [
        {"event_id": event_id, "requester_id": ids[2 * n][0], "invitee_id": ids[2 * n + 1][0], "topic": f"Licensing {n}",
         "message": "", "preferred_day": None, "status": "pending", "decline_reason": "", "created_at": now}
        for n in range(presses)
    ]  # fmt: skip
    with db.transaction() as session:
        session.execute(insert(MeetingRequest), rows)
        made = session.execute(
            select(MeetingRequest.id, Participant.external_id)
            .join(Participant, Participant.id == MeetingRequest.invitee_id)
            .order_by(MeetingRequest.id)
        ).all()
    return db, [(rid, user) for rid, user in made]


def press_body(request_id: int, user: str, response_url: str) -> tuple[bytes, dict[str, str]]:
    payload = {
        "type": "block_actions", "team": {"id": "T0001"}, "user": {"id": user, "team_id": "T0001"}, "api_app_id": "A1",
        "container": {"type": "message", "is_ephemeral": False}, "trigger_id": "1.2.3", "channel": {"id": "D1"},
        "response_url": response_url,
        "actions": [{"type": "button", "action_id": "request_accept", "value": str(request_id), "action_ts": "1"}],
    }  # fmt: skip
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": signature}  # fmt: skip
    return body, headers


def burst(port: int, presses: list[tuple[bytes, dict[str, str]]]) -> tuple[list[float], list[float], list[int]]:
    """Fire every press at once (one connection each); returns ack seconds, send instants and statuses."""
    barrier = threading.Barrier(len(presses))
    acks = [0.0] * len(presses)
    sent = [0.0] * len(presses)
    statuses = [0] * len(presses)

    def one(i: int) -> None:
        body, headers = presses[i]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.connect()
        barrier.wait()
        sent[i] = time.monotonic()
        connection.request("POST", "/slack/events", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        acks[i] = time.monotonic() - sent[i]
        statuses[i] = response.status
        connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(presses))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return acks, sent, statuses


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presses", type=int, default=100)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--tables", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--confirm-timeout", type=float, default=120.0)
    args = parser.parse_args()

    db, requests = prepare(args.database_url, people=args.people, tables=args.tables, presses=args.presses * 2)
    warm, measured = requests[: args.presses], requests[args.presses :]
    ours_port, bare_port = free_port(), free_port()
    with FakeSlack() as fake:
        for _, user in requests:
            fake.add_user(user, real_name=f"Person {user}")
        env = dict(os.environ, DATABASE_URL=db.url, SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET,
                   SLACK_API_URL=fake.url, PORT=str(ours_port), LOG_LEVEL="WARNING")  # fmt: skip
        ours = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=env)
        bare = subprocess.Popen([sys.executable, "-c", BARE, str(bare_port), SECRET, fake.url])
        try:
            wait_up(ours_port)
            wait_up(bare_port)
            # Warm both up with one burst (the first requests pay for imports and connection pools).
            burst(ours_port, [press_body(r, u, fake.url_root + f"response/warm-{r}") for r, u in warm[:20]])
            burst(bare_port, [press_body(r, u, fake.url_root + f"response/bare-{r}") for r, u in warm[:20]])
            # Let the warm-up presses be placed and confirmed, so the burst meets an idle server.
            fake.wait_for("response_url", count=20, timeout=120)
            time.sleep(2)
            base_acks, _, base_status = burst(
                bare_port, [press_body(r, u, fake.url_root + f"response/bare-{r}") for r, u in warm[: args.presses]]
            )
            time.sleep(1)
            presses = [press_body(r, u, fake.url_root + f"response/press-{r}") for r, u in measured[: args.presses]]
            acks, sent, statuses = burst(ours_port, presses)
            # Time to confirmation: the press until the booking result (not "working on it") reaches its response_url.
            deadline = time.monotonic() + args.confirm_timeout
            confirmed: dict[int, float] = {}
            while time.monotonic() < deadline and len(confirmed) < args.presses:
                for call in fake.calls("response_url"):
                    rid = call.path.rsplit("-", 1)[-1]
                    if call.path.startswith("/response/press-") and rid.isdigit() and _is_result(call.params):
                        confirmed.setdefault(int(rid), call.at)
                time.sleep(0.05)
            start_of = {r: sent[i] for i, (r, _) in enumerate(measured[: args.presses])}
            to_confirm = [confirmed[r] - start_of[r] for r in confirmed]
        finally:
            ours.terminate()
            bare.terminate()
            ours.wait(10)
            bare.wait(10)
    with db.transaction() as session:
        seats = session.execute(
            select(MeetingSeat.participant_id, MeetingSeat.slot_id, func.count())
            .where(MeetingSeat.active.is_(True))
            .group_by(MeetingSeat.participant_id, MeetingSeat.slot_id)
            .having(func.count() > 1)
        ).all()
        tables = session.execute(
            select(Meeting.slot_id, Meeting.table_id, func.count())
            .where(Meeting.status == "booked")
            .group_by(Meeting.slot_id, Meeting.table_id)
            .having(func.count() > 1)
        ).all()
        booked = session.scalar(select(func.count()).select_from(Meeting).where(Meeting.status == "booked"))
        waiting = session.scalar(select(func.count()).select_from(MeetingRequest).where(MeetingRequest.status == "pending"))
    n = args.presses
    print(f"{n} concurrent Accept presses over HTTP on {db.engine.dialect.name} (waitress, 8 threads; "
          f"{args.people:,} people, {args.tables} tables; shared 2-core machine)")  # fmt: skip
    print(f"{'':28} {'ack p50':>9} {'p99':>9} {'max':>9} {'HTTP 200':>9}")
    print(f"{'PartnerUp':28} {pct(acks, 50):6.0f} ms {pct(acks, 99):6.0f} ms {max(acks) * 1000:6.0f} ms "
          f"{statuses.count(200):>5}/{n}")  # fmt: skip
    print(f"{'bare Bolt, same server':28} {pct(base_acks, 50):6.0f} ms {pct(base_acks, 99):6.0f} ms "
          f"{max(base_acks) * 1000:6.0f} ms {base_status.count(200):>5}/{n}")  # fmt: skip
    if to_confirm:
        print(f"time to confirmation (press → result at response_url): p50 {pct(to_confirm, 50):.0f} ms, "
              f"p99 {pct(to_confirm, 99):.0f} ms, max {max(to_confirm) * 1000:.0f} ms; {len(to_confirm)}/{n} confirmed")  # fmt: skip
    else:
        print(f"time to confirmation: none of {n} confirmed")
    print(f"meetings booked {booked}, still pending {waiting}; people double-booked: {len(seats)}, "
          f"tables double-booked: {len(tables)}")  # fmt: skip
    print(f"(median ack, ours vs bare: {statistics.median(acks) * 1000:.0f} / {statistics.median(base_acks) * 1000:.0f} ms)")
    db.dispose()


def _is_result(params: dict) -> bool:
    """The booking answer, not an interim "placing your meeting" note."""
    return "placing" not in json.dumps(params).lower()


if __name__ == "__main__":
    main()
