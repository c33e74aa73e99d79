"""Broken event files: each gives one EventFileError that says where the problem is, and
a broken file loaded after a good one leaves the database exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.event_setup import load_event_file
from storage.db import Database
from storage.event_file import EventFileError, parse_event_text
from storage.models import AgendaSession, Event, Room, Speaker, Venue

GOOD = """\
event:
  key: mini
  name: Mini partnering day
  timezone: Europe/Oslo
  dates: [2026-12-03, 2026-12-04]
venues:
  - key: hall
    name: Town Hall
    rooms: [Main, Side]
sessions:
  - key: opening
    title: Opening
    kind: talk
    day: 1
    start: "09:00"
    end: "09:30"
    venue: hall
    room: Main
  - key: pitches
    title: Pitches
    kind: pitch
    day: 2
    start: "10:00"
    end: "11:00"
    venue: hall
    room: Side
"""


def broken(old: str, new: str) -> str:
    """The good file with one edit; the edit must apply, or the test would prove nothing."""
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


def error_for(text: str) -> str:
    with pytest.raises(EventFileError) as raised:
        parse_event_text(text, source="mini.yml")
    message = str(raised.value)
    assert message.startswith("mini.yml:")
    assert "more problem" not in message, f"one mistake should give one problem: {message}"
    return message


def test_the_good_file_parses() -> None:
    parsed = parse_event_text(GOOD, source="mini.yml")

    assert [s.key for s in parsed.sessions] == ["opening", "pitches"]


def test_yaml_syntax_error_names_the_line() -> None:
    message = error_for(broken("  name: Mini partnering day", "  name: Mini: partnering day"))

    assert "line 3" in message
    assert "not valid YAML" in message


def test_a_tab_for_indentation_names_the_line() -> None:
    message = error_for(broken("    title: Pitches", "\ttitle: Pitches"))

    assert "line 20" in message


def test_unknown_field_is_named_with_its_path() -> None:
    message = error_for(broken("    title: Opening\n", "    title: Opening\n    speeker: Ada\n"))

    assert "sessions[0].speeker" in message
    assert "unknown field" in message


def test_unknown_top_level_field_is_named() -> None:
    message = error_for(GOOD + "extras: true\n")

    assert "extras: unknown field" in message


@pytest.mark.parametrize("value", ['"9.30"', '"25:00"', '"09:60"', '"noon"', "9.30"])
def test_bad_time_of_day_names_the_field(value: str) -> None:
    message = error_for(broken('start: "09:00"', f"start: {value}"))

    assert "sessions[0].start" in message
    assert "HH:MM" in message


def test_unquoted_time_is_read_as_a_time_not_a_number() -> None:
    parsed = parse_event_text(broken('start: "09:00"', "start: 9:05"), source="mini.yml")

    assert parsed.sessions[0].start == "09:05"


@pytest.mark.parametrize("end", ['"08:45"', '"09:00"'])
def test_end_not_after_start_names_the_session(end: str) -> None:
    message = error_for(broken('end: "09:30"', f"end: {end}"))

    assert "sessions[0]" in message
    assert "must be after start 09:00" in message


def test_day_beyond_the_event_names_the_field() -> None:
    message = error_for(broken("day: 2", "day: 3"))

    assert "sessions[1] (pitches).day" in message
    assert "day 3 does not exist" in message
    assert "2 day(s)" in message


def test_day_zero_names_the_field() -> None:
    message = error_for(broken("day: 1", "day: 0"))

    assert "sessions[0].day" in message


def test_unknown_venue_names_the_field_and_the_key() -> None:
    message = error_for(broken("    venue: hall\n    room: Side", "    venue: barn\n    room: Side"))

    assert "sessions[1] (pitches).venue" in message
    assert "'barn'" in message


def test_room_not_in_the_venue_names_the_room_and_venue() -> None:
    message = error_for(broken("room: Side", "room: Cellar"))

    assert "sessions[1] (pitches).room" in message
    assert "'Cellar'" in message
    assert "'hall'" in message


def test_duplicate_session_key_names_the_second_one() -> None:
    message = error_for(broken("  - key: pitches", "  - key: opening"))

    assert "sessions[1] (opening).key" in message
    assert "used twice" in message


@pytest.mark.parametrize("zone", ["Europe/Atlantis", "CET+1", "europe/oslo", '""'])
def test_unknown_time_zone_names_the_field(zone: str) -> None:
    message = error_for(broken("timezone: Europe/Oslo", f"timezone: {zone}"))

    assert "event.timezone" in message
    assert "unknown IANA time zone" in message


@pytest.mark.parametrize("text", ["", "just a sentence", "- a\n- b\n"])
def test_not_a_mapping_at_the_top(text: str) -> None:
    message = error_for(text)

    assert "expected a mapping" in message


@pytest.mark.parametrize("impossible", ["2026-02-30", "2026-13-03"])
def test_impossible_date_names_the_field(impossible: str) -> None:
    message = error_for(broken("2026-12-04]", f"{impossible}]"))

    assert "line 5" in message or "event.dates" in message


def test_time_zone_that_is_a_region_not_a_zone_names_the_field() -> None:
    message = error_for(broken("timezone: Europe/Oslo", "timezone: Europe"))

    assert "event.timezone" in message


def test_a_field_given_twice_is_reported() -> None:
    message = error_for(broken('    start: "09:00"\n', '    start: "09:00"\n    start: "09:10"\n'))

    assert "start" in message


# --- loading through bot.event_setup -----------------------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(db: Database) -> dict:
    """Everything a load could touch, in a comparable form."""
    with db.transaction() as session:
        return {
            "events": [(e.id, e.key, e.name, e.timezone, e.dates, e.revision) for e in session.scalars(select(Event))],
            "venues": sorted((v.id, v.key, v.name) for v in session.scalars(select(Venue))),
            "rooms": sorted((r.id, r.name) for r in session.scalars(select(Room))),
            "sessions": sorted(
                (s.id, s.key, s.title, s.status, s.starts_at, s.ends_at, s.room_id)
                for s in session.scalars(select(AgendaSession))
            ),
            "speakers": sorted((s.id, s.name) for s in session.scalars(select(Speaker))),
        }


@pytest.mark.parametrize(
    "old, new",
    [
        ('end: "09:30"', 'end: "08:30"'),  # end before start
        ("room: Side", "room: Cellar"),  # room not in the venue
        ("  name: Mini partnering day", "  name: Mini: partnering day"),  # YAML syntax
        ("timezone: Europe/Oslo", "timezone: Mars/Olympus"),  # unknown zone
    ],
    ids=["end-before-start", "unknown-room", "yaml-syntax", "unknown-zone"],
)
def test_broken_file_after_a_good_one_changes_nothing(db: Database, clock: FixedClock, tmp_path: Path, old: str, new: str):
    load_event_file(db, write(tmp_path, "good.yml", GOOD), clock=clock)
    before = snapshot(db)
    # The broken file also renames a session and adds one: none of that may reach the database.
    text = broken(old, new).replace("title: Opening", "title: Grand opening") + (
        "  - key: extra\n    title: Extra\n    kind: talk\n    day: 1\n"
        '    start: "12:00"\n    end: "12:30"\n    venue: hall\n'
    )
    clock.advance(minutes=5)

    with pytest.raises(EventFileError) as raised:
        load_event_file(db, write(tmp_path, "broken.yml", text), clock=clock)

    assert str(raised.value).startswith(str(tmp_path / "broken.yml"))
    assert snapshot(db) == before


def test_missing_file_is_an_event_file_error(db: Database, clock: FixedClock, tmp_path: Path) -> None:
    with pytest.raises(EventFileError, match="cannot read the file"):
        load_event_file(db, tmp_path / "nope.yml", clock=clock)


def test_file_that_is_not_utf8_is_an_event_file_error(db: Database, clock: FixedClock, tmp_path: Path) -> None:
    path = tmp_path / "latin1.yml"
    path.write_bytes(GOOD.replace("Town Hall", "Rådhus").encode("latin-1"))

    with pytest.raises(EventFileError, match="not UTF-8"):
        load_event_file(db, path, clock=clock)


def test_overlong_speaker_title_is_refused_or_kept_whole(db: Database, clock: FixedClock, tmp_path: Path) -> None:
    title = "Professor of " + "very " * 50 + "long titles"
    text = broken("    room: Main\n", f"    room: Main\n    speakers:\n      - name: Ada\n        title: {title}\n")

    try:
        load_event_file(db, write(tmp_path, "long.yml", text), clock=clock)
    except EventFileError as error:
        assert "speakers[0].title" in str(error)
        return
    with db.transaction() as session:
        assert session.scalars(select(Speaker.title)).one() == title
