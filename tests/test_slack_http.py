"""The Slack door, driven as Slack drives it: signed HTTP requests into the running Bolt app,
with the app's Web API calls landing on the fake Slack server."""

from __future__ import annotations

import json
import time

from tests.fake_slack import FakeSlack
from tests.slack_harness import SlackHttpApp


def all_text(blocks: list[dict]) -> str:
    """Everything a person would read in a list of blocks."""
    return json.dumps(blocks, ensure_ascii=False)


def test_agenda_search_answers_in_the_command_response(slack_app: SlackHttpApp) -> None:
    response = slack_app.command("/agenda", "olveus")
    assert response.status == 200
    reply = response.json()
    assert reply["response_type"] == "ephemeral"
    text = all_text(reply["blocks"])
    assert "From lab to patient" in text
    assert "Johanna Olweus" in text
    assert "10:10–10:50 CET" in text
    assert "<!date^" in text  # each reader also sees their own time zone
    assert any(
        element.get("action_id") == "agenda_share" for block in reply["blocks"] for element in block.get("elements", [])
    )


def test_agenda_day_two_lists_the_science_park_programme(slack_app: SlackHttpApp) -> None:
    reply = slack_app.command("/agenda", "day 2").json()
    text = all_text(reply["blocks"])
    assert "Oslo Science Park" in text
    assert "Friday 4 December" in text
    assert len(reply["blocks"]) <= 50


def test_forged_signature_is_rejected(slack_app: SlackHttpApp, fake_slack: FakeSlack) -> None:
    response = slack_app.command("/agenda", "olweus", secret="not-the-secret")
    assert response.status == 401
    assert b"Olweus" not in response.body


def test_request_older_than_five_minutes_is_rejected(slack_app: SlackHttpApp) -> None:
    response = slack_app.command("/agenda", "olweus", timestamp=int(time.time()) - 6 * 60)
    assert response.status == 401


def test_healthz_reports_the_database(slack_app: SlackHttpApp) -> None:
    response = slack_app.request("/healthz", method="GET")
    assert response.status == 200
    assert response.json() == {"ok": True, "database": "reachable"}
    assert slack_app.request("/nothing-here", method="GET").status == 404


def test_venue_day_two_gives_address_map_and_directions(slack_app: SlackHttpApp) -> None:
    text = all_text(slack_app.command("/venue", "day 2").json()["blocks"])
    assert "Gaustadalléen 21, 0349 Oslo" in text
    assert "openstreetmap.org" in text
    assert "Forskningsparken" in text


def test_partnerup_help_lists_the_commands(slack_app: SlackHttpApp) -> None:
    text = all_text(slack_app.command("/partnerup", "").json()["blocks"])
    for command in ("/agenda", "/venue", "/partnerup help"):
        assert command in text


def test_direct_message_question_is_answered_in_the_dm(slack_app: SlackHttpApp, fake_slack: FakeSlack) -> None:
    response = slack_app.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "D100",
            "user": "U100",
            "text": "when does Olweus speak?",
            "ts": "1.1",
        }
    )
    assert response.status == 200
    [call] = fake_slack.wait_for("chat.postMessage")
    assert call.params["channel"] == "D100"
    assert "Johanna Olweus speaks on Thu 3 Dec at 10:10" in call.params["text"]
    assert call.token == "xoxb-test-token"


def test_mention_in_a_channel_is_answered_in_a_thread(slack_app: SlackHttpApp, fake_slack: FakeSlack) -> None:
    slack_app.event(
        {
            "type": "app_mention",
            "channel": "C100",
            "user": "U100",
            "text": "<@UBOT> where is day 2?",
            "ts": "1700000001.000200",
        }
    )
    [call] = fake_slack.wait_for("chat.postMessage")
    assert call.params["thread_ts"] == "1700000001.000200"
    assert "Oslo Science Park" in call.params["text"]


def test_a_question_with_no_answer_gets_examples_not_silence(slack_app: SlackHttpApp, fake_slack: FakeSlack) -> None:
    slack_app.event(
        {"type": "message", "channel_type": "im", "channel": "D100", "user": "U100", "text": "asdfgh qwerty", "ts": "1.2"}
    )
    [call] = fake_slack.wait_for("chat.postMessage")
    assert "when does Olweus speak?" in all_text(call.params["blocks"])


def test_the_bots_own_messages_are_not_answered(slack_app: SlackHttpApp, fake_slack: FakeSlack) -> None:
    slack_app.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "D100",
            "user": "UBOT",
            "bot_id": "B0001",
            "text": "hi",
            "ts": "1.3",
        }
    )
    slack_app.event({"type": "message", "channel_type": "im", "channel": "D100", "user": "U100", "text": "hi", "ts": "1.4"})
    calls = fake_slack.wait_for("chat.postMessage")
    assert len(calls) == 1


