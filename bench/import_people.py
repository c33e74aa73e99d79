"""Importing and linking a BIO-sized registration list against a fake Slack that enforces Slack's limits.

    python -m bench.import_people [--registrants 20000] [--members 25000] [--scale 600] [--lookups N]
                                  [--database-url postgresql+psycopg://...]

A generated list of ``--registrants`` people (a ;-separated CSV with a BOM, like the test export) is imported into
an empty database, then linked by email to a fake Slack of ``--members`` members, 90% of the registrants among them.
The fake enforces ``users.list`` at Tier 2 (20 a minute) and ``users.lookupByEmail`` at Tier 3 (50 a minute) for the
whole workspace; both limits and the client's pacing run ``--scale`` times faster than Slack's, so that the minutes
Slack would take become seconds here. The same run then links the same list the other way, one
``users.lookupByEmail`` per person (``--lookups`` of them; the rest extrapolated), as the baseline.

Reported: the import time; for each way, the wall time here, the calls, the 429s, and the time at Slack's real
limits (the calls at the tier's rate, plus the time we spent ourselves, measured here).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, update

from bench.setup import empty_database
from bot.clock import FixedClock
from bot.people.roster import People
from handlers.slack.app import make_client
from handlers.slack.people import TIER_2_PER_MINUTE, TIER_3_PER_MINUTE, SlackAccounts
from storage.db import Database
from storage.models import Participant, Registration
from tests.fake_slack import FakeSlack

FIRST = ["Åse", "Bjørn", "Kari", "Ola", "Ingrid", "Håkon", "Sølvi", "Maya", "Lars", "Nina", "Per", "Eva", "Tor", "Liv"]
LAST = ["Berg", "Lund", "Dahl", "Strøm", "Ødegård", "Hansen", "Moe", "Vik", "Aasen", "Lie", "Kjær", "Haugen"]
ORGS = ["Fjordlab AS", "Nordlys Biotech", "Roche", "Oslo universitetssykehus", "Kveik Ventures", "Polar Capital"]
TYPES = ["Biotech", "Pharma", "Oppstart", "Academia", "Investor", "Sykehus", "Annet"]


def write_list(path: Path, count: int, rng: random.Random) -> list[str]:
    emails = []
    lines = ["Fornavn;Etternavn;E-post;Organisasjon;Type organisasjon;Stilling;Vi tilbyr;Vi søker;Interesser"]
    for n in range(count):
        email = f"person{n}@registrant{n % 97}.example.no"
        emails.append(email)
        lines.append(";".join([
            rng.choice(FIRST), rng.choice(LAST) + " ", email.upper() if n % 3 == 0 else email, rng.choice(ORGS),
            rng.choice(TYPES), "Head of BD", "Antibodies and CMC", "Partners for phase 1", '"oncology, ADC, AI"',
        ]))  # fmt: skip
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8"))
    return emails


def unlink_everyone(db: Database) -> None:
    """Back to the state right after the import: nobody linked, the addresses kept."""
    with db.transaction(write=True) as session:
        session.execute(
            update(Registration).values(status="unlinked", participant_id=None, linked_at=None, looked_up_at=None)
        )
        session.execute(delete(Participant))


def restore_emails(db: Database, emails: list[str]) -> None:
    from bot.people.registrants import email_hash

    with db.transaction(write=True) as session:
        for start in range(0, len(emails), 1000):
            for email in emails[start : start + 1000]:
                session.execute(update(Registration).where(Registration.email_hash == email_hash(email)).values(email=email))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registrants", type=int, default=20_000)
    parser.add_argument("--members", type=int, default=25_000)
    parser.add_argument(
        "--scale", type=float, default=600.0, help="how much faster than Slack's limits (600: a minute is 0.1 s)"
    )
    parser.add_argument("--lookups", type=int, default=0, help="baseline: look up this many one by one (default: all)")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    rng = random.Random(18)
    workdir = Path(tempfile.mkdtemp(prefix="partnerup-people-"))
    clock = FixedClock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    db = empty_database(args.database_url, workdir / "people.db")
    people = People(db=db, clock=clock)

    path = workdir / "registrants.csv"
    emails = write_list(path, args.registrants, rng)
    in_slack = rng.sample(emails, int(len(emails) * 0.9))
    fake = FakeSlack().start()
    try:
        for n, email in enumerate(in_slack):
            fake.add_user(f"U{n:07d}", real_name=f"Member {n}", email=email)
        for n in range(len(in_slack), args.members):
            fake.add_user(f"U{n:07d}", real_name=f"Other member {n}", email=f"other{n}@elsewhere.example.com")
        # Slack's limits, sped up: Tier 2 and Tier 3 per workspace, a small burst for arrival jitter.
        fake.rate_limit("users.list", per_second=TIER_2_PER_MINUTE / 60 * args.scale, burst=2, per_channel=False)
        fake.rate_limit("users.lookupByEmail", per_second=TIER_3_PER_MINUTE / 60 * args.scale, burst=2, per_channel=False)
        client = make_client(token="xoxb-bench", base_url=fake.url)

        started = time.perf_counter()
        summary = people.import_file(path)
        import_seconds = time.perf_counter() - started
        assert summary.created == args.registrants, summary.lines()

        finder = SlackAccounts(client, time_scale=args.scale)
        started = time.perf_counter()
        linked, missing = people.link_all(finder)
        list_seconds = time.perf_counter() - started
        list_calls = fake.calls("users.list")
        list_limited = sum(1 for c in list_calls if c.status == 429)
        list_ok = len(list_calls) - list_limited
        list_waiting = list_ok / (TIER_2_PER_MINUTE / 60 * args.scale)  # the pacing's share of the wall time here
        list_real = max(0.0, list_seconds - list_waiting) + list_ok / (TIER_2_PER_MINUTE / 60)

        unlink_everyone(db)
        restore_emails(db, emails)
        ids = people.due_for_lookup(older_than=clock.now(), limit=args.registrants)
        sample = ids[: args.lookups or len(ids)]
        one_by_one = SlackAccounts(client, time_scale=args.scale)
        started = time.perf_counter()
        linked_one = sum(1 for rid in sample if people.link_one(one_by_one, rid))
        lookup_seconds = time.perf_counter() - started
        lookup_calls = fake.calls("users.lookupByEmail")
        lookup_limited = sum(1 for c in lookup_calls if c.status == 429)
        ours_per_lookup = max(0.0, lookup_seconds - len(sample) / (TIER_3_PER_MINUTE / 60 * args.scale)) / max(
            1, len(sample)
        )
        lookup_real = len(ids) * (60 / TIER_3_PER_MINUTE + ours_per_lookup)
    finally:
        fake.stop()

    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"import_people ({backend}; {args.registrants:,} registrants, {args.members:,} Slack members, "
          f"{len(in_slack):,} of them registered; limits and pacing x{args.scale:g})")  # fmt: skip
    print(f"  import:                     {import_seconds:7.2f} s  ({summary.created:,} created)")
    print(f"  link, users.list once:      {list_seconds:7.2f} s here, {len(list_calls)} calls ({list_limited} x 429); "
          f"linked {linked:,}, not found {missing:,}; at Slack's real limits ~{list_real / 60:.1f} min")  # fmt: skip
    print(f"  baseline, one lookup each:  {lookup_seconds:7.2f} s here for {len(sample):,} lookups "
          f"({lookup_limited} x 429, linked {linked_one:,}); for all {len(ids):,} at Slack's real limits "
          f"~{lookup_real / 3600:.1f} h")  # fmt: skip


if __name__ == "__main__":
    main()
