"""Partnering in Teams over HTTP, and one event across both tools: a Teams person and a Slack person meet."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.assistant import Assistant
from storage.models import Delivery, Meeting
from tests.partnering_helpers import give_profile
from tests.teams_harness import TeamsHttpApp, button, card_text, request


def wait_for_cards(person, count: int, timeout: float = 10.0) -> list[dict]:
    """Messages from a background send (the web process sends after answering) arrive a moment later."""
    deadline = time.monotonic() + timeout
    while len(person.cards()) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return person.cards()


def wait_until(check, timeout: float = 10.0) -> bool:
    """Background sends (the web process sends after answering) land a moment later."""
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.02)
    return check()


def teams_texts(fake, person) -> list[str]:
    return [a.get("text", "") for a in fake.activities(person.conversation)]


def participant(app: TeamsHttpApp, person) -> int:
    return app.assistant.participants.known(platform="teams", external_id=person.aad)


SHOWN = "shown in the answer to the press"


def held_outcome(db, person: int) -> tuple[str, str] | None:
    """The status and detail of ``person``'s "Meeting booked" row."""
    with db.transaction() as session:
        row = session.execute(select(Delivery.status, Delivery.detail)
                              .where(Delivery.kind == "meeting_confirmed", Delivery.participant_id == person)).first()  # fmt: skip
        return tuple(row) if row else None


def request_through_dialog(ada, target_id: int, topic: str = "TCR licensing") -> dict:
    """Ada finds someone with `partners`, opens the request dialog from their card and sends it."""
    assert ada.say("partners").status == 200
    card = ada.last_card()
    opener = next(b for b in __import__("handlers.teams.cards", fromlist=["x"]).buttons_of(card)
                  if b["title"] == "Request meeting" and b["data"]["value"] == str(target_id))  # fmt: skip
    assert opener["type"] == "Action.Submit" and opener["data"]["msteams"]["type"] == "task/fetch"
    opened = ada.open_dialog(opener).json()
    form = opened["task"]["value"]["card"]["content"]
    submit = next(a for a in form["actions"] if a["type"] == "Action.Submit")
    # An empty topic is refused next to the form, the values kept; nothing is sent.
    again = ada.submit_dialog({**submit["data"], "topic": "", "message": "hi", "day": ""}).json()
    assert again["task"]["type"] == "continue" and "topic" in card_text(again["task"]["value"]["card"]["content"]).lower()
    done = ada.submit_dialog({**submit["data"], "topic": topic, "message": "Let's talk", "day": ""}).json()
    assert done["task"]["type"] == "message" and "Request sent" in done["task"]["value"]
    return done


@pytest.fixture
def teams_app(event_db, clock, fake_teams) -> Iterator[TeamsHttpApp]:
    """The Teams door served over HTTP, its assistant sending at once (as a web process does, without threads)."""
    app = TeamsHttpApp(Assistant(db=event_db, clock=clock, send_now=True), fake_teams)
    yield app
    app.close()


def ada_asks_bjorn(app: TeamsHttpApp, *people) -> dict:
    """Ada (oncology start-up) and Bjørn (pharma) have profiles; Ada asks Bjørn through the dialog. The card
    Bjørn gets, with its Accept button. ``people``: (ada, bjorn) already made, else made here."""
    ada, bjorn = people or (app.person("Ada Berg"), app.person("Bjørn Lund"))
    bjorn.say("profile")
    ada.say("profile")
    give_profile(app.assistant, participant(app, ada), organisation="Biogenix", interests=("oncology",))
    give_profile(app.assistant, participant(app, bjorn), organisation="Nordic Pharma", org_type="pharma",
                 seeks="TCR platform", interests=("oncology",))  # fmt: skip
    before = len(bjorn.cards())
    request_through_dialog(ada, participant(app, bjorn))
    return bjorn.cards()[before]


