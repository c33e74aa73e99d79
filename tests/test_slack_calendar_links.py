"""Slack with PUBLIC_URL set: an Accept pressed on the request in the presser's DM with the bot is answered, in
place of that request, with the booking, who they meet, Reschedule and Cancel, and an Add to calendar link to
the meeting's calendar file on this server; the "Meeting booked" message that would repeat it a moment later in
the same DM is held for that answer and recorded as shown. Anything else (an ephemeral list, a refused answer,
no PUBLIC_URL) keeps the message with its attached file."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.assistant import Assistant
from bot.config import load_settings
from storage.models import Delivery, Participant
from tests.fake_slack import FakeSlack
from tests.slack_harness import SlackHttpApp
from tests.test_slack_partnering import buttons, dms_to, request_meeting

SHOWN = "shown in the answer to the press"
BOOKED_AT = "Thu 3 Dec 11:10–11:40 CET at Table 1"


@pytest.fixture
def people(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U100", real_name="Ada Berg", title="Head of BD")
    fake_slack.add_user("U200", real_name="Bjørn Lund", title="Oncology scout")


@pytest.fixture
def linked_app(assistant: Assistant, fake_slack: FakeSlack) -> Iterator[SlackHttpApp]:
    app = SlackHttpApp(assistant, fake_slack, calendar_links=True)
    yield app
    app.close()


def wait_until(check, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return bool(check())


def confirmation(db, user: str) -> tuple[str, str] | None:
    """The status and detail of ``user``'s "Meeting booked" row in the outbox."""
    with db.transaction() as session:
        row = session.execute(
            select(Delivery.status, Delivery.detail)
            .join(Participant, Participant.id == Delivery.participant_id)
            .where(Delivery.kind == "meeting_confirmed", Participant.external_id == user)
        ).first()
        return tuple(row) if row else None


def booked_dms(fake: FakeSlack, user: str) -> list[dict]:
    return [m for m in dms_to(fake, user) if "Meeting booked" in m["text"]]


def invitation_accept(app: SlackHttpApp, fake: FakeSlack) -> str:
    request_meeting(app, fake)
    fake.wait_for("chat.postMessage", count=2)
    return buttons(dms_to(fake, "U200")[0]["blocks"])["request_accept"]


def links(blocks: list[dict]) -> dict[str, str]:
    return {e["text"]["text"]: e["url"] for b in blocks for e in b.get("elements", []) if e.get("url")}


def test_accept_in_the_dm_shows_the_booking_with_its_calendar_link_instead_of_a_second_message(
    linked_app: SlackHttpApp, fake_slack: FakeSlack, people: None, assistant: Assistant, clock
) -> None:
    accept = invitation_accept(linked_app, fake_slack)
    linked_app.action("request_accept", accept, user="U200", in_dm=True, response_url="response/accept")
    [answer] = fake_slack.wait_for("response_url")
    assert answer.params["replace_original"] is True  # the request in Bjørn's DM becomes the booking
    assert f"Accepted. Your meeting with Ada Berg is on {BOOKED_AT}" in answer.params["text"]
    shown = json.dumps(answer.params["blocks"], ensure_ascii=False)
    assert "Ada Berg" in shown and "Head of BD" in shown  # who he meets, as the message would say
    assert {"meeting_reschedule", "meeting_cancel"} <= set(buttons(answer.params["blocks"]))
    [link] = links(answer.params["blocks"]).values()
    assert link.startswith(f"{linked_app.url}/calendar/") and link.endswith(".ics")
    ics = linked_app.request(link.removeprefix(linked_app.url), method="GET")
    assert ics.status == 200 and ics.headers["Content-Type"] == "text/calendar"
    assert b"UID:partnerup-meeting-1@days-to-partner-up-2026" in ics.body and b"DTSTART:20261203T101000Z" in ics.body

    # Bjørn's "Meeting booked" is recorded as shown; Ada, who did not press, gets hers with the file attached.
    assert wait_until(lambda: confirmation(assistant.db, "U200") == ("sent", SHOWN))
    assert wait_until(lambda: confirmation(assistant.db, "U100") == ("sent", ""))  # her file attached too
    assert len(booked_dms(fake_slack, "U100")) == 1 and len(fake_slack.calls("files.completeUploadExternal")) == 1
    clock.advance(minutes=1)  # past the hold: nothing is left to send Bjørn
    assistant.deliverer.drain()
    assert booked_dms(fake_slack, "U200") == []
    assert len(fake_slack.calls("files.completeUploadExternal")) == 1

    # Slack reports a press on the link button too: acknowledged, nothing answered.
    assert linked_app.action("open_link_1", "", user="U200", in_dm=True, response_url="response/link").status == 200
    assert not [c for c in fake_slack.calls("response_url") if c.path == "/response/link"]
    # A made-up or mangled calendar address is a plain 404.
    for path in (
        "/calendar/not-a-real-token-at-all.ics",
        "/calendar/../healthz",
        "/files/x.csv",
        link[len(linked_app.url) :] + "x",
    ):
        assert linked_app.request(path, method="GET").status == 404


