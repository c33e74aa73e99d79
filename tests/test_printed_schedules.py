"""The printed schedules (people.pdf, tables.pdf and their per-block versions) show every time span, place, name and
organisation whole: read back with pdftotext, with long names, in both fonts the PDFs may use (DejaVu Sans where the
system has it, else the Vera that ships with reportlab), and checked against the meetings in the database."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import aliased

from bot import timefmt
from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.event_setup import load_event_file
from handlers.web import pdf
from storage.db import Database
from storage.models import Meeting, MeetingBlock, MeetingRequest, MeetingSlot, MeetingTable, Participant, Venue
from tests.partnering_helpers import give_profile, people

ZONE = "Europe/Oslo"
# A Wednesday (the widest short day name), a block at 15:20, rooms and tables named at length.
EVENT = """\
event:
  key: long-names-2026
  name: Days to partner up
  timezone: Europe/Oslo
  dates: [2026-12-09]
venues:
  - key: occ
    name: Oslo Cancer Cluster Innovation Park and Conference Centre
    address: Ullernchausseen 64, 0379 Oslo
    rooms: [Partnering lounge on the second floor (east wing)]
partnering:
  slot_minutes: 30
  blocks:
    - key: afternoon-partnering-with-a-long-name
      title: Afternoon partnering meetings for start-ups, biotechs, investors and academics
      day: 1
      start: "15:20"
      end: "17:20"
      venue: occ
  tables:
    - venue: occ
      room: Partnering lounge on the second floor (east wing)
      prefix: Roche and Oslo Cancer Cluster meeting table
      count: 2
    - venue: occ
      names: [Norway Health Tech boardroom with the view over the fjord]
"""
NAMES = [
    ("Maria Alexandra Konstantinopoulou-Haugland Østerberg", "Oslo University Hospital, Department of Cancer Immunology"),
    ("Bjørn Ødegård", "Roche"),
    ("Zoë Łukasz Kowalczyk-Brzeczyszczykiewicz", "Kraków Biotech and Life Science Incubator Foundation"),  # Vera: no ś, ę
    ("Wolfgang Amadeus Mustermann-Wahlberg", "Norwegian Institute of Public Health"),
    ("Ada Li", "NorInvest"),
    ("Ingrid Margrethe Solberg-Halvorsen", "Centre for Molecular Medicine Norway (NCMM)"),
]
TOPIC = "Licensing a T-cell receptor platform for solid tumours, and a joint application to the Research Council"


def fonts() -> list[pdf.Fonts]:
    """Every font pair installed here: Vera always (it ships with reportlab), DejaVu where the system has it."""
    return [pair for pair in pdf.FONTS if pair.installed()]


@pytest.fixture
def seeded(db: Database, clock: FixedClock, tmp_path: Path) -> Assistant:
    assistant = Assistant(db=db, clock=clock, organisers=frozenset())
    path = tmp_path / "event.yml"
    path.write_text(EVENT, encoding="utf-8")
    load_event_file(db, path, clock=clock)
    ids = people(assistant, *(name for name, _ in NAMES))
    for pid, (_, org) in zip(ids, NAMES, strict=True):
        give_profile(assistant, pid, organisation=org, offers="partnering")
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            if (a + b) % 2:  # nine meetings, several per person, at different tables and times
                request = assistant.partnering.create_request(requester_id=ids[a], invitee_id=ids[b], topic=TOPIC)
                assert assistant.partnering.accept(request_id=request.id, actor_id=ids[b]).meeting is not None
    return assistant


def booked(db: Database) -> list[dict]:
    """Every booked meeting, straight from the database."""
    a, b = aliased(Participant), aliased(Participant)
    with db.transaction() as session:
        rows = session.execute(
            select(MeetingSlot.starts_at, MeetingSlot.ends_at, MeetingTable.name, MeetingTable.room, Venue.name,
                   a.display_name, a.organisation, b.display_name, b.organisation, MeetingBlock.key)
            .select_from(Meeting)
            .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
            .join(MeetingBlock, MeetingBlock.id == MeetingSlot.block_id)
            .join(MeetingTable, MeetingTable.id == Meeting.table_id)
            .join(Venue, Venue.id == MeetingTable.venue_id)
            .join(MeetingRequest, MeetingRequest.id == Meeting.request_id)
            .join(a, a.id == MeetingRequest.requester_id)
            .join(b, b.id == MeetingRequest.invitee_id)
            .where(Meeting.status == "booked")
        ).all()  # fmt: skip
    return [
        dict(start=r[0], end=r[1], table=r[2], room=r[3] or "", venue=r[4], people=((r[5], r[6]), (r[7], r[8])), block=r[9])
        for r in rows
    ]


def pdftotext(data: bytes, tmp_path: Path) -> list[str]:
    """Each page's text in the order it was drawn (``pdftotext -raw``), line by line."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils; .ci/run installs it)")
    path = tmp_path / "read-back.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def read_back(data: bytes, tmp_path: Path) -> list[str]:
    """Each page's text with runs of white space made one space, so a name wrapped onto a second line reads as one
    (also when it was broken after a hyphen)."""
    return [re.sub(r"-\s+", "-", " ".join(page.split())) for page in pdftotext(data, tmp_path)]


