"""Issue 18: the registration list becomes partnering profiles, linked to Slack accounts by email.

Through the real parts: the messy export in tests/data/people/, the import command's core, the Slack finder's
WebClient against the fake Slack (users.list paged, users.lookupByEmail, 429s), and signed Slack HTTP into the
real Bolt app for what people and organisers see.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.assistant import Assistant
from bot.partnering.participants import ProfileUpdate
from bot.people.registrants import email_hash
from bot.sources.tables import TableError
from storage.models import Participant, Registration, Unavailability
from tests.fake_slack import FakeSlack
from tests.slack_harness import SlackHttpApp

DATA = Path(__file__).parent / "data" / "people"
EXPORT = DATA / "registrations.csv"
GOOD_ROWS = 200


def slack_finder(assistant: Assistant):
    """The Slack door's finder, unpaced: the fake Slack in these tests has no limits (bench/import_people.py has)."""
    return assistant.account_finders["slack"].unpaced()


def registered_emails() -> list[str]:
    """The 200 good rows' addresses, as the file has them (mixed case, trailing spaces)."""
    lines = EXPORT.read_text(encoding="utf-8-sig").splitlines()[1 : GOOD_ROWS + 1]
    return [line.split(";")[2].strip() for line in lines]


def slack_members(fake: FakeSlack, *, count: int, start: int = 0) -> dict[str, str]:
    """Workspace members for the first ``count`` registrants (Slack keeps its own case); email -> user ID."""
    members = {}
    for n, email in enumerate(registered_emails()[start : start + count], start=start):
        user_id = f"U{n:05d}"
        fake.add_user(user_id, real_name=f"Member {n}", email=email.swapcase() if n % 2 else email)
        members[email.lower()] = user_id
    return members


def test_the_messy_export_imports_with_one_line_per_problem(assistant: Assistant) -> None:
    dry = assistant.people.import_file(EXPORT, dry_run=True)
    assert dry.rows_read == 205 and dry.created == GOOD_ROWS and not dry.applied
    with assistant.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Registration)) == 0  # a dry run changes nothing
    lines = dry.lines()
    assert "row 202, Fornavn: missing name" in lines
    assert "row 202, E-post: missing email address" in lines
    assert any(line.startswith("row 203, E-post: not a valid email address") for line in lines)
    assert "row 204, E-post: the same email address as row 3 (one row per person; this one is left out)" in lines
    assert any(
        line.startswith("row 205, Type organisasjon: unknown organisation type; use one of: startup") for line in lines
    )
    assert any(line.startswith("row 206, Tilgjengelig: unknown block 'dag 9 formiddag'") for line in lines)
    assert 'Columns not used: "Registrert", "Kommentar" (map one with --column field=Header)' in lines
    assert "registrations.csv: 205 row(s) read, 5 with problems. Dry run: nothing was changed." in lines
    assert not any("example.no" in line for line in lines)  # addresses are never printed, not even malformed ones

    strict = assistant.people.import_file(EXPORT, strict=True)
    assert not strict.applied and "Nothing was imported (--strict)" in "\n".join(strict.lines())
    with assistant.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Registration)) == 0

    summary = assistant.people.import_file(EXPORT)
    assert (summary.created, summary.updated, summary.not_found, summary.linked) == (GOOD_ROWS, 0, GOOD_ROWS, 0)
    with assistant.db.transaction() as session:
        first = session.scalar(select(Registration).where(Registration.source_row == 2))
        assert first.name == "Håkon Hansen"  # trailing spaces gone, first and last name joined
        assert first.email == "hakon.hansen.0@example.no"  # lower-cased
        assert first.fields["org_type"] == "pharma" and first.fields["interests"] == [
            "diagnostikk",
            "oncology",
            "radiofarmasi",
        ]
        assert first.fields["blocks"] == [
            "d1-partnering-afternoon",
            "d2-partnering-morning",
        ]  # "day 1 afternoon; day 2 morning"
        assert first.fields["language"] == "en" and first.source_file == "registrations.csv"
        serial = session.scalars(select(Registration).where(Registration.source_row == 10)).one()
        assert serial.fields["blocks"] == ["d2-partnering-morning", "d2-partnering-afternoon"]  # Excel serial 46360

    again = assistant.people.import_file(EXPORT)
    assert (again.created, again.updated, again.unchanged) == (0, 0, GOOD_ROWS)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"Navn;Firma\nKari;Lab\n", "no column for email addresses"),
        (b"Navn;Firma\nKari;Lab\n", "Nothing was imported: fix the columns"),
        (b"E-post\nkari@example.no\n", "no column for names"),
    ],
)
def test_files_that_cannot_be_imported_change_nothing(
    assistant: Assistant, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(content)
    try:
        summary = assistant.people.import_file(path)
        text = "\n".join(summary.lines())
        assert not summary.applied
    except TableError as error:
        text = str(error)
    assert message in text
    with assistant.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Registration)) == 0


