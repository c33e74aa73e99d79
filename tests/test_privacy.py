"""Privacy over Slack's HTTP path (and the console and command line): download, hide, delete, retention, logs."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import pytest
from sqlalchemy import func, select, text

from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.delivery.outbox import Deliverer
from bot.messages import RENDERERS
from bot.worker import Worker
from storage.models import AgendaSession, Base, Delivery, Meeting, MeetingRequest, Participant
from tests.conftest import OSLO
from tests.fake_slack import FakeSlack
from tests.partnering_helpers import RecordingNotifier, give_profile, people
from tests.slack_harness import SlackHttpApp, submit_view, text_input, user_select, view_payload
from tests.slack_harness import select as pick

BJORN_SECRETS = {"role": "BJORNSECRET scout", "offers": "BJORNSECRET co-development funding",
                 "seeks": "BJORNSECRET TCR assets", "interests": "bjornsecretinterest"}  # fmt: skip
CARL_SECRETS = {"role": "CARLSECRET partnering lead", "offers": "CARLSECRET antibody library",
                "seeks": "CARLSECRET licensing partner", "interests": "carlsecretinterest"}  # fmt: skip


@pytest.fixture
def slack_people(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U100", real_name="Ada Berg", title="Head of BD")
    fake_slack.add_user("U200", real_name="Bjørn Lund", title="Oncology scout")
    fake_slack.add_user("U300", real_name="Carl Moe", title="Carl's job title")
    fake_slack.add_user("U400", real_name="Dina Holm")


def buttons(blocks: list[dict]) -> dict[str, str]:
    return {e["action_id"]: e.get("value", "") for b in blocks for e in b.get("elements", []) if e.get("type") == "button"}


def dms_to(fake: FakeSlack, user: str) -> list[dict]:
    return [c.params for c in fake.calls("chat.postMessage") if c.params.get("channel") == user]


def set_profile(app: SlackHttpApp, fake: FakeSlack, user: str, organisation: str, org_type: str, fields: dict) -> None:
    before = len(fake.calls("views.open"))
    app.command("/profile", "", user=user)
    fake.wait_for("views.open", count=before + 1)
    values = {"organisation": text_input(organisation), "org_type": pick(org_type)}
    values.update({name: text_input(value) for name, value in fields.items()})
    assert submit_view(app, view_payload("profile_submit", values, user=user)).status == 200


def send_request(app: SlackHttpApp, fake: FakeSlack, *, by: str, to: str, topic: str, message: str) -> None:
    before = len(fake.calls("views.open"))
    app.command("/meet", f"<@{to}> {topic}", user=by)
    fake.wait_for("views.open", count=before + 1)
    values = {"invitee": user_select(to), "topic": text_input(topic), "message": text_input(message),
              "day": pick("first")}  # fmt: skip
    assert submit_view(app, view_payload("meet_submit", values, user=by)).status == 200


def wait_for_dm(fake: FakeSlack, user: str, needle: str, timeout: float = 5.0) -> dict:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in dms_to(fake, user):
            if needle in json.dumps(message, ensure_ascii=False):
                return message
        time.sleep(0.02)
    raise AssertionError(f"no DM to {user} with {needle!r}: {[m.get('text') for m in dms_to(fake, user)]}")


def wait_for_upload(fake: FakeSlack, needle: bytes, timeout: float = 5.0) -> bytes:
    """The uploaded file containing ``needle`` (the file follows its message, so it may be a moment later)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [body for body in fake.uploads.values() if needle in body]
        if found:
            assert len(found) == 1
            return found[0]
        time.sleep(0.02)
    raise AssertionError(f"no upload with {needle!r}")


def privacy_buttons(app: SlackHttpApp, user: str) -> dict[str, str]:
    answer = app.command("/privacy", "", user=user)
    assert answer.status == 200
    body = answer.json()
    assert body["response_type"] == "ephemeral"
    assert "Your data in PartnerUp" in json.dumps(body["blocks"], ensure_ascii=False)
    return buttons(body["blocks"])


def last_response(fake: FakeSlack, count: int) -> dict:
    return fake.wait_for("response_url", count=count)[-1].params


def json_download(fake: FakeSlack) -> dict:
    return json.loads(wait_for_upload(fake, b'"about"'))


