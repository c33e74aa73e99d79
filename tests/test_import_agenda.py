"""Importing real, public programme exports (tests/data/agenda/SOURCES.md), then asking about them as people do:
over signed Slack HTTP and Teams activities."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.event_setup import ensure_default_event
from bot.importing import ReplaceNeeded
from storage.db import Database
from storage.models import AgendaSession, Event, MeetingBlock, MeetingTable
from tests.agenda_import_helpers import DATA, XML_38C3, berlin, bring_in
from tests.conftest import OSLO as OSLO_ZONE
from tests.fake_slack import FakeSlack
from tests.fake_teams import FakeBotConnector
from tests.teams_harness import TeamsHttpApp, card_text

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def congress(db: Database) -> tuple[Database, FixedClock]:
    """A fresh deployment (the bundled demo loaded), then the 38C3 schedule.xml imported over it."""
    clock = FixedClock(berlin(27, 10, 0))
    ensure_default_event(db, clock=clock)
    result = bring_in(db, clock, "38c3-schedule.xml")
    assert result.demo_replaced and result.report.created
    return db, clock


@pytest.fixture
def congress_slack(congress, fake_slack: FakeSlack):
    from tests.slack_harness import SlackHttpApp

    db, clock = congress
    app = SlackHttpApp(Assistant(db=db, clock=clock), fake_slack)
    yield app
    app.close()


@pytest.fixture(scope="module")
def _connector():
    fake = FakeBotConnector()
    yield fake
    fake.close()


def blocks_text(reply: dict) -> str:
    return json.dumps(reply["blocks"], ensure_ascii=False)


def dm_answer(app, fake: FakeSlack, text: str) -> str:
    fake.reset()
    app.event({"type": "message", "channel_type": "im", "channel": "D100", "user": "U100", "text": text, "ts": "1.1"})
    [call] = fake.wait_for("chat.postMessage")
    return call.params["text"] + json.dumps(call.params.get("blocks", []), ensure_ascii=False)


def test_38c3_schedule_xml_becomes_the_event(congress) -> None:
    db, _ = congress
    with db.transaction() as session:
        [event] = session.scalars(select(Event)).all()  # the demo is gone
        assert (event.key, event.name, event.timezone) == ("38c3", "38C3", "Europe/Berlin")
        assert event.dates == ["2024-12-27", "2024-12-28", "2024-12-29", "2024-12-30"]
        assert session.scalar(select(func.count()).select_from(AgendaSession)) == 57
        opening = session.scalar(select(AgendaSession).where(AgendaSession.key == "270fa44c-821a-577f-8ca3-33e8d4a8c2a7"))
        assert opening.title == "38C3: Opening Ceremony"
        assert [s.name for s in opening.speakers] == ["Gabriela Bogk", "Senficon", "Aline Blankertz"]
        assert opening.room.name == "Saal 1" and opening.venue.name == "38C3"
        assert opening.starts_at == berlin(27, 10, 30) and opening.ends_at == berlin(27, 11, 0)
        late = session.scalar(select(AgendaSession).where(AgendaSession.title.like("Desiring Technology%")))
        assert late.starts_at == berlin(28, 0, 15)  # frab's day 1, after midnight: the real calendar date


def test_slack_agenda_search_and_questions_answer_from_the_import(congress_slack, fake_slack: FakeSlack) -> None:
    reply = congress_slack.command("/agenda", "").json()
    assert "38C3: Opening Ceremony" in blocks_text(reply)
    found = blocks_text(congress_slack.command("/agenda", "ESP32").json())
    assert "Liberating Wi-Fi on the ESP32" in found and "Jasper Devreker" in found
    answer = dm_answer(congress_slack, fake_slack, "when does Jasper Devreker speak?")
    assert "Jasper Devreker speaks on Fri 27 Dec at 12:55 (Saal 1, 38C3)" in answer
    answer = dm_answer(congress_slack, fake_slack, "what is on in Saal GLITCH at 11:00 on day 2?")
    assert "Sat 28 Dec" in answer and "Lightning Talks Day 2" in answer
    assert "Illegal instructions" not in answer  # that is in Saal 1, at the same time
    answer = dm_answer(congress_slack, fake_slack, "what is on in Saal 1 at 11:00 on day 2?")
    assert "Illegal instructions by legals" in answer  # a room whose name is a number
    assert "Lightning Talks Day 2" not in answer and "Role Play as Resistance" not in answer
    answer = dm_answer(congress_slack, fake_slack, "what is on in Saal ZIGZAG at 00:20 on day 2?")
    assert "A Competitive Time-Trial AI for Need for Speed" in answer  # past midnight, asked on its calendar day


def test_teams_asks_the_imported_programme(congress, _connector: FakeBotConnector) -> None:
    db, clock = congress
    _connector.reset()
    app = TeamsHttpApp(Assistant(db=db, clock=clock, send_now=True), _connector)
    try:
        ada = app.person("Ada Lovelace")
        assert ada.say("agenda ESP32").status == 200
        assert "Liberating Wi-Fi on the ESP32" in card_text(ada.last_card())
        ada.say("when does Jasper Devreker speak?")
        assert "Jasper Devreker speaks on Fri 27 Dec at 12:55" in card_text(ada.last_card())
    finally:
        app.close()


@pytest.mark.parametrize(
    ("name", "options", "key", "sessions", "probe"),
    [
        ("pretalx-democon-schedule.json", {}, "democon", 36, ("Focused 5thgeneration hardware", "Gray Room")),
        ("c3voc-hub-schedule-v2.json", {}, "38c3", 2, ("38C3: Opening Ceremony", "Saal 1")),
        ("indico-xdc2021.json", {}, "indico-1", 37, ("Making bare-metal testing accessible to every developer", None)),
        ("38c3-schedule.ics", {}, "38c3-talks", 38, ("Liberating Wi-Fi on the ESP32", "Saal 1")),
        ("gpn11.csv", {"timezone": "Europe/Berlin", "name": "GPN11"}, "gpn11", 29, ("What to hack", "GroßesStudio")),
        ("gpn11.xlsx", {"timezone": "Europe/Berlin", "name": "GPN11"}, "gpn11", 29, ("What to hack", "GroßesStudio")),
    ],
)
def test_each_format_imports_its_real_export(db: Database, name, options, key, sessions, probe) -> None:
    clock = FixedClock(berlin(27, 10, 0))
    result = bring_in(db, clock, name, **options)
    assert result.report.created and result.event_file.event.key == key
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AgendaSession)) == sessions
        row = session.scalar(select(AgendaSession).where(AgendaSession.title == probe[0]))
        assert row is not None and (row.room.name if row.room else None) == probe[1]
    assert bring_in(db, clock, name, **options).nothing_changed  # stable ids: the same source again changes nothing


def test_indico_speakers_keep_their_affiliation_and_html_becomes_text(db: Database) -> None:
    clock = FixedClock(berlin(27, 10, 0))
    result = bring_in(db, clock, "indico-xdc2021.json")
    talk = next(s for s in result.event_file.sessions if s.title.startswith("Making bare-metal testing"))
    assert [(s.name, s.organisation) for s in talk.speakers] == [("Martin Peres", "X.Org")]
    assert result.event_file.event.timezone == "Europe/Warsaw"
    assert "<p>" not in result.event_file.event.description and "&nbsp;" not in result.event_file.event.description


def test_a_different_real_event_needs_replace_and_says_what_is_lost(congress) -> None:
    db, clock = congress
    with pytest.raises(ReplaceNeeded) as refused:
        bring_in(db, clock, "pretalx-democon-schedule.json")
    assert "38C3 (38c3): 57 session(s), 0 bookmark(s)" in str(refused.value) and "--replace" in str(refused.value)
    with db.transaction() as session:
        assert session.scalars(select(Event.key)).all() == ["38c3"]
    result = bring_in(db, clock, "pretalx-democon-schedule.json", replace=True)
    assert [h.key for h in result.replaced] == ["38c3"]
    with db.transaction() as session:
        assert session.scalars(select(Event.key)).all() == ["democon"]


def test_dry_run_prints_the_diff_and_changes_nothing(db: Database) -> None:
    clock = FixedClock(berlin(27, 10, 0))
    ensure_default_event(db, clock=clock)
    result = bring_in(db, clock, "38c3-schedule.xml", dry_run=True)
    lines = result.lines()
    assert lines[0].startswith("Dry run") and "Would replace the bundled demo event." in lines
    assert "57 added, 0 changed, 0 cancelled." in lines
    with db.transaction() as session:
        assert session.scalars(select(Event.key)).all() == ["days-to-partner-up-2026"]


def test_partnering_blocks_and_tables_survive_an_import_into_the_same_event(db: Database, tmp_path: Path) -> None:
    from bot.event_setup import load_event_file

    clock = FixedClock(berlin(27, 10, 0))
    bring_in(db, clock, "38c3-schedule.xml")
    own = tmp_path / "38c3.yml"  # the organisers' own partnering on top, loaded from YAML with the same key
    own.write_text(
        "event: {key: 38c3, name: 38C3, timezone: Europe/Berlin, dates: [2024-12-27, 2024-12-28]}\n"
        "venues: [{key: cch, name: CCH, rooms: [Hall H]}]\n"
        "partnering:\n  blocks: [{key: b1, title: Meet, day: 2, start: '14:00', end: '15:00', venue: cch}]\n"
        "  tables: [{venue: cch, count: 3}]\n  max_per_day: 2\n",
        encoding="utf-8",
    )
    load_event_file(db, own, clock=clock)
    result = bring_in(db, clock, "38c3-schedule.xml")
    assert result.report.restored  # the sessions the YAML had cancelled come back
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(MeetingBlock)) == 1
        assert session.scalar(select(func.count()).select_from(MeetingTable)) == 3
        # and so do the organisers' partnering rules (docs/scheduling.md): the import knows nothing of them
        assert session.scalars(select(Event.partnering_rules)).one()["max_per_day"] == 2


def test_command_line_import_dry_run_then_real_then_nothing_changed(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot", "import-agenda", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    dry = run(str(XML_38C3), "--dry-run")
    assert dry.returncode == 0 and "Dry run" in dry.stdout and "57 added" in dry.stdout
    real = run(str(XML_38C3))
    assert real.returncode == 0 and "Event 38c3: created." in real.stdout
    again = run(str(XML_38C3))
    assert again.returncode == 0 and "Nothing changed." in again.stdout
    broken = run(str(DATA / "gpn11.csv"), "--column", "title")
    assert broken.returncode == 2 and "FIELD=NAME" in broken.stderr and "Nothing was changed." in broken.stderr


def test_a_norwegian_programme_sheet_with_mixed_date_and_time_spellings(db: Database) -> None:
    sheet = (
        "Tittel;Dato;Start;Slutt;Varighet;Rom;Sted;Foredragsholdere;Organisasjon;Beskrivelse;Type;Farge\n"
        "Velkommen;03.12.2026;9.30;10:00;;Auditoriet;Forskningsparken;Kari Nordmann;OCC;**Åpning** av dagen;;rød\n"
        "Panel om data;3 Dec 2026;10:15 AM;;45;Auditoriet;Forskningsparken;Ola Nordmann og Per Hansen;Roche;;Panel;\n"
        "Lunsj;2026-12-04;12:00;13:00;;Kantina;;;;;Pause;\n"
    ).encode("utf-8-sig")
    clock = FixedClock(berlin(27, 10, 0))
    result = bring_in(db, clock, Path("programdag.csv"), data=sheet, timezone="Europe/Oslo")
    event = result.event_file
    assert event.event.name == "programdag" and [str(d) for d in event.event.dates] == ["2026-12-03", "2026-12-04"]
    welcome, panel, lunch = event.sessions
    assert (welcome.start, welcome.end, welcome.room, welcome.description) == (
        "09:30",
        "10:00",
        "Auditoriet",
        "Åpning av dagen",
    )
    assert [(s.name, s.organisation) for s in welcome.speakers] == [("Kari Nordmann", "OCC")]
    assert (panel.kind, panel.start, panel.end) == ("panel", "10:15", "11:00")
    assert [s.name for s in panel.speakers] == ["Ola Nordmann", "Per Hansen"]
    assert (lunch.kind, lunch.day) == ("break", 2)
    assert [v.name for v in event.venues] == ["Forskningsparken", "programdag"]  # no venue given: the event's name
    assert any("Farge" in note for note in result.programme.skipped)  # an unknown column is named, not fatal


def test_schedule_v2_keeps_a_night_session_on_its_day_and_answers_it_on_its_date(db: Database) -> None:
    clock = FixedClock(berlin(27, 10, 0))
    result = bring_in(db, clock, "c3voc-hub-schedule-v2.json")
    night = next(s for s in result.event_file.sessions if s.title.startswith("A Competitive Time-Trial"))
    assert (night.day, night.start, night.next_day) == (1, "00:15", True)
    answer = Assistant(db=db, clock=clock).ask(text="what is on in Saal ZIGZAG at 00:20 on day 2?")
    assert "Sat 28 Dec" in answer.text


def test_old_frab_without_dates_uses_day_change_and_the_partnering_kind(db: Database) -> None:
    xml = b"""<?xml version="1.0"?><schedule><conference><acronym>old</acronym><title>Old Frab</title>
    <day_change>04:00</day_change></conference>
    <day index="1" date="2026-12-03"><room name="Hall">
      <event id="1"><start>10:00</start><duration>01:00</duration><title>B2B meetings</title><type>B2B</type></event>
      <event id="2"><start>23:30</start><duration>01:00</duration><title>Late talk</title><type>lecture</type></event>
      <event id="3"><start>01:00</start><duration>00:30</duration><title>Night talk</title><type>Lunch break</type></event>
    </room></day></schedule>"""
    clock = FixedClock(berlin(27, 10, 0))
    result = bring_in(db, clock, Path("old.xml"), data=xml, timezone="Europe/Oslo", partnering_kind="B2B")
    b2b, late, night = result.event_file.sessions
    assert b2b.kind == "partnering" and late.kind == "talk" and night.kind == "break"
    assert (late.start, late.end, late.ends_next_day) == ("23:30", "00:30", True)
    assert (night.day, night.start, night.next_day) == (1, "01:00", True)
    with db.transaction() as session:
        row = session.scalar(select(AgendaSession).where(AgendaSession.title == "Night talk"))
        assert row.starts_at.astimezone(OSLO_ZONE).isoformat() == "2026-12-04T01:00:00+01:00"


def test_a_source_without_types_takes_the_kind_from_the_title() -> None:
    """Calendar exports and sheets without a type column: "Lunch" is a break, "Breaking the mould" a talk."""
    from bot.sources.programme import kind_of

    assert kind_of("", None, title="Lunch (Main Events)") == "break"
    assert kind_of("", None, title="AM BREAK (Main Events)") == "break"
    assert kind_of("", None, title="Panel: Developer Happiness through Getting Involved") == "panel"
    assert kind_of("", None, title="Networking reception") == "networking"
    assert kind_of("", None, title="Breaking the mould in ADC design") == "talk"
    assert kind_of("", None, title="Social media for scientists") == "talk"
    assert kind_of("", "matchmaking", title="Partnering meetings") == "talk"  # the organiser's type decides
    assert kind_of("Workshop", None, title="Lunch and learn") == "talk"  # a type given is the source's word


def test_replacing_the_demo_forgets_its_messages_so_reused_ids_are_told_again(db: Database) -> None:
    """People tried the demo (a request, a meeting, a reminder), then the real programme replaced it. SQLite hands
    the removed rows' IDs out again, and outbox keys are built from them: the rows about the demo must go with it,
    or the first meeting of the real event was never confirmed to someone who had demo meeting #1."""
    from bot.importing import MESSAGES_ABOUT, MESSAGES_ABOUT_NO_EVENT_ROW
    from bot.messages import RENDERERS
    from bot.partnering.participants import PersonInfo
    from storage.models import Delivery, Meeting

    clock = FixedClock(berlin(27, 8, 0))
    ensure_default_event(db, clock=clock)
    demo = Assistant(db=db, clock=clock)
    ada, bjorn = (demo.identify(platform="slack", external_id=u, lookup=lambda u=u: PersonInfo(display_name=u))
                  for u in ("U1", "U2"))  # fmt: skip
    request = demo.partnering.create_request(requester_id=ada, invitee_id=bjorn, topic="TCR")
    assert demo.partnering.accept(request_id=request.id, actor_id=bjorn).meeting is not None
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Delivery).where(Delivery.kind == "meeting_confirmed")) == 2
    bring_in(db, clock, "38c3-schedule.xml")
    with db.transaction() as session:
        kinds = set(session.scalars(select(Delivery.kind)))
        assert session.scalar(select(func.max(Meeting.id))) is None  # the next meeting is #1 again on SQLite
    assert kinds <= set(MESSAGES_ABOUT_NO_EVENT_ROW), kinds  # nothing about the demo's meetings or requests is left
    # Every kind of message is placed: about an event's rows (forgotten with it) or not.
    placed = {kind for kinds_ in MESSAGES_ABOUT.values() for kind in kinds_} | set(MESSAGES_ABOUT_NO_EVENT_ROW)
    assert set(RENDERERS) == placed
