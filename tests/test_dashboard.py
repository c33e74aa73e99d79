"""The organisers' dashboard on a seeded event (20 people, 30 meetings, 2 blocks): every page and PDF, numbers
against the database, every meeting in the table plan and in both itineraries, sign-in links and sessions."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from werkzeug.test import Client

from bot import timefmt
from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.config import ConfigError, load_settings
from storage.db import Database
from storage.models import (
    DashboardToken,
    Meeting,
    MeetingBlock,
    MeetingRequest,
    MeetingSlot,
    MeetingTable,
    OrganiserAction,
    Participant,
)
from tests.dashboard_seed import NAMES, seed

ORGANISER = "ada-nilsen"
SECRET = "test-dashboard-secret-0123456789"
PAGES = ["/dashboard", "/dashboard/plan", "/dashboard/plan/morning", "/dashboard/plan/afternoon", "/dashboard/people",
         "/dashboard/print", "/dashboard/print/tables.pdf", "/dashboard/print/people.pdf",
         "/dashboard/print/tables-morning.pdf", "/dashboard/print/people-afternoon.pdf"]  # fmt: skip


@pytest.fixture
def seeded(db: Database, clock: FixedClock, tmp_path: Path) -> tuple[Assistant, dict]:
    assistant = Assistant(db=db, clock=clock, organisers=frozenset({ORGANISER}))
    return assistant, seed(assistant, tmp_path)


@pytest.fixture
def bot(seeded) -> Assistant:
    return seeded[0]


def web(assistant: Assistant) -> Client:
    from handlers.web.dashboard import DashboardApp

    return Client(DashboardApp(assistant, secret=SECRET))


def link_for(assistant: Assistant, external_id: str = ORGANISER) -> str:
    """The path of the sign-in link sent by direct message (asserting one was sent)."""
    with assistant.db.transaction() as session:
        actor = session.scalar(select(Participant.id).where(Participant.external_id == external_id))
    answer, message = assistant.dashboard_link(external_id=external_id, actor=actor)
    assert message is not None, answer.text
    [url] = [p.text for p in message.parts if "login?token=" in getattr(p, "text", "")]
    assert url.startswith(assistant.public_url + "/dashboard/login?token=")
    return url.removeprefix(assistant.public_url)


def signed_in(assistant: Assistant) -> Client:
    client = web(assistant)
    response = client.get(link_for(assistant))
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard"
    return client


class Tables(HTMLParser):
    """Every <table> on a page as rows of cell texts, and each itinerary section's text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.sections: list[str] = []
        self._cell: list[str] | None = None
        self._section: list[str] | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "section":
            self._section = []
        elif tag == "div" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split(" ")).strip())
            self._cell = None
            if self._section is not None:
                self._section.append(" | ")
        elif tag == "section" and self._section is not None:
            self.sections.append(" ".join("".join(self._section).split()))
            self._section = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._section is not None:
            self._section.append(data)


def parse(html: bytes) -> Tables:
    parser = Tables()
    parser.feed(html.decode("utf-8"))
    return parser


def booked(db: Database) -> list[dict]:
    """Every booked meeting straight from the database."""
    a, b = aliased(Participant), aliased(Participant)
    with db.transaction() as session:
        rows = session.execute(
            select(MeetingBlock.key, MeetingSlot.starts_at, MeetingTable.name, a.display_name, a.organisation,
                   b.display_name, b.organisation)
            .select_from(Meeting)
            .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
            .join(MeetingBlock, MeetingBlock.id == MeetingSlot.block_id)
            .join(MeetingTable, MeetingTable.id == Meeting.table_id)
            .join(MeetingRequest, MeetingRequest.id == Meeting.request_id)
            .join(a, a.id == MeetingRequest.requester_id)
            .join(b, b.id == MeetingRequest.invitee_id)
            .where(Meeting.status == "booked")
        ).all()  # fmt: skip
    return [dict(block=r[0], start=r[1], table=r[2], a=(r[3], r[4]), b=(r[5], r[6])) for r in rows]


# --- every page, and what it shows ----------------------------------------------------------------------