def test_teams_round_trip_request_accept_confirmations_with_calendar_links(event_db, clock, fake_teams, teams_app):
    app = teams_app
    assistant = app.assistant
    ada, bjorn = app.person("Ada Berg"), app.person("Bjørn Lund")
    invitation = ada_asks_bjorn(app, ada, bjorn)
    assert "Ada Berg" in card_text(invitation) and "TCR licensing" in card_text(invitation)
    # Someone else pressing Bjørn's Accept (a crafted invoke) is refused and books nothing.
    carl = app.person("Carl Moe")
    refused = carl.press(button(invitation, "Accept")).json()
    assert "Only the person who was asked" in card_text(refused["value"])
    with event_db.transaction() as session:
        assert session.scalar(select(Meeting.status)) is None
    answer = bjorn.press(button(invitation, "Accept")).json()
    assert answer["statusCode"] == 200
    assert "Accepted" in card_text(answer["value"])
    with event_db.transaction() as session:
        assert session.scalar(select(Meeting.status)) == "booked"
    # Ada hears in a message; Bjørn's answer is the card he pressed, now with the meeting and Add to calendar,
    # in the same chat: the same news again as a message would be noise, so it is recorded as shown there.
    assert wait_until(lambda: held_outcome(event_db, participant(app, bjorn)) == ("sent", SHOWN))
    assert "Meeting booked with Bjørn Lund" in teams_texts(fake_teams, ada)[-1]
    assert "Add to calendar opens the calendar file; if the meeting moves" in card_text(ada.last_card())  # not "attached"
    assert button(answer["value"], "Reschedule") and button(answer["value"], "Cancel meeting")  # as the message has
    assert "Biogenix" in card_text(answer["value"])  # who he meets, as the message says
    for person, confirmation in ((ada, ada.last_card()), (bjorn, answer["value"])):
        assert f"with {'Bjørn Lund' if person is ada else 'Ada Berg'}" in card_text(confirmation)
        link = button(confirmation, "Add to calendar")["url"]
        assert link.startswith("https://partnerup.example.org/calendar/") and link.endswith(".ics")
        ics = request(link.replace("https://partnerup.example.org", app.url))
        assert ics.status == 200 and b"UID:partnerup-meeting-1@" in ics.body and b"SEQUENCE:0" in ics.body
    clock.advance(minutes=1)  # past the hold: nothing held is left for the worker to send
    assistant.deliverer.drain()
    assert not [t for t in teams_texts(fake_teams, bjorn) if "Meeting booked" in t]
    assert request(f"{app.url}/calendar/not-a-real-token-at-all.ics").status == 404


def test_a_booking_placed_after_the_card_was_answered_comes_as_a_message_at_once(
    event_db, clock, fake_teams, teams_app, monkeypatch
):
    """The invoke could not wait for the placement (its card said "placing it now"): the held "Meeting booked"
    is released as soon as the placement is done, not when its hold runs out (the clock here never moves)."""
    monkeypatch.setattr("handlers.teams.accept.TEAMS_WAIT", 0)
    app = teams_app
    ada, bjorn = app.person("Ada Berg"), app.person("Bjørn Lund")
    answer = bjorn.press(button(ada_asks_bjorn(app, ada, bjorn), "Accept")).json()
    assert "Add to calendar" not in json.dumps(answer)
    assert wait_until(lambda: any("Meeting booked with Ada Berg" in t for t in teams_texts(fake_teams, bjorn)))
    assert wait_until(lambda: held_outcome(event_db, participant(app, bjorn))[0] == "sent")
    booked = bjorn.last_card()
    assert button(booked, "Add to calendar")["url"].endswith(".ics")


def test_a_card_answered_too_late_for_teams_does_not_count_as_shown(event_db, clock, fake_teams, teams_app, monkeypatch):
    """Past Teams' limit the client shows its own error instead of the card: the booking then comes as a message."""
    monkeypatch.setattr("handlers.teams.accept.ANSWERED_WITHIN", 0)
    app = teams_app
    ada, bjorn = app.person("Ada Berg"), app.person("Bjørn Lund")
    answer = bjorn.press(button(ada_asks_bjorn(app, ada, bjorn), "Accept")).json()
    assert "Add to calendar" in json.dumps(answer)  # what Teams would have shown, had it come in time
    assert wait_until(lambda: any("Meeting booked with Ada Berg" in t for t in teams_texts(fake_teams, bjorn)))
    assert wait_until(lambda: held_outcome(event_db, participant(app, bjorn)) == ("sent", ""))


def test_a_held_booking_goes_out_when_its_hold_ends_if_no_door_said_it_was_shown(event_db, clock, fake_teams, teams_app):
    """The web process died between the placement and its answer: the worker sends the held message later."""
    app = teams_app
    assistant = app.assistant
    ada, bjorn = app.person("Ada Berg"), app.person("Bjørn Lund")
    request_id = int(button(ada_asks_bjorn(app, ada, bjorn), "Accept")["data"]["value"])
    bjorn_id = participant(app, bjorn)
    reply = assistant.press_accept(platform="teams", external_id=bjorn.aad, request_id=request_id,
                                   resolve=lambda: bjorn_id, shows_booking=True).result(timeout=10)  # fmt: skip
    assert reply.held is not None and "Accepted" in reply.text  # ... and nobody answers with it
    assert wait_until(lambda: any("Meeting booked with Bjørn Lund" in t for t in teams_texts(fake_teams, ada)))
    assistant.deliverer.drain()
    assert held_outcome(event_db, bjorn_id)[0] == "pending"
    clock.advance(seconds=11)
    assistant.deliverer.drain()
    assert held_outcome(event_db, bjorn_id)[0] == "sent"
    assert [t for t in teams_texts(fake_teams, bjorn) if "Meeting booked with Ada Berg" in t]


