"""Following a live programme: a local HTTP server plays the conference tool, whose export changes, goes down,
answers 500, answers an empty or broken file. The agenda follows only the good versions; organisers are told once."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from bot.agenda_sync import KIND, AgendaSync, SyncSettings
from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.config import ConfigError, load_settings
from bot.partnering.participants import PersonInfo
from storage.db import Database
from storage.models import AgendaSession, Delivery
from tests.agenda_import_helpers import XML_38C3, berlin

ESP32 = "ab1e5592-c1c7-54ea-8170-687e3f73b2d0"
GOOD = XML_38C3.read_bytes()
MOVED = GOOD.replace(b"<date>2024-12-27T12:55:00+01:00</date>\n                <start>12:55</start>",
                     b"<date>2024-12-27T13:55:00+01:00</date>\n                <start>13:55</start>", 1)  # fmt: skip


class ConferenceTool:
    """Serves ``body`` with an ETag; ``status`` overrides; counts the requests and the conditional ones."""

    def __init__(self) -> None:
        self.body, self.status, self.requests, self.not_modified = GOOD, 200, 0, 0
        tool = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                tool.requests += 1
                etag = f'"{hash(tool.body) & 0xFFFFFFFF:x}"'
                if tool.status != 200:
                    self.send_response(tool.status)
                    self.end_headers()
                    return
                if self.headers.get("If-None-Match") == etag:
                    tool.not_modified += 1
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(tool.body)))
                self.end_headers()
                self.wfile.write(tool.body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/38c3/schedule/export/schedule.xml"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def down(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def start_of(db: Database, key: str):
    with db.transaction() as session:
        return session.scalar(select(AgendaSession.starts_at).where(AgendaSession.key == key))


def told(db: Database) -> list[str]:
    with db.transaction() as session:
        return [
            d.payload["text"] for d in session.scalars(select(Delivery).where(Delivery.kind == KIND).order_by(Delivery.id))
        ]


def test_the_agenda_follows_only_the_good_versions_and_organisers_hear_once(db: Database) -> None:
    clock = FixedClock(berlin(27, 8, 0))
    assistant = Assistant(db=db, clock=clock)
    assistant.identify(platform="slack", external_id="U900", lookup=lambda: PersonInfo(display_name="Orga"))
    tool = ConferenceTool()
    sync = AgendaSync(db=db, clock=clock, organisers=frozenset({"U900"}), settings=SyncSettings(url=tool.url, minutes=10))
    try:
        assert sync.run_due().report.created
        assert start_of(db, ESP32) == berlin(27, 12, 55)
        assert sync.run_due() is None and tool.requests == 1  # not due yet: no request at all
        clock.advance(minutes=10)
        assert sync.run_due() is None and tool.not_modified == 1  # asked conditionally, 304

        tool.body = MOVED
        clock.advance(minutes=10)
        assert [c.key for c in sync.run_due().report.changed] == [ESP32]
        assert start_of(db, ESP32) == berlin(27, 13, 55)

        for body, status in ((b"", 200), (b"", 500), (GOOD[: len(GOOD) // 2], 200), (b"<schedule></schedule>", 200)):
            tool.body, tool.status = body, status
            clock.advance(minutes=10)
            assert sync.run_due() is None
            assert start_of(db, ESP32) == berlin(27, 13, 55)  # the last good programme stays
        few = GOOD.split(b"</day>")[0] + b"</day></schedule>"  # only day 1: most sessions would be cancelled
        tool.body, tool.status = few, 200
        clock.advance(minutes=10)
        assert sync.run_due() is None
        with db.transaction() as session:
            assert (
                session.scalar(
                    select(AgendaSession.status).where(AgendaSession.key == "76ee194a-c269-50e0-b616-04f38fa329cb")
                )
                == "scheduled"
            )
        clock.advance(minutes=10)
        sync.run_due()  # the same problem again: not told twice
        messages = told(db)
        assert len(messages) == 5
        assert "the file is empty (0 bytes)" in messages[0] and "The agenda stays as last imported" in messages[0]
        assert "the server answered 500" in messages[1]
        assert "not well-formed XML" in messages[2]
        assert "no scheduled sessions" in messages[3]
        assert "would cancel" in messages[4] and "held back" in messages[4]

        tool.down()
        clock.advance(minutes=10)
        assert sync.run_due() is None
        assert "cannot fetch (ConnectError)" in told(db)[-1]
        assert start_of(db, ESP32) == berlin(27, 13, 55)
    finally:
        if tool.thread.is_alive():
            tool.down()

    back = ConferenceTool()
    sync.settings = SyncSettings(url=back.url, minutes=10)
    try:
        clock.advance(minutes=10)
        result = sync.run_due()
        assert [c.key for c in result.report.changed] == [ESP32]  # the source moved it back
        assert told(db)[-1].startswith("Agenda sync works again")
    finally:
        back.down()


def test_live_sync_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENDA_SOURCE_URL", "https://pretalx.example.org/conf/schedule/export/schedule.xml")
    monkeypatch.setenv("AGENDA_SYNC_MINUTES", "5")
    settings = load_settings()
    assert (settings.agenda_source_url, settings.agenda_source_format, settings.agenda_sync_minutes) == (
        "https://pretalx.example.org/conf/schedule/export/schedule.xml", "auto", 5.0)  # fmt: skip
    monkeypatch.setenv("AGENDA_SOURCE_URL", "file:///etc/passwd")
    with pytest.raises(ConfigError, match="AGENDA_SOURCE_URL must be an http"):
        load_settings()


def test_the_worker_gets_the_live_source_from_its_settings(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.import_command import agenda_sync_from

    monkeypatch.setenv("AGENDA_SOURCE_URL", "https://pretalx.example.org/conf/schedule/export/schedule.json")
    monkeypatch.setenv("AGENDA_SOURCE_FORMAT", "schedule-json")
    monkeypatch.setenv("AGENDA_SYNC_MINUTES", "3")
    sync = agenda_sync_from(load_settings(), db=db, clock=FixedClock(berlin(27, 8, 0)), organisers=frozenset({"U900"}))
    assert (sync.settings.url, sync.settings.fmt, sync.settings.minutes) == (
        "https://pretalx.example.org/conf/schedule/export/schedule.json", "schedule-json", 3.0)  # fmt: skip
    monkeypatch.delenv("AGENDA_SOURCE_URL")
    assert agenda_sync_from(load_settings(), db=db, clock=FixedClock(berlin(27, 8, 0)), organisers=frozenset()) is None
