"""Scheduled placement through Slack, the way Slack calls the app: an Accept holds the request and says so to
both people, an organiser's `/meetings schedule all` runs the optimiser, and each person gets their schedule, in
their Slack language."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from storage.models import Event, Meeting
from tests.fake_slack import FakeSlack
from tests.slack_harness import SlackHttpApp, submit_view, text_input, user_select, view_payload
from tests.slack_harness import select as pick


def dms_to(fake: FakeSlack, user: str) -> list[dict]:
    return [c.params for c in fake.calls("chat.postMessage") if c.params.get("channel") == user]


ENGLISH = {
    "accepted": "Accepted (TCR licensing). This event schedules meetings together",
    "now": "Scheduling 1 accepted request(s) now; I'll post the result here.",
    "done": "Scheduled 1 meeting(s); 0 could not be placed.",
    "schedule": "Your partnering schedule: 1 meeting(s).",
    "card": "with *Ada Berg*",
}
NORWEGIAN = {
    "accepted": "Takket ja (TCR licensing). Dette arrangementet setter opp møtene samlet",
    "now": "Setter opp 1 godkjent(e) forespørsel(er) nå; jeg legger ut resultatet her.",
    "done": "Satte opp 1 møte(r); 0 fikk ikke plass.",
    "schedule": "Din partneringtimeplan: 1 møte(r).",
    "card": "med *Ada Berg*",
}


@pytest.mark.parametrize(("locale", "words"), [("en-GB", ENGLISH), ("nb-NO", NORWEGIAN)])
def test_scheduled_event_holds_accepts_until_schedule_all(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, assistant, event_db, locale: str, words: dict
) -> None:
    """Bjørn and the organiser use Slack in ``locale``; Ada, the requester, in English whatever they use."""
    fake_slack.add_user("U100", real_name="Ada Berg")
    fake_slack.add_user("U200", real_name="Bjørn Lund", locale=locale)
    fake_slack.add_user("U300", real_name="Carl Moe", locale=locale)
    assistant.organisers = frozenset({"U300"})
    with event_db.transaction(write=True) as session:
        event = session.scalars(select(Event)).one()
        event.partnering_rules = {**(event.partnering_rules or {}), "placement": "scheduled"}

    slack_app.command("/meet", "<@U200|bjorn> TCR licensing", user="U100")
    values = {"invitee": user_select("U200"), "topic": text_input("TCR licensing"), "message": text_input(""),
              "day": pick("first")}  # fmt: skip
    assert submit_view(slack_app, view_payload("meet_submit", values, user="U100")).status == 200
    fake_slack.wait_for("chat.postMessage", count=2)
    [invitation] = dms_to(fake_slack, "U200")
    accept = next(
        e["value"] for b in invitation["blocks"] for e in b.get("elements", []) if e.get("action_id") == "request_accept"
    )
    slack_app.action("request_accept", accept, user="U200", in_dm=True)
    [answer] = fake_slack.wait_for("response_url")
    assert words["accepted"] in answer.params["text"]
    fake_slack.wait_for("chat.postMessage", count=3)
    assert (
        "Bjørn Lund accepted your request (TCR licensing). This event schedules meetings together"
        in (dms_to(fake_slack, "U100")[-1]["text"])
    )
    with event_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Meeting)) == 0

    slack_app.command("/meetings", "", user="U300")  # the organiser has used PartnerUp before
    response = slack_app.command("/meetings", "schedule all", user="U300")
    assert json.loads(response.body)["text"] == words["now"]
    [_, done] = fake_slack.wait_for("response_url", count=2)  # the accept, then the run
    assert words["done"] in json.dumps(done.params, ensure_ascii=False)
    fake_slack.wait_for("chat.postMessage", count=5)
    assert dms_to(fake_slack, "U100")[-1]["text"] == "Your partnering schedule: 1 meeting(s)."
    schedule = dms_to(fake_slack, "U200")[-1]
    assert schedule["text"] == words["schedule"] and words["card"] in json.dumps(schedule["blocks"], ensure_ascii=False)
