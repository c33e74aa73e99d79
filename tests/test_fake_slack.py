"""Tests of the fake Slack server itself, through slack_sdk's real clients."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from tests.fake_slack import FakeSlack

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Hello* partner"}}]


class FakeClock:
    """Manually advanced clock, so rate-limit tests never sleep."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeSlack]:
    with FakeSlack(clock=clock) as server:
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url)


def test_urls_and_auth_test(fake: FakeSlack, client: WebClient) -> None:
    assert fake.url.startswith("http://127.0.0.1:") and fake.url.endswith("/api/")
    assert fake.url == fake.url_root + "api/"
    auth = client.auth_test()
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == ("T0001", "UBOT", "B0001")
    assert auth.headers["Content-Type"] == "application/json; charset=utf-8"


def test_post_message_is_recorded_with_decoded_blocks(fake: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="hi", blocks=BLOCKS)
    # Form-encoded bodies carry blocks as a JSON string; the fake decodes them the same way.
    second = client.api_call("chat.postMessage", data={"channel": "U2", "text": "yo", "blocks": json.dumps(BLOCKS)})

    calls = fake.calls("chat.postMessage")
    assert [c.params["blocks"] for c in calls] == [BLOCKS, BLOCKS]
    assert calls[0].token == calls[1].token == "xoxb-test"
    assert first["message"]["blocks"] == BLOCKS and first["channel"] == "C1"
    assert second["channel"] == "DU2"
    assert first["ts"] == "1700000000.000100" and float(second["ts"]) > float(first["ts"])


def test_users_info(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("U1", real_name="Ada Lovelace", title="Engineer")
    user = client.users_info(user="U1")["user"]
    assert user["profile"]["real_name"] == "Ada Lovelace" and user["profile"]["title"] == "Engineer"
    assert (user["is_bot"], user["deleted"], user["tz"], user["team_id"]) == (False, False, "Europe/Oslo", "T0001")

    with pytest.raises(SlackApiError) as excinfo:
        client.users_info(user="U404")
    assert excinfo.value.response["error"] == "user_not_found"
    assert fake.calls("users.info")[-1].error == "user_not_found"


def test_fail_next_429_is_retried_by_rate_limit_handler(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", retry_after=0)
    client = WebClient(token="xoxb-test", base_url=fake.url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])

    assert client.chat_postMessage(channel="C1", text="hi")["ok"]
    first, second = fake.calls("chat.postMessage")
    assert (first.status, first.error, second.status, second.ok) == (429, "ratelimited", 200, True)


def test_fail_next_other_errors(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.update", error="account_inactive", status=200)
    fake.fail_next("chat.update", error="internal_error", status=500)
    for expected in ("account_inactive", "internal_error"):
        with pytest.raises(SlackApiError) as excinfo:
            client.chat_update(channel="C1", ts="1.2", text="x")
        assert excinfo.value.response["error"] == expected
    assert client.chat_update(channel="C1", ts="1.2", text="x")["text"] == "x"
    assert [c.status for c in fake.calls("chat.update")] == [200, 500, 200]


def test_fail_for_channel_blocks_dm_paths(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_for_channel("U9", "account_inactive")
    for call in (lambda: client.conversations_open(users="U9"), lambda: client.chat_postMessage(channel="DU9", text="x")):
        with pytest.raises(SlackApiError) as excinfo:
            call()
        assert excinfo.value.response["error"] == "account_inactive"
    assert client.conversations_open(users=["U1"])["channel"]["id"] == "DU1"
    assert [c.ok for c in fake.calls()] == [False, False, True]


def test_rate_limit_per_channel_token_bucket(fake: FakeSlack, client: WebClient, clock: FakeClock) -> None:
    fake.rate_limit("chat.postMessage", per_second=1.0, burst=2)
    client.chat_postMessage(channel="C1", text="1")
    client.chat_postMessage(channel="C1", text="2")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="3")
    assert excinfo.value.response.status_code == 429
    assert excinfo.value.response.headers["Retry-After"] == "1"
    client.chat_postMessage(channel="C2", text="other channel has its own bucket")
    clock.now += 1.0
    client.chat_postMessage(channel="C1", text="refilled")


def test_wait_for_across_threads(fake: FakeSlack, client: WebClient) -> None:
    go = threading.Event()

    def worker() -> None:
        go.wait()
        for i in range(3):
            client.chat_postMessage(channel="C1", text=str(i))

    thread = threading.Thread(target=worker)
    thread.start()
    go.set()
    calls = fake.wait_for("chat.postMessage", count=3, timeout=5.0)
    thread.join()
    assert [c.params["text"] for c in calls] == ["0", "1", "2"]

    with pytest.raises(AssertionError, match=r"expected 1 views.open call\(s\) within 0.05s, got 0"):
        fake.wait_for("views.open", timeout=0.05)


def test_response_url_views_and_file_upload(fake: FakeSlack, client: WebClient) -> None:
    response = WebhookClient(fake.url_root + "response/abc").send(text="done", replace_original=True)
    assert response.status_code == 200 and json.loads(response.body) == {"ok": True}
    assert fake.calls("response_url")[0].params == {"text": "done", "replace_original": True}

    opened = client.views_open(trigger_id="t1", view={"type": "modal", "callback_id": "signup", "blocks": BLOCKS})
    view = opened["view"]
    assert view["id"].startswith("V") and view["callback_id"] == "signup" and view["blocks"] == BLOCKS
    assert client.views_update(view_id=view["id"], view={"type": "modal", "blocks": []})["view"]["id"] == view["id"]

    uploaded = client.files_upload_v2(channel="C1", content="a,b\n1,2\n", filename="pairs.csv", title="Pairs")
    file_id = uploaded["file"]["id"]
    assert fake.uploads[file_id] == b"a,b\n1,2\n"
    assert fake.calls("files.completeUploadExternal")[0].params["files"] == [{"id": file_id, "title": "Pairs"}]


def test_users_list_pages_with_emails_and_lookup_by_email(fake: FakeSlack, client: WebClient) -> None:
    for n in range(5):
        fake.add_user(f"U{n}", real_name=f"Person {n}", email=f"Person{n}@Example.com")
    fake.users_list_page_cap = 2
    members, sizes = {}, []
    for page in client.users_list(limit=1000):  # slack_sdk follows next_cursor (one response object, refilled)
        sizes.append(len(page["members"]))
        members.update({m["id"]: m for m in page["members"]})
    assert max(sizes) == 2 and len(sizes) == 3 and sum(sizes) == len(members)
    assert {f"U{n}" for n in range(5)} <= set(members)  # every member once, across the pages
    assert members["U0"]["profile"]["email"] == "Person0@Example.com" and "locale" not in members["U0"]
    assert client.users_lookupByEmail(email="person3@example.com")["user"]["id"] == "U3"
    with pytest.raises(SlackApiError) as missing:
        client.users_lookupByEmail(email="nobody@example.com")
    assert missing.value.response["error"] == "users_not_found"
    fake.add_user("U3", real_name="Person 3", email="new3@example.com")  # changed address: the old one is gone
    with pytest.raises(SlackApiError):
        client.users_lookupByEmail(email="person3@example.com")
    assert client.users_lookupByEmail(email="NEW3@example.com")["user"]["id"] == "U3"
