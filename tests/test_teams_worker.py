"""The worker sends to Teams users through the same outbox: cards, a 429 storm waited out with Retry-After,
a blocked person's delivery failed with the reason and their address marked dead, a 1:1 chat created when none
is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.assistant import Assistant
from bot.worker import Worker
from storage.models import Delivery
from tests.fake_teams import FakeBotConnector
from tests.teams_harness import TeamsHttpApp, button, card_text, teams_settings


@pytest.fixture
def fake_teams():
    fake = FakeBotConnector()
    yield fake
    fake.close()


def test_announcement_through_the_worker_reaches_teams_users(event_db, clock, fake_teams):
    organiser_aad = "0a0a0a0a-0000-4000-8000-000000000001"
    web_assistant = Assistant(db=event_db, clock=clock, send_now=True, organisers=frozenset({organiser_aad}))
    web = TeamsHttpApp(web_assistant, fake_teams)
    try:
        olga = web.person("Olga Organiser", aad=organiser_aad)
        people = [web.person(name) for name in ("Ada Berg", "Bjørn Lund", "Carl Moe", "Dina New")]
        for person in (olga, *people):
            assert person.install().status == 200
        ada, bjorn, carl, dina = people

        # Someone else cannot announce.
        ada.say("announce to everyone: Free beer")
        assert "organiser" in card_text(ada.last_card()).lower()

        olga.say("announce to everyone: Coffee is served in the foyer")
        preview = olga.last_card()
        assert "Coffee is served" in card_text(preview)
        assert olga.press(button(preview, "Send")).status == 200

        # Dina's stored chat is gone (e.g. the address came from a team install): the worker creates one.
        dina_id = web_assistant.participants.known(platform="teams", external_id=dina.aad)
        address, _ = web_assistant.addresses.lookup(dina_id)
        web_assistant.addresses.remember(participant_id=dina_id, address={**address, "conversation_id": ""}, now=clock.now())

        fake_teams.fail(rf"POST /teams/v3/conversations/{carl.conversation}/activities$", 403, times=10,
                        code="MessageWritesBlocked")  # fmt: skip
        fake_teams.fail(r"POST /teams/v3/conversations/[^/]+/activities$", 429, times=4, retry_after="3")
    finally:
        web.close()

    # The worker process: its own assistant and its own Teams SDK app on a loop thread.
    from handlers.teams.worker import start_teams_notifier

    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    worker_assistant = Assistant(db=event_db, clock=clock)
    worker_assistant.add_notifier("teams", start_teams_notifier(assistant=worker_assistant,
                                                                settings=teams_settings(fake_teams), sleep=sleep))  # fmt: skip
    worker = Worker(deliverer=worker_assistant.deliverer, partnering=worker_assistant.partnering,
                    reminders=worker_assistant.reminders, announcements=worker_assistant.announcements, rate=None)  # fmt: skip
    worker.tick()

    for person in (ada, bjorn):
        assert any("Coffee is served" in card_text(c) for c in person.cards()), person.name
    created = [c for c in fake_teams.calls if c.method == "POST" and c.path == "/teams/v3/conversations"]
    assert len(created) == 1 and created[0].body["members"][0]["id"] == dina.user_id
    assert any("Coffee is served" in card_text(c) for c in dina.cards())  # Teams gave back her one 1:1 chat
    assert worker_assistant.addresses.lookup(dina_id)[0]["conversation_id"] == dina.conversation
    assert sleeps and all(s == 3.0 for s in sleeps)

    carl_id = worker_assistant.participants.known(platform="teams", external_id=carl.aad)
    with event_db.transaction() as session:
        carl_rows = session.scalars(select(Delivery).where(Delivery.participant_id == carl_id)).all()
        assert carl_rows and all(r.status == "failed" for r in carl_rows if r.kind == "announcement")
        assert any("MessageWritesBlocked" in r.detail for r in carl_rows)
    assert "MessageWritesBlocked" in worker_assistant.addresses.lookup(carl_id)[1]


def test_an_organiser_announces_in_a_team_channel(event_db, clock, fake_teams):
    organiser_aad = "0a0a0a0a-0000-4000-8000-000000000002"
    assistant = Assistant(db=event_db, clock=clock, send_now=True, organisers=frozenset({organiser_aad}))
    web = TeamsHttpApp(assistant, fake_teams)
    try:
        olga = web.person("Olga Organiser", aad=organiser_aad)
        olga.install()
        channel = "19:partnering-general@thread.tacv2"
        in_channel = {
            "id": channel,
            "conversationType": "channel",
            "tenantId": olga.activity("x")["conversation"]["tenantId"],
        }
        mention = {
            "type": "mention",
            "text": "<at>PartnerUp</at>",
            "mentioned": {"id": olga.activity("x")["recipient"]["id"]},
        }
        said = olga.activity("message", text="<at>PartnerUp</at> announce Posters are up in the foyer", entities=[mention])
        assert web.post({**said, "conversation": in_channel}).status == 200
        [preview] = [a for a in fake_teams.activities(channel) if a.get("attachments")]
        card = preview["attachments"][0]["content"]
        assert "Posters are up" in card_text(card)
        value = {
            "action": {"type": "Action.Execute", "verb": "x", "data": button(card, "Send")["data"]},
            "trigger": "manual",
        }
        pressed = olga.activity("invoke", name="adaptiveCard/action", value=value)
        assert web.post({**pressed, "conversation": in_channel}).status == 200
        worker = Worker(deliverer=assistant.deliverer, partnering=assistant.partnering, reminders=assistant.reminders,
                        announcements=assistant.announcements, rate=None)  # fmt: skip
        worker.tick()
        posted = [a for a in fake_teams.activities(channel) if a.get("attachments")]
        assert len(posted) == 2 and "Posters are up" in card_text(posted[-1]["attachments"][0]["content"])
    finally:
        web.close()


def test_the_announcement_composer_dialog(event_db, clock, fake_teams):
    from sqlalchemy import func

    from handlers.teams.cards import buttons_of
    from storage.models import Announcement

    organiser_aad = "0a0a0a0a-0000-4000-8000-000000000003"
    assistant = Assistant(db=event_db, clock=clock, send_now=True, organisers=frozenset({organiser_aad}))
    web = TeamsHttpApp(assistant, fake_teams)
    try:
        olga, ada = web.person("Olga", aad=organiser_aad), web.person("Ada")
        ada.say("announce")
        assert "organiser" in card_text(ada.last_card()).lower() and not buttons_of(ada.last_card())
        olga.say("announce")
        opener = button(olga.last_card(), "Compose announcement")
        form = olga.open_dialog(opener).json()["task"]["value"]["card"]["content"]
        submit = next(a for a in form["actions"] if a["type"] == "Action.Submit")["data"]
        empty = olga.submit_dialog({**submit, "text": "", "audience": "everyone"}).json()
        assert "Write the announcement" in card_text(empty["task"]["value"]["card"]["content"])
        bad_time = olga.submit_dialog({**submit, "text": "Hi", "audience": "everyone", "at": "tomorrowish"}).json()
        assert "at 07:30" in card_text(bad_time["task"]["value"]["card"]["content"])  # how to write the time
        with event_db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(Announcement)) == 0
        preview = olga.submit_dialog({**submit, "text": "Coffee in the foyer", "audience": "everyone"}).json()
        preview_card = preview["task"]["value"]["card"]["content"]
        assert "Coffee in the foyer" in card_text(preview_card)
        send = next(a for a in preview_card["actions"] if a["title"] == "Send")["data"]
        done = olga.submit_dialog(send).json()
        assert done["task"]["type"] == "message"
        with event_db.transaction() as session:
            assert session.scalar(select(Announcement.status)) in ("scheduled", "sending", "done")
    finally:
        web.close()


def test_an_address_the_worker_marked_dead_revives_when_the_person_writes_again(event_db, clock, fake_teams):
    assistant = Assistant(db=event_db, clock=clock, send_now=True)
    web = TeamsHttpApp(assistant, fake_teams)
    try:
        ada = web.person("Ada")
        ada.say("help")
        me = assistant.participants.known(platform="teams", external_id=ada.aad)
        assistant.addresses.mark_dead(participant_id=me, reason="Teams answered 403 MessageWritesBlocked", now=clock.now())
        ada.say("help")
        assert assistant.addresses.lookup(me)[1] == ""
    finally:
        web.close()
