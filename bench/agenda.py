"""Server-side time of /agenda <words> and of free-text questions at BIO International scale,
next to a bare Bolt app answering the same signed requests, in the same run.

    python -m bench.agenda [--requests 300] [--database-url postgresql+psycopg://...]

Each figure is the time ``App.dispatch`` takes for a signed request (signature check,
Bolt middleware, our listener, rendering), so HTTP client noise is left out.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import statistics
import time
import urllib.parse
from collections.abc import Callable

from slack_bolt import App, BoltRequest

from bench.setup import big_database
from bot.agenda.catalog import Catalog
from bot.assistant import Assistant
from bot.clock import SystemClock
from handlers.slack.app import build_app, make_client
from tests.fake_slack import FakeSlack

SECRET = "bench-secret"
QUERIES = ["immunotherapy", "olveus", "antibody conjugates", "Room 212", "crispr panel", "kowalski", "digital pathology"]
QUESTIONS = ["when does Kowalski speak?", "where is day 2?", "what's on after the crispr panel?", "where is Room 305?"]


def signed(body: bytes, content_type: str) -> BoltRequest:
    timestamp = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    headers = {"content-type": content_type, "x-slack-request-timestamp": timestamp, "x-slack-signature": signature}
    return BoltRequest(body=body.decode(), headers=headers)


def command(text: str, name: str = "/agenda") -> BoltRequest:
    form = {"command": name, "text": text, "user_id": "U00000042", "channel_id": "C1", "team_id": "T0001",
            "response_url": "http://127.0.0.1:9/response", "trigger_id": "1.2.3"}  # fmt: skip
    return signed(urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded")


def dm(text: str) -> BoltRequest:
    payload = {"type": "event_callback", "team_id": "T0001", "api_app_id": "A1", "event_id": "Ev1",
               "authorizations": [{"team_id": "T0001", "user_id": "UBOT", "is_bot": True}],
               "event": {"type": "message", "channel_type": "im", "channel": "D1", "user": "U00000042", "text": text, "ts": "1.1"}}  # fmt: skip
    return signed(json.dumps(payload).encode(), "application/json")


def bare_app(fake: FakeSlack) -> App:
    """The floor: Bolt itself, with a listener that does nothing but answer."""
    app = App(client=make_client(token="xoxb-bench", base_url=fake.url), signing_secret=SECRET, process_before_response=True)

    @app.command("/agenda")
    @app.command("/partnerup")
    def answer(ack) -> None:
        ack(text="ok")

    @app.event("message")
    def reply(event, say) -> None:
        say(text="ok")

    return app


def measure(app: App, make_request: Callable[[int], BoltRequest], count: int) -> list[float]:
    for i in range(20):  # warm up
        app.dispatch(make_request(i))
    times = []
    for i in range(count):
        request = make_request(i)
        started = time.perf_counter()
        response = app.dispatch(request)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, response.body
    return times


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    db, load_seconds = big_database(args.database_url, clock=SystemClock())
    catalog = Catalog(db)
    started = time.perf_counter()
    catalog.current()
    index_seconds = time.perf_counter() - started

    with FakeSlack() as fake:
        ours = build_app(assistant=Assistant(db=db, clock=SystemClock(), catalog=catalog), token="xoxb-bench",
                         signing_secret=SECRET, api_url=fake.url)  # fmt: skip
        floor = bare_app(fake)
        rows = [
            ("/agenda <words>", lambda i: command(QUERIES[i % len(QUERIES)])),
            ("/partnerup <question>", lambda i: command(QUESTIONS[i % len(QUESTIONS)], "/partnerup")),
            ("question in a DM (+chat.postMessage)", lambda i: dm(QUESTIONS[i % len(QUESTIONS)])),
        ]
        print(
            f"BIO scale: 1,500 sessions, 20,000 participants, {db.engine.dialect.name}; {args.requests} signed requests each"
        )
        print(
            f"event load {load_seconds:.2f} s; agenda index build {index_seconds * 1000:.0f} ms (once per process and reload)\n"
        )
        print(f"{'request':40} {'PartnerUp p50':>14} {'p99':>9} {'bare Bolt p50':>14} {'p99':>9}")
        for label, make in rows:
            mine = measure(ours, make, args.requests)
            base = measure(floor, make, args.requests)
            print(
                f"{label:40} {pct(mine, 50):11.2f} ms {pct(mine, 99):6.2f} ms {pct(base, 50):11.2f} ms {pct(base, 99):6.2f} ms"
            )
    db.dispose()


if __name__ == "__main__":
    main()
