"""Organiser announcements through Slack's HTTP path, sent by the worker, with an injected clock."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.worker import Worker
from storage.models import Announcement, Delivery, OrganiserAction
from tests.conftest import oslo
from tests.fake_slack import FakeSlack
from tests.slack_harness import SlackHttpApp, submit_view, text_input, view_payload
from tests.slack_harness import select as pick

ORGANISER = "U900"


@pytest.fixture
def crowd(assistant: Assistant, fake_slack: FakeSlack, clock: FixedClock) -> dict[str, int]:
    """Four people: two with something on day 2 (a bookmark, a meeting), one only on day 1, one with nothing."""
    clock.set(oslo(2, 12, 0))  # the day before the event
    assistant.organisers = frozenset({ORGANISER})
    people = {}
    for user, name in (
        ("U100", "Ada Berg"),
        ("U200", "Bo Lund"),
        ("U300", "Cy Moe"),
        ("U400", "Di Ek"),
        (ORGANISER, "Olga Org"),
    ):
        fake_slack.add_user(user, real_name=name)
        people[user] = assistant.identify(platform="slack", external_id=user, lookup=lambda name=name: _person(name))
    event = assistant.event()
    day2 = next(s for s in event.sessions if s.key == "d2-welcome")
    day1 = next(s for s in event.sessions if s.key == "d1-welcome")
    assistant.reminders.add(participant_id=people["U100"], session_id=day2.id)
    assistant.reminders.add(participant_id=people["U300"], session_id=day1.id)
    request = assistant.partnering.create_request(requester_id=people["U200"], invitee_id=people["U400"], topic="x",
                                                  preferred_day=event.dates[1])  # fmt: skip
    assistant.partnering.accept(request_id=request.id, actor_id=people["U400"])
    with assistant.db.transaction() as session:  # the meeting messages are not what these tests count
        session.query(Delivery).delete()
    return people


def _person(name: str):
    from bot.partnering.participants import PersonInfo

    return PersonInfo(display_name=name)


def worker_for(assistant: Assistant) -> Worker:
    return Worker(deliverer=assistant.deliverer, partnering=assistant.partnering, reminders=assistant.reminders,
                  announcements=assistant.announcements, rate=None, progress_every=0)  # fmt: skip


def dm_texts(fake: FakeSlack, user: str) -> list[str]:
    return [c.params["text"] for c in fake.calls("chat.postMessage") if c.params.get("channel") == user and c.ok]


def compose(slack_app: SlackHttpApp, fake: FakeSlack, values: dict) -> dict:
    defaults = {"text": text_input("The bus to Oslo Science Park leaves at 08:15"), "audience": pick("everyone"),
                "when": {"type": "radio_buttons", "selected_option": {"value": "now"}}}  # fmt: skip
    payload = view_payload("announce_compose", {**defaults, **values}, user=ORGANISER)
    return submit_view(slack_app, payload).json()


def test_non_organisers_are_refused_everywhere(
    slack_app: SlackHttpApp, fake_slack: FakeSlack, crowd, assistant, caplog
) -> None:
    for command in ("/announce", "/report"):
        reply = slack_app.command(command, "hello <!channel>", user="U100").json()
        assert reply["text"].startswith("Sorry, only the event's organisers can do that.")
        assert "<!channel>" not in json.dumps(reply)
    slack_app.action("announce_cancel", "1", user="U100")
    [answer] = fake_slack.wait_for("response_url")
    assert "only the event's organisers" in answer.params["text"]
    assert submit_view(
        slack_app, view_payload("announce_compose", {"text": text_input("x"), "audience": pick("everyone")}, user="U100")
    ).json()["errors"]
    with assistant.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Announcement)) == 0
    assert fake_slack.calls("views.open") == []
    assert any("non-organiser U100" in record.getMessage() for record in caplog.records)


def test_announcement_to_a_days_participants_reaches_exactly_them(slack_app, fake_slack, crowd, assistant, clock) -> None:
    slack_app.command("/announce", "", user=ORGANISER)
    [opened] = fake_slack.wait_for("views.open")
    options = [
        o["value"] for b in opened.params["view"]["blocks"] if b["block_id"] == "audience" for o in b["element"]["options"]
    ]
    assert "day:2026-12-04" in options and "everyone" in options
    confirm = compose(slack_app, fake_slack, {"audience": pick("day:2026-12-04")})
    assert confirm["response_action"] == "update"
    preview = json.dumps(confirm["view"], ensure_ascii=False)
    assert "participants of day 2 (Fri 4 Dec): 3 people, now" in preview  # a bookmark, and both people of a meeting
    draft_id = confirm["view"]["private_metadata"]
    assert (
        submit_view(slack_app, view_payload("announce_confirm", {}, user=ORGANISER, private_metadata=draft_id)).status == 200
    )
    worker_for(assistant).tick()
    delivered = [c.params["channel"] for c in fake_slack.calls("chat.postMessage") if "The bus" in c.params["text"]]
    assert sorted(delivered) == ["U100", "U200", "U400"]
    assert dm_texts(fake_slack, "U100")[-1] == "From the organisers: The bus to Oslo Science Park leaves at 08:15"
    updates = fake_slack.calls("chat.update")
    assert updates and updates[-1].params["text"].endswith("is done: delivered 3, failed 0, skipped 0.")
    with assistant.db.transaction() as session:
        assert session.scalar(select(OrganiserAction.action)) == "announce"


def test_a_scheduled_announcement_goes_out_at_its_time(slack_app, fake_slack, crowd, assistant, clock) -> None:
    confirm = compose(slack_app, fake_slack, {
        "when": {"type": "radio_buttons", "selected_option": {"value": "at"}},
        "when_date": {"type": "datepicker", "selected_date": "2026-12-03"},
        "when_time": {"type": "timepicker", "selected_time": "08:15"},
    })  # fmt: skip
    assert "at Thu 3 Dec 08:15 CET" in json.dumps(confirm["view"], ensure_ascii=False)
    submit_view(
        slack_app, view_payload("announce_confirm", {}, user=ORGANISER, private_metadata=confirm["view"]["private_metadata"])
    )
    worker = worker_for(assistant)
    clock.set(oslo(3, 8, 14))
    worker.tick()
    assert not [c for c in fake_slack.calls("chat.postMessage") if "The bus" in c.params["text"]]
    listing = slack_app.command("/announce", "list", user=ORGANISER).json()
    assert "scheduled · Thu 3 Dec 08:15 CET · to every participant" in json.dumps(listing["blocks"], ensure_ascii=False)
    clock.set(oslo(3, 8, 15))
    worker.tick()
    delivered = sorted(c.params["channel"] for c in fake_slack.calls("chat.postMessage") if "The bus" in c.params["text"])
    assert delivered == ["U100", "U200", "U300", "U400", ORGANISER]


def test_a_cancelled_scheduled_announcement_is_never_sent(slack_app, fake_slack, crowd, assistant, clock) -> None:
    confirm = compose(slack_app, fake_slack, {
        "when": {"type": "radio_buttons", "selected_option": {"value": "at"}},
        "when_date": {"type": "datepicker", "selected_date": "2026-12-03"},
        "when_time": {"type": "timepicker", "selected_time": "08:15"},
    })  # fmt: skip
    submit_view(
        slack_app, view_payload("announce_confirm", {}, user=ORGANISER, private_metadata=confirm["view"]["private_metadata"])
    )
    listing = slack_app.command("/announce", "list", user=ORGANISER).json()
    cancel = next(
        e["value"] for b in listing["blocks"] for e in b.get("elements", []) if e.get("action_id") == "announce_cancel"
    )
    slack_app.action("announce_cancel", cancel, user=ORGANISER)
    assert "is cancelled; nobody will get it" in fake_slack.wait_for("response_url")[0].params["text"]
    clock.set(oslo(3, 9, 0))
    worker_for(assistant).tick()
    assert not [c for c in fake_slack.calls("chat.postMessage") if "The bus" in c.params["text"]]


@pytest.mark.parametrize(
    ("values", "block", "message"),
    [
        ({"text": text_input("   ")}, "text", "Write the message first."),
        ({"text": text_input("x" * 3001)}, "text", "under 3,000 characters"),
        ({"when": {"type": "radio_buttons", "selected_option": {"value": "at"}},
          "when_date": {"type": "datepicker", "selected_date": "2026-12-01"},
          "when_time": {"type": "timepicker", "selected_time": "08:00"}}, "when_date", "That time has passed"),
        ({"audience": pick("org_types"), "org_types": {"type": "multi_static_select",
          "selected_options": [{"value": "investor"}]}}, "audience", "Nobody is in that audience"),
        ({"audience": pick("channel")}, "audience", "Choose the channel below."),
        ({"audience": pick("channel"), "channel": {"type": "conversations_select", "selected_conversation": "C777"}},
         "audience", "Invite @PartnerUp"),
    ],
)  # fmt: skip
def test_bad_drafts_are_answered_in_the_modal_and_nothing_is_saved(
    slack_app, fake_slack, crowd, assistant, values, block, message
) -> None:
    fake_slack.add_channel("C777", name="random", members=[])
    reply = compose(slack_app, fake_slack, values)
    assert reply["response_action"] == "errors" and message in reply["errors"][block]
    with assistant.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Announcement)) == 0


def test_announce_text_posts_in_the_channel_after_confirming_and_pings_only_when_allowed(
    slack_app, fake_slack, crowd, assistant
) -> None:
    fake_slack.add_channel("C100", name="general", members=["UBOT"])
    reply = slack_app.command("/announce", "Lunch is served <!channel>", user=ORGANISER, channel="C100").json()
    assert reply["text"] == "This goes to the channel C100 (a channel post), now."
    post = next(
        e["value"] for b in reply["blocks"] for e in b.get("elements", []) if e.get("action_id") == "announce_confirm"
    )
    assert not [c for c in fake_slack.calls("chat.postMessage") if c.params.get("channel") == "C100"]
    slack_app.action("announce_confirm", post, user=ORGANISER)
    fake_slack.wait_for("response_url")
    worker_for(assistant).tick()
    [posted] = [c for c in fake_slack.calls("chat.postMessage") if c.params.get("channel") == "C100"]
    text = json.dumps(posted.params, ensure_ascii=False)
    assert "Lunch is served @channel" in text and "<!channel>" not in text


def test_429_storm_everyone_gets_it_once(slack_app, fake_slack, crowd, assistant) -> None:
    confirm = compose(slack_app, fake_slack, {})
    submit_view(
        slack_app, view_payload("announce_confirm", {}, user=ORGANISER, private_metadata=confirm["view"]["private_metadata"])
    )
    fake_slack.fail_next("chat.postMessage", error="ratelimited", status=429, retry_after=0, times=6)
    worker_for(assistant).tick()
    delivered = sorted(
        c.params["channel"] for c in fake_slack.calls("chat.postMessage") if c.ok and "The bus" in c.params["text"]
    )
    assert delivered == ["U100", "U200", "U300", "U400", ORGANISER]
    assert len([c for c in fake_slack.calls("chat.postMessage") if c.status == 429]) == 6


def test_failed_ones_can_be_retried_with_one_button(slack_app, fake_slack, crowd, assistant) -> None:
    fake_slack.fail_for_channel("U300", "account_inactive")
    confirm = compose(slack_app, fake_slack, {})
    submit_view(
        slack_app, view_payload("announce_confirm", {}, user=ORGANISER, private_metadata=confirm["view"]["private_metadata"])
    )
    worker = worker_for(assistant)
    worker.tick()
    final = fake_slack.calls("chat.update")[-1].params
    assert final["text"].endswith("delivered 4, failed 1, skipped 0.")
    retry = next(
        e["value"] for b in final["blocks"] for e in b.get("elements", []) if e.get("action_id") == "announce_retry"
    )
    assert "account_inactive 1" in json.dumps(final["blocks"])
    fake_slack.reset()
    fake_slack.add_user(ORGANISER, real_name="Olga Org")
    slack_app.action("announce_retry", retry, user=ORGANISER)
    assert "Trying the 1 failed message(s)" in fake_slack.wait_for("response_url")[0].params["text"]
    worker.tick()
    assert [c.params["channel"] for c in fake_slack.calls("chat.postMessage") if "The bus" in c.params["text"]] == ["U300"]


def test_organiser_reports(slack_app, fake_slack, crowd, assistant) -> None:
    summary = slack_app.command("/report", "", user=ORGANISER).json()
    text = json.dumps(summary["blocks"], ensure_ascii=False)
    assert "Participants: 5" in text and "Meetings booked: 1" in text
    slack_app.command("/report", "interest", user=ORGANISER)
    fake_slack.wait_for("files.completeUploadExternal")
    [csv_text] = [b.decode() for b in fake_slack.uploads.values()]
    assert csv_text.splitlines()[0] == "session,title,start,status,bookmarks"
    assert sum(int(line.rsplit(",", 1)[1]) for line in csv_text.splitlines()[1:]) == 2


def test_members_of_the_organiser_user_group_are_organisers(fake_slack, assistant, clock) -> None:
    from handlers.slack.app import UsergroupMembers, make_client

    fake_slack.set_usergroup("S0ORG", ["U555"])
    check = UsergroupMembers(make_client(token="xoxb-test", base_url=fake_slack.url), "S0ORG")
    assistant.organiser_check = check
    assert assistant.is_organiser("U555") and not assistant.is_organiser("U556")
    assert len(fake_slack.calls("usergroups.users.list")) == 1  # cached


def test_organisers_see_the_numbers_on_app_home(slack_app, fake_slack, crowd) -> None:
    slack_app.event({"type": "app_home_opened", "user": ORGANISER, "channel": "D900", "tab": "home"})
    [published] = fake_slack.wait_for("views.publish")
    assert "Organiser summary" in json.dumps(published.params["view"], ensure_ascii=False)
    slack_app.event({"type": "app_home_opened", "user": "U100", "channel": "D100", "tab": "home"})
    published = fake_slack.wait_for("views.publish", count=2)[-1]
    assert "Organiser summary" not in json.dumps(published.params["view"], ensure_ascii=False)


def test_organisers_edit_a_session_from_slack_and_those_affected_are_told_once(
    slack_app, fake_slack, crowd, assistant
) -> None:
    refused = slack_app.command("/session", "move d2-welcome to 09:30", user="U100").json()
    assert refused["text"].startswith("Sorry, only the event's organisers")
    moved = slack_app.command("/session", "move d2-welcome to 09:30", user=ORGANISER).json()
    assert moved["text"] == "Moved Welcome to day 2 to Fri 4 Dec 09:30 CET. 1 person affected will get a notice."
    assert [s.starts_at for s in assistant.event().sessions if s.key == "d2-welcome"][0] == oslo(4, 9, 30)
    worker_for(assistant).tick()
    [notice] = [t for t in dm_texts(fake_slack, "U100") if t.startswith("Agenda change")]
    assert notice == "Agenda change: Welcome to day 2 moves to Fri 4 Dec 09:30–09:45 CET (was Fri 4 Dec 09:00–09:15 CET)."
    assert (
        slack_app.command("/session", "room d2-welcome Nowhere", user=ORGANISER)
        .json()["text"]
        .startswith("The venue has no room")
    )
    assert (
        slack_app.command("/session", "cancel nosuchkey", user=ORGANISER).json()["text"].startswith("No session has the key")
    )
    cancelled = slack_app.command("/session", "cancel d2-welcome", user=ORGANISER).json()
    assert cancelled["text"].startswith("Cancelled Welcome to day 2.")
    assert "Welcome to day 2" not in [s.title for s in assistant.event().sessions]
    with assistant.db.transaction() as session:
        actions = session.scalars(select(OrganiserAction.action).order_by(OrganiserAction.id)).all()
    assert actions == ["session move", "session cancel"]