def test_every_page_and_pdf_renders_for_a_signed_in_organiser(bot: Assistant) -> None:
    client = signed_in(bot)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store"
        if path.endswith(".pdf"):
            assert response.data.startswith(b"%PDF-") and response.mimetype == "application/pdf"
        else:
            assert response.mimetype == "text/html" and b"Seeded partnering day" in response.data


def test_the_numbers_match_the_database(bot: Assistant, db: Database) -> None:
    page = signed_in(bot).get("/dashboard").data.decode()
    with db.transaction() as session:
        count = lambda *where, model=Participant: session.scalar(select(func.count()).select_from(model).where(*where))  # noqa: E731
        participants = count(Participant.is_bot.is_(False))
        statuses = dict(session.execute(select(MeetingRequest.status, func.count()).group_by(MeetingRequest.status)).all())
        meetings = count(Meeting.status == "booked", model=Meeting)
        per_block = dict(
            session.execute(
                select(MeetingBlock.key, func.count(Meeting.id))
                .join(MeetingSlot, MeetingSlot.block_id == MeetingBlock.id)
                .join(Meeting, (Meeting.slot_id == MeetingSlot.id) & (Meeting.status == "booked"))
                .group_by(MeetingBlock.key)
            ).all()
        )
        tables = count(MeetingTable.active.is_(True), model=MeetingTable)
    with_meeting = {name for m in booked(db) for name in (m["a"][0], m["b"][0])}
    assert (participants, meetings, len(with_meeting)) == (20, 30, 19)
    assert f'<div class="n">{participants}</div><div class="l">participants</div>' in page
    assert f'<div class="n">{meetings}</div><div class="l">meetings booked</div>' in page
    assert f'<div class="n">{participants - len(with_meeting)}</div><div class="l">people with no meeting yet</div>' in page
    tables_on_page = parse(page.encode()).tables
    [by_status] = [t for t in tables_on_page if t[0][:2] == ["pending", "accepted"]]
    assert dict(zip(by_status[0], by_status[1], strict=True)) == {
        **{s: str(statuses.get(s, 0)) for s in ("pending", "accepted", "declined", "withdrawn", "cancelled")},
        "all": str(sum(statuses.values())),
    }
    [use] = [t for t in tables_on_page if t[0][0] == "Block"]
    for row in use[1:]:
        key = "morning" if row[0].startswith("Morning") else "afternoon"
        assert row[2:] == [
            str(tables),
            "4",
            str(tables * 4),
            str(per_block[key]),
            f"{round(100 * per_block[key] / (tables * 4))}%",
        ]
    [slots] = [t for t in tables_on_page if t[0][0] == "Slot" and t[0][1] == "11:00"]
    assert sum(int(n) for n in slots[1][1:]) == per_block["morning"]
    assert page.count("<svg") == 4  # meetings per slot (two blocks), who asks whom, messages over time
    [sending] = [t for t in tables_on_page if t[0][0] == "Kind"]
    assert sending[1][0] == "Reminders"


def test_each_meeting_is_in_the_table_plan_and_in_both_itineraries(bot: Assistant, db: Database) -> None:
    client = signed_in(bot)
    meetings = booked(db)
    assert len(meetings) == 30 and {m["block"] for m in meetings} == {"morning", "afternoon"}
    grids = {key: parse(client.get(f"/dashboard/plan/{key}").data).tables[0] for key in ("morning", "afternoon")}
    people = parse(client.get("/dashboard/people").data).sections
    for m in meetings:
        grid = grids[m["block"]]
        column = grid[0].index(timefmt.clock(m["start"], "Europe/Oslo"))
        [row] = [r for r in grid[1:] if r[0].split("\n")[0] == m["table"]]
        cell = row[column]
        for name, org in (m["a"], m["b"]):
            assert f"{name} ({org})" in cell
        when = timefmt.clock(m["start"], "Europe/Oslo")
        for me, other in ((m["a"], m["b"]), (m["b"], m["a"])):
            [section] = [s for s in people if s.startswith(f"{me[0]} ({me[1]})")]
            assert re.search(
                rf"{when}–\d\d:\d\d CET \| {re.escape(m['table'])} \| [^|]* \| {re.escape(other[0])} \({re.escape(other[1])}\)",
                section,
            )
    free = sum(row[1:].count("free") for grid in grids.values() for row in grid[1:])
    assert free == 2 * 5 * 4 - 30


