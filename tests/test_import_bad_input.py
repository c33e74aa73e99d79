"""Bad programme files get one clear line naming the row, line or element and the field, and change nothing."""

from __future__ import annotations

import io
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.sources import SourceError
from bot.sources.fetch import fetch_url, read_file
from storage.db import Database
from storage.models import AgendaSession, Event
from tests.agenda_import_helpers import DATA, berlin, bring_in

CSV_HEAD = "Title,Date,Start,End,Room\n"


@pytest.fixture
def imported(db: Database) -> tuple[Database, FixedClock]:
    clock = FixedClock(berlin(27, 10, 0))
    bring_in(db, clock, "38c3-schedule.xml")
    return db, clock


def state(db: Database) -> tuple:
    with db.transaction() as session:
        return (
            session.scalars(select(Event.key)).all(),
            session.scalar(select(func.count()).select_from(AgendaSession)),
            session.scalars(select(AgendaSession.title).order_by(AgendaSession.id)).all(),
        )


def refused(db: Database, clock: FixedClock, name: str, data: bytes, **options) -> str:
    before = state(db)
    with pytest.raises(SourceError) as error:
        bring_in(db, clock, Path(name), data=data, **options)
    assert state(db) == before
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    return message


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<schedule><conference><title>&lol3;</title></conference></schedule>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE schedule [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<schedule><conference><title>&secret;</title></conference></schedule>"""


@pytest.mark.parametrize("data", [BOMB, EXTERNAL], ids=["entity expansion", "external entity"])
def test_xml_with_entities_is_refused(imported, data: bytes) -> None:
    message = refused(*imported, "evil.xml", data)
    assert "DTD or entities; refused" in message


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("empty.xml", b"", "the file is empty (0 bytes)"),
        ("broken.xml", b"<schedule><day date='2024-12-27'>", "line 1, column"),
        ("other.xml", b"<rss></rss>", "not a frab/pretalx schedule"),
        ("broken.json", b'{"schedule": {"conference": ', "not valid JSON"),
        ("what.bin", b"\x00\x01\x02garbage", "cannot tell what format this is"),
        (
            "bad.ics",
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "DTSTART is missing",
        ),
    ],
)
def test_unreadable_sources_say_why(imported, name: str, data: bytes, expected: str) -> None:
    assert expected in refused(*imported, name, data)


def test_frab_event_with_a_broken_duration_is_named(imported) -> None:
    data = (
        (DATA / "38c3-schedule.xml")
        .read_bytes()
        .replace(b"<duration>00:30</duration>", b"<duration>half an hour</duration>", 1)
    )
    assert "<event id=2>: duration 'half an hour' is not HH:MM" in refused(*imported, "38c3.xml", data)


@pytest.mark.parametrize(
    ("rows", "options", "expected"),
    [
        ("A talk,2024-12-27,10:00,09:00,Hall\n", {}, "row 2: end 09:00 is not after start 10:00"),
        ("A talk,31.02.2024,10:00,11:00,Hall\n", {}, "row 2: Date: '31.02.2024' is not a date like 2026-12-03"),
        ("A talk,2024-12-27,25:00,26:00,Hall\n", {}, "row 2: Start: '25:00' is not a time like 09:30"),
        ("A talk,2024-12-27,10:00,11:00,Hall\nA talk,2024-12-27,10:30,11:30,Hall\n", {}, "row 3: duplicates row 2"),
        ("A talk,2024-12-27,10:00,11:00,Hall\n", {"columns": {"colour": "Room"}}, "there is no field 'colour'"),
        ("A talk,2024-12-27,10:00,11:00,Hall\n", {"columns": {"title": "Session"}}, 'the file has no column "Session"'),
    ],
)
def test_sheet_rows_with_problems_are_named_by_line_and_column(imported, rows: str, options, expected: str) -> None:
    assert expected in refused(*imported, "programme.csv", (CSV_HEAD + rows).encode(), timezone="Europe/Berlin", **options)


def test_a_sheet_without_the_needed_columns_says_which(imported) -> None:
    message = refused(*imported, "programme.csv", b"Colour,Size\nred,3\n", timezone="Europe/Berlin")
    assert "header row: no column for title, date, start, end or duration" in message


def test_one_broken_row_late_in_a_sheet_changes_nothing_at_all(imported) -> None:
    rows = "".join(f"Talk {n},2024-12-27,{9 + n // 4:02d}:{(n % 4) * 15:02d},{9 + n // 4:02d}:{(n % 4) * 15 + 10:02d},Hall\n"
                   for n in range(40))  # fmt: skip
    message = refused(*imported, "programme.csv", (CSV_HEAD + rows + "Broken,2024-12-27,12:00,,Hall\n").encode(),
                      timezone="Europe/Berlin", replace=True)  # fmt: skip
    assert "row 42" in message


def test_a_formula_without_a_saved_value_is_refused_and_saved_values_count(imported) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Title", "Date", "Start", "Duration"])
    sheet.append(["Talk", "2024-12-27", "10:00", 30])
    sheet.append(['="Talk " & 2', "2024-12-27", "11:00", 30])
    buffer = io.BytesIO()
    workbook.save(buffer)
    message = refused(*imported, "programme.xlsx", buffer.getvalue(), timezone="Europe/Berlin", replace=True)
    assert "row 3, column A: a formula without a saved value" in message


def test_a_100_mb_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    huge = tmp_path / "programme.xml"
    with huge.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: nothing is written
    with pytest.raises(SourceError, match="100 MB is more than the 20 MB a programme may be"):
        read_file(str(huge))


class _Server:
    def __init__(self, body: bytes, *, length: bool = True) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                if length:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/schedule.xml"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize("length", [True, False], ids=["declared", "streamed"])
def test_a_url_answering_too_much_is_cut_off(length: bool) -> None:
    server = _Server(b"<schedule>" + b" " * 5000 + b"</schedule>", length=length)
    try:
        with pytest.raises(SourceError, match="is more than the"):
            fetch_url(server.url, limit=1024)
    finally:
        server.close()


def test_a_url_that_hangs_times_out_with_a_clear_line() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    try:
        with pytest.raises(SourceError, match="no answer in time"):
            fetch_url(f"http://127.0.0.1:{listener.getsockname()[1]}/schedule.xml", timeout=0.3)
    finally:
        listener.close()
