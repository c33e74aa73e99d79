"""The Teams door served for real (uvicorn on loopback, the same ASGI app as ``python -m bot serve``), its SDK
pointed at the fake Bot Connector, and people who post Bot Framework activities signed with the fake's key."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import uvicorn

from bot.assistant import Assistant
from bot.config import Settings
from handlers.asgi import build_asgi
from handlers.teams.app import TeamsDoor
from handlers.teams.notifier import TeamsNotifier
from tests.fake_teams import FakeBotConnector

APP_ID = "00000000-0000-4000-8000-00000000b07a"
TENANT = "11111111-2222-4333-8444-555555555555"
_ids = itertools.count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def teams_settings(fake: FakeBotConnector, **changes) -> Settings:
    values = dict(database_url="sqlite://", teams_app_id=APP_ID, teams_app_password="test-secret",
                  teams_tenant_id=TENANT, teams_openid_metadata_url=fake.openid_metadata_url,
                  teams_login_url=fake.url, public_url="https://partnerup.example.org")  # fmt: skip
    values.update(changes)
    return Settings(**values)


class Served:
    """An ASGI app under uvicorn in a thread, on a free loopback port."""

    def __init__(self, app) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    access_log=False, lifespan="on"))  # fmt: skip
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the web app did not start")
            time.sleep(0.02)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def request(url: str, *, method: str = "GET", data: bytes | None = None, headers: dict | None = None) -> Response:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return Response(r.status, r.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read())


class TeamsHttpApp:
    def __init__(self, assistant: Assistant, fake: FakeBotConnector, *, slack_wsgi=None, **settings) -> None:
        self.assistant, self.fake = assistant, fake
        self.settings = teams_settings(fake, **settings)
        self.sleeps: list[float] = []

        async def sleep(seconds: float) -> None:  # Retry-After is recorded, not waited for
            self.sleeps.append(seconds)

        self.door = TeamsDoor(assistant=assistant, settings=self.settings, sleep=sleep)
        self.notifier = TeamsNotifier(self.door)
        assistant.add_notifier("teams", self.notifier)
        self.web = Served(build_asgi(health=assistant.db.ping, slack_wsgi=slack_wsgi, teams_door=self.door,
                                     published=assistant.published, clock=assistant.clock))  # fmt: skip
        self.url = self.web.url

    def close(self) -> None:
        self.web.close()

    def post(self, activity: dict, *, token: str | None = None, raw: bytes | None = None) -> Response:
        if token is None:
            token = self.fake.token(app_id=APP_ID, service_url=activity.get("serviceUrl"))
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else json.dumps(activity).encode()
        return request(f"{self.url}/api/messages", method="POST", data=data, headers=headers)

    def person(self, name: str, *, aad: str | None = None, locale: str | None = None) -> TeamsPerson:
        """``locale``: the Teams client's language (e.g. "nb-NO"), sent with every activity as Teams does."""
        return TeamsPerson(self, name, aad, locale)


class TeamsPerson:
    """Someone in Teams with a 1:1 chat with the bot."""

    def __init__(self, app: TeamsHttpApp, name: str, aad: str | None, locale: str | None = None) -> None:
        self.app, self.name, self.locale = app, name, locale
        n = next(_ids)
        self.user_id = f"29:user-{n}"
        self.aad = aad or f"aaaaaaaa-0000-4000-8000-{n:012d}"
        self.conversation = f"a:chat-{n}"
        app.fake.personal[self.user_id] = self.conversation  # Teams gives a bot that creates it this same chat

    def activity(self, kind: str, **fields) -> dict:
        return {
            "type": kind,
            "id": f"in-{next(_ids)}",
            "timestamp": "2026-12-03T08:00:00.000Z",
            "serviceUrl": self.app.fake.service_url,
            "channelId": "msteams",
            "from": {"id": self.user_id, "name": self.name, "aadObjectId": self.aad},
            "conversation": {"id": self.conversation, "conversationType": "personal", "tenantId": TENANT},
            "recipient": {"id": f"28:{APP_ID}", "name": "PartnerUp"},
            "channelData": {"tenant": {"id": TENANT}},
            **({"locale": self.locale} if self.locale else {}),
            **fields,
        }

    def say(self, text: str) -> Response:
        return self.app.post(self.activity("message", text=text))

    def press(self, action: dict) -> Response:
        """An Action.Execute button: the adaptiveCard/action invoke; the answer holds the updated card."""
        value = {"action": {"type": "Action.Execute", "verb": action.get("verb"), "data": action["data"]},
                 "trigger": "manual"}  # fmt: skip
        return self.app.post(self.activity("invoke", name="adaptiveCard/action", value=value))

    def open_dialog(self, action: dict, *, reply_to: str | None = None) -> Response:
        """A button that opens a dialog; ``reply_to``: the ID of the message the card is in (Teams sends it)."""
        extra = {"replyToId": reply_to} if reply_to else {}
        return self.app.post(self.activity("invoke", name="task/fetch", value={"data": action["data"]}, **extra))

    def submit_dialog(self, data: dict, *, reply_to: str | None = None) -> Response:
        extra = {"replyToId": reply_to} if reply_to else {}
        return self.app.post(self.activity("invoke", name="task/submit", value={"data": data}, **extra))

    def messages(self) -> list[dict]:
        """Every message the bot sent or updated in this person's chat, with its ``_id``, oldest first."""
        return self.app.fake.activities(self.conversation)

    def install(self) -> Response:
        return self.app.post(self.activity("installationUpdate", action="add"))

    def uninstall(self) -> Response:
        return self.app.post(self.activity("installationUpdate", action="remove"))

    def cards(self) -> list[dict]:
        """Every card the bot sent to this person's chat, oldest first."""
        found = []
        for activity in self.app.fake.activities(self.conversation):
            for attachment in activity.get("attachments") or []:
                if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                    found.append(attachment["content"])
        return found

    def last_card(self) -> dict:
        cards = self.cards()
        assert cards, f"nothing was sent to {self.name}"
        return cards[-1]


def card_text(card: dict) -> str:
    texts: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                texts.append(node.get("text", "").replace("\\", ""))
            for fact in node.get("facts", []) if node.get("type") == "FactSet" else []:
                texts.append(f"{fact['title']}: {fact['value']}".replace("\\", ""))
            for value in node.values():
                if isinstance(value, list | dict):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return "\n".join(texts)


def button(card: dict, title: str) -> dict:
    from handlers.teams.cards import buttons_of

    for action in buttons_of(card):
        if action.get("title") == title:
            return action
    raise AssertionError(f"no button {title!r} on the card; there are {[a.get('title') for a in buttons_of(card)]}")


__all__ = ["APP_ID", "TENANT", "TeamsHttpApp", "button", "card_text", "asyncio"]