def test_what_people_typed_is_escaped_everywhere(bot: Assistant) -> None:
    client = signed_in(bot)
    for path in ("/dashboard", "/dashboard/plan/morning", "/dashboard/plan/afternoon", "/dashboard/people"):
        html = client.get(path).data.decode()
        assert "<script>alert(1)</script>" not in html and "<b>Co</b>" not in html
        assert html.count("<script") == 1  # the refresh, and nothing else
    people = client.get("/dashboard/people").data.decode()
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;" in people and "Evil &amp; Co" in people
    )  # markup in a profile is dropped on input


def test_the_search_filters_the_plan_and_the_itineraries_and_keeps_names_out_of_urls(bot: Assistant, db: Database) -> None:
    client = signed_in(bot)
    meeting = booked(db)[0]
    name, org = meeting["a"]
    response = client.post("/dashboard/search", data={"q": org.upper(), "back": f"plan/{meeting['block']}"})
    assert response.status_code == 303 and response.headers["Location"] == f"/dashboard/plan/{meeting['block']}"
    grid = parse(client.get(response.headers["Location"]).data).tables[0]
    mine = [m for m in booked(db) if m["block"] == meeting["block"] and org in (m["a"][1], m["b"][1])]
    assert len(grid) - 1 == len({m["table"] for m in mine})
    people = parse(client.get("/dashboard/people").data).sections
    assert [s.split(" (")[0] for s in people] == [name]
    assert client.post("/dashboard/search", data={"q": "", "clear": "1", "back": "people"}).status_code == 303
    assert len(parse(client.get("/dashboard/people").data).sections) == 19
    assert client.post("/dashboard/search", data={"q": "x", "back": "https://evil.example/"}).headers["Location"] == (
        "/dashboard/people"
    )


def test_people_without_a_session_get_401_and_no_data(bot: Assistant) -> None:
    client = web(bot)
    for path in [*PAGES, "/dashboard/nothing-here", "/dashboard/print/secret.pdf"]:
        response = client.get(path)
        assert response.status_code == 401, path
        html = response.data.decode()
        assert "/report dashboard" in html and "Seeded partnering day" not in html
        assert not any(name in html for name, _, _ in NAMES[:5])
    assert client.post("/dashboard/search", data={"q": "Maya"}).status_code == 401
    forged = web(bot)
    forged.set_cookie("partnerup_dashboard", "eyJ4IjoiYWRhLW5pbHNlbiJ9.forged", domain="localhost", path="/dashboard")
    assert forged.get("/dashboard").status_code == 401


def test_a_link_works_once_for_fifteen_minutes_and_the_session_for_eight_hours(bot: Assistant, clock: FixedClock) -> None:
    link = link_for(bot)
    first = web(bot)
    assert first.get(link).status_code == 303
    assert first.get("/dashboard").status_code == 200
    reused = web(bot).get(link)
    assert reused.status_code == 401 and "already used" in reused.data.decode()
    late = link_for(bot)
    clock.advance(minutes=15, seconds=1)
    assert web(bot).get(late).status_code == 401
    assert web(bot).get("/dashboard/login?token=made-up").status_code == 401
    clock.advance(hours=7, minutes=44)
    assert first.get("/dashboard").status_code == 200
    clock.advance(minutes=2)
    assert first.get("/dashboard").status_code == 401
    with bot.db.transaction() as session:
        hashes = session.scalars(select(DashboardToken.token_hash)).all()
    assert len(hashes) == 2 and all(link.split("token=")[1] not in h for h in hashes)  # only hashes are stored


def test_a_session_cookie_is_signed_http_only_and_scoped(bot: Assistant) -> None:
    response = web(bot).get(link_for(bot))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Path=/dashboard" in cookie and "SameSite=Lax" in cookie and "Max-Age=28800" in cookie
    assert "Secure" not in cookie  # http://localhost; https deployments get Secure
    bot.public_url = "https://partnerup.example.com"
    assert "Secure" in web(bot).get(link_for(bot)).headers["Set-Cookie"]


