"""An announcement to 20,000 participants against a fake Slack that enforces chat.postMessage limits:
total time next to the limits' own minimum, and the worker's CPU time per message.

    python -m bench.announce [--people 20000] [--rate 20] [--database-url postgresql+psycopg://...]

Slack allows chat.postMessage about one message per second per conversation, and a few hundred a
minute per workspace; the fake enforces both (``--rate`` per second for the workspace) and answers
429 with Retry-After beyond them. Time is virtual: the worker's pacing and the fake's buckets share a
clock that sleeping moves forward, so the run takes seconds while the figure shows what 20,000 messages
take at that rate. CPU time is real.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import UTC, datetime

from bench.setup import big_database
from bot.announcements.broadcasts import Draft
from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.worker import Pacer, Worker
from handlers.slack.app import make_client
from handlers.slack.notifier import SlackNotifier
from tests.fake_slack import FakeSlack


class VirtualTime:
    """A monotonic clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=20.0, help="the workspace limit the fake enforces, messages a second")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    clock = FixedClock(datetime(2026, 6, 21, 12, 0, tzinfo=UTC))
    db, _ = big_database(args.database_url, clock=clock, people=args.people)

    virtual = VirtualTime()
    with FakeSlack(clock=virtual.monotonic) as fake:
        fake.rate_limit("chat.postMessage", per_second=1.0, burst=1)  # per conversation
        fake.rate_limit("chat.postMessage", per_second=args.rate, burst=int(args.rate), per_channel=False)
        assistant = Assistant(db=db, clock=clock, organisers=frozenset({"U00000000"}))
        assistant.add_notifier("slack", SlackNotifier(make_client(token="xoxb-bench", base_url=fake.url)))
        worker = Worker(deliverer=assistant.deliverer, partnering=assistant.partnering, reminders=assistant.reminders,
                        announcements=assistant.announcements, rate=args.rate,
                        pacer=Pacer(args.rate, sleep=virtual.sleep, monotonic=virtual.monotonic))  # fmt: skip
        author = assistant.participants.known(platform="slack", external_id="U00000000")
        assistant.announcements.create(
            author_id=author, author_ref="U00000000", draft=Draft("The bus leaves at 08:15", "everyone")
        )
        cpu, wall = time.process_time(), time.perf_counter()
        report = worker.tick()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        statuses = Counter(c.status for c in fake.calls("chat.postMessage"))

    messages = report.sent
    minimum = messages / args.rate
    print(f"Announcement to {args.people:,} participants on {db.engine.dialect.name}; fake Slack enforcing 1 message/s per "
          f"conversation and {args.rate:g}/s per workspace\n")  # fmt: skip
    print(f"{'messages sent (incl. the organiser progress message)':56} {messages:,}  (429 answers: {statuses.get(429, 0)})")
    print(f"{'total time (virtual)':56} {virtual.now:9.1f} s   the limit's own minimum: {minimum:.1f} s "
          f"({virtual.now / minimum:.3f}x)")  # fmt: skip
    print(
        f"{'worker CPU time per message (fake server in-process)':56} {cpu / messages * 1000:9.2f} ms   (wall {wall:.1f} s)"
    )
    db.dispose()


if __name__ == "__main__":
    main()
