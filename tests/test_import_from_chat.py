"""Organisers bring the programme in from chat: ``/session import <url>`` in Slack and ``session import <url>`` in
Teams answer with the diff and an Apply button; pressing it applies exactly what was shown."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.event_setup import ensure_default_event
from storage.db import Database
from storage.models import AgendaSession, Event, ImportPreview
from tests.agenda_import_helpers import XML_38C3, berlin
from tests.fake_slack import FakeSlack
from tests.fake_teams import FakeBotConnector
from tests.teams_harness import TeamsHttpApp, button, card_text

BOSS_SLACK = "U900"
BOSS_TEAMS = "0b0b0b0b-0000-4000-8000-000000000009"


@pytest.fixture
def tool():
    body = XML_38C3.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/38c3/schedule/export/schedule.xml"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def deployment(db: Database) -> tuple[Database, FixedClock]:
    clock = FixedClock(berlin(27, 8, 0))
    ensure_default_event(db, clock=clock)
    return db, clock


def event_keys(db: Database) -> list[str]:
    with db.transaction() as session:
        return session.scalars(select(Event.key)).all()


def test_slack_organiser_previews_then_applies(deployment, tool: str, fake_slack: FakeSlack) -> None:
    from tests.slack_harness import SlackHttpApp

    db, clock = deployment
    app = SlackHttpApp(Assistant(db=db, clock=clock, organisers=frozenset({BOSS_SLACK}), send_now=True), fake_slack)
    try:
        refused = app.command("/session", f"import {tool}", user="U100")
        assert refused.status == 200
        [answer] = fake_slack.wait_for("response_url")
        assert "only the event's organisers" in json.dumps(answer.params)
        assert event_keys(db) == ["days-to-partner-up-2026"]

        fake_slack.reset()
        assert app.command("/session", f"import <{tool}>", user=BOSS_SLACK).status == 200
        [preview] = fake_slack.wait_for("response_url")
        text = json.dumps(preview.params, ensure_ascii=False)
        assert "Import 38C3?" in text and "Would replace the bundled demo event." in text and "57 added" in text
        assert tool not in text  # the address typed is not echoed back as a link
        [apply] = [
            e for b in preview.params["blocks"] for e in b.get("elements", []) if e.get("action_id") == "agenda_import_apply"
        ]
        assert event_keys(db) == ["days-to-partner-up-2026"]  # the preview changed nothing

        fake_slack.reset()
        assert app.action("agenda_import_apply", apply["value"], user="U100").status == 200
        assert "only the event's organisers" in json.dumps(fake_slack.wait_for("response_url")[0].params)
        fake_slack.reset()
        app.action("agenda_import_apply", apply["value"], user=BOSS_SLACK)
        done = json.dumps(fake_slack.wait_for("response_url")[0].params, ensure_ascii=False)
        assert "Event 38c3: created." in done
        assert event_keys(db) == ["38c3"]
        fake_slack.reset()
        app.action("agenda_import_apply", apply["value"], user=BOSS_SLACK)  # a second press applies nothing twice
        assert "out of date" in json.dumps(fake_slack.wait_for("response_url")[0].params)
        fake_slack.reset()
        app.command("/session", f"import {tool}", user=BOSS_SLACK)
        assert "already up to date" in json.dumps(fake_slack.wait_for("response_url")[0].params)
        fake_slack.reset()
        app.command("/session", "import not-a-url", user=BOSS_SLACK)
        assert "Give the address of the programme export" in json.dumps(fake_slack.wait_for("response_url")[0].params)
    finally:
        app.close()


def test_teams_organiser_previews_then_applies(deployment, tool: str) -> None:
    db, clock = deployment
    fake = FakeBotConnector()
    app = TeamsHttpApp(Assistant(db=db, clock=clock, organisers=frozenset({BOSS_TEAMS}), send_now=True), fake)
    try:
        olga = app.person("Olga", aad=BOSS_TEAMS)
        olga.say(f"session import {tool}")
        card = olga.last_card()
        assert "Import 38C3?" in card_text(card) and "57 added" in card_text(card)
        assert olga.press(button(card, "Apply")).status == 200
        assert "Event 38c3: created." in card_text(olga.last_card())
        with db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(AgendaSession)) == 57
        ada = app.person("Ada")
        ada.say(f"session import {tool}")
        assert "organiser" in card_text(ada.last_card()).lower()
    finally:
        app.close()
        fake.close()


def apply_button(reply) -> int:
    from bot.assistant.imports import IMPORT_APPLY
    from bot.replies import Actions

    [button_] = [b for part in reply.parts if isinstance(part, Actions) for b in part.buttons if b.action == IMPORT_APPLY]
    return int(button_.value)


def test_apply_works_on_another_web_process_and_only_within_half_an_hour(deployment, tool: str) -> None:
    """Several web processes behind one address: the preview is made on one, the Apply press lands on another.
    Each preview has its own number across processes (they used to count from 1 each, so a press could apply
    another process's preview)."""
    db, clock = deployment
    one, two = (Assistant(db=db, clock=clock, organisers=frozenset({BOSS_SLACK})) for _ in range(2))
    first = apply_button(one.preview_import(external_id=BOSS_SLACK, text=tool))
    second = apply_button(two.preview_import(external_id=BOSS_SLACK, text=f"<{tool}|38C3>"))
    assert first != second
    clock.advance(minutes=31)
    assert "out of date" in two.apply_import(external_id=BOSS_SLACK, pending_id=first).text
    assert event_keys(db) == ["days-to-partner-up-2026"]
    third = apply_button(one.preview_import(external_id=BOSS_SLACK, text=tool))
    assert "Imported" in two.apply_import(external_id=BOSS_SLACK, pending_id=third).text
    assert event_keys(db) == ["38c3"]
    assert "out of date" in one.apply_import(external_id=BOSS_SLACK, pending_id=third).text  # applied once
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ImportPreview)) == 0  # the expired ones are gone


