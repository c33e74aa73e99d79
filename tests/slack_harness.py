"""The real Bolt app behind a real WSGI server (waitress), and a client that signs requests as Slack does."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

from bot.assistant import Assistant
from handlers.slack.app import build_app, build_wsgi
from handlers.web import files
from tests.fake_slack import FakeSlack

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


@dataclass
class HttpResponse:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


def sign(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackHttpApp:
    """Runs ``build_wsgi(build_app(...))`` on 127.0.0.1 and sends it Slack-shaped, signed requests."""

    def __init__(self, assistant: Assistant, fake: FakeSlack, *, calendar_links: bool = False) -> None:
        """``calendar_links``: served as ``python -m bot serve`` serves Slack with PUBLIC_URL set (this server's
        address): an Accept's answer links to the meeting's calendar file, served at /calendar/<token>.ics."""
        self.fake = fake
        self.server = create_server(lambda environ, start: self._wsgi(environ, start), host="127.0.0.1", port=0,
                                    threads=4)  # fmt: skip
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.bolt = build_app(assistant=assistant, token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake.url,
                              calendar_url=self.url if calendar_links else None)  # fmt: skip
        self._wsgi = build_wsgi(self.bolt, health=assistant.db.ping,
                                mounts=files.mounts(assistant.published, assistant.clock))  # fmt: skip
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        """waitress's own loop, one short poll at a time, so the test can stop it cleanly from outside."""
        while not self._stop.is_set():
            wasyncore.loop(timeout=0.02, map=self.server._map, count=1)
        self.server.task_dispatcher.shutdown()
        wasyncore.close_all(self.server._map)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    # --- raw HTTP --------------------------------------------------------------------------

    def request(
        self, path: str, *, body: bytes = b"", method: str = "POST", headers: dict[str, str] | None = None
    ) -> HttpResponse:
        request = urllib.request.Request(self.url + path, data=body if method == "POST" else None, method=method)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return HttpResponse(response.status, response.read(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return HttpResponse(error.code, error.read(), dict(error.headers))

    def post_signed(
        self, body: bytes, content_type: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET
    ) -> HttpResponse:
        timestamp = int(time.time()) if timestamp is None else timestamp
        return self.request(
            "/slack/events",
            body=body,
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": str(timestamp),
                "X-Slack-Signature": sign(body, timestamp, secret),
            },
        )

    # --- Slack payloads ----------------------------------------------------------------------

    def command(
        self, command: str, text: str = "", *, user: str = "U100", channel: str = "C100", **signing: Any
    ) -> HttpResponse:
        form = {
            "token": "legacy",
            "team_id": "T0001",
            "team_domain": "partnerup-test",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": "ada",
            "command": command,
            "text": text,
            "api_app_id": "A0001",
            "response_url": self.fake.url_root + f"response/{command.strip('/')}",
            "trigger_id": "1337.42.abcd",
        }
        body = urllib.parse.urlencode(form).encode()
        return self.post_signed(body, "application/x-www-form-urlencoded", **signing)

    def event(self, event: dict[str, Any], **signing: Any) -> HttpResponse:
        payload = {
            "token": "legacy",
            "team_id": "T0001",
            "api_app_id": "A0001",
            "type": "event_callback",
            "event_id": f"Ev{int(time.time() * 1000)}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T0001", "user_id": "UBOT", "is_bot": True}],
            "event": event,
        }
        return self.post_signed(json.dumps(payload).encode(), "application/json", **signing)

    def action(
        self, action_id: str, value: str, *, user: str = "U100", channel: str = "C100", in_dm: bool = False,
        response_url: str = "response/action", ephemeral: bool | None = None,
    ) -> HttpResponse:  # fmt: skip
        """A button press. ``in_dm``: on a message the bot posted in its DM with ``user`` (not an ephemeral one);
        ``response_url``: the path on the fake Slack where the answer goes; ``ephemeral``: whether the message
        pressed on is one (by default, when not ``in_dm``)."""
        channel = f"D{user}" if in_dm else channel
        payload = {
            "type": "block_actions",
            "team": {"id": "T0001", "domain": "partnerup-test"},
            "user": {"id": user, "username": "ada", "team_id": "T0001"},
            "api_app_id": "A0001",
            "token": "legacy",
            "container": {
                "type": "message",
                "message_ts": "1700000000.000100",
                "channel_id": channel,
                "is_ephemeral": not in_dm if ephemeral is None else ephemeral,
            },
            "trigger_id": "1337.42.abcd",
            "channel": {"id": channel, "name": "directmessage" if in_dm else "general"},
            "response_url": self.fake.url_root + response_url,
            "actions": [
                {"type": "button", "action_id": action_id, "block_id": "b1", "value": value, "action_ts": str(time.time())}
            ],
        }
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        return self.post_signed(body, "application/x-www-form-urlencoded")


def view_payload(
    callback_id: str, values: dict[str, dict[str, Any]], *, user: str, private_metadata: str = ""
) -> dict[str, Any]:
    """A view_submission as Slack sends it; ``values`` maps block_id to the element state (``{"type": ..., ...}``)."""
    return {
        "type": "view_submission",
        "team": {"id": "T0001", "domain": "partnerup-test"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0001"},
        "api_app_id": "A0001",
        "token": "legacy",
        "trigger_id": "1337.42.abcd",
        "view": {
            "id": "V0001",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": {block: {"value": state} for block, state in values.items()}},
        },
    }


def text_input(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def select(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value}}


def user_select(user: str) -> dict[str, Any]:
    return {"type": "users_select", "selected_user": user}


def submit_view(app: SlackHttpApp, payload: dict[str, Any]) -> HttpResponse:
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    return app.post_signed(body, "application/x-www-form-urlencoded")