def test_only_organisers_get_a_link_and_a_removed_organiser_loses_the_session(bot: Assistant) -> None:
    with bot.db.transaction() as session:
        maya = session.scalar(select(Participant.id).where(Participant.external_id == "maya-lund"))
    answer, message = bot.dashboard_link(external_id="maya-lund", actor=maya)
    assert message is None and answer.text.startswith("Sorry, only the event's organisers")
    with bot.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(DashboardToken)) == 0
        assert session.scalars(select(OrganiserAction.action)).all() == []
    client = signed_in(bot)
    link = link_for(bot)
    bot.organisers = frozenset()
    assert client.get("/dashboard").status_code == 401
    assert web(bot).get(link).status_code == 401


def test_a_link_can_land_on_a_dashboard_page_but_never_elsewhere(bot: Assistant) -> None:
    assert web(bot).get(link_for(bot) + "&next=/dashboard/plan/afternoon").headers["Location"] == "/dashboard/plan/afternoon"
    for elsewhere in ("https://evil.example/", "//evil.example", "/dashboard/../slack/events", "/dashboardx"):
        assert web(bot).get(link_for(bot) + f"&next={elsewhere}").headers["Location"] == "/dashboard"


def test_pages_carry_a_strict_content_security_policy_and_refresh_every_30_seconds(bot: Assistant) -> None:
    response = signed_in(bot).get("/dashboard")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'sha256-" in policy and "unsafe-eval" not in policy
    html = response.data.decode()
    assert '<meta http-equiv="refresh" content="30">' in html and "30000" in html
    assert response.headers["Referrer-Policy"] == "no-referrer"


# --- PDFs ----------------------------------------------------------------------------------------------------


def lines(page: str) -> list[str]:
    return [line.strip() for line in page.splitlines() if line.strip()]


def pdf_pages(data: bytes, tmp_path: Path) -> list[str]:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils; .ci/run installs it)")
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def test_tables_pdf_has_one_page_per_table_with_each_slot_and_both_people(bot: Assistant, db: Database, tmp_path) -> None:
    client = signed_in(bot)
    response = client.get("/dashboard/print/tables.pdf")
    assert response.headers["Content-Disposition"] == 'inline; filename="seeded-partnering-2026-tables-2026-12-03.pdf"'
    pages = pdf_pages(response.data, tmp_path)
    assert [lines(page)[1] for page in pages] == [f"Table {n}" for n in range(1, 6)]
    for page in pages:
        assert (
            "Partnering lounge, Innovation Park" in page and "Morning partnering" in page and "Afternoon partnering" in page
        )
        assert len(re.findall(r"\d\d:\d\d–\d\d:\d\d CET", page)) == 8
    for m in booked(db):
        page = pages[int(m["table"].split()[-1]) - 1]
        line = next(line for line in page.splitlines() if line.strip().startswith(timefmt.clock(m["start"], "Europe/Oslo")))
        assert m["a"][0][:20] in line and m["b"][0][:20] in line
    morning = pdf_pages(client.get("/dashboard/print/tables-morning.pdf").data, tmp_path)
    assert len(morning) == 5 and all("Afternoon" not in page for page in morning)


def test_people_pdf_has_one_page_per_person_with_meetings(bot: Assistant, db: Database, tmp_path) -> None:
    client = signed_in(bot)
    response = client.get("/dashboard/print/people.pdf")
    assert "seeded-partnering-2026-people-2026-12-03.pdf" in response.headers["Content-Disposition"]
    pages = pdf_pages(response.data, tmp_path)
    meetings = booked(db)
    names = sorted({n for m in meetings for n in (m["a"][0], m["b"][0])})
    assert len(pages) == len(names) == 19
    for m in meetings:
        for me, other in ((m["a"], m["b"]), (m["b"], m["a"])):
            [page] = [p for p in pages if lines(p)[1] == me[0]]
            assert f"with {other[0]}" in page and "Times in Europe/Oslo" in page
    afternoon = pdf_pages(client.get("/dashboard/print/people-afternoon.pdf").data, tmp_path)
    assert len(afternoon) == len({n for m in meetings if m["block"] == "afternoon" for n in (m["a"][0], m["b"][0])})


# --- chat doors ----------------------------------------------------------------------------------------------