def test_column_overrides_map_odd_headers(assistant: Assistant, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Deltaker,Jobb-adresse,Hvor\nKari Nordmann,Kari@Example.NO,Lab AS\n", encoding="utf-8")
    missing = assistant.people.import_file(path)
    assert not missing.applied
    summary = assistant.people.import_file(path, columns=["name=Deltaker", "email=Jobb-adresse", "organisation=Hvor"])
    assert summary.created == 1
    with pytest.raises(TableError, match='the file has no column "Epost"'):
        assistant.people.import_file(path, columns=["email=Epost"])


def test_two_hundred_registrants_linked_through_slack_see_each_other(
    assistant: Assistant, slack_app: SlackHttpApp, fake_slack: FakeSlack
) -> None:
    members = slack_members(fake_slack, count=150)
    fake_slack.add_user("UBOTX", real_name="Helper", is_bot=True)
    fake_slack.users_list_page_cap = 40  # Slack sends fewer than asked: 4 pages
    fake_slack.fail_next("users.list", retry_after=0)  # and a 429 the client waits out
    summary = assistant.people.import_file(EXPORT, finders=[slack_finder(assistant)])
    assert (summary.created, summary.linked, summary.not_found) == (GOOD_ROWS, 150, 50)
    pages = fake_slack.calls("users.list")
    assert [c.status for c in pages] == [429, 200, 200, 200, 200]
    assert all(c.params.get("include_locale") in ("true", "1", True) for c in pages)
    assert not fake_slack.calls("users.lookupByEmail")  # one pass over the workspace, not one call per person
    with assistant.db.transaction() as session:
        linked = session.scalars(select(Registration).where(Registration.status == "linked")).all()
        assert len(linked) == 150 and all(r.email is None for r in linked)  # the address is dropped once linked
        assert session.scalar(select(func.count()).select_from(Participant)) == 150
        first = session.scalar(select(Participant).where(Participant.external_id == members["hakon.hansen.0@example.no"]))
        assert (first.organisation, first.org_type, first.locale) == (
            "Trøndelag Pharma",
            "pharma",
            "en-US",
        )  # Slack's own wins
        assert first.profile_sources["organisation"] == "import"
        blocked = session.scalars(select(Unavailability.block_id).where(Unavailability.participant_id == first.id)).all()
        assert len(blocked) == 2  # available for day 1 afternoon and day 2 morning only

    me = members["hakon.hansen.0@example.no"]
    response = slack_app.command("/partners", "Pharma", user=me)
    body = json.dumps(response.json(), ensure_ascii=False)
    assert "We filled in your profile from your registration; check it." in body
    assert '"action_id": "profile_edit"' in body
    assert "Member " in body  # other linked registrants are found from the start
    shown = {int(b["elements"][0]["value"]) for b in response.json()["blocks"] if b.get("type") == "actions"
             and b["elements"][0]["action_id"] == "meeting_request_open"}  # fmt: skip
    with assistant.db.transaction() as session:
        assert len(shown) >= 5 and all(session.get(Participant, pid).platform == "slack" for pid in shown)
    again = json.dumps(slack_app.command("/partners", "Pharma", user=me).json(), ensure_ascii=False)
    assert "We filled in your profile" not in again  # said once
    unlinked_names = [line.split(";")[0].strip() + " " + line.split(";")[1].strip()
                      for line in EXPORT.read_text(encoding="utf-8-sig").splitlines()[151 : GOOD_ROWS + 1]]  # fmt: skip
    everyone = json.dumps(
        slack_app.command("/partners", "Trøndelag Pharma Oslo Bergen Fjordlab", user=me).json(), ensure_ascii=False
    )
    assert not any(name in everyone for name in unlinked_names)  # nobody could reach them: not offered

    # Edit on the notice opens the profile form, prefilled from the registration.
    slack_app.action("profile_edit", "", user=me)
    [opened] = fake_slack.wait_for("views.open")
    assert "Trøndelag Pharma" in json.dumps(opened.params["view"], ensure_ascii=False)


def test_first_profile_and_app_home_say_it_was_filled_in(
    assistant: Assistant, slack_app: SlackHttpApp, fake_slack: FakeSlack
) -> None:
    members = slack_members(fake_slack, count=3)
    assistant.people.import_file(EXPORT, finders=[slack_finder(assistant)])
    first, second = list(members.values())[:2]
    slack_app.command("/profile", user=first)
    [opened] = fake_slack.wait_for("views.open")
    assert (
        opened.params["view"]["blocks"][0]["text"]["text"] == "We filled in your profile from your registration; check it."
    )
    slack_app.event({"type": "app_home_opened", "user": second, "tab": "home"})
    [home] = fake_slack.wait_for("views.publish")
    text = json.dumps(home.params["view"], ensure_ascii=False)
    assert "We filled in your profile from your registration; check it." in text and "profile_edit" in text


def test_a_chat_profile_made_before_the_import_is_matched_not_duplicated(
    assistant: Assistant, slack_app: SlackHttpApp, fake_slack: FakeSlack
) -> None:
    members = slack_members(fake_slack, count=5)
    email, user_id = next(iter(members.items()))
    slack_app.command("/partners", user=user_id)  # meets the bot first: a participant from users.info
    with assistant.db.transaction() as session:
        pid = session.scalar(select(Participant.id).where(Participant.external_id == user_id))
    assistant.participants.update_profile(pid, ProfileUpdate(organisation="My Own Lab", org_type="biotech", seeks="Investors"),
                                          now=assistant.clock.now())  # fmt: skip
    # users.info gave the email when they first came, but no list was imported yet: nothing to link then.
    assistant.people.import_file(EXPORT, finders=[slack_finder(assistant)])
    with assistant.db.transaction() as session:
        rows = session.scalars(select(Participant).where(Participant.external_id == user_id)).all()
        assert len(rows) == 1 and rows[0].id == pid
        person = rows[0]
        assert (person.organisation, person.seeks) == ("My Own Lab", "Investors")  # typed in chat: kept
        assert person.offers == "Antibody discovery, CMC support"  # empty before: filled from the registration
        assert person.profile_sources["organisation"] == "chat" and person.profile_sources["offers"] == "import"
        assert session.scalar(select(Registration.participant_id).where(Registration.email_hash == email_hash(email))) == pid


def test_someone_first_met_in_chat_after_the_import_is_linked_by_users_info(
    assistant: Assistant, slack_app: SlackHttpApp, fake_slack: FakeSlack
) -> None:
    assistant.people.import_file(EXPORT)  # no door: nobody linked yet
    members = slack_members(fake_slack, count=2)
    user_id = members["hakon.hansen.0@example.no"]
    response = slack_app.command("/partners", user=user_id)
    assert "We filled in your profile from your registration" in json.dumps(response.json())
    with assistant.db.transaction() as session:
        assert (
            session.scalar(select(Participant.organisation).where(Participant.external_id == user_id)) == "Trøndelag Pharma"
        )
    assert assistant.people.counts().linked == 1


def test_a_reimport_updates_only_what_the_person_did_not_change(
    assistant: Assistant, slack_app: SlackHttpApp, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    members = slack_members(fake_slack, count=200)
    assistant.people.import_file(EXPORT, finders=[slack_finder(assistant)])
    user_id = members["hakon.hansen.0@example.no"]
    with assistant.db.transaction() as session:
        pid = session.scalar(select(Participant.id).where(Participant.external_id == user_id))
    current = assistant.participants.get(pid)
    assistant.participants.update_profile(
        pid, ProfileUpdate(organisation=current.organisation, org_type=current.org_type, role=current.role,
                           offers=current.offers, seeks="Only investors, thanks", interests=list(current.interests)),
        now=assistant.clock.now(),
    )  # fmt: skip
    changed = tmp_path / "registrations.csv"
    text = EXPORT.read_text(encoding="utf-8-sig")
    text = text.replace("Trøndelag Pharma;Pharma;Daglig leder", "Trøndelag Pharma ASA;Pharma;CEO", 1)
    text = text.replace("Samarbeid om biomarkører;", "Nye partnere;", 1)
    changed.write_text(text, encoding="utf-8-sig")
    summary = assistant.people.import_file(changed)
    assert summary.updated >= 1 and summary.created == 0
    with assistant.db.transaction() as session:
        person = session.get(Participant, pid)
        assert (person.organisation, person.role) == ("Trøndelag Pharma ASA", "CEO")  # imported fields follow the file
        assert person.seeks == "Only investors, thanks"  # the person's own change is kept


def test_people_report_counts_and_lists_the_unlinked(
    assistant: Assistant, slack_app: SlackHttpApp, fake_slack: FakeSlack
) -> None:
    assistant.organisers = frozenset({"UORG"})
    fake_slack.add_user("UORG", real_name="Olga Organiser")
    slack_members(fake_slack, count=190)
    empty = slack_app.command("/report", "people", user="UORG")
    assert "No registration list is imported yet" in json.dumps(empty.json())
    assistant.people.import_file(EXPORT, finders=[slack_finder(assistant)])
    response = slack_app.command("/report", "people", user="UORG")
    text = json.dumps(response.json(), ensure_ascii=False)
    assert "Registrants: 200. Linked to a chat account: 190; not yet found: 10; opted out (deleted their data): 0." in text
    [upload] = fake_slack.wait_for("files.completeUploadExternal")
    csv_text = next(iter(fake_slack.uploads.values())).decode("utf-8")
    lines = csv_text.strip().splitlines()
    assert lines[0] == "name,organisation,reason" and len(lines) == 11
    assert "no account with the registered email in slack" in lines[1]
    assert "@" not in csv_text and "@" not in text  # addresses are never shown
    refused = slack_app.command("/report", "people", user="U00001")
    assert "only the event's organisers" in json.dumps(refused.json())


def test_privacy_download_and_delete_include_the_registration(
    assistant: Assistant, slack_app: SlackHttpApp, fake_slack: FakeSlack
) -> None:
    members = slack_members(fake_slack, count=2)
    assistant.people.import_file(EXPORT, finders=[slack_finder(assistant)])
    user_id = members["hakon.hansen.0@example.no"]
    with assistant.db.transaction() as session:
        pid = session.scalar(select(Participant.id).where(Participant.external_id == user_id))
    data = assistant.privacy.export(pid)
    assert data["registration"]["organisation"] == "Trøndelag Pharma"
    assert data["registration"]["imported_from"] == "registrations.csv" and data["registration"]["row"] == 2
    assert data["profile_field_sources"]["offers"] == "import"
    assert "@" not in json.dumps(data)
    assistant.privacy.delete(pid)
    with assistant.db.transaction() as session:
        row = session.scalar(select(Registration).where(Registration.email_hash == email_hash("hakon.hansen.0@example.no")))
        assert (row.status, row.name, row.fields, row.email, row.participant_id) == ("opted_out", "", {}, None, None)
    again = assistant.people.import_file(EXPORT, finders=[slack_finder(assistant)])
    assert again.skipped_opted_out == 1 and assistant.people.counts().opted_out == 1  # not brought back


def test_team_join_links_a_newcomer_and_the_worker_looks_the_rest_up_through_429s(
    assistant: Assistant, slack_app: SlackHttpApp, fake_slack: FakeSlack, clock, caplog
) -> None:
    import logging

    for name in ("bot", "handlers", "partnerup", "storage"):
        caplog.set_level(logging.DEBUG, logger=name)
    from bot.people.retries import LinkRetries
    from bot.worker import Worker

    assistant.people.import_file(EXPORT, finders=[slack_finder(assistant)])  # nobody in Slack yet
    assert assistant.people.counts().unlinked == GOOD_ROWS
    user = fake_slack.add_user("UNEW1", real_name="Håkon Hansen", email="Hakon.Hansen.0@example.no")
    assert slack_app.event({"type": "team_join", "user": user}).status == 200
    assert assistant.people.counts().linked == 1

    # Someone whose team_join was missed: the worker's retry looks them up one by one, through 429s.
    fake_slack.add_user("UNEW2", real_name="Sølvi Brække", email="solvi.braekke.1@example.no")
    fake_slack.fail_next("users.lookupByEmail", retry_after=0, times=2)
    retries = LinkRetries(people=assistant.people, finders=[slack_finder(assistant)], per_run=3)
    worker = Worker(deliverer=assistant.deliverer, partnering=assistant.partnering, reminders=assistant.reminders, rate=None)
    worker.link_retries = retries
    worker.tick()
    assert assistant.people.counts().linked == 1  # looked up at the import a moment ago: not yet again
    clock.advance(hours=1, seconds=1)
    retries.min_interval = 0
    worker.tick()
    assert [c.status for c in fake_slack.calls("users.lookupByEmail")][:3] == [429, 429, 200]
    assert assistant.people.counts().linked == 2
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "registrant(s) again; 1 linked" in logged and "example.no" not in logged.lower()  # addresses never logged


def test_the_command_line_imports_and_reports(tmp_path: Path, monkeypatch, capsys) -> None:
    from bot.__main__ import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "TEAMS_APP_ID"):
        monkeypatch.delenv(name, raising=False)
    copy = tmp_path / "påmeldte.csv"  # no event loaded in this database: no blocks column
    copy.write_bytes("\ufeffNavn;E-post;Organisasjon;Type\nKari Nordmann ;KARI@example.no;Lab AS;Oppstart\n;x;;\n".encode())
    assert main(["import-people", str(copy), "--dry-run"]) == 1  # problems found
    out = capsys.readouterr().out
    assert "row 3, Navn: missing name" in out and "row 3, E-post: not a valid email address" in out
    assert "Dry run: nothing was changed." in out and "Registrants would be created: 1" in out
    assert main(["import-people", str(copy), "--strict"]) == 1
    assert "Nothing was imported (--strict)" in capsys.readouterr().out
    assert main(["import-people", str(copy)]) == 1  # the good row imported, the bad one named
    out = capsys.readouterr().out
    assert "Registrants created: 1, updated: 0, unchanged: 0." in out
    assert "people are linked when they first write to the bot" in out
    assert main(["import-people", str(tmp_path / "missing.csv")]) == 2
    assert main(["import-people", str(copy), "--column", "email=Mail"]) == 2
    assert 'the file has no column "Mail"' in capsys.readouterr().err


def test_the_dashboard_shows_the_same_numbers(assistant: Assistant, slack_app: SlackHttpApp, fake_slack: FakeSlack) -> None:
    from bot.partnering.participants import PersonInfo
    from tests.test_dashboard import signed_in

    slack_members(fake_slack, count=120)
    assistant.people.import_file(EXPORT, finders=[slack_finder(assistant)])
    assistant.organisers = frozenset({"ada-nilsen"})
    assistant.identify(platform="console", external_id="ada-nilsen", lookup=lambda: PersonInfo(display_name="Ada Nilsen"))
    page = signed_in(assistant).get("/dashboard").data.decode()
    assert '<div class="n">120</div><div class="l">linked to a chat account</div>' in page
    assert '<div class="n">80</div><div class="l">not yet found (not offered as partners)</div>' in page
    assert "example.no" not in page


def test_an_xlsx_export_with_date_cells_imports_like_the_csv(assistant: Assistant, tmp_path: Path) -> None:
    from datetime import datetime

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Full name", "E-mail address (work)", "Company", "Organization type", "Availability", "Language"])
    sheet.append(
        ["  Ingrid Strøm ", "Ingrid.Strom@Example.NO", "Blåbær Bio ASA", "Start-up", datetime(2026, 12, 3), "Norsk"]
    )
    sheet.append(["Tor Vik", "tor.vik@example.no", "Kveik Ventures", "VC", "day 2 morning; d1-partnering-afternoon", None])
    sheet.append(["Liv Lie", "liv.lie@example.no", "Fjordlab AS", "Hospital / clinic", 46360, "en"])
    path = tmp_path / "registrants.xlsx"
    workbook.save(path)
    summary = assistant.people.import_file(path)
    assert (summary.created, summary.problems) == (3, [])
    with assistant.db.transaction() as session:
        rows = {r.name: r for r in session.scalars(select(Registration))}
    assert rows["Ingrid Strøm"].fields["blocks"] == ["d1-partnering-morning", "d1-partnering-afternoon"]
    assert rows["Ingrid Strøm"].fields["org_type"] == "startup" and rows["Ingrid Strøm"].fields["language"] == "nb-NO"
    assert rows["Tor Vik"].fields["blocks"] == ["d2-partnering-morning", "d1-partnering-afternoon"]
    assert rows["Tor Vik"].fields["org_type"] == "investor"
    assert rows["Liv Lie"].fields["blocks"] == ["d2-partnering-morning", "d2-partnering-afternoon"]
    assert rows["Liv Lie"].fields["org_type"] == "hospital" and rows["Ingrid Strøm"].email == "ingrid.strom@example.no"


def test_retention_deletes_the_registration_list_with_the_event(assistant: Assistant, clock) -> None:
    assistant.people.import_file(EXPORT)
    report = assistant.privacy.purge(dry_run=True)
    assert report.events == [] and assistant.people.counts().unlinked == GOOD_ROWS
    clock.advance(days=93)  # the event's last day (4 Dec) + 90 days of retention has passed
    report = assistant.privacy.purge()
    assert report.registrations == GOOD_ROWS
    assert "Deleted the registration list (200 row(s))." in report.lines()
    with assistant.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Registration)) == 0


def test_odd_team_join_events_are_answered_and_change_nothing(
    assistant: Assistant, slack_app: SlackHttpApp, fake_slack: FakeSlack
) -> None:
    assistant.people.import_file(EXPORT)
    bot = fake_slack.add_user("UBOT9", real_name="A bot", is_bot=True)
    stranger = fake_slack.add_user("USTRANGE", real_name="Not registered", email="nobody@elsewhere.example")
    for user in ("U123", {}, {"id": "not a slack id", "profile": {"email": "hakon.hansen.0@example.no"}}, bot, stranger):
        assert slack_app.event({"type": "team_join", "user": user}).status == 200
    assert assistant.people.counts().linked == 0
    with assistant.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Participant)) == 0  # strangers are not made participants
