"""A small seeded partnering event for the dashboard's tests and its README screenshot: 20 people with profiles,
30 booked meetings over two blocks, a few requests pending, declined and withdrawn, and some direct messages
sent and failed. Everything goes through the assistant's own calls, as people would do it."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from bot.assistant import Assistant
from storage.models import Delivery
from tests.partnering_helpers import give_profile, people

EVENT = """\
event:
  key: seeded-partnering-2026
  name: Seeded partnering day
  timezone: Europe/Oslo
  dates: [2026-12-03]
venues:
  - key: hall
    name: Innovation Park
    address: Ullernchausseen 64, 0379 Oslo
    rooms: [Partnering lounge]
partnering:
  slot_minutes: 30
  blocks:
    - key: morning
      title: Morning partnering
      day: 1
      start: "11:00"
      end: "13:00"
      venue: hall
    - key: afternoon
      title: Afternoon partnering
      day: 1
      start: "14:00"
      end: "16:00"
      venue: hall
  tables:
    - venue: hall
      room: Partnering lounge
      prefix: Table
      count: 5
"""

NAMES = [
    ("Maya Lund", "Biogenix", "biotech"),
    ("Bjørn Ødegård", "Roche", "pharma"),
    ("Ada Nilsen", "Oslo University Hospital", "hospital"),
    ("Kari Berg", "NorInvest", "investor"),
    ("Lars Holm", "CellTech", "startup"),
    ("Ingrid Dahl", "University of Oslo", "academia"),
    ("Ola Nordmann", "Nordic Pharma", "pharma"),
    ("Sofie Strand", "TCR Bio", "biotech"),
    ("Jonas Lie", "Radium Ventures", "investor"),
    ("Emma Bakke", "Helse Sør-Øst", "public"),
    ("Nora Vik", "ImmunoCore", "biotech"),
    ("Henrik Moe", "MedStart", "startup"),
    ("Zoë Łukasz", "Kraków Biotech", "biotech"),
    ("Erik Sæther", "Sintef", "academia"),
    ("Mari Solberg", "Novo Nordisk", "pharma"),
    ("Per Aas", "Aker BioMarine", "other"),
    ("Liv Hauge", "Rikshospitalet", "hospital"),
    ("Tor Eide", "Investinor", "investor"),
    ("<script>alert(1)</script>", "Evil & <b>Co</b>", "startup"),
    ("Anne Rønning", "Photocure", "pharma"),
]


def event_file(directory: Path) -> Path:
    path = directory / "seeded-event.yml"
    path.write_text(EVENT, encoding="utf-8")
    return path


def seed(assistant: Assistant, directory: Path) -> dict[str, list[int]]:
    """Load the event and fill it; returns the participant IDs and the IDs of the booked requests."""
    from bot.event_setup import load_event_file

    load_event_file(assistant.db, event_file(directory), clock=assistant.clock)
    ids = people(assistant, *(name for name, _, _ in NAMES))
    for pid, (_, org, kind) in zip(ids, NAMES, strict=True):
        give_profile(assistant, pid, organisation=org, org_type=kind, offers="partnering", interests=("oncology",))
    rng = random.Random(14)
    pairs: list[tuple[int, int]] = []
    seen: set[frozenset[int]] = set()
    while len(pairs) < 36:
        a, b = rng.sample(ids, 2)
        if frozenset((a, b)) not in seen:
            seen.add(frozenset((a, b)))
            pairs.append((a, b))
    booked, other = [], []
    for n, (a, b) in enumerate(pairs):
        request = assistant.partnering.create_request(requester_id=a, invitee_id=b, topic=f"Collaboration {n + 1}")
        if n < 30:
            result = assistant.partnering.accept(request_id=request.id, actor_id=b)
            assert result.meeting is not None, "the seeded event has room for every meeting"
            booked.append(request.id)
        elif n < 32:
            assistant.partnering.decline(request_id=request.id, actor_id=b, reason="fully booked")
            other.append(request.id)
        elif n < 33:
            assistant.partnering.withdraw(request_id=request.id, actor_id=a)
            other.append(request.id)
        else:
            other.append(request.id)  # pending
    # Some direct messages went out and a few failed, an hour ago and now.
    now = assistant.clock.now()
    with assistant.db.transaction(write=True) as session:
        rows = session.scalars(select(Delivery.id).order_by(Delivery.id)).all()
        for n, delivery_id in enumerate(rows):
            if n % 7 == 3:
                session.execute(
                    update(Delivery).where(Delivery.id == delivery_id).values(status="failed", detail="user_not_found")
                )
            elif n % 3 != 2:
                sent = now - timedelta(hours=1) if n % 2 else now
                session.execute(update(Delivery).where(Delivery.id == delivery_id).values(status="sent", sent_at=sent))
    return {"people": ids, "booked": booked, "other": other}
