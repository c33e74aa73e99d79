"""The shared question set (a copy of /work/shared/questions/default-event.yaml) asked through the assistant's
front door and through Slack (a direct message over signed HTTP), each answer checked as the set's README says."""

from __future__ import annotations

import json

import pytest

from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.replies import SessionCard
from handlers.console.render import render
from tests.fake_slack import FakeSlack
from tests.question_set import Case, load, problems
from tests.slack_harness import SlackHttpApp

CASES = load()


def test_the_shared_set_is_the_one_the_issue_describes() -> None:
    assert len(CASES) == 57
    assert sum(case.lang == "nb" for case in CASES) == 15


def seen_in_console(assistant: Assistant, case: Case) -> tuple[str, int, str]:
    reply = assistant.ask(text=case.q)
    return render(reply, with_share=False)[0], sum(isinstance(p, SessionCard) for p in reply.parts), reply.lang


@pytest.mark.parametrize("case", CASES, ids=[c.q for c in CASES])
def test_front_door(assistant: Assistant, clock: FixedClock, case: Case) -> None:
    clock.set(case.now)

    text, sessions, language = seen_in_console(assistant, case)

    assert problems(case, text, sessions) == [], text
    assert language == case.lang


def session_blocks(blocks: list[dict]) -> int:
    """Sessions in a Slack message: each is a section with a start time in Slack's date token and a "Remind me" button."""
    return sum(
        1
        for block in blocks
        if block.get("type") == "section" and "<!date^" in block.get("text", {}).get("text", "") and "accessory" in block
    )


def block_text(blocks: list[dict]) -> str:
    """What a person reads in the blocks: every text, with Slack's escaping undone."""
    texts: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                texts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return "\n".join(texts).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


def asked_in_a_slack_dm(slack_app: SlackHttpApp, fake_slack: FakeSlack, clock: FixedClock, case: Case) -> list[str]:
    """Ask the question as a direct message over signed HTTP; what is wrong with the answer (with its text last)."""
    fake_slack.add_user("U100", real_name="Ada Lovelace")
    clock.set(case.now)

    response = slack_app.event(
        {"type": "message", "channel_type": "im", "channel": "D100", "user": "U100", "text": case.q, "ts": "1.1"}
    )

    assert response.status == 200
    [call] = fake_slack.wait_for("chat.postMessage")
    blocks = call.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    found = problems(case, block_text(blocks), session_blocks(blocks))
    return [*found, block_text(blocks)] if found else []


@pytest.mark.parametrize("case", CASES, ids=[c.q for c in CASES])
def test_slack_direct_message(slack_app: SlackHttpApp, fake_slack: FakeSlack, clock: FixedClock, case: Case) -> None:
    assert asked_in_a_slack_dm(slack_app, fake_slack, clock, case) == []
