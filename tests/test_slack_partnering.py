"""Partnering through Slack's HTTP path: request, accept, confirmation with a calendar file, cancel."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from storage.models import Meeting, MeetingRequest
from tests.fake_slack import FakeSlack
from tests.slack_harness import SlackHttpApp, submit_view, text_input, user_select, view_payload
from tests.slack_harness import select as pick


@pytest.fixture
def people(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U100", real_name="Ada Berg", title="Head of BD")
    fake_slack.add_user("U200", real_name="Bjørn Lund", title="Oncology scout")
    fake_slack.add_user("U300", real_name="Carl Moe")
    fake_slack.add_user("UROBOT", real_name="Some Bot", is_bot=True)


def buttons(blocks: list[dict]) -> dict[str, str]:
    return {e["action_id"]: e.get("value", "") for b in blocks for e in b.get("elements", []) if e.get("type") == "button"}


def dms_to(fake: FakeSlack, user: str) -> list[dict]:
    return [c.params for c in fake.calls("chat.postMessage") if c.params.get("channel") == user]


def request_meeting(slack_app: SlackHttpApp, fake: FakeSlack, *, topic: str = "TCR licensing") -> None:
    response = slack_app.command("/meet", f"<@U200|bjorn> {topic}", user="U100")
    assert response.status == 200
    [opened] = fake.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == "meet_submit"
    elements = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert elements["invitee"]["initial_user"] == "U200"
    assert elements["topic"]["initial_value"] == topic
    values = {"invitee": user_select("U200"), "topic": text_input(topic), "message": text_input("Let's talk"),
              "day": pick("first")}  # fmt: skip
    assert submit_view(slack_app, view_payload("meet_submit", values, user="U100")).status == 200


def test_request_accept_confirm_cancel(slack_app: SlackHttpApp, fake_slack: FakeSlack, people: None, event_db) -> None:
    request_meeting(slack_app, fake_slack)
    fake_slack.wait_for("chat.postMessage", count=2)
    [invitation] = dms_to(fake_slack, "U200")
    text = json.dumps(invitation["blocks"], ensure_ascii=False)
    assert "New meeting request" in text and "Ada Berg" in text and "TCR licensing" in text
    actions = buttons(invitation["blocks"])
    assert set(actions) == {"request_accept", "request_decline", "request_propose"}
    [sent] = dms_to(fake_slack, "U100")
    assert "is sent" in sent["text"]

    # Someone else pressing Bjørn's Accept is refused, and nothing is booked.
    slack_app.action("request_accept", actions["request_accept"], user="U300", in_dm=True)
    [refusal] = fake_slack.wait_for("response_url")
    assert "Only the person who was asked can accept" in json.dumps(refusal.params)
    with event_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Meeting)) == 0

    slack_app.action("request_accept", actions["request_accept"], user="U200", in_dm=True)
    answers = fake_slack.wait_for("response_url", count=2)
    assert answers[1].params["replace_original"] is True
    assert "Accepted. Your meeting with Ada Berg is on Thu 3 Dec 11:10–11:40 CET at Table 1" in answers[1].params["text"]

    fake_slack.wait_for("chat.postMessage", count=4)
    for user, other in (("U100", "Bjørn Lund"), ("U200", "Ada Berg")):
        booked = dms_to(fake_slack, user)[-1]
        assert f"Meeting booked with {other}: Thu 3 Dec 11:10–11:40 CET at Table 1, Partnering lounge" in booked["text"]
    uploads = fake_slack.wait_for("files.completeUploadExternal", count=2)
    assert len(uploads) == 2
    calendars = [body.decode() for body in fake_slack.uploads.values()]
    assert all("UID:partnerup-meeting-1@days-to-partner-up-2026" in c for c in calendars)
    assert all("DTSTART:20261203T101000Z" in c for c in calendars)

    # /meetings shows it with a Cancel button; cancelling tells the other person.
    listing = slack_app.command("/meetings", "", user="U100").json()
    assert "Bjørn Lund" in json.dumps(listing["blocks"], ensure_ascii=False)
    cancel_value = buttons(listing["blocks"])["meeting_cancel"]
    slack_app.action("meeting_cancel", cancel_value, user="U100")
    fake_slack.wait_for("chat.postMessage", count=5)
    notice = dms_to(fake_slack, "U200")[-1]
    assert "Ada Berg cancelled your meeting on Thu 3 Dec 11:10–11:40 CET" in notice["text"]
    with event_db.transaction() as session:
        assert session.scalar(select(Meeting.status)) == "cancelled"


def test_crafted_button_for_someone_elses_meeting_is_refused(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, people: None
) -> None:
    request_meeting(slack_app, fake_slack)
    fake_slack.wait_for("chat.postMessage", count=2)
    accept = buttons(dms_to(fake_slack, "U200")[0]["blocks"])["request_accept"]
    slack_app.action("request_accept", accept, user="U200", in_dm=True)
    fake_slack.wait_for("chat.postMessage", count=4)
    slack_app.action("meeting_cancel", "1", user="U300")
    answers = fake_slack.wait_for("response_url", count=2)
    assert "Only the two people in this meeting can cancel it." in answers[-1].params["text"]


def test_decline_with_reason_reaches_the_requester(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, people: None, event_db
) -> None:
    request_meeting(slack_app, fake_slack)
    fake_slack.wait_for("chat.postMessage", count=2)
    decline = buttons(dms_to(fake_slack, "U200")[0]["blocks"])["request_decline"]
    slack_app.action("request_decline", decline, user="U200", in_dm=True)
    opened = fake_slack.wait_for("views.open", count=2)[-1].params["view"]
    assert opened["callback_id"] == "decline_submit"
    payload = view_payload("decline_submit", {"reason": text_input("Fully booked <!channel>")}, user="U200",
                           private_metadata=opened["private_metadata"])  # fmt: skip
    assert submit_view(slack_app, payload).status == 200
    fake_slack.wait_for("chat.postMessage", count=4)
    declined = next(m for m in dms_to(fake_slack, "U100") if "declined" in m["text"])
    text = json.dumps(declined["blocks"], ensure_ascii=False)
    assert "Fully booked" in text and "<!channel>" not in text
    with event_db.transaction() as session:
        assert session.scalar(select(MeetingRequest.status)) == "declined"


def test_modal_errors_are_shown_next_to_the_field(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, people: None, event_db
) -> None:
    values = {"invitee": user_select("U100"), "topic": text_input("x"), "message": text_input(""), "day": pick("first")}
    response = submit_view(slack_app, view_payload("meet_submit", values, user="U100"))
    assert response.json() == {
        "response_action": "errors",
        "errors": {"invitee": "You can't request a meeting with yourself."},
    }
    values = {"invitee": user_select("UROBOT"), "topic": text_input("x"), "message": text_input(""), "day": pick("first")}
    assert (
        "Bots don't take meetings"
        in submit_view(slack_app, view_payload("meet_submit", values, user="U100")).json()["errors"]["invitee"]
    )
    values = {"invitee": user_select("UNOBODY1"), "topic": text_input("x"), "message": text_input(""), "day": pick("first")}
    assert (
        "isn't in this workspace"
        in submit_view(slack_app, view_payload("meet_submit", values, user="U100")).json()["errors"]["invitee"]
    )
    values = {"invitee": user_select("U200"), "topic": text_input(""), "message": text_input(""), "day": pick("first")}
    assert "topic" in submit_view(slack_app, view_payload("meet_submit", values, user="U100")).json()["errors"]
    with event_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(MeetingRequest)) == 0


def test_meet_without_a_mention_explains_how(slack_app: SlackHttpApp, fake_slack: FakeSlack, people: None) -> None:
    reply = slack_app.command("/meet", "maya some topic", user="U100").json()
    assert "mentioned with @" in reply["text"]
    assert fake_slack.calls("views.open") == []


def test_profile_modal_saves_and_partners_finds_it(slack_app: SlackHttpApp, fake_slack: FakeSlack, people: None) -> None:
    slack_app.command("/profile", "", user="U200")
    [opened] = fake_slack.wait_for("views.open")
    assert opened.params["view"]["callback_id"] == "profile_submit"
    values = {"organisation": text_input("Roche"), "org_type": pick("pharma"), "role": text_input("Scout"),
              "offers": text_input("co-development funding"), "seeks": text_input("TCR assets in solid tumours"),
              "interests": text_input("oncology, cell therapy")}  # fmt: skip
    assert submit_view(slack_app, view_payload("profile_submit", values, user="U200")).status == 200
    found = slack_app.command("/partners", "roch", user="U100").json()
    text = json.dumps(found["blocks"], ensure_ascii=False)
    assert "Bjørn Lund" in text and "Roche (Pharma)" in text
    assert "meeting_request_open" in buttons(found["blocks"])


def test_organiser_commands_are_refused_to_others_and_export_csv(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, people: None, assistant
) -> None:
    assistant.organisers = frozenset({"U300"})
    refused = slack_app.command("/meetings", "export", user="U100").json()
    assert "only the event's organisers" in refused["text"]
    assert fake_slack.calls("files.completeUploadExternal") == []

    request_meeting(slack_app, fake_slack)
    fake_slack.wait_for("chat.postMessage", count=2)
    accept = buttons(dms_to(fake_slack, "U200")[0]["blocks"])["request_accept"]
    slack_app.action("request_accept", accept, user="U200", in_dm=True)
    fake_slack.wait_for("files.completeUploadExternal", count=2)

    reply = slack_app.command("/meetings", "export", user="U300").json()
    assert "All 1 meeting(s) as CSV." in reply["text"]
    fake_slack.wait_for("files.completeUploadExternal", count=3)
    csv_text = [body.decode() for body in fake_slack.uploads.values() if b"requester organisation" in body]
    assert len(csv_text) == 1
    assert "Ada Berg" in csv_text[0] and "Bjørn Lund" in csv_text[0] and "Table 1" in csv_text[0] and "booked" in csv_text[0]
    [opened] = [c for c in fake_slack.calls("conversations.open") if c.params.get("users") == "U300"]
    assert opened