def spans_on_one_line(data: bytes, tmp_path: Path) -> set[str]:
    """Every time span printed, each read from a single line: a span is never wrapped."""
    return {
        m for page in pdftotext(data, tmp_path) for m in re.findall(r"(?:\w{3} \d+ \w{3} )?\d\d:\d\d–\d\d:\d\d CET", page)
    }


def span(meeting: dict) -> str:
    """The full time span as printed: 'Wed 9 Dec 15:20–15:50 CET', from the meeting's own start and end."""
    day = timefmt.short_day(timefmt.local(meeting["start"], ZONE).date())
    return f"{day} {timefmt.span(meeting['start'], meeting['end'], ZONE)}"


@pytest.mark.parametrize("block", [None, "afternoon-partnering-with-a-long-name"])
@pytest.mark.parametrize("font", fonts(), ids=lambda f: f.name)
def test_people_pdf_prints_every_span_place_and_name_whole(seeded: Assistant, font, block, tmp_path: Path) -> None:
    data = pdf.people_pdf(seeded.dashboard.plan(), generated=seeded.clock.now(), block_key=block, fonts=font)
    pages = read_back(data, tmp_path)
    meetings = booked(seeded.db)
    assert len(meetings) == 9 and "…" not in "".join(pages)
    assert spans_on_one_line(data, tmp_path) == {span(m) for m in meetings if block in (None, m["block"])}
    for name, organisation in NAMES:
        [page] = [p for p in pages if f"{name} {organisation} Times in" in p]
        mine = [m for m in meetings if name in (m["people"][0][0], m["people"][1][0])]
        assert mine
        for m in mine:
            other = m["people"][1] if m["people"][0][0] == name else m["people"][0]
            assert span(m) in page, (span(m), page)
            place = ", ".join(part for part in (m["room"], m["venue"]) if part)
            assert f"{m['table']} {place}" in page, (m["table"], page)
            assert f"with {other[0]} {other[1]} Topic: {TOPIC}" in page, page
        assert len(re.findall(r"\w{3} \d+ Dec \d\d:\d\d–\d\d:\d\d CET", page)) == len(mine)


@pytest.mark.parametrize("block", [None, "afternoon-partnering-with-a-long-name"])
@pytest.mark.parametrize("font", fonts(), ids=lambda f: f.name)
def test_tables_pdf_prints_every_span_table_and_person_whole(seeded: Assistant, font, block, tmp_path: Path) -> None:
    data = pdf.tables_pdf(seeded.dashboard.plan(), generated=seeded.clock.now(), block_key=block, fonts=font)
    pages = read_back(data, tmp_path)
    meetings = booked(seeded.db)
    assert "…" not in "".join(pages)
    assert spans_on_one_line(data, tmp_path) >= {timefmt.span(m["start"], m["end"], ZONE) for m in meetings}
    tables = sorted({(m["table"], m["room"], m["venue"]) for m in meetings})
    assert len(pages) == 3 and len(tables) == 3
    for table, room, venue in tables:
        [page] = [p for p in pages if f" {table} {', '.join(x for x in (room, venue) if x)} " in p]
        assert (
            "Afternoon partnering meetings for start-ups, biotechs, investors and academics · Wednesday 9 December" in page
        )
        for m in (m for m in meetings if m["table"] == table):
            (a, a_org), (b, b_org) = m["people"]
            clock = timefmt.span(m["start"], m["end"], ZONE)
            assert f"{clock} {a} {a_org} {b} {b_org}" in page, page
