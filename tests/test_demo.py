"""The live demo: the bundled event on any date, load-event --start-on, and the console's demo cast."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.demo import load_cast, seed_demo_cast
from bot.event_setup import DEFAULT_EVENT_FILE, demo_notice, ensure_default_event, live_start, load_event_file
from bot.worker import Worker
from handlers.console.repl import Console
from storage.db import Database
from storage.event_file import parse_event_file, parse_event_text
from storage.models import AgendaSession, MeetingBlock, MeetingSlot

ROOT = Path(__file__).resolve().parents[1]
OSLO = ZoneInfo("Europe/Oslo")
A_YEAR_LATER = datetime(2027, 12, 3, 10, 30, tzinfo=OSLO)  # the bundled event is 3-4 Dec 2026


def console_with_worker(assistant: Assistant, who: str = "Ada") -> Console:
    console = Console(assistant, who=who)
    console.worker = Worker(deliverer=assistant.deliverer, partnering=assistant.partnering,
                            reminders=assistant.reminders, announcements=assistant.announcements, rate=None)  # fmt: skip
    return console


def button_number(text: str, label: str) -> str:
    match = re.search(r"\[(\d+)\] " + re.escape(label), text)
    assert match, f"no {label!r} button in:\n{text}"
    return match.group(1)


# --- the bundled event on any date ------------------------------------------------------------


def test_a_year_later_the_bundled_event_is_live_today(db: Database) -> None:
    clock = FixedClock(A_YEAR_LATER)
    report = ensure_default_event(db, clock=clock)

    assert report is not None and report.first_day == date(2027, 12, 3)
    assert demo_notice(report, now=clock.now()) == "Demo: the bundled event is shown starting today, Fri 3 Dec."
    assistant = Assistant(db=db, clock=clock, send_now=True)
    ada = console_with_worker(assistant)
    on_now = ada.handle("/agenda now") + ada.handle("/agenda next")
    assert "Fri 3 Dec" in on_now or "Friday 3 December" in on_now, on_now
    assert "From lab to patient" in on_now  # Olweus, 10:10–10:50 on day 1
    assert "over" not in on_now.lower()

    friday = ada.handle("/agenda friday")
    assert "Day 1 · Friday 3 December" in friday, friday  # weekday names follow the new dates

    ada.handle("/profile org=Biogenix; type=biotech; offers=TCR platform; seeks=pharma partner; interests=oncology")
    bjorn = console_with_worker(assistant, who="Bjørn")
    bjorn.handle("/profile org=Nordavind; type=pharma; offers=licensing; seeks=TCR assets; interests=oncology")
    sent = ada.handle("/meet @Bjørn TCR licensing")
    assert "sent" in sent.lower(), sent
    received = bjorn.handle("/meetings")
    accepted = bjorn.handle(button_number(received, "Accept"))
    assert "Accepted. Your meeting with Ada is on Fri 3 Dec 11:10–11:40 CET" in accepted, accepted

    clock.set(datetime(2027, 12, 3, 11, 0, tzinfo=OSLO))  # ten minutes before: the default lead time
    reminded = bjorn.handle("/whoami")
    assert "MEETING IN 10 MINUTES" in reminded, reminded
    assert "Fri 3 Dec 11:10–11:40 CET" in reminded


def test_after_the_days_programme_the_demo_starts_tomorrow() -> None:
    event_file = parse_event_file(DEFAULT_EVENT_FILE)
    evening = datetime(2027, 12, 3, 21, 0, tzinfo=OSLO)
    assert live_start(event_file, evening) == date(2027, 12, 4)
    assert live_start(event_file, datetime(2027, 12, 3, 6, 0, tzinfo=OSLO)) == date(2027, 12, 3)


def test_a_coming_or_running_event_is_never_moved(db: Database) -> None:
    event_file = parse_event_file(DEFAULT_EVENT_FILE)
    assert live_start(event_file, datetime(2026, 11, 1, 12, 0, tzinfo=OSLO)) is None
    assert live_start(event_file, datetime(2026, 12, 4, 9, 0, tzinfo=OSLO)) is None  # day 2 is on
    report = ensure_default_event(db, clock=FixedClock(datetime(2026, 12, 4, 9, 0, tzinfo=OSLO)))
    assert report is not None and report.first_day is None
    assert demo_notice(report, now=datetime(2026, 12, 4, 9, 0, tzinfo=OSLO)) is None


# --- load-event --start-on moves everything consistently ---------------------------------------

FIXTURE = """
event:
  key: spring-rehearsal
  name: Spring rehearsal
  timezone: Europe/Oslo
  dates: [2027-03-26, 2027-03-27, 2027-03-29]
venues:
  - key: hall
    name: The hall
    rooms: [Main, Tables]
