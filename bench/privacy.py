"""Privacy at BIO International scale: one person's download and deletion, and the retention run.

    python -m bench.privacy [--people 40] [--database-url postgresql+psycopg://...]

The data is bench.meetings' (20,000 participants with profiles, 60,000 requests, 2,000 booked meetings).
Baselines, timed in the same run: reading one profile (for the download) and declining one request (one
state change plus one queued notice, for the deletion).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from bench.meetings import PARTICIPANTS, REQUESTS, seed
from bench.setup import big_database
from bot.assistant import Assistant
from bot.clock import FixedClock
from storage.models import MeetingRequest, MeetingSeat, Participant


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def pct(values: list[float], p: int) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=40)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    clock = FixedClock(datetime(2026, 6, 21, 12, 0, tzinfo=UTC))
    db, _ = big_database(args.database_url, clock=clock, people=PARTICIPANTS)
    pending = seed(db, clock.now())
    with db.transaction(write=True) as session:  # big_event stamps people with the wall clock; use the event's time
        session.execute(update(Participant).values(created_at=clock.now(), updated_at=clock.now()))
    assistant = Assistant(db=db, clock=clock)
    with db.transaction() as session:  # the busiest people: most requests, with booked meetings
        busiest = session.scalars(
            select(MeetingSeat.participant_id).group_by(MeetingSeat.participant_id)
            .order_by(func.count().desc(), MeetingSeat.participant_id).limit(args.people)
        ).all()  # fmt: skip
        declinable = session.execute(
            select(MeetingRequest.id, MeetingRequest.invitee_id).where(MeetingRequest.id.in_(pending[: args.people * 4]))
        ).all()
    declinable = [(rid, who) for rid, who in declinable if who not in busiest][: args.people]

    profile = [timed(lambda p=p: assistant.participants.get(p)) for p in busiest]
    export = [timed(lambda p=p: assistant.privacy.export(p)) for p in busiest]
    decline = [timed(lambda r=r, w=w: assistant.partnering.decline(request_id=r, actor_id=w)) for r, w in declinable]
    delete = [timed(lambda p=p: assistant.privacy.delete(p)) for p in busiest]

    clock.set(datetime(2026, 12, 31, 12, 0, tzinfo=UTC) + timedelta(days=assistant.retention_days))
    started = time.perf_counter()
    dry = assistant.privacy.purge(dry_run=True)
    dry_seconds = time.perf_counter() - started
    started = time.perf_counter()
    report = assistant.privacy.purge()
    purge_seconds = time.perf_counter() - started
    with db.transaction() as session:
        left = session.scalar(select(func.count()).select_from(Participant).where(Participant.deleted_at.is_(None)))

    print(f"Privacy on {db.engine.dialect.name}: {PARTICIPANTS:,} participants, {REQUESTS:,} requests; "
          f"{len(busiest)} of the busiest people\n")  # fmt: skip
    print(f"{'':48} {'p50':>9} {'p99':>9}")
    rows = [("download: build one person's JSON", export), ("  baseline: read one profile", profile),
            ("delete one person (closes requests, meetings)", delete), ("  baseline: decline one request", decline)]  # fmt: skip
    for label, values in rows:
        print(f"{label:48} {pct(values, 50):6.2f} ms {pct(values, 99):6.2f} ms")
    print(f"retention dry run: {dry_seconds:.2f} s ({dry.people:,} people, {dry.requests:,} requests would go)")
    print(f"retention run: {purge_seconds:.2f} s ({report.people:,} people, {report.requests:,} requests); "
          f"{left} participants left with personal data")  # fmt: skip
    db.dispose()


if __name__ == "__main__":
    main()
