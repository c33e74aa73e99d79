"""Scheduled placement in Teams over HTTP: an Accept holds the request and says so to both people, and an
organiser's `meetings schedule all` runs the optimiser and sends each person their schedule."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.assistant import Assistant
from storage.models import Event, Meeting
from tests.partnering_helpers import give_profile
from tests.teams_harness import TeamsHttpApp, button, card_text
from tests.test_teams_partnering import (
    participant,
    request_through_dialog,
    teams_texts,
    wait_until,
)


def test_teams_scheduled_event_holds_accepts_until_schedule_all(event_db, clock, fake_teams):
    with event_db.transaction(write=True) as session:
        event = session.scalars(select(Event)).one()
        event.partnering_rules = {**(event.partnering_rules or {}), "placement": "scheduled"}
    assistant = Assistant(db=event_db, clock=clock, send_now=True)
    app = TeamsHttpApp(assistant, fake_teams)
    try:
        ada, bjorn, carl = app.person("Ada Berg"), app.person("Bjørn Lund"), app.person("Carl Moe")
        assistant.organisers = frozenset({carl.aad})
        for person in (ada, bjorn, carl):
            person.say("profile")
        give_profile(assistant, participant(app, ada), organisation="Biogenix", interests=("oncology",))
        give_profile(assistant, participant(app, bjorn), organisation="Nordic Pharma", org_type="pharma",
                     seeks="TCR platform", interests=("oncology",))  # fmt: skip
        before = len(bjorn.cards())
        request_through_dialog(ada, participant(app, bjorn))
        invitation = bjorn.cards()[before]
        answer = bjorn.press(button(invitation, "Accept")).json()
        assert "Accepted (TCR licensing). This event schedules meetings together" in card_text(answer["value"])
        assert wait_until(lambda: any("Bjørn Lund accepted your request (TCR licensing). This event schedules"
                                      in text for text in teams_texts(fake_teams, ada)))  # fmt: skip
        with event_db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(Meeting)) == 0

        assert carl.say("meetings schedule all").status == 200
        assert wait_until(lambda: any("Scheduled 1 meeting(s); 0 could not be placed." in text
                                      for text in teams_texts(fake_teams, carl)))  # fmt: skip
        for person in (ada, bjorn):
            assert wait_until(lambda person=person: "Your partnering schedule: 1 meeting(s)."
                              in teams_texts(fake_teams, person))  # fmt: skip
    finally:
        app.close()