sessions:
  - {key: s1, title: Opening, kind: talk, day: 1, start: "09:00", end: "09:30", venue: hall, room: Main}
  - {key: s2, title: Partnering, kind: partnering, day: 2, start: "10:00", end: "11:00", venue: hall}
  - {key: s3, title: Late talk, kind: talk, day: 3, start: "23:00", end: "23:30", venue: hall}
partnering:
  slot_minutes: 20
  blocks:
    - session: s2
    - {key: own, title: Evening block, day: 3, start: "17:00", end: "18:00", venue: hall}
  tables:
    - {venue: hall, room: Tables, count: 2}
"""


def wall_clock(db: Database) -> tuple[list, list, list]:
    """Sessions, blocks and slots as (local date, local time) pairs, in a stable order."""

    def local(instant: datetime) -> tuple[date, str]:
        at = instant.astimezone(OSLO)
        return at.date(), f"{at:%H:%M}"

    with db.transaction() as session:
        sessions = [(s.key, local(s.starts_at), local(s.ends_at)) for s in session.scalars(select(AgendaSession))]
        blocks = [(b.key, local(b.starts_at), local(b.ends_at)) for b in session.scalars(select(MeetingBlock))]
        slots = [local(s.starts_at) for s in session.scalars(select(MeetingSlot).order_by(MeetingSlot.starts_at))]
    return sorted(sessions), sorted(blocks), slots


def shifted(items: list, days: int) -> list:
    def move(value):
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], date):
            return (value[0] + timedelta(days=days), value[1])
        if isinstance(value, tuple):
            return tuple(move(part) for part in value)
        return value

    return [move(item) for item in items]


@pytest.mark.parametrize(
    ("source", "start_on"),
    [("bundled", date(2027, 3, 27)), ("fixture", date(2026, 10, 24)), ("fixture", date(2027, 3, 27))],
    ids=["bundled-over-dst", "fixture-over-dst-end", "fixture-over-dst-start"],
)
def test_start_on_moves_every_session_block_and_slot_by_whole_days(
    source: str, start_on: date, tmp_path: Path, database_url: str
) -> None:
    path = DEFAULT_EVENT_FILE if source == "bundled" else tmp_path / "event.yml"
    if source == "fixture":
        path.write_text(FIXTURE, encoding="utf-8")
    clock = FixedClock(datetime(2026, 1, 1, 12, 0, tzinfo=OSLO))
    as_written = Database(database_url)
    report = load_event_file(as_written, path, clock=clock)
    assert report.first_day is None
    original = wall_clock(as_written)
    as_written.dispose()
    assert original[0][0][1][0] in parse_event_file(path).event.dates  # the file's own dates were kept

    moved_db = Database(f"sqlite:///{tmp_path / 'moved.db'}")
    moved_db.migrate()
    report = load_event_file(moved_db, path, clock=clock, start_on=start_on)
    days = (start_on - parse_event_file(path).event.dates[0]).days
    assert report.first_day == start_on
    assert f"Moved by {days} day(s)" in "\n".join(report.summary_lines())
    moved = wall_clock(moved_db)
    moved_db.dispose()
    assert moved[0] == shifted(original[0], days)  # sessions: same local times, whole days later
    assert moved[1] == shifted(original[1], days)  # blocks
    assert moved[2] == shifted(original[2], days)  # slots, also across the DST change
    assert len(moved[2]) == len(original[2]) > 0


def test_starting_on_keeps_gaps_between_days() -> None:
    event_file = parse_event_text(FIXTURE)
    assert event_file.starting_on(date(2027, 5, 3)).event.dates == [date(2027, 5, 3), date(2027, 5, 4), date(2027, 5, 6)]


def newcomer_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_load_event_command_keeps_a_real_files_dates_unless_asked(tmp_path: Path) -> None:
    env = newcomer_env(tmp_path) | {"DATABASE_URL": f"sqlite:///{tmp_path / 'real.db'}"}
    (tmp_path / "event.yml").write_text(FIXTURE, encoding="utf-8")
    run = [sys.executable, "-m", "bot", "load-event", "event.yml"]
    kept = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert kept.returncode == 0, kept.stderr
    assert "Moved" not in kept.stdout
    moved = subprocess.run([*run, "--start-on", "2027-06-07"], capture_output=True, text=True, cwd=tmp_path, env=env,
                           timeout=60)  # fmt: skip
    assert moved.returncode == 0, moved.stderr
    assert "Moved by 73 day(s): day 1 is Mon 2027-06-07 (the file says Fri 2027-03-26)." in moved.stdout
    assert "~ changed   s1 (start, end)" in moved.stdout
    bad = subprocess.run([*run, "--start-on", "next week"], capture_output=True, text=True, cwd=tmp_path, env=env,
                         timeout=60)  # fmt: skip
    assert bad.returncode == 2 and "not a date as YYYY-MM-DD" in bad.stderr
    too_late = subprocess.run([*run, "--start-on", "9999-12-31"], capture_output=True, text=True, cwd=tmp_path, env=env,
                              timeout=60)  # fmt: skip
    assert too_late.returncode == 2 and "would end after the year 9999" in too_late.stderr
    assert "Traceback" not in too_late.stderr


# --- the demo cast -------------------------------------------------------------------------------


def test_demo_cast_gives_a_newcomer_partners_a_request_and_a_meeting_about_to_start(db: Database) -> None:
    clock = FixedClock(A_YEAR_LATER.replace(hour=7, minute=2))
    ensure_default_event(db, clock=clock)
    assistant = Assistant(db=db, clock=clock, send_now=True)
    ada = console_with_worker(assistant)
    seeded = seed_demo_cast(assistant, newcomer=ada.me, identify=ada.identify)
    cast = load_cast()
    out = io.StringIO()
    ada.run(io.StringIO("/partners\n/meetings\n"), out)
    text = out.getvalue()

    assert seeded.meeting_booked and seeded.people == [person.name for person in cast.people]
    assert "MEETING IN 8 MINUTES" in text and "Fri 3 Dec 07:10–07:40 CET" in text  # the drop-in slot
    assert f"Request #{seeded.waiting_request} from {cast.waiting.requester}" in text
    assert "SUGGESTED PARTNERS" in text and cast.waiting.requester in text.split("SUGGESTED PARTNERS")[1]
    assert "📨 Direct message to Sofie Berg" not in text  # nobody reads the cast's own messages


def test_newcomer_walks_the_readme_in_a_fresh_directory(tmp_path: Path) -> None:
    """The README's walkthrough, typed into `python -m bot console` with no tokens and no database."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Try it alone: the demo", 1)[1].split("```", 2)[1]
    lines = [line.split("  ")[0].strip() for line in block.strip().splitlines()]
    assert len(lines) >= 5, lines
    result = subprocess.run([sys.executable, "-m", "bot", "console"], input="\n".join([*lines, "/quit"]) + "\n",
                            capture_output=True, text=True, cwd=tmp_path, env=newcomer_env(tmp_path), timeout=120)  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "partnerup-console.db").exists() and not (tmp_path / "partnerup.db").exists()
    assert "Demo cast: Ingrid Solberg, Magnus Eide, Bjørn Haugland" in out
    assert "SUGGESTED PARTNERS" in out
    assert "WAITING FOR YOUR ANSWER" in out and "Request #2 from Bjørn Haugland" in out
    assert "Accepted. Your meeting with Bjørn Haugland is on" in out
    assert "Your meeting request to Ingrid Solberg is sent" in out
    assert "You are now Ingrid Solberg." in out
    assert "Accepted. Your meeting with Ada is on" in out
    assert "Nobody called" not in out and "I don't know" not in out


