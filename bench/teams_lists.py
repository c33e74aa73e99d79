"""What keeping a Teams list card a list costs per press, at BIO International scale, over real HTTP on loopback.

    python -m bench.teams_lists [--presses 200] [--database-url postgresql+psycopg://...]

A press on *Remind me* (then *Don't remind me*, alternately, so every press changes something) on:
1. a list card from ``agenda <words>`` (new): the bookmark, then the same ``agenda <words>`` run again and the card
   rebuilt with that item's button changed;
2. the same button on a card about one thing (the baseline: what every press did before, the card replaced by
   the one-line result), interleaved with 1 in the same run.
Figures are client-side wall times per invoke (JWT check, handler, the card answered in the invoke response).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from bench.agenda import QUERIES
from bench.setup import big_database
from bench.teams import pct, post
from bot.agenda.catalog import Catalog
from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.partnering.participants import PersonInfo
from handlers.asgi import build_asgi
from handlers.teams import cards, lists
from handlers.teams.app import TeamsDoor
from tests.fake_teams import FakeBotConnector
from tests.teams_harness import APP_ID, TENANT, Served, teams_settings

PERSON = {"id": "29:bench", "name": "Bench Person", "aadObjectId": "bbbbbbbb-0000-4000-8000-000000000043"}


def invoke(fake: FakeBotConnector, data: dict, n: int) -> tuple[bytes, dict]:
    activity = {
        "type": "invoke", "name": "adaptiveCard/action", "id": f"p{n}", "serviceUrl": fake.service_url,
        "channelId": "msteams", "from": PERSON, "recipient": {"id": f"28:{APP_ID}"},
        "conversation": {"id": "a:bench", "conversationType": "personal", "tenantId": TENANT},
        "value": {"action": {"type": "Action.Execute", "data": data}, "trigger": "manual"},
    }  # fmt: skip
    token = fake.token(app_id=APP_ID, service_url=fake.service_url)
    return json.dumps(activity).encode(), {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    clock = FixedClock(datetime(2026, 6, 21, 12, 0, tzinfo=UTC))  # before the big event: every session ahead
    db, _ = big_database(args.database_url, clock=clock)
    catalog = Catalog(db)
    catalog.current()
    fake = FakeBotConnector()
    assistant = Assistant(db=db, clock=clock, catalog=catalog)
    door = TeamsDoor(assistant=assistant, settings=teams_settings(fake))
    web = Served(build_asgi(health=db.ping, teams_door=door, published=assistant.published))
    me = assistant.identify(platform="teams", external_id=PERSON["aadObjectId"], lookup=lambda: PersonInfo("Bench"))
    query = next(q for q in QUERIES if len(assistant.agenda(text=q, actor=me).parts) > 4)
    line = f"agenda {query}"
    card = lists.stamp(cards.card(assistant.agenda(text=query, actor=me)), lists.source_for(line))
    buttons = [b for b in cards.buttons_of(card) if b["data"].get("action") == "bookmark_add"]
    listed, single = buttons[0]["data"], {k: v for k, v in buttons[1]["data"].items() if k != "list"}
    sessions = len(buttons)

    def toggled(data: dict, i: int) -> dict:
        return {**data, "action": "bookmark_add" if i % 2 == 0 else "bookmark_remove"}

    for i in range(10):  # warm up: JWKS, the outbound token, caches
        post(web.port, "/api/messages", *invoke(fake, toggled(listed, i), i))
        post(web.port, "/api/messages", *invoke(fake, toggled(single, i), i))
    new, old = [], []
    for i in range(args.presses):  # interleaved, so machine noise hits both alike
        new.append(post(web.port, "/api/messages", *invoke(fake, toggled(listed, i), i)))
        old.append(post(web.port, "/api/messages", *invoke(fake, toggled(single, i), i)))
    print(f"BIO scale: 1,500 sessions, 20,000 participants, {db.engine.dialect.name}; {args.presses} presses each; "
          f"the list card is {line!r} ({sessions} sessions). Shared 2-core machine: compare rows of this run only.\n")  # fmt: skip
    print(f"{'press on Remind me':58} {'p50':>9} {'p99':>9}")
    for label, values in (("list card: rebuilt, item marked (new)", new),
                          ("card about one thing: replaced by the result (baseline)", old)):  # fmt: skip
        print(f"{label:58} {pct(values, 50):6.2f} ms {pct(values, 99):6.2f} ms")
    web.close()
    fake.close()
    db.dispose()


if __name__ == "__main__":
    main()