def booked_meeting_between(app: SlackHttpApp, fake: FakeSlack, *, by: str, to: str, topic: str, message: str) -> None:
    send_request(app, fake, by=by, to=to, topic=topic, message=message)
    invitation = wait_for_dm(fake, to, "New meeting request")
    app.action("request_accept", buttons(invitation["blocks"])["request_accept"], user=to, in_dm=True)
    wait_for_dm(fake, to, "Meeting booked")


# --- download ------------------------------------------------------------------------------------


def test_download_holds_everything_about_me_and_of_others_only_name_and_organisation(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, slack_people: None, event_db
) -> None:
    set_profile(slack_app, fake_slack, "U100", "Biogenix", "biotech",
                {"role": "Head of BD", "offers": "TCR platform", "seeks": "pharma partner", "interests": "oncology"})  # fmt: skip
    set_profile(slack_app, fake_slack, "U200", "Roche", "pharma", BJORN_SECRETS)
    set_profile(slack_app, fake_slack, "U300", "Carl Pharma AS", "pharma", CARL_SECRETS)
    send_request(slack_app, fake_slack, by="U100", to="U200", topic="TCR licensing", message="ADA-MESSAGE to Bjørn")
    send_request(slack_app, fake_slack, by="U300", to="U100", topic="Antibody deal", message="Hello Ada from Carl")
    send_request(slack_app, fake_slack, by="U300", to="U200", topic="CARLSECRET other topic", message="CARLSECRET to Bjørn")
    with event_db.transaction() as session:
        session_id = session.scalar(select(AgendaSession.id).order_by(AgendaSession.starts_at.desc()).limit(1))
    slack_app.action("bookmark_add", str(session_id), user="U100")
    fake_slack.wait_for("response_url", count=1)

    download = privacy_buttons(slack_app, "U100")["privacy_download"]
    slack_app.action("privacy_download", download, user="U100")
    assert "on its way" in last_response(fake_slack, 2)["text"]
    wait_for_dm(fake_slack, "U100", "Your data from PartnerUp")
    data = json_download(fake_slack)

    assert data["about"][0].startswith("This is everything PartnerUp")
    assert data["profile"]["organisation"] == "Biogenix" and data["profile"]["offers"] == "TCR platform"
    assert data["profile"]["user_id"] == "U100" and data["profile"]["name"] == "Ada Berg"
    [sent] = data["requests_sent"]
    assert sent["to"] == {"name": "Bjørn Lund", "organisation": "Roche"}
    assert sent["message"] == "ADA-MESSAGE to Bjørn" and sent["status"] == "pending"
    [received] = data["requests_received"]
    assert received["from"] == {"name": "Carl Moe", "organisation": "Carl Pharma AS"}
    assert received["message"] == "Hello Ada from Carl"
    assert [b["session"] for b in data["bookmarks"]]
    assert data["settings"]["reminder_minutes_before"] == 10
    assert any(m["what"] == "a meeting request for you" for m in data["messages_sent_to_you"])
    raw = json.dumps(data, ensure_ascii=False)
    for secret in ("BJORNSECRET", "bjornsecretinterest", "CARLSECRET", "carlsecretinterest", "Oncology scout",
                   "Carl's job title", "U200", "U300"):  # fmt: skip
        assert secret not in raw, secret


# --- hide -------------------------------------------------------------------------------------------


def test_hidden_people_are_neither_found_nor_suggested_and_keep_their_meetings(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, slack_people: None, event_db
) -> None:
    set_profile(slack_app, fake_slack, "U100", "Biogenix", "biotech", {"seeks": "co-development funding"})
    set_profile(slack_app, fake_slack, "U200", "Roche", "pharma", {"offers": "co-development funding"})
    send_request(slack_app, fake_slack, by="U100", to="U200", topic="Funding", message="Let's talk")

    def partners(words: str) -> str:
        return json.dumps(slack_app.command("/partners", words, user="U100").json(), ensure_ascii=False)

    assert "Bjørn Lund" in partners("roche") and "Bjørn Lund" in partners("")
    hide = privacy_buttons(slack_app, "U200")["privacy_hide"]
    slack_app.action("privacy_hide", hide, user="U200")
    assert "hidden from the partner directory" in last_response(fake_slack, 1)["text"]
    assert "Bjørn Lund" not in partners("roche")
    assert "Bjørn Lund" not in partners("")
    assert "privacy_show" in privacy_buttons(slack_app, "U200")
    meetings = json.dumps(slack_app.command("/meetings", "", user="U200").json(), ensure_ascii=False)
    assert "Ada Berg" in meetings and "Funding" in meetings

    slack_app.action("privacy_show", "1", user="U200")
    last_response(fake_slack, 2)
    assert "Bjørn Lund" in partners("roche")


