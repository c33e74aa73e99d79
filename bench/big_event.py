"""A BIO International-sized event: 1,500 sessions over four days at four venues, and 20,000 participants.

python -m bench.big_event > big.yml          # the event file alone
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime

import yaml
from sqlalchemy import insert

from storage.db import Database
from storage.models import Participant

TOPICS = [
    "oncology", "immunotherapy", "cell therapy", "gene therapy", "rare diseases", "neuroscience", "cardiometabolic",
    "vaccines", "antibody drug conjugates", "radiopharmaceuticals", "digital pathology", "diagnostics", "AI in drug discovery",
    "real-world evidence", "clinical trial design", "biomarkers", "microbiome", "RNA therapeutics", "CRISPR", "manufacturing",
]  # fmt: skip
FIRST = [
    "Anna",
    "Ben",
    "Chen",
    "Dana",
    "Elif",
    "Femi",
    "Goran",
    "Hana",
    "Ivan",
    "Jon",
    "Kiri",
    "Lena",
    "Maya",
    "Nils",
    "Omar",
]
LAST = ["Berg", "Chow", "Diaz", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kowalski", "Lund", "Moreau"]
ORGS = ["Biogenix", "Celltera", "Genomed", "Immunova", "Neurax", "Oncolytics", "Pharmacore", "Radiant Bio", "Theragen"]
KINDS = ["talk", "talk", "talk", "panel", "pitch", "partnering", "networking"]


def big_event(*, sessions: int = 1500, days: int = 4, tables: int = 400, seed: int = 7) -> dict:
    rng = random.Random(seed)
    venues = []
    for v in range(4):
        venues.append(
            {
                "key": f"hall-{v + 1}",
                "name": f"Convention Center Hall {chr(65 + v)}",
                "address": f"{100 + v} Harbor Drive, San Diego, CA 92101",
                "map_url": f"https://www.openstreetmap.org/search?query={100 + v}%20Harbor%20Drive%20San%20Diego",
                "directions": "Trolley Green Line to Convention Center station, then a five-minute walk.",
                "rooms": [f"Room {v + 1}{r:02d}" for r in range(1, 41)],
            }
        )
    rows = []
    per_day = sessions // days
    for index in range(sessions):
        day = min(index // per_day, days - 1) + 1
        venue = venues[index % len(venues)]
        room = venue["rooms"][(index // len(venues)) % len(venue["rooms"])]
        slot = (index // (len(venues) * len(venue["rooms"]))) % 20
        start_minutes = 8 * 60 + slot * 30
        topic = rng.choice(TOPICS)
        kind = rng.choice(KINDS)
        speakers = [
            {"name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "organisation": f"{rng.choice(ORGS)} {rng.randint(1, 400)}"}
            for _ in range(rng.randint(0, 3))
        ]
        rows.append(
            {
                "key": f"s{index:05d}",
                "title": f"{topic.title()} {kind}: session {index}",
                "kind": kind,
                "day": day,
                "start": f"{start_minutes // 60:02d}:{start_minutes % 60:02d}",
                "end": f"{(start_minutes + 25) // 60:02d}:{(start_minutes + 25) % 60:02d}",
                "venue": venue["key"],
                "room": room,
                "description": f"Latest advances in {topic} and {rng.choice(TOPICS)}, with partnering opportunities.",
                "speakers": speakers,
            }
        )
    return {
        "event": {
            "key": "bio-international-bench",
            "name": "BIO International (benchmark)",
            "timezone": "America/Los_Angeles",
            "dates": [f"2026-06-{22 + d:02d}" for d in range(days)],
        },
        "organisers": [{"name": "BIO"}],
        "venues": venues,
        "sessions": rows,
        "partnering": {
            "slot_minutes": 30,
            "blocks": [
                {
                    "key": f"partnering-day-{d + 1}",
                    "title": "Partnering",
                    "day": d + 1,
                    "start": "09:00",
                    "end": "17:00",
                    "venue": "hall-1",
                }
                for d in range(2)
            ],  # fmt: skip
            "tables": [{"venue": "hall-1", "room": "Room 101", "prefix": "Table", "count": tables}],
        },
    }


def add_participants(db: Database, *, count: int = 20_000, seed: int = 3) -> None:
    """Participants with partnering profiles, so partner search has realistic text to go through."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    types = ["pharma", "biotech", "startup", "academia", "hospital", "investor", "public", "other"]
    rows = [
        {
            "platform": "slack", "external_id": f"U{n:08d}", "display_name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {n}",
            "timezone": "", "is_bot": False, "created_at": now, "updated_at": now, "title": "",
            "organisation": f"{rng.choice(ORGS)} {n % 3000}", "org_type": rng.choice(types), "role": "Business development",
            "offers": f"{rng.choice(TOPICS)} platform and {rng.choice(TOPICS)} data", "seeks": f"partners in {rng.choice(TOPICS)}",
            "interests": rng.sample(TOPICS, 3),
        }
        for n in range(count)
    ]  # fmt: skip
    with db.transaction() as session:
        for start in range(0, count, 5000):
            session.execute(insert(Participant), rows[start : start + 5000])


if __name__ == "__main__":
    yaml.safe_dump(big_event(), sys.stdout, sort_keys=False, allow_unicode=True)
