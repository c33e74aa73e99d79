"""Questions: the share of the shared question set answered, per language, and the server-side answer time at
BIO International scale (1,500 sessions, 20,000 participants) next to ``/agenda <words>`` in the same run.

    python -m bench.questions [--requests 300] [--database-url postgresql+psycopg://...]

Answer time is measured twice: in the core (``Assistant.ask`` against ``Assistant.agenda``) and as Bolt
dispatching a signed ``/partnerup <question>`` against a signed ``/agenda <words>`` (signature check,
middleware, listener, rendering). The machine may be shared: compare the two columns, not runs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from bench.agenda import QUERIES, SECRET, command, measure, pct
from bench.setup import big_database
from bot.agenda.catalog import Catalog
from bot.assistant import Assistant
from bot.clock import FixedClock, SystemClock
from bot.event_setup import ensure_default_event
from bot.replies import SessionCard
from handlers.console.render import render
from handlers.slack.app import build_app
from storage.db import Database
from storage.models import Participant
from tests.fake_slack import FakeSlack
from tests.question_set import EVERYDAY, HELD_OUT, SHARED, load, problems

# The shared set's kinds of question, asked about the big event (its speakers, topics, rooms and days).
BIG_QUESTIONS = [
    "when does Kowalski speak?",
    "where is day 2?",
    "what is on at 14:00 on day 2?",
    "is there a panel on crispr?",
    "who is speaking about digital pathology?",
    "wen is the crispr panel",
    "how do i get there tomorrow",
    "what's on after the crispr panel?",
    "where is Room 305?",
    "what's on this afternoon?",
    "hvor er dag 2?",
    "når snakker Kowalski?",
    "er det pitching på dag 3?",
    "hva skjer kl 10 i morgen?",
    "which start-ups work on immunotherapy?",
    "who from Biogenix is here?",
]


DIRECTORY_QUESTIONS = ["which start-ups work on immunotherapy?", "who from Biogenix is here?"]
PARTNER_WORDS = ["immunotherapy", "biogenix"]


def share_answered(path: Path) -> dict[str, tuple[int, int]]:
    """Per language: (answered as the file says, asked), through the front door on the bundled event."""
    workdir = Path(tempfile.mkdtemp(prefix="partnerup-questions-"))
    db = Database(f"sqlite:///{workdir / 'questions.db'}")
    db.migrate()
    cases = load(path)
    clock = FixedClock(cases[0].now)
    ensure_default_event(db, clock=clock)
    assistant = Assistant(db=db, clock=clock)
    asked, answered = Counter(), Counter()
    for case in cases:
        clock.set(case.now)
        reply = assistant.ask(text=case.q)
        sessions = sum(isinstance(p, SessionCard) for p in reply.parts)
        asked[case.lang] += 1
        answered[case.lang] += not problems(case, render(reply, with_share=False)[0], sessions) and reply.lang == case.lang
    db.dispose()
    return {code: (answered[code], asked[code]) for code in sorted(asked)}


def timed(call: Callable[[int], object], count: int) -> list[float]:
    for i in range(20):
        call(i)
    times = []
    for i in range(count):
        started = time.perf_counter()
        call(i)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    for label, path in (("shared set", SHARED), ("held-out set", HELD_OUT), ("everyday words", EVERYDAY)):
        shares = share_answered(path)
        text = ", ".join(f"{code} {ok}/{n} ({100 * ok / n:.0f}%)" for code, (ok, n) in shares.items())
        print(f"{label} ({path.name}): {text}")

    db, _ = big_database(args.database_url, clock=SystemClock())
    # The partner directory re-reads profiles changed in its last five minutes (a catch-up window): 20,000 people
    # created a second ago are all "recent", which no live event sees. Age them, as a running event's would be.
    # Profiles written one a second over the past hours, the newest an hour ago.
    with db.transaction(write=True) as session:
        ids = session.scalars(select(Participant.id).order_by(Participant.id)).all()
        start = datetime.now(UTC) - timedelta(hours=1)
        session.execute(
            update(Participant),
            [{"id": pid, "updated_at": start - timedelta(seconds=len(ids) - n)} for n, pid in enumerate(ids)],
        )
    catalog = Catalog(db)
    catalog.current()
    assistant = Assistant(db=db, clock=SystemClock(), catalog=catalog)
    actor = assistant.participants.known(platform="slack", external_id="U00000042")
    print(
        f"\nBIO scale: {len(catalog.current().sessions):,} sessions, 20,000 participants, {db.engine.dialect.name}; "
        f"{args.requests} each, {len(BIG_QUESTIONS)} questions and {len(QUERIES)} searches in turn"
    )
    print(f"{'what':46} {'p50':>9} {'p99':>9}")
    agenda_questions = [q for q in BIG_QUESTIONS if q not in DIRECTORY_QUESTIONS]
    rows = [
        ("core: /agenda <words> (baseline)", lambda i: assistant.agenda(text=QUERIES[i % len(QUERIES)], actor=actor)),
        (
            "core: question about the event",
            lambda i: assistant.ask(text=agenda_questions[i % len(agenda_questions)], actor=actor),
        ),
        (
            "core: /partners <words> (baseline)",
            lambda i: assistant.partners(text=PARTNER_WORDS[i % len(PARTNER_WORDS)], actor=actor),
        ),
        (
            "core: directory question",
            lambda i: assistant.ask(text=DIRECTORY_QUESTIONS[i % len(DIRECTORY_QUESTIONS)], actor=actor),
        ),
        (
            "core: every question above in turn",
            lambda i: assistant.ask(text=BIG_QUESTIONS[i % len(BIG_QUESTIONS)], actor=actor),
        ),
    ]
    for label, call in rows:
        times = timed(call, args.requests)
        print(f"{label:46} {pct(times, 50):6.2f} ms {pct(times, 99):6.2f} ms")
    with FakeSlack() as fake:
        app = build_app(assistant=assistant, token="xoxb-bench", signing_secret=SECRET, api_url=fake.url)
        for label, make in (
            ("Bolt: /agenda <words> (baseline)", lambda i: command(QUERIES[i % len(QUERIES)])),
            (
                "Bolt: /partnerup <question about the event>",
                lambda i: command(agenda_questions[i % len(agenda_questions)], "/partnerup"),
            ),
        ):
            times = measure(app, make, args.requests)
            print(f"{label:46} {pct(times, 50):6.2f} ms {pct(times, 99):6.2f} ms")
    slowest = sorted(
        ((pct(timed(lambda i, q=q: assistant.ask(text=q, actor=actor), 30), 50), q) for q in BIG_QUESTIONS), reverse=True
    )[:3]
    print("slowest questions (p50): " + "; ".join(f"{q!r} {ms:.1f} ms" for ms, q in slowest))
    db.dispose()


if __name__ == "__main__":
    main()
