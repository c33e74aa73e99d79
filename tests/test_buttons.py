"""Buttons pressed in the doors that draw their own (console, Teams) go through one front-door method, which
re-validates every value as Slack's listeners do."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.assistant import Assistant
from bot.assistant.buttons import OUT_OF_DATE
from bot.partnering import replies as mr
from storage.models import Meeting, MeetingRequest
from tests.partnering_helpers import give_profile, people


def test_a_press_accepts_only_for_the_person_asked_and_tampered_values_change_nothing(assistant: Assistant) -> None:
    ada, bjorn, cleo = people(assistant, "Ada", "Bjørn", "Cleo")
    for person in (ada, bjorn, cleo):
        give_profile(assistant, person, organisation="Biogenix")
    assistant.request_meeting(actor=ada, invitee=bjorn, topic="TCR licensing")
    with assistant.db.transaction() as session:
        request_id = session.scalar(select(MeetingRequest.id))

    for value in ("", "abc", "1; DROP TABLE meetings", "٣", f"{request_id} "):
        assert assistant.press(actor=bjorn, external_id="U-bjorn", action=mr.ACCEPT, value=value).text == OUT_OF_DATE
    refused = assistant.press(actor=cleo, external_id="U-cleo", action=mr.ACCEPT, value=str(request_id))
    assert "asked" in refused.text.lower() or "only" in refused.text.lower()
    with assistant.db.transaction() as session:
        assert session.scalar(select(MeetingRequest.status)) == "pending"

    accepted = assistant.press(actor=bjorn, external_id="U-bjorn", action=mr.ACCEPT, value=str(request_id))

    assert "booked" in accepted.text.lower() or "accepted" in accepted.text.lower()
    with assistant.db.transaction() as session:
        assert session.scalar(select(MeetingRequest.status)) == "accepted"
        assert session.scalar(select(func.count()).select_from(Meeting)) == 1


def test_an_unknown_action_is_left_to_the_door(assistant: Assistant) -> None:
    [ada] = people(assistant, "Ada")
    assert assistant.press(actor=ada, external_id="U-ada", action="no_such_button", value="1") is None