def test_report_dashboard_in_slack_sends_the_link_by_dm_to_organisers_only(slack_app, fake_slack, assistant) -> None:
    assistant.organisers = frozenset({"U900"})
    fake_slack.add_user("U900", real_name="Olga Org")
    fake_slack.add_user("U100", real_name="Ada Lovelace")
    refused = slack_app.command("/report", "dashboard", user="U100").json()
    assert refused["text"].startswith("Sorry, only the event's organisers")
    answer = slack_app.command("/report", "dashboard", user="U900").json()
    assert "sign-in link" in answer["text"]
    [dm] = [c for c in fake_slack.wait_for("chat.postMessage") if c.ok]
    assert dm.params["channel"] in ("U900", "DU900") or dm.params["channel"].endswith("U900")
    [url] = re.findall(r"http://localhost:3000/dashboard/login\?token=[\w-]+", json.dumps(dm.params["blocks"]))
    assert web(assistant).get(url.removeprefix("http://localhost:3000")).status_code == 303
    assert [c for c in fake_slack.calls("chat.postMessage") if "U100" in c.params.get("channel", "")] == []


def test_report_and_app_home_link_to_the_dashboard_for_organisers(slack_app, fake_slack, assistant) -> None:
    assistant.organisers = frozenset({"U900"})
    fake_slack.add_user("U900", real_name="Olga Org")
    summary = json.dumps(slack_app.command("/report", "", user="U900").json()["blocks"])
    assert "http://localhost:3000/dashboard " in summary and "/dashboard/print/tables.pdf" in summary
    slack_app.event({"type": "app_home_opened", "user": "U900", "channel": "D900", "tab": "home"})
    [published] = fake_slack.wait_for("views.publish")
    assert "/dashboard/print/people.pdf" in json.dumps(published.params["view"])


def test_the_web_process_serves_the_dashboard_beside_slack(assistant, fake_slack) -> None:
    from handlers.slack.app import build_app, build_wsgi
    from handlers.web.dashboard import DashboardApp

    bolt = build_app(assistant=assistant, token="xoxb-test", signing_secret="s", api_url=fake_slack.url)
    client = Client(build_wsgi(bolt, health=lambda: True, mounts={"/dashboard": DashboardApp(assistant, secret=SECRET)}))
    assert client.get("/dashboard").status_code == 401
    assert client.get("/dashboard/print/tables.pdf").status_code == 401
    assert client.get("/healthz").status_code == 200
    assert client.get("/dashboardish").status_code == 404


def test_report_dashboard_in_the_console(bot: Assistant) -> None:
    from handlers.console.repl import Console

    console = Console(bot, who="Ada Nilsen")
    answer = console.handle("/report dashboard")
    assert "sign-in link" in answer and "Direct message to Ada Nilsen" in answer
    [url] = re.findall(r"http://localhost:3000(/dashboard/login\?token=[\w-]+)", answer)
    assert web(bot).get(url).status_code == 303
    console.become("Maya Lund")
    assert "only the event's organisers" in console.handle("/report dashboard")


def test_public_url_and_dashboard_secret_settings() -> None:
    assert load_settings({"PORT": "8080"}).public_url == "http://localhost:8080"
    assert load_settings({"PUBLIC_URL": "http://x.test/"}).public_url == "http://x.test"
    with pytest.raises(ConfigError, match="DASHBOARD_SECRET"):
        load_settings({"PUBLIC_URL": "https://partnerup.example.com"})
    settings = load_settings({"PUBLIC_URL": "https://partnerup.example.com", "DASHBOARD_SECRET": "s" * 32})
    assert settings.dashboard_secret == "s" * 32 and "s" * 32 not in repr(settings)
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        load_settings({"PUBLIC_URL": "partnerup.example.com"})


def test_the_refresh_script_is_exactly_the_one_the_policy_allows(bot: Assistant) -> None:
    import base64
    import hashlib

    response = signed_in(bot).get("/dashboard")
    [script] = re.findall(r"<script>(.*?)</script>", response.data.decode(), re.S)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in response.headers["Content-Security-Policy"]


def test_a_head_request_or_a_post_does_not_spend_a_link(bot: Assistant) -> None:
    link = link_for(bot)
    assert web(bot).head(link).status_code == 401
    assert web(bot).post(link).status_code == 401
    assert web(bot).get(link).status_code == 303
