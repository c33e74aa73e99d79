"""The Teams door over HTTP: real JWT validation against the fake Bot Connector's keys, commands answered with
Adaptive Cards, buttons (Action.Execute) and dialogs, and proactive messages through the outbox."""

from __future__ import annotations

import json

import jwt
import pytest

from bot.assistant import Assistant
from handlers.teams.sdk import InboundActivityTokenValidator, RememberedTokenValidator
from tests.teams_harness import APP_ID, TeamsHttpApp, button, card_text


@pytest.fixture
def teams(event_db, clock, fake_teams):
    assistant = Assistant(db=event_db, clock=clock, send_now=True)
    app = TeamsHttpApp(assistant, fake_teams)
    yield app
    app.close()


def test_a_signed_message_is_answered_with_an_agenda_card(teams):
    ada = teams.person("Ada Lovelace")
    assert ada.say("agenda").status == 200
    card = ada.last_card()
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    assert "Day 1 · Thursday 3 December" in card_text(card)
    assert "09:30–10:10 CET  Roche's partnering priorities in oncology" in card_text(card)
    assert button(card, "Remind me")["type"] == "Action.Execute"


@pytest.mark.parametrize(
    "token_kind",
    ["missing", "forged", "expired", "wrong audience", "wrong service url", "wrong issuer"],
)
def test_requests_without_a_valid_token_are_refused_and_change_nothing(teams, fake_teams, token_kind):
    ada = teams.person("Ada Lovelace")
    activity = ada.activity("message", text="agenda")
    service = activity["serviceUrl"]
    token = {
        "missing": "",
        "forged": fake_teams.token(app_id=APP_ID, service_url=service, forged=True),
        "expired": fake_teams.token(app_id=APP_ID, service_url=service, expires_in=-3600),
        "wrong audience": fake_teams.token(app_id=APP_ID, service_url=service, audience="someone-else"),
        "wrong service url": fake_teams.token(app_id=APP_ID, service_url="https://evil.example.org/"),
        "wrong issuer": fake_teams.token(app_id=APP_ID, service_url=service, issuer="https://evil.example.org"),
    }[token_kind]
    assert teams.post(activity, token=token).status == 401
    assert ada.cards() == []
    assert teams.assistant.participants.known(platform="teams", external_id=ada.aad) is None


def test_bad_json_and_unknown_activity_kinds_get_no_5xx(teams, fake_teams):
    ada = teams.person("Ada")
    assert teams.post({}, raw=b"{not json").status == 400
    odd = ada.activity("endOfConversation")
    assert teams.post(odd).status == 200
    assert teams.post(odd, token="").status == 401


def test_mentions_are_stripped_and_questions_answered(teams):
    ada = teams.person("Ada Lovelace")
    activity = ada.activity("message", text="<at>PartnerUp</at> venue",
                            entities=[{"type": "mention", "text": "<at>PartnerUp</at>",
                                       "mentioned": {"id": f"28:{APP_ID}", "name": "PartnerUp"}}])  # fmt: skip
    assert teams.post(activity).status == 200
    venue_card = ada.last_card()
    assert venue_card["body"], "a venue card"
    assert ada.say("help").status == 200
    assert "agenda" in card_text(ada.last_card()).lower()
    assert ada.say("/agenda day 2").status == 200


def test_remind_me_updates_the_card_in_place_and_is_stored(teams):
    ada = teams.person("Ada Lovelace")
    ada.say("agenda")
    remind = button(ada.last_card(), "Remind me")
    answer = ada.press(remind)
    assert answer.status == 200
    body = answer.json()
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    me = teams.assistant.participants.known(platform="teams", external_id=ada.aad)
    assert teams.assistant.reminders.bookmarked(me) == {int(remind["data"]["value"])}
    assert ada.say("reminders").status == 200
    assert "No sessions picked yet" not in card_text(ada.last_card())


def test_install_stores_the_address_and_welcomes(teams):
    ada = teams.person("Ada Lovelace")
    assert ada.install().status == 200
    assert "agenda" in card_text(ada.last_card()).lower()
    me = teams.assistant.participants.known(platform="teams", external_id=ada.aad)
    address, dead = teams.assistant.addresses.lookup(me)
    assert address["conversation_id"] == ada.conversation and address["user_id"] == ada.user_id and dead == ""
    assert ada.uninstall().status == 200
    assert teams.assistant.addresses.lookup(me)[1] == "uninstalled"


