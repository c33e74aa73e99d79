"""The Teams door and the one-port hosting at BIO International scale, over real HTTP on loopback.

    python -m bench.teams [--requests 300] [--database-url postgresql+psycopg://...]

1. Slack ``/agenda <words>``: the same signed requests to the same Bolt WSGI app served by waitress (the old
   hosting) and by uvicorn with the app mounted through a2wsgi (the new one-port hosting), interleaved.
2. Teams ``agenda <words>`` and a question: signed Bot Framework activities to ``POST /api/messages`` (JWT
   validation, our handler, the card sent to a fake Bot Connector before the response), next to a bare Teams
   SDK app whose handler only sends "ok", hosted the same way, in the same run.
Figures are client-side wall times per request (keep-alive off: a new connection each time, as Slack and Teams do).
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time
import urllib.parse

from bench.agenda import QUERIES, QUESTIONS, SECRET
from bench.setup import big_database
from bot.agenda.catalog import Catalog
from bot.assistant import Assistant
from bot.clock import SystemClock
from handlers.asgi import build_asgi
from handlers.slack.app import build_app, build_wsgi
from handlers.teams.app import TeamsDoor
from tests.fake_slack import FakeSlack
from tests.fake_teams import FakeBotConnector
from tests.teams_harness import APP_ID, TENANT, Served, free_port, teams_settings


def pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if p < 100 else max(values)


def post(port: int, path: str, body: bytes, headers: dict) -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}")
    return (time.perf_counter() - started) * 1000


def slack_command(text: str) -> tuple[bytes, dict]:
    import hashlib
    import hmac

    form = {"command": "/agenda", "text": text, "user_id": "U00000042", "channel_id": "C1", "team_id": "T0001",
            "response_url": "http://127.0.0.1:9/response", "trigger_id": "1.2.3"}  # fmt: skip
    body = urllib.parse.urlencode(form).encode()
    timestamp = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
                  "X-Slack-Signature": signature}  # fmt: skip


def teams_message(fake: FakeBotConnector, text: str, n: int) -> tuple[bytes, dict]:
    activity = {
        "type": "message", "id": f"b{n}", "serviceUrl": fake.service_url, "channelId": "msteams", "text": text,
        "from": {"id": "29:bench", "name": "Bench Person", "aadObjectId": "bbbbbbbb-0000-4000-8000-000000000042"},
        "conversation": {"id": "a:bench", "conversationType": "personal", "tenantId": TENANT},
        "recipient": {"id": f"28:{APP_ID}"},
    }  # fmt: skip
    token = fake.token(app_id=APP_ID, service_url=fake.service_url)
    return json.dumps(activity).encode(), {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}


def serve_waitress(app) -> tuple[int, callable]:
    from waitress.server import create_server

    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return port, server.close


def bare_teams(settings):
    """The floor: the Teams SDK app with our hosting, whose only handler sends "ok"."""
    from handlers.teams.sdk import build_sdk_app

    class Door:
        routes: dict = {}

        def register_route(self, method, path, handler):
            self.routes[path] = handler

        def serve_static(self, *a):
            pass

        async def start(self, port):
            raise RuntimeError

        async def stop(self):
            pass

        async def startup(self):
            await self.sdk.initialize()

        async def handle(self, body, headers):
            from handlers.teams.sdk import HttpRequest

            result = await self.routes["/api/messages"](HttpRequest(body=body, headers=headers))
            return result["status"], result["body"]

    door = Door()
    door.sdk = build_sdk_app(app_id=settings.teams_app_id, password=settings.teams_app_password,
                             tenant_id=settings.teams_tenant_id, openid_metadata_url=settings.teams_openid_metadata_url,
                             login_url=settings.teams_login_url, http_server_adapter=door)  # fmt: skip

    @door.sdk.on_message
    async def answer(ctx):
        await ctx.send("ok")

    return door


def burst_test(port: int, fake: FakeBotConnector, size: int) -> list[float]:
    """Everything at once from 2 x ``size`` threads: the slowest answer is what the platforms' timeouts see."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = [("/api/messages", teams_message(fake, "agenda " + QUERIES[i % len(QUERIES)], i)) for i in range(size)]
    jobs += [("/slack/events", slack_command(QUERIES[i % len(QUERIES)])) for i in range(size)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(lambda job: post(port, job[0], *job[1]), jobs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--burst", type=int, default=50)
    args = parser.parse_args()

    db, load_seconds = big_database(args.database_url, clock=SystemClock())
    catalog = Catalog(db)
    catalog.current()
    n = args.requests
    with FakeSlack() as fake_slack:
        fake_teams = FakeBotConnector()
        assistant = Assistant(db=db, clock=SystemClock(), catalog=catalog)
        bolt = build_app(assistant=assistant, token="xoxb-bench", signing_secret=SECRET, api_url=fake_slack.url)
        slack_wsgi = build_wsgi(bolt, health=db.ping)
        settings = teams_settings(fake_teams)
        door = TeamsDoor(assistant=assistant, settings=settings)
        web = Served(build_asgi(health=db.ping, slack_wsgi=slack_wsgi, teams_door=door, published=assistant.published))
        floor = Served(build_asgi(health=db.ping, teams_door=bare_teams(settings)))
        waitress_port, stop_waitress = serve_waitress(slack_wsgi)

        print(f"BIO scale: 1,500 sessions, 20,000 participants, {db.engine.dialect.name}; {n} requests each; "
              f"event load {load_seconds:.1f} s. Shared 2-core machine: compare rows within this run only.\n")  # fmt: skip
        for i in range(20):  # warm up both servers, the JWKS cache and the outbound token
            post(waitress_port, "/slack/events", *slack_command(QUERIES[0]))
            post(web.port, "/slack/events", *slack_command(QUERIES[0]))
            post(web.port, "/api/messages", *teams_message(fake_teams, "agenda " + QUERIES[0], i))
            post(floor.port, "/api/messages", *teams_message(fake_teams, "agenda", i))
        old, new = [], []
        for i in range(n):  # interleaved, so machine noise hits both alike
            old.append(post(waitress_port, "/slack/events", *slack_command(QUERIES[i % len(QUERIES)])))
            new.append(post(web.port, "/slack/events", *slack_command(QUERIES[i % len(QUERIES)])))
        agenda, question, bare = [], [], []
        for i in range(n):
            agenda.append(
                post(web.port, "/api/messages", *teams_message(fake_teams, "agenda " + QUERIES[i % len(QUERIES)], i))
            )
            question.append(post(web.port, "/api/messages", *teams_message(fake_teams, QUESTIONS[i % len(QUESTIONS)], i)))
            bare.append(post(floor.port, "/api/messages", *teams_message(fake_teams, "agenda", i)))
        print(f"{'request':52} {'p50':>9} {'p99':>9}")
        rows = [
            ("Slack /agenda <words>, waitress (old hosting)", old),
            ("Slack /agenda <words>, uvicorn + a2wsgi (one port)", new),
            ("Teams 'agenda <words>' incl. JWT + card send", agenda),
            ("Teams question incl. JWT + card send", question),
            ("bare Teams SDK app (sends 'ok'), same hosting", bare),
        ]
        for label, values in rows:
            print(f"{label:52} {pct(values, 50):6.2f} ms {pct(values, 99):6.2f} ms")
        print(f"\nSlack p99 one-port / waitress: {pct(new, 99) / pct(old, 99):.2f}")
        burst = burst_test(web.port, fake_teams, args.burst)
        print(f"burst: {args.burst} Teams messages and {args.burst} Slack /agenda at once on the one port: "
              f"slowest {max(burst):.0f} ms, p99 {pct(burst, 99):.0f} ms (limits: Slack 3,000 ms, Teams invoke 5,000 ms)")  # fmt: skip
        stop_waitress()
        web.close()
        floor.close()
        fake_teams.close()
    db.dispose()


if __name__ == "__main__":
    main()
