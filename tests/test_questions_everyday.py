"""Questions in everyday words (tests/data/questions-everyday.yaml): "check-in", "after-party", "today's theme",
"grab a bite" and their Norwegian kin are questions about the programme's registration, networking reception,
description and lunch; and a question about the programme that mentions meetings ("when can I have partnering
meetings?") is not one about the asker's own meetings. Asked by someone who has a meeting of their own (as in a direct
message) and by nobody in particular (a channel) through the front door, and some as a Slack direct message."""

from __future__ import annotations

import pytest

from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.replies import SessionCard
from handlers.console.render import render
from tests.fake_slack import FakeSlack
from tests.partnering_helpers import give_profile, people
from tests.question_set import EVERYDAY, Case, load, problems
from tests.slack_harness import SlackHttpApp
from tests.test_question_set import asked_in_a_slack_dm, seen_in_console

CASES = load(EVERYDAY)


def test_a_dozen_everyday_questions_per_language() -> None:
    assert sum(case.lang == "en" for case in CASES) >= 12 and sum(case.lang == "nb" for case in CASES) >= 12


@pytest.fixture
def asker(assistant: Assistant) -> int:
    """Ada, with a booked meeting with Bjørn Haugland: someone with meetings of her own."""
    ada, bjorn = people(assistant, "Ada Lovelace", "Bjørn Haugland")
    for pid in (ada, bjorn):
        give_profile(assistant, pid, organisation="Biogenix", offers="partnering")
    request = assistant.partnering.create_request(requester_id=ada, invitee_id=bjorn, topic="TCR licensing")
    assert assistant.partnering.accept(request_id=request.id, actor_id=bjorn).meeting is not None
    return ada


@pytest.mark.parametrize("case", CASES, ids=[c.q for c in CASES])
def test_asked_in_a_channel(assistant: Assistant, clock: FixedClock, case: Case) -> None:
    clock.set(case.now)

    text, sessions, language = seen_in_console(assistant, case)

    assert problems(case, text, sessions) == [], text
    assert language == case.lang


@pytest.mark.parametrize("case", CASES, ids=[c.q for c in CASES])
def test_asked_by_someone_with_meetings(assistant: Assistant, clock: FixedClock, asker: int, case: Case) -> None:
    clock.set(case.now)

    reply = assistant.ask(text=case.q, actor=asker)

    text = render(reply, with_share=False)[0]
    assert problems(case, text, sum(isinstance(p, SessionCard) for p in reply.parts)) == [], text


# Over Slack: the questions a direct message used to take as about the asker's own meetings, and two everyday ones.
SLACK_CASES = [c for c in CASES if "meeting" in c.q or "møte" in c.q or "theme" in c.q or "after-party" in c.q]


@pytest.mark.parametrize("case", SLACK_CASES, ids=[c.q for c in SLACK_CASES])
def test_slack_direct_message(slack_app: SlackHttpApp, fake_slack: FakeSlack, clock: FixedClock, case: Case) -> None:
    assert asked_in_a_slack_dm(slack_app, fake_slack, clock, case) == []
