"""A press on a Teams card that lists several things leaves the list usable (issue 20, item 1): the card comes
back as the list it was, with that item's button changed and the result on top, or stays as it is while the
result comes as a message. Only a card about one thing is replaced by its new state."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.assistant import Assistant
from handlers.teams.cards import buttons_of
from storage.models import Bookmark, MeetingRequest
from tests.partnering_helpers import give_profile
from tests.teams_harness import TeamsHttpApp, button, card_text

CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"


@pytest.fixture
def teams(event_db, clock, fake_teams):
    app = TeamsHttpApp(Assistant(db=event_db, clock=clock, send_now=True), fake_teams)
    yield app
    app.close()


def me(app: TeamsHttpApp, person) -> int:
    return app.assistant.participants.known(platform="teams", external_id=person.aad)


def titles(card: dict, *names: str) -> list[str]:
    return [b["title"] for b in buttons_of(card) if b["title"] in names]


def bookmarked(app: TeamsHttpApp, person) -> set[int]:
    with app.assistant.db.transaction() as session:
        return set(session.scalars(select(Bookmark.session_id).where(Bookmark.participant_id == me(app, person))))


def reminder_buttons(card: dict) -> list[dict]:
    return [b for b in buttons_of(card) if b["data"].get("action") in ("bookmark_add", "bookmark_remove")]


@pytest.mark.parametrize("typed", ["agenda", "agenda day 2", "agenda keynote", "agenda lunch"])
def test_remind_me_on_a_list_keeps_the_list_with_that_item_marked(teams, typed):
    ada = teams.person("Ada Lovelace")
    assert ada.say(typed).status == 200
    listed = ada.last_card()
    sessions = reminder_buttons(listed)
    assert sessions, f"{typed!r} lists sessions with Remind me"
    first = sessions[0]

    answer = ada.press(first).json()

    assert answer["type"] == CARD
    card = answer["value"]
    after = reminder_buttons(card)
    assert [b["data"]["value"] for b in after] == [b["data"]["value"] for b in sessions], "the same list, same order"
    assert after[0]["title"] == "✓ Reminder set"
    assert all(b["title"] == "Remind me" for b in after[1:] if b["data"]["value"] != first["data"]["value"])
    assert "I'll remind you" in card_text(card) or "reminding you right away" in card_text(card)
    assert bookmarked(teams, ada) == {int(first["data"]["value"])}
    if len(after) > 1:  # the list stays usable: a second item can be pressed on the card that came back
        second = ada.press(after[1]).json()["value"]
        assert bookmarked(teams, ada) == {int(first["data"]["value"]), int(after[1]["data"]["value"])}
        assert reminder_buttons(second)[1]["title"] == "✓ Reminder set"
        assert reminder_buttons(second)[0]["title"] == "Don't remind me"


def test_a_later_page_stays_that_page_after_a_press(teams):
    ada = teams.person("Ada Lovelace")
    ada.say("agenda")
    page_two = ada.press(button(ada.last_card(), "More ▶")).json()["value"]
    shown = [b["data"]["value"] for b in reminder_buttons(page_two)]
    assert shown

    after = ada.press(reminder_buttons(page_two)[-1]).json()["value"]

    assert [b["data"]["value"] for b in reminder_buttons(after)] == shown
    assert reminder_buttons(after)[-1]["title"] == "✓ Reminder set"
    assert "◀ Previous" in titles(after, "◀ Previous")


def test_a_question_answer_listing_sessions_stays_after_a_press(teams):
    ada = teams.person("Ada Lovelace")
    ada.say("when is lunch?")
    listed = reminder_buttons(ada.last_card())
    assert listed
    after = ada.press(listed[0]).json()
    assert after["type"] == CARD and reminder_buttons(after["value"])[0]["title"] == "✓ Reminder set"


def two_requests_for(teams: TeamsHttpApp):
    bo, ann, cy = teams.person("Bo Berg"), teams.person("Ann Aas"), teams.person("Cy Carr")
    for person in (bo, ann, cy):
        person.say("profile")
        give_profile(teams.assistant, me(teams, person), organisation=f"{person.name} AS", interests=("oncology",))
    partnering = teams.assistant.partnering
    first = partnering.create_request(requester_id=me(teams, ann), invitee_id=me(teams, bo), topic="Licensing")
    second = partnering.create_request(requester_id=me(teams, cy), invitee_id=me(teams, bo), topic="Biomarkers")
    teams.assistant.sent()  # the invitations go out, as after a request made through the dialog
    return bo, first.id, second.id


def test_accept_on_the_meetings_list_refreshes_it_and_the_other_request_can_still_be_answered(teams):
    bo, first, second = two_requests_for(teams)
    bo.say("meetings")
    listed = bo.last_card()
    accepts = [b for b in buttons_of(listed) if b["title"] == "Accept"]
    assert [b["data"]["value"] for b in accepts] == [str(first), str(second)]

    answer = bo.press(accepts[0]).json()

    assert answer["type"] == CARD
    card = answer["value"]
    text = card_text(card)
    assert "Your meetings" in text and "Biomarkers" in text and "Licensing" in text
    assert "Accepted. Your meeting with Ann Aas" in text  # placed with its burst (the async accept path), on top
    assert [b for b in buttons_of(card) if b["title"] == "Add to calendar" and b["url"].endswith(".ics")]
    assert [b["data"]["value"] for b in buttons_of(card) if b["title"] == "Accept"] == [str(second)]
    again = bo.press(next(b for b in buttons_of(card) if b["title"] == "Accept")).json()
    assert again["type"] == CARD and not [b for b in buttons_of(again["value"]) if b["title"] == "Accept"]
    with teams.assistant.db.transaction() as session:
        statuses = dict(session.execute(select(MeetingRequest.id, MeetingRequest.status)).all())
    assert statuses == {first: "accepted", second: "accepted"}


def test_a_choice_with_its_own_buttons_comes_as_a_new_message_under_the_list(teams):
    bo, first, _ = two_requests_for(teams)
    bo.say("meetings")
    before = len(bo.cards())
    propose = next(b for b in buttons_of(bo.last_card()) if b["title"] == "Propose another time")

    answer = bo.press(propose).json()

    assert answer["type"] == CARD and "Your meetings" in card_text(answer["value"])
    choices = bo.cards()[before:]
    assert len(choices) == 1 and any(b["data"].get("action") == "request_propose_day" for b in buttons_of(choices[0]))


def test_in_a_channel_the_list_stays_and_the_result_is_a_message(teams, fake_teams):
    """A list posted in a channel is everyone's: it is not rebuilt for the one who pressed."""
    ada = teams.person("Ada Lovelace")
    channel = {"id": "19:general@thread.tacv2", "conversationType": "channel", "tenantId": "t"}
    assert teams.post(ada.activity("message", text="agenda", conversation=channel)).status == 200
    [posted] = [a for a in fake_teams.activities("19:general@thread.tacv2")][-1:]
    listed = reminder_buttons(posted["attachments"][0]["content"])
    invoke = ada.activity("invoke", name="adaptiveCard/action", conversation=channel,
                          value={"action": {"type": "Action.Execute", "data": listed[0]["data"]}, "trigger": "manual"})  # fmt: skip

    answer = teams.post(invoke).json()

    assert answer["type"] == MESSAGE and "remind you" in answer["value"]
    assert bookmarked(teams, ada) == {int(listed[0]["data"]["value"])}