def test_a_double_click_shows_the_booking_both_times(
    linked_app: SlackHttpApp, fake_slack: FakeSlack, people: None, assistant: Assistant
) -> None:
    """Whichever answer arrives last replaces the request: both must show the booking, not "already accepted"."""
    accept = invitation_accept(linked_app, fake_slack)
    linked_app.action("request_accept", accept, user="U200", in_dm=True, response_url="response/first")
    fake_slack.wait_for("response_url")
    linked_app.action("request_accept", accept, user="U200", in_dm=True, response_url="response/second")
    answers = fake_slack.wait_for("response_url", count=2)
    for answer in answers:
        assert f"Your meeting with Ada Berg is on {BOOKED_AT}" in answer.params["text"]
        [link] = links(answer.params["blocks"]).values()
        assert linked_app.request(link.removeprefix(linked_app.url), method="GET").status == 200
    assert wait_until(lambda: confirmation(assistant.db, "U200") == ("sent", SHOWN))


def test_two_presses_at_once_both_show_the_booking(
    linked_app: SlackHttpApp, fake_slack: FakeSlack, people: None, assistant: Assistant
) -> None:
    """A double click whose presses are placed together: both answers share the one held message."""
    accept = invitation_accept(linked_app, fake_slack)
    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(lambda n: linked_app.action("request_accept", accept, user="U200", in_dm=True,
                                                             response_url=f"response/click-{n}").status, (1, 2)))  # fmt: skip
    assert statuses == [200, 200]
    for answer in fake_slack.wait_for("response_url", count=2):
        assert f"Your meeting with Ada Berg is on {BOOKED_AT}" in answer.params["text"]
        [link] = links(answer.params["blocks"]).values()
        assert linked_app.request(link.removeprefix(linked_app.url), method="GET").status == 200
    assert wait_until(lambda: confirmation(assistant.db, "U200") == ("sent", SHOWN))
    assert booked_dms(fake_slack, "U200") == []


def test_an_answer_ready_too_late_lets_the_message_go(
    linked_app: SlackHttpApp, fake_slack: FakeSlack, people: None, assistant: Assistant, monkeypatch
) -> None:
    """An answer ready when the message's hold is nearly over (a slow burst): the message goes now, with its file,
    and the answer, which still says the booking, carries no link (it no longer stands for the message)."""
    monkeypatch.setattr("handlers.slack.actions.partnering.ANSWER_WITHIN", -1.0)
    accept = invitation_accept(linked_app, fake_slack)
    linked_app.action("request_accept", accept, user="U200", in_dm=True)
    [answer] = fake_slack.wait_for("response_url")
    assert f"Accepted. Your meeting with Ada Berg is on {BOOKED_AT}" in answer.params["text"]
    assert links(answer.params["blocks"]) == {}
    assert wait_until(lambda: len(booked_dms(fake_slack, "U200")) == 1)
    assert wait_until(lambda: confirmation(assistant.db, "U200") == ("sent", ""))


def test_file_links_are_plain_404s_and_a_503_when_the_database_is_away(
    linked_app: SlackHttpApp, fake_slack: FakeSlack, people: None, assistant: Assistant, monkeypatch
) -> None:
    invitation_accept(linked_app, fake_slack)  # Ada and Bjørn are participants now
    with assistant.db.transaction() as session:
        ada = session.scalar(select(Participant.id).where(Participant.external_id == "U100"))
    token = assistant.published.publish(participant_id=ada, filename="meeting-1.ics", mimetype="text/calendar",
                                        content=b"BEGIN:VCALENDAR", now=assistant.clock.now())  # fmt: skip
    assert linked_app.request(f"/calendar/{token}.ics", method="GET").body == b"BEGIN:VCALENDAR"
    assert linked_app.request(f"/calendar/{token}.ics", method="HEAD").status == 200
    for path in (f"/calendar/{token}.ics%0A", f"/files/{token}.csv", f"/calendar/{token}.csv", "/calendar/"):
        assert linked_app.request(path, method="GET").status == 404
    assert linked_app.request(f"/calendar/{token}.ics", body=b"x").status == 404  # POST

    def away(*_args, **_kwargs):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(assistant.published, "get", away)
    gone = linked_app.request(f"/calendar/{token}.ics", method="GET")
    assert gone.status == 503 and b"try again" in gone.body