# --- delete -------------------------------------------------------------------------------------------


def all_stored_text(db) -> str:
    """Every value of every row of every table, as text: what a database dump would show."""
    out = []
    with db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(text(f'SELECT * FROM "{table.name}"')):
                out.append(" ".join(str(v) for v in row))
    return "\n".join(out)


def test_delete_tells_the_others_updates_their_calendar_and_leaves_no_name_or_id(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, slack_people: None, event_db, assistant
) -> None:
    assistant.organisers = frozenset({"U400"})
    set_profile(slack_app, fake_slack, "U100", "Biogenix", "biotech", {"offers": "ADA-OFFER TCR platform"})
    booked_meeting_between(slack_app, fake_slack, by="U100", to="U200", topic="ADA-TOPIC licensing", message="ADA-MSG")
    send_request(slack_app, fake_slack, by="U100", to="U300", topic="ADA-TOPIC second", message="ADA-MSG second")
    send_request(slack_app, fake_slack, by="U400", to="U100", topic="Dina asks", message="Dina's message")
    wait_for_dm(fake_slack, "U100", "Dina asks")
    with event_db.transaction() as session:
        ada = session.scalar(select(Participant.id).where(Participant.external_id == "U100"))
        session_id = session.scalar(select(AgendaSession.id).order_by(AgendaSession.starts_at.desc()).limit(1))
    slack_app.action("bookmark_add", str(session_id), user="U100")
    responses = len(fake_slack.wait_for("response_url"))
    with event_db.transaction() as session:
        queued = session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.participant_id == ada, Delivery.status == "pending"))  # fmt: skip
    assert queued >= 1  # the session reminder, due later

    delete = privacy_buttons(slack_app, "U100")["privacy_delete"]
    slack_app.action("privacy_delete", delete, user="U100")
    confirm = last_response(fake_slack, responses + 1)
    assert "Delete all your data?" in confirm["text"]
    assert "updated calendar entry" in json.dumps(confirm["blocks"], ensure_ascii=False)
    with event_db.transaction() as session:  # nothing happens before the second press
        assert session.scalar(select(Participant.display_name).where(Participant.id == ada)) == "Ada Berg"
    slack_app.action("privacy_delete_confirm", buttons(confirm["blocks"])["privacy_delete_confirm"], user="U100")
    done = last_response(fake_slack, responses + 2)
    assert "your data is deleted" in done["text"] and done["replace_original"] is True

    cancelled = wait_for_dm(fake_slack, "U200", "cancelled your meeting")
    assert "Deleted participant cancelled your meeting on Thu 3 Dec" in cancelled["text"]
    cancel_ics = wait_for_upload(fake_slack, b"METHOD:CANCEL").decode()
    assert "UID:partnerup-meeting-1@days-to-partner-up-2026" in cancel_ics and "STATUS:CANCELLED" in cancel_ics
    assert "Ada Berg" not in cancel_ics
    assert "withdrew the meeting request" in wait_for_dm(fake_slack, "U300", "withdrew")["text"]
    declined = wait_for_dm(fake_slack, "U400", "declined your meeting request")
    assert "Their reason" not in json.dumps(declined, ensure_ascii=False)

    with event_db.transaction() as session:
        assert session.scalar(select(Meeting.status)) == "cancelled"
        statuses = dict(session.execute(select(MeetingRequest.topic, MeetingRequest.status)).all())
        assert statuses["Dina asks"] == "declined" and list(statuses.values()).count("withdrawn") == 1
        assert session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.participant_id == ada, Delivery.status.in_(("pending", "sending")))) == 0  # fmt: skip
        assert session.scalar(select(func.count()).select_from(MeetingRequest)) == 3  # counts survive
    stored = all_stored_text(event_db)
    for gone in ("Ada Berg", "U100", "ADA-OFFER", "ADA-TOPIC", "ADA-MSG", "Biogenix", "Head of BD"):
        assert gone not in stored, gone

    export = slack_app.command("/meetings", "export", user="U400").json()
    assert "meeting(s) as CSV" in export["text"] and "personal data" in json.dumps(export["blocks"])
    upload = fake_slack.wait_for("files.completeUploadExternal", count=len(fake_slack.calls("files.completeUploadExternal")))
    assert "Personal data" in upload[-1].params.get("initial_comment", "")
    csv_text = next(b.decode() for b in fake_slack.uploads.values() if b"requester organisation" in b)
    assert "Deleted participant" in csv_text and "Ada Berg" not in csv_text

    # Using the bot again starts afresh, as a stranger.
    again = privacy_buttons(slack_app, "U100")
    assert "privacy_hide" in again
    with event_db.transaction() as session:
        fresh = session.scalar(select(Participant).where(Participant.external_id == "U100"))
        assert fresh.id != ada and fresh.organisation == "" and fresh.deleted_at is None


