"""Loading and re-loading the event file: stable keys, updates in place, cancellations that keep rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import func, select, text

from bot.agenda.catalog import Catalog
from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.event_setup import DEFAULT_EVENT_FILE, load_event_file
from bot.replies import Reply, SessionCard
from storage.db import Database
from storage.models import AgendaSession, Base, Event
from tests.conftest import OSLO

OLWEUS = "d1-olweus-keynote"
OLWEUS_TITLE = "From lab to patient: cancer immunotherapy research at Oslo University Hospital"


def row_counts(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        return {table.name: session.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables}


def session_row(db: Database, key: str) -> AgendaSession:
    with db.transaction() as session:
        return session.scalars(select(AgendaSession).where(AgendaSession.key == key)).one()


def edited_copy(tmp_path: Path, edit: Callable[[dict], None]) -> Path:
    """A copy of the default event file with ``edit`` applied to its data."""
    data = yaml.safe_load(DEFAULT_EVENT_FILE.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "event.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def session_in(data: dict, key: str) -> dict:
    return next(s for s in data["sessions"] if s["key"] == key)


def titles(reply: Reply) -> list[str]:
    return [part.session.title for part in reply.parts if isinstance(part, SessionCard)]


def test_first_load_creates_29_sessions(db: Database, clock: FixedClock) -> None:
    report = load_event_file(db, DEFAULT_EVENT_FILE, clock=clock)

    assert report.created
    assert len(report.added) == 29
    assert row_counts(db)["agenda_sessions"] == 29
    assert row_counts(db)["events"] == 1
    assert row_counts(db)["venues"] == 2
    assert report.summary_lines()[0] == "Event days-to-partner-up-2026: created."


def test_times_are_stored_in_utc_and_read_back_in_oslo_time(event_db: Database) -> None:
    olweus = session_row(event_db, OLWEUS)

    assert olweus.title == OLWEUS_TITLE
    assert olweus.starts_at == datetime(2026, 12, 3, 9, 10, tzinfo=UTC)
    assert olweus.starts_at.utcoffset().total_seconds() == 0
    assert olweus.starts_at.astimezone(OSLO).strftime("%a %d %b %H:%M") == "Thu 03 Dec 10:10"
    assert olweus.ends_at.astimezone(OSLO).strftime("%H:%M") == "10:50"


def test_the_stored_value_itself_is_utc(event_db: Database) -> None:
    with event_db.engine.connect() as connection:
        raw = connection.execute(
            text("SELECT starts_at FROM agenda_sessions WHERE key = :key"), {"key": OLWEUS}
        ).scalar_one()

    if event_db.is_sqlite:
        assert str(raw).startswith("2026-12-03 09:10:00")
    else:
        assert raw == datetime(2026, 12, 3, 9, 10, tzinfo=UTC)


def test_day_two_sessions_are_on_4_december_in_oslo(event_db: Database) -> None:
    with event_db.transaction() as session:
        rows = session.scalars(select(AgendaSession).where(AgendaSession.key.startswith("d2-"))).all()
        venues = {row.venue.name for row in rows}

    assert len(rows) == 14
    assert {row.starts_at.astimezone(OSLO).date().isoformat() for row in rows} == {"2026-12-04"}
    assert venues == {"Oslo Science Park"}


def test_reloading_the_same_file_changes_and_duplicates_nothing(event_db: Database, clock: FixedClock) -> None:
    before = row_counts(event_db)
    olweus_id = session_row(event_db, OLWEUS).id

    report = load_event_file(event_db, DEFAULT_EVENT_FILE, clock=clock)

    assert not report.created
    assert report.nothing_changed
    assert "Nothing changed." in report.summary_lines()
    assert row_counts(event_db) == before
    assert session_row(event_db, OLWEUS).id == olweus_id


def test_editing_a_time_updates_the_session_in_place(event_db: Database, clock: FixedClock, tmp_path: Path) -> None:
    before = session_row(event_db, OLWEUS)
    counts = row_counts(event_db)

    def later(data: dict) -> None:
        session_in(data, OLWEUS).update(start="10:20", end="11:00")

    report = load_event_file(event_db, edited_copy(tmp_path, later), clock=clock)

    after = session_row(event_db, OLWEUS)
    assert after.id == before.id
    assert after.starts_at.astimezone(OSLO).strftime("%H:%M") == "10:20"
    assert after.ends_at.astimezone(OSLO).strftime("%H:%M") == "11:00"
    assert [(c.key, c.fields) for c in report.changed] == [(OLWEUS, ["start", "end"])]
    assert f"  ~ changed   {OLWEUS} (start, end)" in report.summary_lines()
    assert not (report.added or report.cancelled or report.restored)
    assert row_counts(event_db) == counts


def test_editing_speakers_and_room_reports_those_fields(event_db: Database, clock: FixedClock, tmp_path: Path) -> None:
    def edit(data: dict) -> None:
        olweus = session_in(data, OLWEUS)
        olweus["room"] = "Meeting rooms"
        olweus["speakers"].append({"name": "Jutta Heix", "title": "Moderator"})

    report = load_event_file(event_db, edited_copy(tmp_path, edit), clock=clock)

    assert [(c.key, c.fields) for c in report.changed] == [(OLWEUS, ["room", "speakers"])]
    with event_db.transaction() as session:
        row = session.scalars(select(AgendaSession).where(AgendaSession.key == OLWEUS)).one()
        assert row.room.name == "Meeting rooms"
        assert [s.name for s in row.speakers] == ["Johanna Olweus", "Jutta Heix"]


def test_removing_a_session_cancels_it_and_keeps_the_row(
    event_db: Database, clock: FixedClock, tmp_path: Path, assistant: Assistant
) -> None:
    assert OLWEUS_TITLE in titles(assistant.agenda(text="olweus"))
    olweus_id = session_row(event_db, OLWEUS).id

    def remove(data: dict) -> None:
        data["sessions"] = [s for s in data["sessions"] if s["key"] != OLWEUS]

    report = load_event_file(event_db, edited_copy(tmp_path, remove), clock=clock)

    assert report.cancelled == [OLWEUS]
    assert any(line.startswith(f"  - cancelled {OLWEUS}") for line in report.summary_lines())
    row = session_row(event_db, OLWEUS)
    assert (row.id, row.status) == (olweus_id, "cancelled")
    assert row_counts(event_db)["agenda_sessions"] == 29

    assert OLWEUS_TITLE not in titles(assistant.agenda(text="olweus"))
    assert assistant.agenda(text="olweus").text == "No session matches that search."
    day_one = [title for page in (1, 2) for title in titles(assistant.agenda(text="day 1", page=page))]
    assert len(day_one) == 14
    assert OLWEUS_TITLE not in day_one
    assert OLWEUS_TITLE not in titles(assistant.agenda(text="now"))


def test_putting_a_removed_session_back_restores_it(
    event_db: Database, clock: FixedClock, tmp_path: Path, assistant: Assistant
) -> None:
    olweus_id = session_row(event_db, OLWEUS).id

    def remove(data: dict) -> None:
        data["sessions"] = [s for s in data["sessions"] if s["key"] != OLWEUS]

    load_event_file(event_db, edited_copy(tmp_path, remove), clock=clock)
    assert OLWEUS_TITLE not in titles(assistant.agenda(text="olweus"))

    report = load_event_file(event_db, DEFAULT_EVENT_FILE, clock=clock)

    assert report.restored == [OLWEUS]
    assert report.cancelled == [] and report.added == []
    row = session_row(event_db, OLWEUS)
    assert (row.id, row.status) == (olweus_id, "scheduled")
    assert row_counts(event_db)["agenda_sessions"] == 29
    assert titles(assistant.agenda(text="olweus")) == [OLWEUS_TITLE]
    assert titles(assistant.agenda(text="now")) == [OLWEUS_TITLE]


def test_adding_a_session_adds_one_row(event_db: Database, clock: FixedClock, tmp_path: Path, assistant: Assistant) -> None:
    def add(data: dict) -> None:
        data["sessions"].append(
            {
                "key": "d2-yoga",
                "title": "Morning yoga",
                "kind": "networking",
                "day": 2,
                "start": "07:30",
                "end": "08:15",
                "venue": "osp",
            }
        )

    report = load_event_file(event_db, edited_copy(tmp_path, add), clock=clock)

    assert report.added == ["d2-yoga"]
    assert row_counts(event_db)["agenda_sessions"] == 30
    assert titles(assistant.agenda(text="yoga")) == ["Morning yoga"]


def test_catalog_picks_up_a_reload(event_db: Database, clock: FixedClock, tmp_path: Path) -> None:
    catalog = Catalog(event_db)
    first = catalog.current()
    assert catalog.current() is first, "without a reload the same snapshot is reused"
    olweus = next(s for s in first.sessions if s.key == OLWEUS)
    assert olweus.starts_at.astimezone(OSLO).strftime("%H:%M") == "10:10"

    def later(data: dict) -> None:
        session_in(data, OLWEUS).update(start="10:20", end="11:00", title="Olweus: the keynote")

    load_event_file(event_db, edited_copy(tmp_path, later), clock=clock)
    second = catalog.current()

    assert second.revision == first.revision + 1
    olweus = next(s for s in second.sessions if s.key == OLWEUS)
    assert olweus.title == "Olweus: the keynote"
    assert olweus.starts_at.astimezone(OSLO).strftime("%H:%M") == "10:20"
    assert [hit.session.title for hit in second.search_index.search("keynote olweus")][0] == "Olweus: the keynote"


def test_revision_grows_on_every_load(event_db: Database, clock: FixedClock) -> None:
    with event_db.transaction() as session:
        first = session.scalars(select(Event.revision)).one()

    load_event_file(event_db, DEFAULT_EVENT_FILE, clock=clock)

    with event_db.transaction() as session:
        assert session.scalars(select(Event.revision)).one() == first + 1