def test_an_accept_with_an_oddly_shaped_payload_is_carried_out_without_replacing(
    linked_app: SlackHttpApp, fake_slack: FakeSlack, people: None, assistant: Assistant
) -> None:
    """A tampered payload (container and channel not objects) changes nothing but how the answer is shown: the
    press is carried out, the answer goes under it (nothing replaced), and the message comes with its file."""
    accept = invitation_accept(linked_app, fake_slack)
    payload = {"type": "block_actions", "team": {"id": "T0001"}, "user": {"id": "U200", "team_id": "T0001"},
               "api_app_id": "A0001", "container": "D-not-an-object", "channel": ["DU200"], "trigger_id": "1",
               "response_url": fake_slack.url_root + "response/odd",
               "actions": [{"type": "button", "action_id": "request_accept", "value": accept, "action_ts": "1"}]}  # fmt: skip
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    assert linked_app.post_signed(body, "application/x-www-form-urlencoded").status == 200
    [answer] = fake_slack.wait_for("response_url")
    assert f"Accepted. Your meeting with Ada Berg is on {BOOKED_AT}" in answer.params["text"]
    assert answer.params["replace_original"] is False and links(answer.params["blocks"]) == {}
    assert wait_until(lambda: len(booked_dms(fake_slack, "U200")) == 1)


def test_accept_from_an_ephemeral_list_keeps_the_message_with_its_file(
    linked_app: SlackHttpApp, fake_slack: FakeSlack, people: None, assistant: Assistant
) -> None:
    """An ephemeral answer vanishes on reload: the booking comes as a DM with the file, as before."""
    accept = invitation_accept(linked_app, fake_slack)
    linked_app.action("request_accept", accept, user="U200", channel="C100")
    [answer] = fake_slack.wait_for("response_url")
    assert answer.params["replace_original"] is False
    assert links(answer.params["blocks"]) == {}
    assert wait_until(lambda: len(booked_dms(fake_slack, "U200")) == 1)
    fake_slack.wait_for("files.completeUploadExternal", count=2)


def test_accept_on_a_message_in_a_channel_keeps_the_message_with_its_file(
    linked_app: SlackHttpApp, fake_slack: FakeSlack, people: None, assistant: Assistant
) -> None:
    """A message everyone in the channel sees: the booking, replacing it, is not Bjørn's own chat, where the
    message would arrive; he gets his "Meeting booked" there as before."""
    accept = invitation_accept(linked_app, fake_slack)
    linked_app.action("request_accept", accept, user="U200", channel="C100", ephemeral=False)
    [answer] = fake_slack.wait_for("response_url")
    assert f"Your meeting with Ada Berg is on {BOOKED_AT}" in answer.params["text"]
    assert links(answer.params["blocks"]) == {}
    assert wait_until(lambda: len(booked_dms(fake_slack, "U200")) == 1)


def test_an_answer_slack_refuses_lets_the_message_go_at_once(
    linked_app: SlackHttpApp, fake_slack: FakeSlack, people: None, assistant: Assistant
) -> None:
    """An expired response_url: Bjørn never saw the booking there, so his "Meeting booked" goes now, with its file
    (the clock never moves here, so it is not the hold running out)."""
    accept = invitation_accept(linked_app, fake_slack)
    fake_slack.fail_next("response_url", "expired_url", status=404, retry_after=None)
    linked_app.action("request_accept", accept, user="U200", in_dm=True)
    fake_slack.wait_for("response_url")
    assert wait_until(lambda: len(booked_dms(fake_slack, "U200")) == 1)
    assert f"Meeting booked with Ada Berg: {BOOKED_AT}" in booked_dms(fake_slack, "U200")[0]["text"]
    fake_slack.wait_for("files.completeUploadExternal", count=2)


@pytest.mark.parametrize(
    ("env", "links_served"),
    [
        ({}, False),  # http://localhost:PORT: nobody else can open it
        ({"PUBLIC_URL": "https://partnerup.example.org"}, True),
        ({"PUBLIC_URL": "https://partnerup.example.org", "SLACK_APP_TOKEN": "xapp-1"}, False),  # Socket Mode alone
        ({"PUBLIC_URL": "https://partnerup.example.org", "SLACK_APP_TOKEN": "xapp-1", "TEAMS_APP_ID": "app"}, True),
    ],
)
def test_calendar_links_only_where_people_can_open_them(env: dict, links_served: bool) -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", **env}, needs=())
    assert settings.slack_calendar_links is links_served