def test_slack_and_teams_people_meet(slack_app, fake_slack, assistant, fake_teams):
    """A Teams person asks a Slack person; the Slack person accepts in Slack; each is told in their own tool."""
    fake_slack.add_user("U100", real_name="Siri Slack", title="Head of BD")
    app = TeamsHttpApp(assistant, fake_teams)
    try:
        tina = app.person("Tina Teams")
        tina.say("profile")
        slack_app.command("/profile", "", user="U100")
        slack_id = assistant.participants.known(platform="slack", external_id="U100")
        give_profile(assistant, slack_id, organisation="Slack Bio", interests=("oncology",))
        give_profile(assistant, participant(app, tina), organisation="Teams Pharma", org_type="pharma",
                     interests=("oncology",))  # fmt: skip
        request_through_dialog(tina, slack_id, topic="Cross-tool deal")
        invitations = [c.params for c in fake_slack.wait_for("chat.postMessage") if c.params.get("channel") == "U100"]
        blocks = invitations[-1]["blocks"]
        assert "Tina Teams" in json.dumps(blocks, ensure_ascii=False)
        accept = next(e["value"] for b in blocks for e in b.get("elements", []) if e.get("action_id") == "request_accept")
        slack_app.action("request_accept", accept, user="U100", in_dm=True)
        assert wait_until(lambda: any("Meeting booked with Siri Slack" in t for t in teams_texts(fake_teams, tina)))
        assert any(b["title"] == "Add to calendar" for c in tina.cards() for b in c.get("actions", []))
        booked = [c.params for c in fake_slack.wait_for("chat.postMessage", count=2) if c.params.get("channel") == "U100"]
        deadline = time.monotonic() + 10
        while not any("Meeting booked with Tina Teams" in m.get("text", "") for m in booked) and time.monotonic() < deadline:
            time.sleep(0.02)
            booked = [c.params for c in fake_slack.calls("chat.postMessage") if c.params.get("channel") == "U100"]
        assert any("Meeting booked with Tina Teams" in m.get("text", "") for m in booked)
    finally:
        app.close()


def test_a_slack_person_asks_a_teams_person_who_accepts_in_teams(slack_app, fake_slack, assistant, fake_teams):
    """Found with /partners in Slack, asked through Slack's form, answered in Teams; each told in their own tool."""
    from tests.slack_harness import select as pick
    from tests.slack_harness import submit_view, text_input, view_payload

    fake_slack.add_user("U100", real_name="Siri Slack", title="Head of BD")
    app = TeamsHttpApp(assistant, fake_teams)
    try:
        tina = app.person("Tina Teams")
        tina.say("profile")
        slack_app.command("/profile", "", user="U100")
        siri_id = assistant.participants.known(platform="slack", external_id="U100")
        tina_id = participant(app, tina)
        give_profile(assistant, siri_id, organisation="Slack Bio", interests=("oncology",))
        give_profile(assistant, tina_id, organisation="Teams Pharma", org_type="pharma", interests=("oncology",))
        listing = slack_app.command("/partners", "Teams Pharma", user="U100").json()
        value = next(e["value"] for b in listing["blocks"] for e in b.get("elements", [])
                     if e.get("action_id") == "meeting_request_open")  # fmt: skip
        assert value == str(tina_id)
        slack_app.action("meeting_request_open", value, user="U100", in_dm=True)
        opened = fake_slack.wait_for("views.open", count=2)[-1]  # the first was /profile's form
        view = opened.params["view"]
        assert "Tina Teams" in json.dumps(view["blocks"], ensure_ascii=False)
        values = {"topic": text_input("Cross-tool deal"), "message": text_input(""), "day": pick("first")}
        payload = view_payload("meet_submit", values, user="U100", private_metadata=view["private_metadata"])
        before = len(tina.cards())
        assert submit_view(slack_app, payload).status == 200
        invitation = wait_for_cards(tina, before + 1)[before]
        assert "Siri Slack" in card_text(invitation) and "Cross-tool deal" in card_text(invitation)
        answer = tina.press(button(invitation, "Accept")).json()
        assert "Accepted" in card_text(answer["value"])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            booked = [c.params for c in fake_slack.calls("chat.postMessage") if c.params.get("channel") == "U100"]
            if any("Meeting booked with Tina Teams" in m.get("text", "") for m in booked):
                break
            time.sleep(0.02)
        assert any("Meeting booked with Tina Teams" in m.get("text", "") for m in booked)
        # Tina's booking is the card she pressed, with its Add to calendar; no second message says it again.
        assert "with Siri Slack" in card_text(answer["value"]) and button(answer["value"], "Add to calendar")
        assert wait_until(lambda: held_outcome(assistant.db, tina_id) == ("sent", SHOWN))
        assert not [t for t in teams_texts(fake_teams, tina) if "Meeting booked" in t]
    finally:
        app.close()
