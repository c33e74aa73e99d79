"""A burst of Accept presses over HTTP against the served app, in both doors, next to baselines in the same run.

    python -m bench.burst [--presses 100] [--people 2000] [--tables 20] [--doors slack,teams]  (BENCH_LOG_LEVEL=INFO: the server logs)
                          [--database-url postgresql+psycopg://...] [--web-processes 2]  (WEB_PROCESSES: PostgreSQL)

Slack: signed requests to ``python -m bot serve`` (Slack alone: waitress, 8 threads) in its own process, next to a
bare Bolt app served the same way; N client threads press *Accept* at the same moment, each on a different request.
Printed: the HTTP answer (ack) p50/p99/max, and the time from the press to "Accepted. Your meeting ... is on ..."
reaching the person's response_url (time to confirmation). With PUBLIC_URL set (``--public-url``) that answer
replaces the request in the presser's DM with the booking and its Add to calendar link, and is their
"Meeting booked"; the requester's comes as a DM with the calendar file attached.

Teams: ``adaptiveCard/action`` invokes (with a Bot Framework JWT from the fake connector) to ``python -m bot serve``
with both doors (uvicorn), N at once; the invoke's answer is the card that says the meeting is booked, so the time
to confirmation is the time to that answer.

Baseline for the confirmation, in the same run and the same server: presses one at a time (nothing else going on).
Then it checks that nobody is double-booked and that every press got a result.
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
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import aliased

from bench.big_event import add_participants, big_event
from bot.clock import SystemClock
from bot.event_setup import load_event_file
from handlers.teams.identity import address_of
from storage.db import Database
from storage.models import Event, Meeting, MeetingRequest, MeetingSeat, Participant, ParticipantAddress
from tests.fake_slack import FakeSlack
from tests.fake_teams import FakeBotConnector
from tests.teams_harness import APP_ID, TENANT

SECRET = "bench-secret"
Requester = aliased(Participant)
CONNECTOR_TOKENS: dict[str, str] = {}  # the Bot Connector signs its calls with one token for up to an hour
LONE = 10  # presses one at a time: the baseline for the time to confirmation
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


def teams_press(fake: FakeBotConnector, request_id: int, aad: str) -> tuple[bytes, dict[str, str]]:
    """An Accept press on a Teams card: the adaptiveCard/action invoke the Bot Connector would send."""
    activity = {
        "type": "invoke", "name": "adaptiveCard/action", "id": f"press-{request_id}", "serviceUrl": fake.service_url,
        "channelId": "msteams", "from": {"id": f"29:{aad}", "name": f"Person {aad[:8]}", "aadObjectId": aad},
        "conversation": {"id": f"a:{aad}", "conversationType": "personal", "tenantId": TENANT},
        "recipient": {"id": f"28:{APP_ID}"}, "channelData": {"tenant": {"id": TENANT}},
        "value": {"action": {"type": "Action.Execute", "verb": "request_accept",
                             "data": {"action": "request_accept", "value": str(request_id)}}, "trigger": "manual"},
    }  # fmt: skip
    token = CONNECTOR_TOKENS.setdefault(fake.service_url, fake.token(app_id=APP_ID, service_url=fake.service_url))
    return json.dumps(activity).encode(), {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}


def post_all(
    port: int, path: str, presses: list[tuple[bytes, dict[str, str]]]
) -> tuple[list[float], list[str], list[float]]:
    """POST every press at once (one connection each); returns seconds to each answer, each answer's body and
    each press's instant (time.monotonic)."""
    barrier = threading.Barrier(len(presses))
    took = [0.0] * len(presses)
    bodies = [""] * len(presses)
    starts = [0.0] * len(presses)

    def one(i: int) -> None:
        body, headers = presses[i]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.connect()
        barrier.wait()
        started = starts[i] = time.monotonic()
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        bodies[i] = response.read().decode(errors="replace")
        took[i] = time.monotonic() - started
        connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(presses))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return took, bodies, starts


def as_teams_people(db: Database, requests: list[tuple[int, str]], service_url: str) -> list[tuple[int, str]]:
    """Make the invitees of ``requests`` Teams users (their requesters stay in Slack: one event, two doors), with
    the 1:1 chat address PartnerUp holds for them: the request card with the Accept button reached them there."""
    out = []
    now = datetime.now(UTC)
    with db.transaction() as session:
        for request_id, user in requests:
            aad = str(uuid.UUID(int=random.Random(user).getrandbits(128), version=4))
            participant_id = session.scalar(
                Participant.__table__.update()
                .where(Participant.external_id == user, Participant.platform == "slack")
                .values(platform="teams", external_id=aad)
                .returning(Participant.__table__.c.id)
            )
            address = address_of(service_url=service_url, tenant_id=TENANT, user_id=f"29:{aad}", aad_object_id=aad,
                                 bot_id=f"28:{APP_ID}", conversation_id=f"a:{aad}")  # fmt: skip
            session.add(ParticipantAddress(participant_id=participant_id, address=address, dead_reason="", updated_at=now))
            out.append((request_id, aad))
    return out


