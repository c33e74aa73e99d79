"""Partnering at BIO International scale: accepting a request (server side, through the real Bolt
app, next to a bare Bolt app answering the same signed request), placing accepted requests (one at a
time and a burst of 100 together, next to the one-transaction-per-accept path of before) and
"schedule all" for 10,000 accepted requests.

    python -m bench.meetings [--accepts 200] [--database-url postgresql+psycopg://...]

Before measuring, the process freezes its start-up heap as `python -m bot serve` does (bot.heap).

The data: 20,000 participants, 60,000 meeting requests (48,000 pending or declined, 2,000
already booked, 10,000 accepted and waiting for "schedule all"), 400 tables, two days of
30-minute slots (32 slots, 12,800 table-slots).
"""

from __future__ import annotations

import argparse
import json
import random
import time
import urllib.parse
from datetime import UTC, datetime, timedelta

from slack_bolt import App
from sqlalchemy import insert, select, text

from bench.agenda import SECRET, bare_app, measure, pct, signed
from bench.setup import big_database
from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.heap import settle_after_startup
from bot.partnering.instant import Press, carry_out
from bot.partnering.placement import plan_all
from bot.partnering.requests import Limits
from handlers.slack.app import build_app
from storage.db import Database
from storage.models import Event, Meeting, MeetingRequest, MeetingSeat, Participant
from tests.fake_slack import FakeSlack

PARTICIPANTS = 20_000
REQUESTS = 60_000
BOOKED = 2_000
ACCEPTED_UNPLACED = 10_000
BURST = 100


def seed(db: Database, now: datetime) -> list[int]:
    """Requests between random people; returns the IDs of pending requests left for the accept benchmark."""
    rng = random.Random(11)
    with db.transaction() as session:
        ids = session.scalars(select(Participant.id).order_by(Participant.id)).all()
        event_id = session.scalar(select(Event.id))
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < REQUESTS:
        a, b = rng.sample(ids, 2)
        if (a, b) not in pairs and (b, a) not in pairs:
            pairs.add((a, b))
    rows = []
    for n, (a, b) in enumerate(pairs):
        status = "accepted" if n < BOOKED + ACCEPTED_UNPLACED else ("pending" if n % 2 else "declined")
        rows.append({"event_id": event_id, "requester_id": a, "invitee_id": b, "topic": f"Licensing {n}", "message": "",
                     "preferred_day": None, "status": status, "decline_reason": "",
                     "created_at": now - timedelta(hours=1, seconds=REQUESTS - n)})  # fmt: skip
    with db.transaction() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(MeetingRequest), rows[start : start + 5000])
    # Book the first 2,000 accepted ones the fast way, as "schedule all" would.
    with db.transaction(write=True) as session:
        event = session.scalars(select(Event)).one()
        first = session.scalars(
            select(MeetingRequest).where(MeetingRequest.status == "accepted").order_by(MeetingRequest.id).limit(BOOKED)
        ).all()
        plan = plan_all(session, event=event, requests=list(first), now=now)
        by_id = {r.id: r for r in first}
        meetings = [{"event_id": event.id, "request_id": rid, "slot_id": slot, "table_id": table, "status": "booked",
                     "ics_uid": f"bench-{rid}", "sequence": 0, "created_at": now} for rid, slot, table in plan.placed]  # fmt: skip
        session.execute(insert(Meeting), meetings)
        booked = session.execute(select(Meeting.id, Meeting.request_id, Meeting.slot_id)).all()
        seats = [{"meeting_id": mid, "participant_id": p, "slot_id": slot, "active": True}
                 for mid, rid, slot in booked for p in (by_id[rid].requester_id, by_id[rid].invitee_id)]  # fmt: skip
        session.execute(insert(MeetingSeat), seats)
    with db.transaction() as session:
        return session.scalars(
            select(MeetingRequest.id).where(MeetingRequest.status == "pending").order_by(MeetingRequest.id)
        ).all()