def test_generic_sdk_variables_change_nothing(teams, fake_teams, monkeypatch):
    """CLIENT_ID, CLIENT_SECRET, DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS in the environment: still our app."""
    monkeypatch.setenv("CLIENT_ID", "not-our-app")
    monkeypatch.setenv("CLIENT_SECRET", "not-our-secret")
    monkeypatch.setenv("DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS", "true")
    from tests.teams_harness import TeamsHttpApp as App2

    other = App2(teams.assistant, fake_teams)
    try:
        ada = other.person("Ada")
        assert other.post(ada.activity("message", text="agenda"), token="").status == 401
        assert other.door.sdk.credentials.client_id == APP_ID
        assert ada.say("agenda").status == 200
    finally:
        other.close()


def test_organiser_reports_come_as_expiring_csv_links(event_db, clock, fake_teams):

    from tests.teams_harness import request

    boss = "0b0b0b0b-0000-4000-8000-000000000001"
    assistant = Assistant(db=event_db, clock=clock, send_now=True, organisers=frozenset({boss}))
    app = TeamsHttpApp(assistant, fake_teams)
    try:
        olga, ada = app.person("Olga", aad=boss), app.person("Ada")
        ada.say("report interest")
        assert "organiser" in card_text(ada.last_card()).lower()
        assert not [a for c in ada.cards() for a in c.get("actions", []) if a["type"] == "Action.OpenUrl"]
        olga.say("report interest")
        [link] = [a["url"] for a in olga.last_card().get("actions", []) if a["type"] == "Action.OpenUrl"]
        assert link.startswith("https://partnerup.example.org/files/") and link.endswith(".csv")
        local = link.replace("https://partnerup.example.org", app.url)
        got = request(local)
        assert got.status == 200 and got.body.splitlines()[0].count(b",") >= 1
        assert request(local.replace("/files/", "/calendar/").replace(".csv", ".ics")).status == 404
        clock.advance(days=1, minutes=1)
        assert request(local).status == 404
    finally:
        app.close()


def test_what_people_typed_cannot_become_links_mentions_or_markup():
    from bot.replies import Paragraph, Reply
    from handlers.teams.cards import card

    typed = "[click](https://evil.example) <at>Everyone</at> **bold** @channel"
    [block] = card(Reply(typed).add(Paragraph(typed)))["body"]
    text = block["text"]
    assert "\\[click\\]" in text and "https://" not in text and "@channel" not in text
    assert "\\*\\*bold\\*\\*" in text


def test_a_flood_and_half_formed_activities_get_no_5xx(teams, fake_teams):
    ada = teams.person("Ada")
    assert teams.post({}, raw=b"[" + b"1," * 600_000 + b"1]").status == 413
    broken = ada.activity("message", text="agenda")
    del broken["from"]
    assert teams.post(broken).status < 500
    assert teams.post({**ada.activity("message"), "text": None}).status == 200


def test_a_person_without_a_name_in_the_activity_is_named_from_the_member_lookup(teams, fake_teams):
    ada = teams.person("")
    fake_teams.members[ada.conversation] = [{"id": ada.user_id, "name": "Ada From Roster", "aadObjectId": ada.aad}]
    assert ada.say("profile").status == 200
    me = teams.assistant.participants.known(platform="teams", external_id=ada.aad)
    assert teams.assistant.profile_of(me).name == "Ada From Roster"


def test_a_refused_reply_is_still_acknowledged_so_teams_does_not_redeliver(teams, fake_teams):
    ada = teams.person("Ada")
    fake_teams.fail(rf"POST /teams/v3/conversations/{ada.conversation}/activities$", 413, code="MessageSizeTooBig")
    assert ada.say("agenda").status == 200
    assert ada.cards() == []
    assert ada.say("agenda").status == 200 and ada.cards()


def test_privacy_in_teams_hide_then_delete_with_a_confirm_step(teams):
    """The privacy controls work in Teams as in Slack: hide from the directory, then delete after confirming."""
    ada = teams.person("Ada Lovelace")
    assert ada.say("privacy").status == 200
    overview = ada.last_card()
    assert "keep" in card_text(overview).lower() or "store" in card_text(overview).lower()
    me = teams.assistant.participants.known(platform="teams", external_id=ada.aad)

    assert ada.press(button(overview, "Hide me from the directory")).status == 200
    assert teams.assistant.privacy.is_hidden(me)

    asked = ada.press(button(overview, "Delete my data…")).json()["value"]
    assert teams.assistant.privacy.find(platform="teams", external_id=ada.aad) == me  # nothing gone before confirming
    confirmed = ada.press(button(asked, "Yes, delete everything"))
    assert confirmed.status == 200
    assert teams.assistant.privacy.find(platform="teams", external_id=ada.aad) is None


