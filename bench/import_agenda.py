"""Importing a 1,500-session programme: schedule XML and XLSX, from empty and re-imported with 20 changes, next
to loading the same programme from YAML in the same run (so a busy machine slows both sides alike).

    python -m bench.import_agenda [--sessions 1500] [--database-url postgresql+psycopg://...]

Time is wall clock; peak memory is tracemalloc's peak of Python allocations during the step.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
import tracemalloc
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import yaml
from openpyxl import Workbook
from sqlalchemy import text

from bot.clock import FixedClock
from bot.event_setup import load_event_file
from bot.importing import import_agenda
from bot.sources import ImportOptions
from storage.db import Database

ZONE = ZoneInfo("Europe/Oslo")
DAYS = [date(2026, 12, 1) + timedelta(days=n) for n in range(4)]
ROOMS = [f"Room {n}" for n in range(1, 16)]


def programme(count: int, changed: int = 0) -> list[dict]:
    """``count`` sessions over 4 days and 15 rooms, 20-minute talks; the first ``changed`` are moved by 5 minutes
    (even ones) or renamed (odd ones)."""
    per_room_day = -(-count // (len(DAYS) * len(ROOMS)))
    sessions = []
    for n in range(count):
        day = DAYS[n // (per_room_day * len(ROOMS))]
        room = ROOMS[(n // per_room_day) % len(ROOMS)]
        slot = n % per_room_day
        start = datetime.combine(day, datetime.min.time(), ZONE) + timedelta(hours=8, minutes=25 * slot)
        title = f"Session {n}: on scaling partnering programmes"
        if n < changed:
            if n % 2 == 0:
                start += timedelta(minutes=5)
            else:
                title += " (renamed)"
        sessions.append({"id": str(uuid.UUID(int=n + 1)), "title": title, "start": start, "end": start + timedelta(minutes=20),
                         "day": day, "room": room, "speaker": f"Speaker {n}"})  # fmt: skip
    return sessions


def as_xml(sessions: list[dict]) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<schedule><version>1</version><conference><acronym>bench</acronym>'
           "<title>Bench Conference</title><time_zone_name>Europe/Oslo</time_zone_name></conference>"]  # fmt: skip
    for index, day in enumerate(DAYS, start=1):
        out.append(f'<day index="{index}" date="{day.isoformat()}">')
        for room in ROOMS:
            out.append(f'<room name="{room}">')
            for s in sessions:
                if s["day"] == day and s["room"] == room:
                    out.append(
                        f'<event guid="{s["id"]}" id="{s["id"][-6:]}"><date>{s["start"].isoformat()}</date>'
                        f"<start>{s['start']:%H:%M}</start><duration>00:20</duration><room>{room}</room>"
                        f"<title>{escape(s['title'])}</title><type>Talk</type><abstract>About {escape(s['title'])}.</abstract>"
                        f'<persons><person id="{s["id"][-6:]}">{s["speaker"]}</person></persons></event>'
                    )
            out.append("</room>")
        out.append("</day>")
    out.append("</schedule>")
    return "".join(out).encode()


def as_xlsx(sessions: list[dict]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["ID", "Title", "Date", "Start", "End", "Room", "Speakers", "Description"])
    for s in sessions:
        sheet.append([s["id"], s["title"], s["day"], s["start"].time(), s["end"].time(), s["room"], s["speaker"],
                      f"About {s['title']}."])  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_yaml(sessions: list[dict]) -> str:
    document = {
        "event": {
            "key": "bench",
            "name": "Bench Conference",
            "timezone": "Europe/Oslo",
            "dates": [d.isoformat() for d in DAYS],
        },
        "venues": [{"key": "bench", "name": "Bench Conference", "rooms": ROOMS}],
        "sessions": [
            {
                "key": s["id"],
                "title": s["title"],
                "kind": "talk",
                "day": DAYS.index(s["day"]) + 1,
                "start": f"{s['start']:%H:%M}",
                "end": f"{s['end']:%H:%M}",
                "venue": "bench",
                "room": s["room"],
                "description": f"About {s['title']}.",
                "speakers": [{"name": s["speaker"]}],
            }  # fmt: skip
            for s in sessions
        ],
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def fresh(url: str, workdir: Path, name: str) -> Database:
    db = Database(url or f"sqlite:///{workdir / (name + '.db')}")
    if url:
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    db.migrate()
    return db


def measure(step, *, memory: bool) -> float:
    """Seconds (memory=False) or tracemalloc's peak MB (memory=True: tracing slows Python down several times, so
    time and memory come from two separate passes)."""
    if not memory:
        started = time.perf_counter()
        step()
        return time.perf_counter() - started
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    return peak


def steps(args, workdir: Path, clock, yaml_path: Path, sources, *, memory: bool) -> list[tuple[str, float]]:
    rows = []
    db = fresh(args.database_url, workdir, f"yaml-{memory}")
    rows.append(
        ("YAML load from empty (baseline)", measure(lambda: load_event_file(db, yaml_path, clock=clock), memory=memory))
    )
    db.dispose()
    for label, first, second, fmt in sources:
        db = fresh(args.database_url, workdir, f"{fmt}-{memory}")
        options = ImportOptions(timezone="Europe/Oslo", name="Bench Conference")

        def run(data: bytes, db=db, options=options, fmt=fmt) -> None:
            run.result = import_agenda(db, data, source=f"bench.{fmt}", clock=clock, options=options)

        rows.append((f"{label} import from empty", measure(lambda first=first, run=run: run(first), memory=memory)))
        rows.append((f"{label} re-import, 20 changes", measure(lambda second=second, run=run: run(second), memory=memory)))
        assert len(run.result.report.changed) == 20, run.result.report.changed[:3]
        rows.append((f"{label} re-import, no change", measure(lambda second=second, run=run: run(second), memory=memory)))
        db.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1500)
    parser.add_argument("--database-url", default="", help="a scratch PostgreSQL database (emptied!); SQLite otherwise")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="partnerup-bench-import-"))
    clock = FixedClock(datetime(2026, 11, 1, 12, 0, tzinfo=ZONE))
    base, changed = programme(args.sessions), programme(args.sessions, changed=20)
    yaml_path = workdir / "bench.yml"
    yaml_path.write_text(as_yaml(base), encoding="utf-8")
    xml, xml_changed = as_xml(base), as_xml(changed)
    xlsx, xlsx_changed = as_xlsx(base), as_xlsx(changed)
    print(f"{args.sessions} sessions; XML {len(xml) / 1024:.0f} KB, XLSX {len(xlsx) / 1024:.0f} KB, YAML "
          f"{yaml_path.stat().st_size / 1024:.0f} KB; {'PostgreSQL' if args.database_url else 'SQLite'}")  # fmt: skip
    sources = [("schedule XML", xml, xml_changed, "schedule-xml"), ("XLSX", xlsx, xlsx_changed, "xlsx")]
    times = steps(args, workdir, clock, yaml_path, sources, memory=False)
    peaks = dict(steps(args, workdir, clock, yaml_path, sources, memory=True))
    rows = [(label, seconds, peaks[label]) for label, seconds in times]
    baseline = rows[0][1]
    print(f"{'step':40} {'seconds':>8} {'x YAML':>7} {'peak MB':>8}")
    for label, seconds, peak in rows:
        print(f"{label:40} {seconds:8.2f} {seconds / baseline:7.2f} {peak:8.1f}")


if __name__ == "__main__":
    main()
