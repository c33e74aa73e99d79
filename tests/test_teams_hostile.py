"""Tampered values in Teams invokes (a crafted client can send any ``data``): every one gets a friendly answer,
HTTP 200, and changes nothing; an ID in other digits ("٣" is a digit to Python) or too long for the database is
out of date, never read as a real ID."""

from __future__ import annotations

import json
import logging

from sqlalchemy import func, select

from bot.assistant import Assistant
from bot.assistant.imports import IMPORT_APPLY
from bot.partnering import replies as mr
from handlers.teams.lists import ITEM_ACTIONS
from storage.models import Announcement, Meeting, MeetingRequest
from tests.teams_harness import TeamsHttpApp, button, card_text
from tests.test_teams_partnering import ada_asks_bjorn

# "\u0663" is Arabic-Indic 3, "\u00b2" superscript 2, "\uff11" fullwidth 1: digits to str.isdigit, not IDs.
TAMPERED = ["", "abc", "-1", "0", "1e9", "1" * 40, "9" * 19, "\u0663", "\u00b2", "\uff11", "<!channel>", "1:day:x"]


def counts(db) -> tuple:
    with db.transaction() as session:
        return (session.scalar(select(func.count()).select_from(MeetingRequest)),
                session.scalar(select(func.count()).select_from(Meeting)),
                session.scalar(select(func.count()).select_from(Announcement)),
                tuple(session.scalars(select(MeetingRequest.status).order_by(MeetingRequest.id))))  # fmt: skip


def test_tampered_ids_in_teams_buttons_and_dialogs_change_nothing(event_db, clock, fake_teams, caplog):
    caplog.set_level(logging.ERROR)
    assistant = Assistant(db=event_db, clock=clock, send_now=True)
    app = TeamsHttpApp(assistant, fake_teams)
    try:
        ada, bjorn = app.person("Ada Berg"), app.person("Bjørn Lund")
        accept = button(ada_asks_bjorn(app, ada, bjorn), "Accept")
        request_id = accept["data"]["value"]
        assert request_id.isascii() and request_id.isdigit()
        state = counts(event_db)
        for value in TAMPERED:
            answers = [
                bjorn.press({**accept, "data": {**accept["data"], "value": value}}),
                ada.open_dialog({"data": {"dialog_id": "meet", "value": value}}),
                bjorn.open_dialog({"data": {"dialog_id": "decline", "value": value}}),
                ada.submit_dialog({"action": "meet_submit", "invitee": value, "topic": "Hi", "message": "", "day": ""}),
                bjorn.submit_dialog({"action": "decline_submit", "request": value, "reason": "no"}),
                ada.submit_dialog({"action": "announce_send", "draft": value}),
            ]
            assert [a.status for a in answers] == [200] * len(answers), value
            said = " ".join(card_text(a.json()["value"]) if "value" in a.json() and isinstance(a.json()["value"], dict)
                            else str(a.json()) for a in answers)  # fmt: skip
            if not (value.isascii() and value.isdigit() and len(value) < 12):  # not an ID at all
                assert said.count("out of date") >= 5, (value, said)  # all but the organisers-only form
            else:  # an ID nobody has: said so
                assert "no longer exists" in said and "not known" in said, (value, said)
            assert "<!channel>" not in said
            assert counts(event_db) == state, value
        # Every other button that carries an ID, pressed with each tampered value (and "٣" inside a propose value).
        actions = sorted(ITEM_ACTIONS - {mr.ACCEPT, mr.REQUEST_MEETING, mr.DECLINE}) + [IMPORT_APPLY, mr.PROPOSE_DAY]
        for action in actions:
            for value in [*TAMPERED, f"{request_id}:block:\u0663", "\u0663:day:2026-12-03", f"{'9' * 30}:block:1"]:
                pressed = bjorn.press({"verb": action, "data": {"action": action, "value": value}})
                assert pressed.status == 200, (action, value)
                assert "<!channel>" not in json.dumps(pressed.json())
        assert counts(event_db) == state
        assert [r.getMessage() for r in caplog.records] == []
        # The real ID still works afterwards: nothing above used it up.
        answer = bjorn.press(accept).json()
        assert "Accepted" in card_text(answer["value"])
    finally:
        app.close()