def test_app_home_shows_the_event_at_a_glance(slack_app: SlackHttpApp, fake_slack: FakeSlack) -> None:
    slack_app.event({"type": "app_home_opened", "user": "U100", "channel": "D100", "tab": "home"})
    [call] = fake_slack.wait_for("views.publish")
    assert call.params["user_id"] == "U100"
    view = call.params["view"]
    assert view["type"] == "home"
    text = all_text(view["blocks"])
    assert "On now" in text and "From lab to patient" in text  # the clock stands at 10:30 on day 1
    assert "Oslo Science Park" in text and "/agenda" in text
    assert len(view["blocks"]) <= 100


def test_more_button_pages_through_a_long_day(slack_app: SlackHttpApp, fake_slack: FakeSlack) -> None:
    first = slack_app.command("/agenda", "day 1").json()
    more = next(
        element
        for block in first["blocks"]
        for element in block.get("elements", [])
        if element.get("action_id") == "agenda_page"
    )
    assert "Networking reception" not in all_text(first["blocks"])
    assert slack_app.action("agenda_page", more["value"]).status == 200
    [call] = fake_slack.wait_for("response_url")
    assert call.params["replace_original"] is True
    assert "Networking reception" in all_text(call.params["blocks"])


def test_share_posts_the_answer_in_the_channel(slack_app: SlackHttpApp, fake_slack: FakeSlack) -> None:
    first = slack_app.command("/agenda", "olweus").json()
    share = next(
        element
        for block in first["blocks"]
        for element in block.get("elements", [])
        if element.get("action_id") == "agenda_share"
    )
    slack_app.action("agenda_share", share["value"], user="U777")
    [call] = fake_slack.wait_for("response_url")
    assert call.params["response_type"] == "in_channel"
    text = all_text(call.params["blocks"])
    assert "From lab to patient" in text and "Shared by <@U777>" in text
    assert "agenda_share" not in text


def test_a_crafted_button_value_is_handled_as_a_plain_agenda(slack_app: SlackHttpApp, fake_slack: FakeSlack) -> None:
    assert slack_app.action("agenda_page", "{not json").status == 200
    [call] = fake_slack.wait_for("response_url")
    assert "Days to partner up: day 1" in all_text(call.params["blocks"])


def test_user_markup_is_never_echoed_as_a_ping_or_link(slack_app: SlackHttpApp, fake_slack: FakeSlack) -> None:
    nasty = "<!channel> <!here> <@U123> <http://evil.example|click> *bold* " + "x" * 10_000
    for command in ("/agenda", "/venue", "/partnerup"):
        response = slack_app.command(command, nasty)
        assert response.status == 200
        text = all_text(response.json()["blocks"])
        for forbidden in ("<!channel>", "<!here>", "<@U123>", "evil.example"):
            assert forbidden not in text
    slack_app.event({"type": "message", "channel_type": "im", "channel": "D100", "user": "U100", "text": nasty, "ts": "1.5"})
    [call] = fake_slack.wait_for("chat.postMessage")
    for forbidden in ("<!channel>", "<!here>", "<@U123>", "evil.example"):
        assert forbidden not in json.dumps(call.params)


def test_every_block_respects_slacks_limits(slack_app: SlackHttpApp) -> None:
    for text in ("", "day 1", "day 2", "a", "e", "partnering", "now", "next"):
        blocks = slack_app.command("/agenda", text).json()["blocks"]
        assert len(blocks) <= 50
        for block in blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= 150


def test_sharing_page_two_posts_no_buttons_or_paging_hints(slack_app: SlackHttpApp, fake_slack: FakeSlack) -> None:
    from bot.agenda.listing import encode_query

    slack_app.action("agenda_share", encode_query("day 1", 2), user="U777")
    [call] = fake_slack.wait_for("response_url")
    text = all_text(call.params["blocks"])
    assert "Networking reception" in text
    assert "Showing" not in text and '"actions"' not in text and "Remind me" not in text


def test_starting_with_the_token_in_the_environment_logs_no_warning(assistant, fake_slack: FakeSlack, monkeypatch,
                                                                     caplog) -> None:  # fmt: skip
    """Bolt reads SLACK_BOT_TOKEN itself and warned at every start that our client's (the same) token wins."""
    import logging

    from handlers.slack.app import build_app

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    with caplog.at_level(logging.WARNING):
        app = build_app(assistant=assistant, token="xoxb-test-token", signing_secret="s", api_url=fake_slack.url)
    assert app.client.token == "xoxb-test-token"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