def teams_run(db: Database, fake: FakeSlack, requests: list[tuple[int, str]], n: int) -> dict:
    """The Teams door: a served process with both doors; a warm-up burst, the measured burst, then lone presses."""
    teams = FakeBotConnector()
    people = as_teams_people(db, requests, teams.service_url)
    port = free_port()
    env = dict(os.environ, DATABASE_URL=db.url, SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET,
               SLACK_API_URL=fake.url, TEAMS_APP_ID=APP_ID, TEAMS_APP_PASSWORD="bench-secret", TEAMS_TENANT_ID=TENANT,
               TEAMS_OPENID_METADATA_URL=teams.openid_metadata_url, TEAMS_LOGIN_URL=teams.url,
               PUBLIC_URL="https://partnerup.example.org", DASHBOARD_SECRET="bench-dashboard-secret", PORT=str(port),
               LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"))  # fmt: skip
    server = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=env)
    try:
        wait_up(port)
        warm, measured, lone = people[:20], people[20 : 20 + n], people[20 + n : 30 + n]
        post_all(port, "/api/messages", [teams_press(teams, r, aad) for r, aad in warm])
        time.sleep(2)
        took, bodies, starts = post_all(port, "/api/messages", [teams_press(teams, r, aad) for r, aad in measured])
        booked = [t for t, body in zip(took, bodies, strict=True) if _booked_card(body)]
        start_of = {r: starts[i] for i, (r, _) in enumerate(measured)}
        # A card that shows the booking with its Add to calendar is the presser's confirmation (no message follows).
        on_card = {r: t for (r, _), t, body in zip(measured, took, bodies, strict=True)
                   if _booked_card(body) and "Add to calendar" in body}  # fmt: skip
        messages = teams_booked_messages(db, fake, teams, start_of, on_card, timeout=30)
        time.sleep(2)
        alone = []
        for r, aad in lone:
            t, body, _ = post_all(port, "/api/messages", [teams_press(teams, r, aad)])
            if _booked_card(body[0]):
                alone.append(t[0])
        return {"confirm": booked, "alone": alone, "n": n, "messages": messages}
    finally:
        server.terminate()
        server.wait(10)
        teams.close()


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
    parser.add_argument("--doors", default="slack,teams")
    parser.add_argument("--web-processes", type=int, default=1, help="WEB_PROCESSES for our server (PostgreSQL)")
    parser.add_argument("--public-url", default="https://partnerup.example.org",
                        help='PUBLIC_URL of the Slack server; "" for none: the presser\'s booking then comes as a DM '
                             "with its calendar file attached, not in the answer to the press")  # fmt: skip
    args = parser.parse_args()
    os.environ["WEB_PROCESSES"] = str(args.web_processes)  # read by both doors' served processes
    doors = {d.strip() for d in args.doors.split(",")}

    n = args.presses
    db, requests = prepare(args.database_url, people=args.people, tables=args.tables, presses=n * 3 + LONE * 2 + 20)
    warm, measured, lone = requests[:n], requests[n : 2 * n], requests[2 * n : 2 * n + LONE]
    for_teams = requests[2 * n + LONE :]
    alone: list[float] = []
    teams: dict | None = None
    ours_port, bare_port = free_port(), free_port()
    with FakeSlack() as fake:
        for _, user in requests:
            fake.add_user(user, real_name=f"Person {user}")
        if "slack" in doors:
            env = dict(os.environ, DATABASE_URL=db.url, SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET,
                       SLACK_API_URL=fake.url, PORT=str(ours_port), PUBLIC_URL=args.public_url,
                       DASHBOARD_SECRET="bench-dashboard-secret", LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"))  # fmt: skip
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
                with_booking: dict[int, float] = {}  # answers that show the booking with its Add to calendar
                while time.monotonic() < deadline and len(confirmed) < args.presses:
                    for call in fake.calls("response_url"):
                        rid = call.path.rsplit("-", 1)[-1]
                        if call.path.startswith("/response/press-") and rid.isdigit() and _is_result(call.params):
                            confirmed.setdefault(int(rid), call.at)
                            if "/calendar/" in json.dumps(call.params):
                                with_booking.setdefault(int(rid), call.at)
                    time.sleep(0.05)
                start_of = {r: sent[i] for i, (r, _) in enumerate(measured[: args.presses])}
                to_confirm = [confirmed[r] - start_of[r] for r in confirmed]
                to_message = booked_messages(db, fake, start_of, with_booking, timeout=args.confirm_timeout)
                # The baseline: presses one at a time, nothing else going on.
                time.sleep(2)
                for r, u in lone:
                    _, sent_at, _ = burst(ours_port, [press_body(r, u, fake.url_root + f"response/lone-{r}")])
                    deadline = time.monotonic() + 30
                    while time.monotonic() < deadline:
                        done = [
                            c.at
                            for c in fake.calls("response_url")
                            if c.path == f"/response/lone-{r}" and _is_result(c.params)
                        ]
                        if done:
                            alone.append(done[0] - sent_at[0])
                            break
                        time.sleep(0.01)
            finally:
                ours.terminate()
                bare.terminate()
                ours.wait(10)
                bare.wait(10)
        if "teams" in doors:
            teams = teams_run(db, fake, for_teams, n)
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
    print(f"{n} concurrent Accept presses over HTTP on {db.engine.dialect.name} ({args.people:,} people, "
          f"{args.tables} tables; {args.web_processes} web process(es); a 2-core machine shared with other work: "
          "compare rows within this run only)")  # fmt: skip
    if "slack" in doors:
        print("\nSlack (python -m bot serve: waitress, 8 threads)")
        print(f"{'':36} {'ack p50':>9} {'p99':>9} {'max':>9} {'HTTP 200':>9}")
        print(f"{'PartnerUp':36} {pct(acks, 50):6.0f} ms {pct(acks, 99):6.0f} ms {max(acks) * 1000:6.0f} ms "
              f"{statuses.count(200):>5}/{n}")  # fmt: skip
        print(f"{'bare Bolt, same server':36} {pct(base_acks, 50):6.0f} ms {pct(base_acks, 99):6.0f} ms "
              f"{max(base_acks) * 1000:6.0f} ms {base_status.count(200):>5}/{n}")  # fmt: skip
        confirmation_rows('press → "Accepted ..." at response_url', to_confirm, n, alone)
        message_row('  burst: press → both "Meeting booked"', to_message, n)
    if teams is not None:
        print("\nTeams (python -m bot serve with both doors: uvicorn; the invoke's answer is the booked card)")
        confirmation_rows("press → booked card (invoke answer)", teams["confirm"], n, teams["alone"])
        message_row('  burst: press → both "Meeting booked"', teams["messages"], n)
    print(f"\nmeetings booked {booked}, still pending {waiting}; people double-booked: {len(seats)}, "
          f"tables double-booked: {len(tables)}")  # fmt: skip
    db.dispose()


def message_row(label: str, times: list[float], n: int) -> None:
    """The presses' "Meeting booked" messages to both people: p50, p99, max, how many arrived of 2n."""
    if not times:
        print(f"{label:36} none of {2 * n} arrived")
        return
    print(f"{label:36} {pct(times, 50):6.0f} ms {pct(times, 99):6.0f} ms {max(times) * 1000:6.0f} ms "
          f"{len(times):>5}/{2 * n}")  # fmt: skip


def confirmation_rows(label: str, burst_times: list[float], n: int, alone: list[float]) -> None:
    print(f"{'time to confirmation':36} {'p50':>9} {'p99':>9} {'max':>9} {'confirmed':>9}")
    if burst_times:
        print(f"{'  burst: ' + label:36} {pct(burst_times, 50):6.0f} ms {pct(burst_times, 99):6.0f} ms "
              f"{max(burst_times) * 1000:6.0f} ms {len(burst_times):>5}/{n}")  # fmt: skip
    else:
        print(f"  burst: none of {n} confirmed")
    if alone:
        print(f"{'  baseline: one press at a time':36} {pct(alone, 50):6.0f} ms {pct(alone, 99):6.0f} ms "
              f"{max(alone) * 1000:6.0f} ms {len(alone):>5}/{LONE}")  # fmt: skip


def booked_messages(
    db: Database, fake: FakeSlack, start_of: dict[int, float], with_booking: dict[int, float], *, timeout: float
) -> list[float]:
    """Seconds from each press to "Meeting booked" reaching each of its two people: the requester by DM
    (chat.postMessage; the calendar file follows it); the presser in the answer to the press when it showed the
    booking with its Add to calendar (``with_booking``: request ID -> when it arrived), else by DM. A DM to a
    presser whose answer showed the booking is counted as told twice."""
    with db.transaction() as session:
        people = {
            rid: (a, b)
            for rid, a, b in session.execute(
                select(MeetingRequest.id, Requester.external_id, Participant.external_id)
                .join(Requester, Requester.id == MeetingRequest.requester_id)
                .join(Participant, Participant.id == MeetingRequest.invitee_id)
                .where(MeetingRequest.id.in_(start_of))
            )
        }
    wanted = {user: rid for rid, pair in people.items() for user in pair}
    arrived: dict[str, float] = {people[rid][1]: at for rid, at in with_booking.items() if rid in people}
    twice = 0
    deadline = time.monotonic() + timeout
    seen = 0  # calls already looked at: re-reading them all every poll would load the machine being measured
    while time.monotonic() < deadline and len(arrived) < len(wanted):
        calls = fake.calls("chat.postMessage")
        for call in calls[seen:]:
            user = str(call.params.get("channel", "")).removeprefix("D")
            if user in wanted and "Meeting booked" in json.dumps(call.params):
                twice += user == people[wanted[user]][1] and wanted[user] in with_booking
                arrived.setdefault(user, call.at)
        seen = len(calls)
        time.sleep(0.05)
    asked = [at - start_of[wanted[u]] for u, at in arrived.items() if u == people[wanted[u]][0]]
    pressed = [at - start_of[wanted[u]] for u, at in arrived.items() if u == people[wanted[u]][1]]
    if asked and pressed:
        print(f"(Slack run: the requesters' DMs p99 {pct(asked, 99):.0f} ms, the pressers' bookings p99 "
              f"{pct(pressed, 99):.0f} ms, {len(with_booking)} of them in the answer to the press, {twice} told "
              "again by DM)")  # fmt: skip
    return [at - start_of[wanted[user]] for user, at in arrived.items()]


def teams_booked_messages(
    db: Database, fake: FakeSlack, teams: FakeBotConnector, start_of: dict[int, float], on_card: dict[int, float],
    *, timeout: float,
) -> list[float]:  # fmt: skip
    """Seconds from each Teams press to "Meeting booked" reaching both people: the requester by Slack DM; the
    presser on the card they pressed when it showed the booking (``on_card``: request ID -> the invoke's answer
    time), else in their Teams chat with the bot (a proactive message through the connector). A "Meeting booked"
    message to someone whose card showed it is counted as a duplicate."""
    with db.transaction() as session:
        pairs = session.execute(
            select(MeetingRequest.id, Requester.external_id, Participant.external_id)
            .join(Requester, Requester.id == MeetingRequest.requester_id)
            .join(Participant, Participant.id == MeetingRequest.invitee_id)
            .where(MeetingRequest.id.in_(start_of))
        ).all()
    slack_users = {requester: rid for rid, requester, _ in pairs}
    teams_chats = {f"a:{aad}": rid for rid, _, aad in pairs}
    arrived: dict[str, float] = {f"a:{aad}": on_card[rid] for rid, _, aad in pairs if rid in on_card}
    twice = 0
    seen_slack = seen_teams = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(arrived) < 2 * len(pairs):
        calls = fake.calls("chat.postMessage")
        for call in calls[seen_slack:]:
            user = str(call.params.get("channel", "")).removeprefix("D")
            if user in slack_users and "Meeting booked" in json.dumps(call.params):
                arrived.setdefault(user, call.at - start_of[slack_users[user]])
        seen_slack = len(calls)
        sent = list(teams.calls)
        for call in sent[seen_teams:]:
            chat = call.path.removeprefix("/teams/v3/conversations/").split("/")[0]
            if call.method == "POST" and chat in teams_chats and "Meeting booked" in json.dumps(call.body):
                twice += teams_chats[chat] in on_card
                arrived.setdefault(chat, call.at - start_of[teams_chats[chat]])
        seen_teams = len(sent)
        time.sleep(0.05)
    in_teams = [t for chat, t in arrived.items() if chat in teams_chats]
    in_slack = [t for user, t in arrived.items() if user in slack_users]
    if in_teams and in_slack:
        print(f"(Teams run: the pressers' bookings p99 {pct(in_teams, 99):.0f} ms, {len(on_card)} of them on the "
              f"card they pressed, {twice} told again by message; the requesters' Slack DMs p99 "
              f"{pct(in_slack, 99):.0f} ms)")  # fmt: skip
    return list(arrived.values())


def _booked_card(body: str) -> bool:
    """The card says the meeting is booked (not "Accepted. I'm placing your meeting now", sent after 3 s)."""
    return "Accepted." in body and "placing" not in body.lower()


def _is_result(params: dict) -> bool:
    """The booking answer, not an interim "placing your meeting" note."""
    return "placing" not in json.dumps(params).lower()


if __name__ == "__main__":
    main()
