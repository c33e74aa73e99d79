"""The organisers' dashboard at BIO International scale: time to render the pages and the printable PDFs.

    python -m bench.dashboard [--runs 10] [--database-url postgresql+psycopg://...]

The data: 20,000 participants, 60,000 meeting requests, 400 tables and two days of 30-minute slots (32 slots,
12,800 table-slots), every table-slot booked (12,800 meetings: at 400 tables × 32 slots that is all the room
there is; the rest of the 60,000 requests are pending, declined or accepted and waiting). Each page is timed
through the dashboard's own WSGI app with a signed-in session (as a browser asks for it), next to the baseline
of the same app answering its sign-in page (Werkzeug + Jinja2, no data) in the same run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select
from werkzeug.test import Client

from bench.setup import big_database
from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.partnering.placement import plan_all
from handlers.web.dashboard import DashboardApp
from storage.db import Database
from storage.models import Event, Meeting, MeetingRequest, MeetingSeat, Participant

PARTICIPANTS = 20_000
REQUESTS = 60_000
ACCEPTED = 14_000  # more than the 12,800 table-slots, so every one is filled


def seed(db: Database, now: datetime) -> int:
    """Requests between random people, the accepted ones placed the way "schedule all" does; returns meetings booked."""
    rng = random.Random(14)
    with db.transaction() as session:
        ids = session.scalars(select(Participant.id).order_by(Participant.id)).all()
        event_id = session.scalar(select(Event.id))
        kinds = ["pharma", "biotech", "startup", "academia", "investor", "hospital"]
        for start in range(0, len(ids), 5000):
            for pid in ids[start : start + 5000]:
                session.get(Participant, pid).org_type = kinds[pid % len(kinds)]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < REQUESTS:
        a, b = rng.sample(ids, 2)
        if (a, b) not in pairs and (b, a) not in pairs:
            pairs.add((a, b))
    rows = []
    for n, (a, b) in enumerate(sorted(pairs)):
        status = "accepted" if n < ACCEPTED else ("pending" if n % 2 else "declined")
        rows.append({"event_id": event_id, "requester_id": a, "invitee_id": b, "topic": f"Licensing {n}", "message": "",
                     "preferred_day": None, "status": status, "decline_reason": "",
                     "created_at": now - timedelta(hours=1, seconds=REQUESTS - n)})  # fmt: skip
    with db.transaction(write=True) as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(MeetingRequest), rows[start : start + 5000])
    with db.transaction(write=True) as session:
        event = session.scalars(select(Event)).one()
        accepted = session.scalars(
            select(MeetingRequest).where(MeetingRequest.status == "accepted").order_by(MeetingRequest.id)
        ).all()
        plan = plan_all(session, event=event, requests=list(accepted), now=now)
        by_id = {r.id: r for r in accepted}
        meetings = [{"event_id": event.id, "request_id": rid, "slot_id": slot, "table_id": table, "status": "booked",
                     "ics_uid": f"bench-{rid}", "sequence": 0, "created_at": now} for rid, slot, table in plan.placed]  # fmt: skip
        for start in range(0, len(meetings), 5000):
            session.execute(insert(Meeting), meetings[start : start + 5000])
        booked = session.execute(select(Meeting.id, Meeting.request_id, Meeting.slot_id)).all()
        seats = [{"meeting_id": mid, "participant_id": p, "slot_id": slot, "active": True}
                 for mid, rid, slot in booked for p in (by_id[rid].requester_id, by_id[rid].invitee_id)]  # fmt: skip
        for start in range(0, len(seats), 5000):
            session.execute(insert(MeetingSeat), seats[start : start + 5000])
        return session.scalar(select(func.count()).select_from(Meeting))


def timed(client: Client, path: str, runs: int, *, status: int = 200) -> tuple[list[float], int]:
    """Wall-clock milliseconds per request (after one warm-up) and the size of the last answer."""
    size = 0
    times = []
    for n in range(runs + 1):
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == status, (path, response.status_code)
        size = len(response.data)
        if n:
            times.append(elapsed)
    return times, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--pdf-runs", type=int, default=2)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    clock = FixedClock(datetime(2026, 6, 21, 12, 0, tzinfo=UTC))  # the day before the partnering days
    db, _ = big_database(args.database_url, clock=clock, people=PARTICIPANTS)
    started = time.perf_counter()
    meetings = seed(db, clock.now())
    seed_seconds = time.perf_counter() - started

    assistant = Assistant(db=db, clock=clock, organisers=frozenset({"bench-organiser"}))
    with db.transaction() as session:
        organiser = session.scalar(select(Participant.id).limit(1))
    _, message = assistant.dashboard_link(external_id="bench-organiser", actor=organiser)
    link = next(p.text for p in message.parts if "login?token=" in getattr(p, "text", "")).removeprefix(assistant.public_url)
    app = DashboardApp(assistant, secret="bench-secret-0123456789abcdef")
    anonymous, client = Client(app), Client(app)
    assert client.get(link).status_code == 303
    block = assistant.dashboard.plan().blocks[0].key

    print(f"Dashboard at BIO scale on {db.engine.dialect.name}: {PARTICIPANTS:,} participants, {REQUESTS:,} requests, "
          f"400 tables, 32 slots, {meetings:,} meetings booked (seeded in {seed_seconds:.1f} s); machine shared\n")  # fmt: skip
    base, base_size = timed(anonymous, "/dashboard", args.runs, status=401)
    print(f"{'page':34} {'p50':>9} {'max':>9} {'size':>9}")
    print(
        f"{'baseline: the sign-in page (401)':34} {statistics.median(base):6.1f} ms {max(base):6.1f} ms {base_size / 1024:6.0f} kB"
    )
    for label, path in (("overview (numbers + 4 charts)", "/dashboard"),
                        ("table plan, one block (400 × 16)", f"/dashboard/plan/{block}"),
                        ("itineraries, first 100 people", "/dashboard/people")):  # fmt: skip
        times, size = timed(client, path, args.runs)
        print(f"{label:34} {statistics.median(times):6.1f} ms {max(times):6.1f} ms {size / 1024:6.0f} kB")
    for label, path in (("tables.pdf (400 pages)", "/dashboard/print/tables.pdf"),
                        ("people.pdf (one page per person)", "/dashboard/print/people.pdf")):  # fmt: skip
        times, size = timed(client, path, args.pdf_runs)
        print(f"{label:34} {statistics.median(times) / 1000:7.2f} s {max(times) / 1000:7.2f} s {size / 1024 / 1024:5.1f} MB")
    db.dispose()


if __name__ == "__main__":
    main()