# --- retention ------------------------------------------------------------------------------------------


def test_purge_after_retention_with_an_injected_clock(assistant, event_db, clock: FixedClock) -> None:
    ada, bjorn = people(assistant, "Ada Berg", "Bjørn Lund")
    give_profile(assistant, ada, organisation="Biogenix", offers="PURGE-OFFER")
    give_profile(assistant, bjorn, organisation="Roche")
    assistant.request_meeting(actor=ada, invitee=bjorn, topic="PURGE-TOPIC", message="PURGE-MESSAGE")
    with event_db.transaction() as session:
        session_id = session.scalar(select(AgendaSession.id).order_by(AgendaSession.starts_at.desc()).limit(1))
    assistant.bookmark(actor=ada, session_id=session_id)
    deliverer = Deliverer(db=event_db, clock=clock, notifiers={"console": RecordingNotifier()}, renderers=RENDERERS)
    worker = Worker(deliverer=deliverer, partnering=assistant.partnering, reminders=assistant.reminders, rate=None,
                    privacy=assistant.privacy)  # fmt: skip

    clock.set(datetime(2027, 3, 4, 23, 0, tzinfo=OSLO))  # day 90 after the last day (4 Dec): kept
    worker.tick()
    assert "PURGE-MESSAGE" in all_stored_text(event_db)
    clock.set(datetime(2027, 3, 5, 1, 0, tzinfo=OSLO))
    dry = assistant.privacy.purge(dry_run=True)
    assert dry.people == 2 and dry.requests == 1 and dry.bookmarks == 1
    assert "Would delete the personal data of 2 participant(s)," in dry.lines()
    assert "PURGE-MESSAGE" in all_stored_text(event_db)

    worker.tick()
    stored = all_stored_text(event_db)
    for gone in ("PURGE-OFFER", "PURGE-TOPIC", "PURGE-MESSAGE", "Ada Berg", "Bjørn Lund", "Biogenix", "ada-berg"):
        assert gone not in stored, gone
    with event_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(MeetingRequest)) == 1
        assert session.scalar(select(func.count()).select_from(Participant).where(Participant.deleted_at.is_(None))) == 0
    assert assistant.privacy.purge().people == 0  # once is enough


# --- logs -----------------------------------------------------------------------------------------------