def test_a_card_about_one_thing_is_replaced_by_its_new_state(teams):
    bo, first, _ = two_requests_for(teams)
    invitation = next(c for c in bo.cards() if "New meeting request" in card_text(c) and "Licensing" in card_text(c))
    answer = bo.press(button(invitation, "Accept")).json()
    assert answer["type"] == CARD and "Accepted" in card_text(answer["value"])
    assert "Your meetings" not in card_text(answer["value"])


def test_a_forged_list_line_that_would_change_something_is_not_run(teams):
    """The line a card carries comes back from the client: only read-only lines are run again."""
    ada = teams.person("Ada Lovelace")
    teams.assistant.organisers = frozenset({ada.aad.lower()})
    ada.say("agenda")
    remind = reminder_buttons(ada.last_card())[0]
    forged = {**remind, "data": {**remind["data"], "list": {"line": "announce to everyone: Free beer at the bar"}}}

    answer = ada.press(forged).json()

    assert answer["type"] == MESSAGE
    assert "Free beer" not in json.dumps(answer)
    assert teams.assistant.announcements_list(external_id=ada.aad.lower()).text.count("Free beer") == 0


def test_a_request_sent_from_the_partner_list_marks_that_person_requested_on_the_same_card(teams, fake_teams):
    ada, bo, cy = teams.person("Ada Berg"), teams.person("Bo Lund"), teams.person("Cy Carr")
    for person, org in ((ada, "Biogenix"), (bo, "Nordic Pharma"), (cy, "Oslo Bio")):
        person.say("profile")
        give_profile(teams.assistant, me(teams, person), organisation=org, interests=("oncology",))
    ada.say("partners oncology")
    listed = ada.messages()[-1]
    card = listed["attachments"][0]["content"]
    openers = [b for b in buttons_of(card) if b["title"] == "Request meeting"]
    assert {b["data"]["value"] for b in openers} == {str(me(teams, bo)), str(me(teams, cy))}
    to_bo = next(b for b in openers if b["data"]["value"] == str(me(teams, bo)))

    opened = ada.open_dialog(to_bo, reply_to=listed["_id"]).json()
    submit = next(a for a in opened["task"]["value"]["card"]["content"]["actions"] if a["type"] == "Action.Submit")
    done = ada.submit_dialog({**submit["data"], "topic": "Licensing", "message": "", "day": ""}).json()

    assert done["task"]["type"] == "message" and "Request sent" in done["task"]["value"]
    updated = [a for a in ada.messages() if a["_method"] == "PUT" and a["_id"] == listed["_id"]]
    assert updated, "the partner list's message is updated in place"
    after = updated[-1]["attachments"][0]["content"]
    by_person = {
        b["data"]["value"]: b["title"] for b in buttons_of(after) if b["data"].get("action") == to_bo["data"]["action"]
    }
    assert by_person == {str(me(teams, bo)): "Requested", str(me(teams, cy)): "Request meeting"}
    with teams.assistant.db.transaction() as session:
        assert session.scalars(select(MeetingRequest.topic)).all() == ["Licensing"]


def test_declining_from_the_meetings_list_updates_that_list(teams):
    bo, first, second = two_requests_for(teams)
    bo.say("meetings")
    listed = bo.messages()[-1]
    decline = next(b for b in buttons_of(listed["attachments"][0]["content"]) if b["title"] == "Decline")

    opened = bo.open_dialog(decline, reply_to=listed["_id"]).json()
    submit = next(a for a in opened["task"]["value"]["card"]["content"]["actions"] if a["type"] == "Action.Submit")
    assert bo.submit_dialog({**submit["data"], "reason": "Fully booked"}).json()["task"]["type"] == "message"

    [updated] = [a for a in bo.messages() if a["_method"] == "PUT" and a["_id"] == listed["_id"]]
    after = updated["attachments"][0]["content"]
    assert [b["data"]["value"] for b in buttons_of(after) if b["title"] == "Accept"] == [str(second)]