def accept_request(request_id: int, user: str, response_url: str) -> object:
    payload = {
        "type": "block_actions", "team": {"id": "T0001"}, "user": {"id": user, "team_id": "T0001"}, "api_app_id": "A1",
        "container": {"type": "message", "is_ephemeral": False}, "trigger_id": "1.2.3", "channel": {"id": "D1"},
        "response_url": response_url,
        "actions": [{"type": "button", "action_id": "request_accept", "value": str(request_id), "action_ts": "1"}],
    }  # fmt: skip
    return signed(urllib.parse.urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accepts", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    clock = FixedClock(datetime(2026, 6, 21, 12, 0, tzinfo=UTC))  # the day before the partnering days
    db, _ = big_database(args.database_url, clock=clock, people=PARTICIPANTS)
    started = time.perf_counter()
    pending = seed(db, clock.now())
    seed_seconds = time.perf_counter() - started
    if db.engine.dialect.name == "postgresql":
        # The bulk-loaded tables vacuumed and analysed, as autovacuum does after a big insert on a running server
        # (the shared test server runs with autovacuum off): without statistics the planner takes 60,000 requests
        # for a handful, and without the visibility map counting a slot's meetings reads every row from the heap.
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))

    with db.transaction() as session:
        invitees = dict(session.execute(
            select(MeetingRequest.id, Participant.external_id).join(Participant, Participant.id == MeetingRequest.invitee_id)
            .where(MeetingRequest.id.in_(pending[: args.accepts * 2]))
        ).all())  # fmt: skip

    with FakeSlack() as fake:
        assistant = Assistant(db=db, clock=clock, limits=Limits(requests_per_day=10_000))
        ours: App = build_app(assistant=assistant, token="xoxb-bench", signing_secret=SECRET, api_url=fake.url)
        for external_id in set(invitees.values()):
            fake.add_user(external_id, real_name=f"Person {external_id}")
        floor = bare_app(fake)
        settle_after_startup()  # as `python -m bot serve` does before it serves (bot.heap)

        @floor.action("request_accept")
        def accept(ack) -> None:
            ack()

        queue = iter(pending[: args.accepts * 2])

        def next_accept(_: int):
            request_id = next(queue)
            return accept_request(request_id, invitees[request_id], fake.url_root + "response/accept")

        mine = measure(ours, next_accept, args.accepts - 20)
        base = measure(
            floor,
            lambda i: accept_request(pending[0], invitees[pending[0]], fake.url_root + "response/accept"),
            args.accepts,
        )

        # Placing: one press at a time through the burst path (record, then place in its own transaction), next
        # to Partnering.accept (one transaction, placement.place) on other requests of the same kind.
        deadline = time.monotonic() + 300  # let the presses above be placed and their DMs sent: nothing competes
        while time.monotonic() < deadline and (assistant.placer.busy() or assistant.deliverer.sending()):
            time.sleep(0.1)
        with db.transaction() as session:
            rest = session.execute(
                select(MeetingRequest.id, MeetingRequest.invitee_id)
                .where(MeetingRequest.status == "pending", MeetingRequest.id.not_in(pending[: args.accepts * 2]))
                .order_by(MeetingRequest.id).limit(args.accepts * 2 + BURST)
            ).all()  # fmt: skip
        one_by_one, before, burst = rest[: args.accepts], rest[args.accepts : args.accepts * 2], rest[args.accepts * 2 :]
        placed_one = []
        for request_id, invitee in one_by_one:
            press = Press(intake_id=assistant.record_accept(platform="slack", external_id="bench", request_id=request_id),
                          request_id=request_id, resolve=lambda: None, actor=invitee)  # fmt: skip
            started = time.perf_counter()
            carry_out(assistant.partnering, [press])
            placed_one.append((time.perf_counter() - started) * 1000)
        placed_before = []
        for request_id, invitee in before:
            started = time.perf_counter()
            assistant.partnering.accept(request_id=request_id, actor_id=invitee)
            placed_before.append((time.perf_counter() - started) * 1000)
        presses = [
            Press(intake_id=assistant.record_accept(platform="slack", external_id="bench", request_id=request_id),
                  request_id=request_id, resolve=lambda: None, actor=invitee)
            for request_id, invitee in burst
        ]  # fmt: skip
        started = time.perf_counter()
        replies, _, _ = carry_out(assistant.partnering, presses)
        burst_ms = (time.perf_counter() - started) * 1000
        burst_placed = sum("Accepted." in r.text for r in replies.values())

        started = time.perf_counter()
        report = assistant.floor.schedule_all()
        schedule_seconds = time.perf_counter() - started
        with db.transaction() as session:
            booked = session.scalar(select(text("count(*)")).select_from(Meeting).where(Meeting.status == "booked"))

    print(f"BIO scale partnering on {db.engine.dialect.name}: {PARTICIPANTS:,} participants, {REQUESTS:,} requests, "
          f"400 tables, 32 slots (seeded in {seed_seconds:.1f} s)\n")  # fmt: skip
    print(f"{'':44} {'PartnerUp p50':>14} {'p99':>9} {'bare Bolt p50':>14} {'p99':>9}")
    print(f"{'accept a request: the answer (placing follows)':44} {pct(mine, 50):11.2f} ms {pct(mine, 99):6.2f} ms "
          f"{pct(base, 50):11.2f} ms {pct(base, 99):6.2f} ms")  # fmt: skip
    print(f"{'place one accepted request (burst path)':44} {pct(placed_one, 50):11.2f} ms {pct(placed_one, 99):6.2f} ms")
    print(f"{'  the same, one transaction per accept':44} {pct(placed_before, 50):11.2f} ms "
          f"{pct(placed_before, 99):6.2f} ms")  # fmt: skip
    print(f"{'place a burst of ' + str(BURST) + ' together':44} {burst_ms:11.2f} ms in all, {burst_placed} placed")
    print(f"\nschedule all: {ACCEPTED_UNPLACED:,} accepted requests in {schedule_seconds:.2f} s "
          f"({report.placed:,} placed, {len(report.unplaced):,} not placed, with reasons); {booked:,} meetings booked in all")  # fmt: skip
    db.dispose()


if __name__ == "__main__":
    main()