def test_logs_of_a_whole_scenario_carry_nothing_anyone_typed(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, slack_people: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    typed = {"org": "Typedorg Biotech", "role": "Typed role", "offers": "typedoffer platform",
             "seeks": "typedseek partner", "interests": "typedinterest"}  # fmt: skip
    set_profile(slack_app, fake_slack, "U100", typed["org"], "biotech",
                {k: v for k, v in typed.items() if k != "org"})  # fmt: skip
    set_profile(slack_app, fake_slack, "U200", "Secondorg Pharma", "pharma", {"offers": "typedoffer funding"})
    slack_app.command("/partners", "typedsearch words", user="U100")
    booked_meeting_between(slack_app, fake_slack, by="U100", to="U200", topic="Typed topic", message="Typed message")
    send_request(slack_app, fake_slack, by="U300", to="U100", topic="Other typed topic", message="Another typed message")
    invitation = wait_for_dm(fake_slack, "U100", "Other typed topic")
    slack_app.action("request_decline", buttons(invitation["blocks"])["request_decline"], user="U100", in_dm=True)
    opened = fake_slack.wait_for("views.open", count=len(fake_slack.calls("views.open")))[-1].params["view"]
    submit_view(slack_app, view_payload("decline_submit", {"reason": text_input("Typed decline reason")}, user="U100",
                                        private_metadata=opened["private_metadata"]))  # fmt: skip
    wait_for_dm(fake_slack, "U300", "declined")
    slack_app.command("/privacy", "", user="U100")
    slack_app.action("privacy_download", "json", user="U100")
    wait_for_dm(fake_slack, "U100", "Your data from PartnerUp")
    slack_app.action("privacy_hide", "1", user="U200")
    slack_app.action("privacy_delete_confirm", "1", user="U100")
    wait_for_dm(fake_slack, "U200", "cancelled your meeting")

    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert records, "the scenario logged nothing at all: the scan would prove nothing"
    logged = "\n".join(r.getMessage() + " " + (r.exc_text or "") for r in records)
    strings = [*typed.values(), "Secondorg Pharma", "typedsearch", "Typed topic", "Typed message", "Other typed topic",
               "Another typed message", "Typed decline reason", "Ada Berg", "Bjørn Lund", "Carl Moe", "Head of BD"]  # fmt: skip
    for string in strings:
        assert string not in logged, f"{string!r} is in the logs"


# --- App Home and confidentiality ---------------------------------------------------------------------------


def test_app_home_has_a_privacy_section_and_no_one_elses_request_text(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, slack_people: None
) -> None:
    send_request(slack_app, fake_slack, by="U100", to="U200", topic="Confidential licensing", message="Secret terms")
    wait_for_dm(fake_slack, "U200", "New meeting request")
    for user in ("U100", "U300"):
        slack_app.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"})
    published = {c.params["user_id"]: json.dumps(c.params["view"], ensure_ascii=False)
                 for c in fake_slack.wait_for("views.publish", count=2)}  # fmt: skip
    assert "Privacy" in published["U100"] and "privacy_delete" in published["U100"]
    assert "Secret terms" not in published["U300"] and "Confidential licensing" not in published["U300"]
    channel_posts = [
        c.params for c in fake_slack.calls("chat.postMessage") if str(c.params.get("channel", "")).startswith("C")
    ]
    assert not any("Secret terms" in json.dumps(p, ensure_ascii=False) for p in channel_posts)

    # A button pressed on App Home has no message to answer in: the answer comes by DM.
    slack_app.post_signed(
        b"payload="
        + __import__("urllib.parse")
        .parse.quote(
            json.dumps(
                {
                    "type": "block_actions",
                    "user": {"id": "U100"},
                    "team": {"id": "T0001"},
                    "api_app_id": "A0001",
                    "container": {"type": "view", "view_id": "V1"},
                    "trigger_id": "1.2.3",
                    "actions": [
                        {"type": "button", "action_id": "privacy_delete", "block_id": "b", "value": "1", "action_ts": "1"}
                    ],
                }
            )
        )
        .encode(),  # fmt: skip
        "application/x-www-form-urlencoded",
    )
    assert "Delete all your data?" in wait_for_dm(fake_slack, "U100", "Delete all your data?")["text"]


# --- console and command line -------------------------------------------------------------------------------


def test_console_privacy_download_hide_and_delete(assistant) -> None:
    import re

    from bot.worker import Worker as W
    from handlers.console.repl import Console

    assistant.send_now = True  # as `python -m bot console` runs it
    console = Console(assistant, who="Ada Berg")
    console.worker = W(deliverer=assistant.deliverer, partnering=assistant.partnering, reminders=assistant.reminders,
                       rate=None)  # fmt: skip
    console.handle("/profile org=Biogenix; type=biotech; offers=console offer text")

    def press(text_out: str, label: str) -> str:
        match = re.search(r"\[(\d+)\] " + re.escape(label), text_out)
        assert match, text_out
        return console.handle(match.group(1))

    overview = console.handle("/privacy")
    assert "YOUR DATA IN PARTNERUP" in overview and "only you, the other person" in overview
    downloaded = press(overview, "Download my data")
    assert "partnerup-my-data.json" in downloaded and '"offers": "console offer text"' in downloaded
    assert "hidden from the partner directory" in press(console.handle("/privacy"), "Hide me from the directory")
    confirm = press(console.handle("/privacy"), "Delete my data…")
    assert "DELETE ALL YOUR DATA?" in confirm
    assert "your data is deleted" in press(confirm, "Yes, delete everything")
    again = console.handle("/privacy")
    assert "Hide me from the directory" in again  # a stranger again: not hidden, nothing kept
    with assistant.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Participant).where(Participant.offers != "")) == 0


