"""The worker with 200,000 pending reminders: its memory, the time to find what is due, and its own
time per message sent when the fake Slack server answers at once, next to a bare WebClient loop
posting the same number of messages to the same server (the floor) in the same run.

    python -m bench.reminders [--due 2000] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bench.setup import big_database
from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.worker import Worker
from handlers.slack.app import make_client
from handlers.slack.notifier import SlackNotifier
from storage.db import Database
from storage.models import AgendaSession, Bookmark, Delivery, Participant
from tests.fake_slack import FakeSlack

PENDING = 200_000


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def seed(db: Database, now: datetime, due_now: int) -> None:
    """200,000 bookmarks with their reminders; ``due_now`` of them due at ``now``, the rest later."""
    with db.transaction() as session:
        people = session.scalars(select(Participant.id).order_by(Participant.id)).all()
        sessions = session.execute(select(AgendaSession.id, AgendaSession.starts_at).order_by(AgendaSession.starts_at)).all()
    bookmarks, deliveries = [], []
    per_person = PENDING // len(people)
    for n, person in enumerate(people):
        for k in range(per_person):
            session_id, start = sessions[(n * 7 + k * 131) % len(sessions)]
            index = n * per_person + k
            due = now if index < due_now else start - timedelta(minutes=10)
            bookmarks.append({"participant_id": person, "session_id": session_id, "created_at": now})
            deliveries.append({"participant_id": person, "kind": "session_reminder", "ref_id": session_id,
                               "dedupe_key": f"session_reminder:{session_id}:{person}", "payload": {}, "due_at": due,
                               "status": "pending", "attempts": 0, "created_at": now, "detail": "", "platform_ref": "",
                               "claimed_by": ""})  # fmt: skip
    with db.transaction() as session:
        for start in range(0, len(bookmarks), 10_000):
            session.execute(insert(Bookmark), bookmarks[start : start + 10_000])
            session.execute(insert(Delivery), deliveries[start : start + 10_000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--due", type=int, default=2000, help="how many of the 200,000 are due now and get sent")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    clock = FixedClock(datetime(2026, 6, 21, 12, 0, tzinfo=UTC))  # the day before the event: everything is ahead
    db, _ = big_database(args.database_url, clock=clock)
    seed(db, clock.now(), args.due)

    with FakeSlack() as fake:
        rss_before = rss_mb()
        assistant = Assistant(db=db, clock=clock)
        client = make_client(token="xoxb-bench", base_url=fake.url)
        assistant.add_notifier("slack", SlackNotifier(client))
        worker = Worker(
            deliverer=assistant.deliverer, partnering=assistant.partnering, reminders=assistant.reminders, rate=None
        )

        finds = []
        for _ in range(20):
            started = time.perf_counter()
            worker.lookahead()
            claimed = assistant.deliverer.claim(limit=50)
            finds.append((time.perf_counter() - started) * 1000)
            with db.transaction() as session:  # put them back for the real run
                session.execute(Delivery.__table__.update().where(Delivery.id.in_(claimed)).values(status="pending"))

        cpu, wall = time.process_time(), time.perf_counter()
        report = worker.tick()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        rss_after = rss_mb()

        floor_wall = time.perf_counter()
        for n in range(report.sent):
            client.chat_postMessage(channel=f"U{n:08d}", text="floor")
        floor_wall = time.perf_counter() - floor_wall

    print(f"Worker with {PENDING:,} pending reminders on {db.engine.dialect.name}; {report.sent:,} due now and sent "
          f"({report.skipped} skipped, {report.failed} failed)\n")  # fmt: skip
    print(
        f"{'find what is due (lookahead count + claim 50)':52} p50 {statistics.median(finds):7.1f} ms   max {max(finds):7.1f} ms"
    )
    print(f"{'worker time per message (wall)':52} {wall / report.sent * 1000:11.2f} ms   "
          f"bare WebClient loop {floor_wall / report.sent * 1000:.2f} ms")  # fmt: skip
    print(f"{'worker CPU time per message':52} {cpu / report.sent * 1000:11.2f} ms")
    print(
        f"{'worker memory (RSS) while sending':52} {rss_after:11.0f} MB   (process before the worker: {rss_before:.0f} MB)"
    )
    db.dispose()


if __name__ == "__main__":
    main()