def test_the_dashboard_link_is_only_for_organisers_and_only_in_a_one_to_one_chat(teams):
    ada = teams.person("Ada Lovelace")
    assert ada.say("report dashboard").status == 200
    assert "/dashboard/login?token=" not in card_text(ada.last_card())

    teams.assistant.organisers = frozenset({ada.aad.lower()})
    assert ada.say("report dashboard").status == 200
    assert "/dashboard/login?token=" in json.dumps(ada.last_card())


@pytest.mark.parametrize(
    "typed",
    ["announce", "announce to everyone: Lunch moves to 12:30", "announce list", "report", "report interest",
     "report dashboard", "meetings schedule all", "meetings tables", "meetings export", "session 1 cancel"],
)  # fmt: skip
def test_a_refused_organiser_command_names_the_teams_setting(teams, typed):
    """Teams organisers are listed in TEAMS_ORGANISER_IDS: a refusal must not send someone to ORGANISER_IDS (Slack's)."""
    ada = teams.person("Ada Lovelace")
    assert ada.say(typed).status == 200
    text = card_text(ada.last_card())
    assert "TEAMS_ORGANISER_IDS" in text.replace("\\", "")
    assert " ORGANISER_IDS" not in text


def test_the_composer_refusal_names_the_teams_setting_too(teams):
    ada = teams.person("Ada Lovelace")
    ada.say("profile")
    answer = ada.open_dialog({"data": {"action": "announce_compose", "value": "", "dialog_id": "announce"}}).json()
    assert "TEAMS_ORGANISER_IDS" in json.dumps(answer)


def test_commands_named_in_a_reply_are_spelled_as_teams_users_type_them(teams):
    """The core says "/agenda" and "/meetings" (Slack's spelling); a Teams user types the bare word."""
    ada = teams.person("Ada Lovelace")
    assert ada.say("reminders").status == 200
    text = card_text(ada.last_card())
    assert "No sessions picked yet" in text
    assert "in **agenda**" in text and "/agenda" not in text
    assert ada.say("agenda zzzqqq").status == 200
    tried = card_text(ada.last_card())
    assert "e.g. **agenda** olweus, **agenda** pitches, **agenda** day 2." in tried and "/agenda" not in tried


def test_a_connector_token_is_checked_once_and_remembered_only_while_valid_and_for_its_service_url(
    teams, fake_teams, monkeypatch
):
    """The connector signs its calls with one token for up to an hour: its signature is checked once
    (handlers.teams.sdk.RememberedTokenValidator); another service URL, a refused token or its expiry are checked
    again, and refused again."""
    validator = teams.door.sdk.server._token_validator
    assert isinstance(validator, RememberedTokenValidator) and validator is teams.door.validator
    checked: list[str] = []
    full_check = InboundActivityTokenValidator.validate_token

    async def counted(self, raw_token, service_url=None):
        checked.append(raw_token)
        return await full_check(self, raw_token, service_url)

    monkeypatch.setattr(InboundActivityTokenValidator, "validate_token", counted)
    now = [1_000.0]
    validator.clock = lambda: now[0]
    ada = teams.person("Ada Lovelace")
    activity = ada.activity("message", text="agenda")
    token = fake_teams.token(app_id=APP_ID, service_url=activity["serviceUrl"], expires_in=600)
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    now[0] = expires - 300

    for _ in range(3):
        assert teams.post(activity, token=token).status == 200
    assert checked == [token]  # once, then remembered
    assert len(ada.cards()) == 3

    elsewhere = dict(activity, serviceUrl="https://evil.example.org/")
    assert teams.post(elsewhere, token=token).status == 401  # the token names another service URL
    forged = fake_teams.token(app_id=APP_ID, service_url=activity["serviceUrl"], forged=True)
    assert teams.post(activity, token=forged).status == 401
    assert teams.post(activity, token=forged).status == 401
    assert checked == [token, token, forged, forged]  # refusals are never remembered

    now[0] = expires  # its expiry: checked in full again (the SDK allows some clock skew)
    assert teams.post(activity, token=token).status == 200
    assert checked[-1] == token and len(checked) == 5
    assert len(ada.cards()) == 4