def test_command_line_export_and_delete_for_someone_who_left(
    assistant, clock, database_url: str, monkeypatch, capsys
) -> None:
    from bot.__main__ import main

    monkeypatch.setattr("bot.__main__.SystemClock", lambda: clock)  # the command line on the event's days

    ada, bjorn = people(assistant, "Ada Berg", "Bjørn Lund")
    give_profile(assistant, ada, organisation="Biogenix", offers="CLI offer")
    give_profile(assistant, bjorn, organisation="Roche", offers="BJORNSECRET offer")
    assistant.request_meeting(actor=bjorn, invitee=ada, topic="CLI topic", message="CLI message")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)

    assert main(["privacy", "export", "--user", "ada-berg", "--platform", "console"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["profile"]["offers"] == "CLI offer"
    assert data["requests_received"][0]["from"] == {"name": "Bjørn Lund", "organisation": "Roche"}
    assert "BJORNSECRET" not in json.dumps(data)

    assert main(["privacy", "delete", "--user", "ada-berg", "--platform", "console"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert main(["privacy", "delete", "--user", "ada-berg", "--platform", "console", "--yes"]) == 0
    assert "1 declined" in capsys.readouterr().out
    assert main(["privacy", "export", "--user", "ada-berg", "--platform", "console"]) == 2
    assert "no data is kept" in capsys.readouterr().err
    with assistant.db.transaction() as session:
        statuses = session.scalars(select(Delivery.kind).where(Delivery.status == "pending")).all()
    assert "request_declined" in statuses  # queued for the worker to tell Bjørn

    assert main(["purge", "--dry-run"]) == 0
    assert "No event is past its retention period" in capsys.readouterr().out


def test_purge_keeps_people_of_a_later_event(assistant, event_db, clock: FixedClock, tmp_path) -> None:
    from bot.event_setup import load_event_file
    from tests.partnering_helpers import tiny_event_file

    ada, bjorn = people(assistant, "Ada Berg", "Bjørn Lund")
    give_profile(assistant, ada, organisation="Biogenix", offers="OLD-EVENT offer")
    give_profile(assistant, bjorn, organisation="Roche")
    assistant.request_meeting(actor=ada, invitee=bjorn, topic="OLD-TOPIC", message="OLD-MESSAGE")
    later = tiny_event_file(tmp_path)
    later.write_text(later.read_text().replace("2026-12-03", "2027-06-01").replace("tiny-partnering-2026", "later-2027"))
    clock.set(datetime(2027, 5, 1, 12, 0, tzinfo=OSLO))  # past the first event's retention, before the second
    load_event_file(event_db, later, clock=clock)
    carl, dina = people(assistant, "Carl Moe", "Dina Holm")
    give_profile(assistant, carl, organisation="Carl Pharma AS", offers="NEW-EVENT offer")
    assistant.request_meeting(actor=dina, invitee=bjorn, topic="NEW-TOPIC")  # in the later event

    report = assistant.privacy.purge()
    assert report.events == ["days-to-partner-up-2026"] and report.people == 1
    stored = all_stored_text(event_db)
    assert "OLD-EVENT offer" not in stored and "OLD-TOPIC" not in stored and "OLD-MESSAGE" not in stored
    assert "NEW-EVENT offer" in stored and "NEW-TOPIC" in stored and "Roche" in stored  # Bjørn meets in the later event


def test_delete_also_forgets_how_a_door_reaches_the_person(assistant: Assistant) -> None:
    """A Teams conversation reference, files published for a person and their dashboard links name them too."""
    from bot.partnering.participants import PersonInfo

    now = assistant.clock.now()
    me = assistant.identify(platform="teams", external_id="aad-object-id-1", lookup=lambda: PersonInfo("Tove Teams"))
    assistant.addresses.remember(participant_id=me, address={"conversation": "a:1", "user": "29:tove"}, now=now)
    token = assistant.published.publish(participant_id=me, filename="meeting.ics", mimetype="text/calendar",
                                        content=b"BEGIN:VCALENDAR", now=now)  # fmt: skip
    assert assistant.published.get(token, mimetype="text/calendar") is not None

    assistant.delete_my_data(actor=me)

    assert assistant.addresses.lookup(me)[0] is None
    assert assistant.published.get(token, mimetype="text/calendar") is None
    assert assistant.privacy.find(platform="teams", external_id="aad-object-id-1") is None
