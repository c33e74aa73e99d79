"""People PartnerUp has seen only in a team channel or on the team's roster are reached in a 1:1 chat it creates
(POST /v3/conversations, as the Bot Framework allows a bot installed in their team), and an organiser's preview
counts only who can be reached, saying how many cannot and why (issue 20, item 2)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.assistant import Assistant
from bot.partnering.participants import PersonInfo
from bot.worker import Worker
from storage.models import Delivery
from tests.fake_teams import FakeBotConnector
from tests.partnering_helpers import give_profile
from tests.teams_harness import TENANT, TeamsHttpApp, button, card_text

ORGANISER = "0a0a0a0a-0000-4000-8000-0000000000aa"
TEAM = "19:event-team@thread.tacv2"
CHANNEL = {"id": "19:general@thread.tacv2", "conversationType": "channel", "tenantId": TENANT}


@pytest.fixture(scope="session")
def _fake_connector():
    fake = FakeBotConnector()
    yield fake
    fake.close()


@pytest.fixture
def fake_teams(_fake_connector: FakeBotConnector) -> FakeBotConnector:
    _fake_connector.reset()
    return _fake_connector


@pytest.fixture
def teams(event_db, clock, fake_teams):
    app = TeamsHttpApp(Assistant(db=event_db, clock=clock, send_now=True, organisers=frozenset({ORGANISER})), fake_teams)
    yield app
    app.close()


def in_channel(person, kind: str, **fields) -> dict:
    activity = person.activity(kind, **fields)
    return {**activity, "conversation": CHANNEL, "channelData": {"tenant": {"id": TENANT}, "team": {"id": TEAM}}}


def mention(person, text: str) -> dict:
    at = {"type": "mention", "text": "<at>PartnerUp</at>", "mentioned": {"id": person.activity("x")["recipient"]["id"]}}
    return in_channel(person, "message", text=f"<at>PartnerUp</at> {text}", entities=[at])


def me(app: TeamsHttpApp, person) -> int:
    return app.assistant.participants.known(platform="teams", external_id=person.aad)


def created_chats(fake: FakeBotConnector) -> list:
    return [c for c in fake.calls if c.method == "POST" and c.path == "/teams/v3/conversations" and not c.refused]


def wait_until(check, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.02)
    return bool(check())


def worker_for(app: TeamsHttpApp) -> Worker:
    a = app.assistant
    return Worker(deliverer=a.deliverer, partnering=a.partnering, reminders=a.reminders,
                  announcements=a.announcements, rate=None)  # fmt: skip


def test_someone_seen_only_in_a_channel_gets_a_meeting_request_in_a_chat_the_bot_starts(teams, fake_teams):
    ada, bo = teams.person("Ada Berg"), teams.person("Bo Lund")
    assert teams.post(mention(ada, "agenda")).status == 200  # Ada has never opened a chat with PartnerUp
    bo.say("profile")
    give_profile(teams.assistant, me(teams, ada), organisation="Biogenix", interests=("oncology",))
    assert ada.cards() == []

    request = teams.assistant.partnering.create_request(
        requester_id=me(teams, bo), invitee_id=me(teams, ada), topic="Licensing"
    )
    teams.assistant.sent()

    [created] = created_chats(fake_teams)
    assert created.body["members"][0]["id"] == ada.user_id and not created.body.get("isGroup")
    assert TENANT in (created.body.get("tenantId"), created.body.get("channelData", {}).get("tenant", {}).get("id"))
    invitation = ada.last_card()
    assert "Bo Lund" in card_text(invitation) and "Licensing" in card_text(invitation)
    assert teams.assistant.addresses.lookup(me(teams, ada))[0]["conversation_id"] == ada.conversation
    # The chat is stored: the next message goes straight to it.
    teams.assistant.partnering.withdraw(request_id=request.id, actor_id=me(teams, bo))
    teams.assistant.sent()
    assert len(created_chats(fake_teams)) == 1 and "withdrew" in fake_teams.activities(ada.conversation)[-1]["text"]


def test_a_channel_sighting_never_replaces_a_chat_already_stored(teams):
    ada = teams.person("Ada Berg")
    ada.say("help")
    stored = teams.assistant.addresses.lookup(me(teams, ada))
    teams.post(mention(ada, "agenda"))
    assert teams.assistant.addresses.lookup(me(teams, ada)) == stored
    ada.uninstall()
    teams.post(mention(ada, "agenda"))
    assert teams.assistant.addresses.lookup(me(teams, ada))[1] == "uninstalled"  # still dead: they removed the app


def test_the_team_roster_is_learnt_when_the_bot_joins_and_everyone_on_it_gets_announcements(teams, fake_teams):
    olga = teams.person("Olga Organiser", aad=ORGANISER)
    olga.install()
    cy, di = teams.person("Cy Carr"), teams.person("Di Dahl")
    fake_teams.members[TEAM] = [{"id": p.user_id, "name": p.name, "aadObjectId": p.aad} for p in (olga, cy, di)] + [
        {"id": "28:some-other-bot", "name": "Other bot"}
    ]
    bot = olga.activity("x")["recipient"]
    assert teams.post(in_channel(olga, "conversationUpdate", membersAdded=[bot])).status == 200
    assert wait_until(lambda: all(me(teams, p) for p in (cy, di))), "the roster is learnt in the background"
    assert {teams.assistant.profile_of(me(teams, p)).name for p in (cy, di)} == {"Cy Carr", "Di Dahl"}

    olga.say("announce to everyone: Coffee in the foyer")
    preview = olga.last_card()
    assert "3 people" in card_text(preview) and "cannot be reached" not in card_text(preview)
    olga.press(button(preview, "Send"))
    worker_for(teams).tick()

    for person in (cy, di):
        assert any("Coffee in the foyer" in card_text(c) for c in person.cards()), person.name
    assert {c.body["members"][0]["id"] for c in created_chats(fake_teams)} == {cy.user_id, di.user_id}


def test_someone_added_to_the_team_later_is_learnt_too(teams, fake_teams):
    olga = teams.person("Olga Organiser", aad=ORGANISER)
    eve = teams.person("Eve Eng")
    added = {"id": eve.user_id, "name": "Eve Eng", "aadObjectId": eve.aad}
    assert teams.post(in_channel(olga, "conversationUpdate", membersAdded=[added])).status == 200
    assert teams.assistant.profile_of(me(teams, eve)).name == "Eve Eng"
    assert teams.assistant.addresses.lookup(me(teams, eve))[0]["user_id"] == eve.user_id


def test_the_preview_counts_only_who_can_be_reached_and_says_why_the_others_cannot(teams, fake_teams):
    olga = teams.person("Olga Organiser", aad=ORGANISER)
    olga.install()
    ada, bo = teams.person("Ada Berg"), teams.person("Bo Lund")
    ada.say("help")
    bo.say("help")
    bo.uninstall()
    # Someone PartnerUp knows of in Teams but has never seen (e.g. a name typed into Slack's request form).
    teams.assistant.identify(platform="teams", external_id="0c0c0c0c-0000-4000-8000-000000000001",
                             lookup=lambda: PersonInfo("Cy Unseen"))  # fmt: skip

    olga.say("announce to everyone: Coffee in the foyer")
    text = card_text(olga.last_card())

    assert "2 people" in text  # Olga and Ada
    assert "2 people in this audience cannot be reached" in text
    assert "1 never wrote to PartnerUp in Teams" in text and "1 removed the app in Teams" in text
    olga.press(button(olga.last_card(), "Send"))
    worker_for(teams).tick()
    with teams.assistant.db.transaction() as session:
        statuses = sorted(session.scalars(select(Delivery.status).where(Delivery.kind == "announcement")))
    assert statuses.count("sent") == 2


def test_an_audience_nobody_in_which_can_be_reached_is_refused(teams):
    from bot.announcements.broadcasts import Draft
    from bot.errors import UserError

    for name in ("Bo Lund", "Cy Carr"):
        person = teams.person(name)
        person.say("help")
        person.uninstall()

    with pytest.raises(UserError, match="Nobody in that audience can be reached: 2 removed the app in Teams"):
        teams.assistant.announcements.check(Draft("Anyone?", "everyone"))