def test_an_expired_preview_number_is_never_given_to_a_newer_preview(deployment, tool: str) -> None:
    """SQLite hands out the highest number + 1: once the newest preview was purged, the next got its number, and
    the old Apply button applied the new file (review)."""
    db, clock = deployment
    boss = Assistant(db=db, clock=clock, organisers=frozenset({BOSS_SLACK}))
    old = apply_button(boss.preview_import(external_id=BOSS_SLACK, text=tool))
    clock.advance(minutes=31)
    new = apply_button(boss.preview_import(external_id=BOSS_SLACK, text=tool))  # purges the old one first
    assert new != old
    assert "out of date" in boss.apply_import(external_id=BOSS_SLACK, pending_id=old).text
    assert event_keys(db) == ["days-to-partner-up-2026"]


def test_an_import_that_fails_leaves_its_preview_to_apply_again(deployment, tool: str, monkeypatch) -> None:
    """The database went away in the middle of applying: nothing was imported, and the same Apply button works
    once it is back (it used to answer "out of date": the preview was used up before its import)."""
    from sqlalchemy.exc import OperationalError

    import bot.assistant.imports as imports

    db, clock = deployment
    boss = Assistant(db=db, clock=clock, organisers=frozenset({BOSS_SLACK}))
    pending = apply_button(boss.preview_import(external_id=BOSS_SLACK, text=tool))
    real = imports.import_agenda

    def lost_connection(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(imports, "import_agenda", lost_connection)
    with pytest.raises(OperationalError):  # the door says sorry (tests/test_hostile_input: a failing listener)
        boss.apply_import(external_id=BOSS_SLACK, pending_id=pending)
    monkeypatch.setattr(imports, "import_agenda", real)
    clock.advance(minutes=29)
    assert "Imported" in boss.apply_import(external_id=BOSS_SLACK, pending_id=pending).text
    assert event_keys(db) == ["38c3"]
    assert "out of date" in boss.apply_import(external_id=BOSS_SLACK, pending_id=pending).text  # applied once
