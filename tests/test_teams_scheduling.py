"""Scheduled placement in Teams over HTTP: an Accept holds the request and says so to both people, and an
organiser's `meetings schedule all` is answered at once, runs the optimiser, posts its result in the same chat
and sends each person their schedule, each in their own language."""

from __future__ import annotations

import re
import threading

from sqlalchemy import func, select

from bot.assistant import Assistant
from storage.models import Event, Meeting, Participant
from tests.teams_harness import TeamsHttpApp, button, card_text
from tests.test_teams_partnering import ada_asks_bjorn, teams_texts, wait_until


def ada_asks_bjorn_who_accepts(app: TeamsHttpApp, ada, bjorn, carl, *, accept: str = "Accept") -> dict:
    """Carl organises; Ada and Bjørn have profiles; Ada asks Bjørn through the dialog and he presses Accept
    (labelled ``accept`` in his language). Bjørn's answer to the press."""
    assistant = app.assistant
    assistant.organisers = frozenset({carl.aad})
    carl.say("profile")
    return bjorn.press(button(ada_asks_bjorn(app, ada, bjorn), accept)).json()


def scheduled_event(event_db, clock, fake_teams) -> tuple[Assistant, TeamsHttpApp]:
    """The demo event with ``placement: scheduled``, served to Teams."""
    with event_db.transaction(write=True) as session:
        event = session.scalars(select(Event)).one()
        event.partnering_rules = {**(event.partnering_rules or {}), "placement": "scheduled"}
    assistant = Assistant(db=event_db, clock=clock, send_now=True)
    return assistant, TeamsHttpApp(assistant, fake_teams)


def test_teams_scheduled_event_holds_accepts_until_schedule_all(event_db, clock, fake_teams):
    assistant, app = scheduled_event(event_db, clock, fake_teams)
    try:
        ada, bjorn, carl = app.person("Ada Berg"), app.person("Bjørn Lund"), app.person("Carl Moe")
        answer = ada_asks_bjorn_who_accepts(app, ada, bjorn, carl)
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


def test_teams_schedule_all_answers_at_once_and_posts_the_result_in_norwegian(event_db, clock, fake_teams):
    """Organiser and invitee use Teams in Norwegian (the client's locale); the requester in English. The run is
    held on an Event: the organiser's first answer comes while it is still running, the result after."""
    assistant, app = scheduled_event(event_db, clock, fake_teams)
    release, running = threading.Event(), threading.Event()
    schedule_all = assistant.floor.schedule_all

    def held_run(**options):
        running.set()
        assert release.wait(timeout=30), "the test never released the run"
        return schedule_all(**options)

    assistant.floor.schedule_all = held_run
    try:
        ada = app.person("Ada Berg")
        bjorn, carl = app.person("Bjørn Lund", locale="nb-NO"), app.person("Carl Moe", locale="nb-NO")
        answer = ada_asks_bjorn_who_accepts(app, ada, bjorn, carl, accept="Takk ja")  # his request card is Norwegian
        assert card_text(answer["value"]).startswith(
            "Takket ja (TCR licensing). Dette arrangementet setter opp møtene samlet: tid og bord får du når "
            "arrangørene setter opp timeplanen"
        )
        assert wait_until(lambda: any(text.startswith("Bjørn Lund accepted your request (TCR licensing). This event "
                                                      "schedules meetings together: the time and table come when the "
                                                      "organisers run the schedule")
                                      for text in teams_texts(fake_teams, ada)))  # fmt: skip

        assert carl.say("meetings schedule all").status == 200
        assert running.wait(timeout=10)
        texts = teams_texts(fake_teams, carl)
        assert texts[-1] == "Setter opp 1 godkjent(e) forespørsel(er) nå; jeg legger ut resultatet her."
        with event_db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(Meeting)) == 0  # the run is still held
        release.set()
        assert wait_until(lambda: teams_texts(fake_teams, carl)[-1] == "Satte opp 1 møte(r); 0 fikk ikke plass.")
        result = card_text(fake_teams.activities(carl.conversation)[-1]["attachments"][0]["content"])
        assert "Møter booket: 1 av høyst 1 (100%)" in result and "Endringer: 1 nye møte(r), 0 flyttet" in result

        assert wait_until(lambda: "Din partneringtimeplan: 1 møte(r)." in teams_texts(fake_teams, bjorn))
        schedule = next(a for a in fake_teams.activities(bjorn.conversation)
                        if a.get("text") == "Din partneringtimeplan: 1 møte(r).")  # fmt: skip
        drawn = card_text(schedule["attachments"][0]["content"])
        assert re.search(r"(man|tir|ons|tor|fre|lør|søn)\. \d+\. \w+\.? \d\d:\d\d–\d\d:\d\d \w+  med Ada Berg", drawn)
        assert "Tema" in drawn and "Add to calendar åpner kalenderfilen for hvert møte" in drawn
        assert wait_until(lambda: "Your partnering schedule: 1 meeting(s)." in teams_texts(fake_teams, ada))
    finally:
        release.set()
        app.close()


def test_a_person_who_switches_teams_to_norwegian_is_answered_in_norwegian_from_then_on(event_db, clock, fake_teams):
    """Teams sends the client's language with every activity; the one stored at first contact is not kept forever."""
    assistant, app = scheduled_event(event_db, clock, fake_teams)
    try:
        carl = app.person("Carl Moe", locale="en-US")
        assistant.organisers = frozenset({carl.aad})
        assert carl.say("meetings schedule all").status == 200
        assert wait_until(lambda: any(t.startswith("Scheduling 0 accepted") for t in teams_texts(fake_teams, carl)))
        carl.locale = "nb-NO"  # they switched their Teams client to Norwegian
        assert carl.say("meetings schedule all").status == 200
        assert wait_until(lambda: any(t.startswith("Setter opp 0 godkjent") for t in teams_texts(fake_teams, carl)))
        with event_db.transaction() as session:
            assert session.scalar(select(Participant.locale).where(Participant.external_id == carl.aad)) == "nb-NO"
    finally:
        app.close()