def test_empty_console_has_no_cast(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "console", "--empty"], input="/meet @Bjørn hello\n/quit\n",
                            capture_output=True, text=True, cwd=tmp_path, env=newcomer_env(tmp_path), timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Demo cast" not in result.stdout
    assert "Nobody called 'Bjørn' is here yet" in result.stdout


def test_an_old_console_database_says_how_to_get_a_live_demo(tmp_path: Path) -> None:
    env = newcomer_env(tmp_path) | {"DATABASE_URL": f"sqlite:///{tmp_path / 'old.db'}"}
    past = FIXTURE.replace("[2027-03-26, 2027-03-27, 2027-03-29]", "[2020-03-26, 2020-03-27, 2020-03-29]")
    (tmp_path / "past.yml").write_text(past, encoding="utf-8")
    loaded = subprocess.run([sys.executable, "-m", "bot", "load-event", "past.yml"], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=60)  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    result = subprocess.run([sys.executable, "-m", "bot", "console"], input="/quit\n", capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "The event in this database ended on Sun 29 Mar. For a live demo, start afresh" in result.stdout
    assert "Demo cast" not in result.stdout  # a database that already had an event gets no cast


def test_announce_at_a_time_alone_means_today(event_db: Database, clock: FixedClock) -> None:
    ada = Console(Assistant(db=event_db, clock=clock, organisers=frozenset({"*"})))  # as in the console
    scheduled = ada.handle("/announce to everyone at 23:59: Doors open")
    assert "at Thu 3 Dec 23:59 CET" in scheduled, scheduled
    assert "Give the time like this: at 07:30 (today), or with the date: at 2026-12-03 07:30" in ada.handle(
        "/announce at 7pm: Doors open"
    )


def test_meetings_lists_availability_only_for_blocks_still_to_come(assistant: Assistant, clock: FixedClock) -> None:
    ada = Console(assistant)
    assert "Thu 3 Dec 11:10–12:30 CET 1:1 partnering meetings (morning)" in ada.handle("/meetings")
    clock.set(datetime(2026, 12, 4, 9, 0, tzinfo=OSLO))
    on_day_two = ada.handle("/meetings")
    assert "Thu 3 Dec" not in on_day_two
    assert "Fri 4 Dec 11:00–12:30 CET 1:1 partnering meetings (morning): available" in on_day_two
