"""Wiring the Bolt app: the Web API client, shared services, listeners, errors and HTTP.

Listeners get the :class:`~bot.assistant.Assistant` from ``context`` (filled by one global
middleware), so they stay importable and testable without globals.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.assistant import Assistant
from handlers.slack import actions, commands, door, events, messages, people, views
from handlers.slack.notifier import SlackNotifier
from handlers.slack.people import SlackAccounts

log = logging.getLogger(__name__)
FRIENDLY_ERROR = "Sorry, something went wrong on my side. Please try again in a moment."


def _same_token_given_twice(record: logging.LogRecord) -> bool:
    """Bolt reads SLACK_BOT_TOKEN from the environment itself and warns that our client's token wins over it: it
    is the same token, so the warning at every start would only worry whoever reads the log."""
    return record.getMessage() != warning_client_prioritized_and_token_skipped()


def make_client(*, token: str | None, base_url: str | None) -> WebClient:
    """A WebClient that waits out 429s and retries server and connection errors, as Slack asks."""
    return WebClient(
        token=token,
        base_url=base_url or WebClient.BASE_URL,
        timeout=10,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


@dataclass
class Background:
    """Work a listener hands off after ``ack()``, so Slack gets its answer at once.

    ``replying`` sends answers to response_urls, which can be slow on Slack's side. Placements are the core's
    (:mod:`bot.partnering.instant`). Whatever is handed off was recorded in the database first, so the worker
    finishes it if we die.
    """

    replying: ThreadPoolExecutor = field(default_factory=lambda: _lane("partnerup-reply", 8))

    def run(self, lane: ThreadPoolExecutor, work: Callable[[], Any]) -> None:
        def guarded() -> None:
            try:
                work()
            except Exception:
                log.exception("background work after an ack failed; the worker picks up what was recorded")

        try:
            lane.submit(guarded)
        except RuntimeError:  # the interpreter is shutting down: what was recorded is the worker's now
            log.warning("shutting down; left background work to the worker")


def _lane(name: str, threads: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)


class UsergroupMembers:
    """Is someone in the organisers' Slack user group? Asked at most every few minutes."""

    def __init__(self, client: WebClient, usergroup: str, *, ttl: float = 300.0) -> None:
        self.client = client
        self.usergroup = usergroup
        self.ttl = ttl
        self._members: frozenset[str] = frozenset()
        self._fetched = float("-inf")

    def __call__(self, user_id: str) -> bool:
        if time.monotonic() - self._fetched > self.ttl:
            try:
                self._members = frozenset(self.client.usergroups_users_list(usergroup=self.usergroup).get("users", []))
                self._fetched = time.monotonic()
            except Exception:
                log.warning("could not read the members of user group %s; using what I knew", self.usergroup)
        return user_id in self._members


def build_app(
    *,
    assistant: Assistant,
    token: str | None,
    signing_secret: str | None,
    api_url: str | None,
    organiser_usergroup: str | None = None,
    calendar_url: str | None = None,
) -> App:
    """The Bolt app with every PartnerUp listener. ``calendar_url``: the address people open (PUBLIC_URL) when this
    deployment serves calendar links (:attr:`bot.config.Settings.slack_calendar_links`); an Accept's answer then
    shows the booking with its Add to calendar instead of a second message (see :mod:`handlers.slack.actions.partnering`).

    ``process_before_response=True``: listeners answer inside the request (they are fast),
    which removes Bolt's 10 ms ack-polling floor and suits single-process hosting.
    """
    quiet = logging.getLogger("partnerup.slack")
    quiet.addFilter(_same_token_given_twice)
    app = App(
        client=make_client(token=token, base_url=api_url),
        signing_secret=signing_secret or "",
        process_before_response=True,
        request_verification_enabled=bool(signing_secret),
        logger=quiet,
    )

    background = Background()
    door.register(app)

    @app.middleware
    def provide_services(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002
        context["assistant"] = assistant
        context["background"] = background
        context["calendar_url"] = calendar_url
        return next()

    @app.error
    def on_error(error: Exception, body: dict, respond, logger: logging.Logger) -> BoltResponse:
        logger.exception("unhandled error in a Slack listener: %s", type(error).__name__)
        if body.get("response_url"):
            try:
                respond(text=FRIENDLY_ERROR, response_type="ephemeral", replace_original=False)
            except Exception:  # the person still gets Slack's own failure notice
                logger.warning("could not tell the user about the error")
        return door.friendly_error_response(body)

    assistant.add_notifier("slack", SlackNotifier(app.client))
    if organiser_usergroup:
        assistant.organiser_check = UsergroupMembers(app.client, organiser_usergroup)
    commands.register(app)
    actions.register(app)
    events.register(app)
    messages.register(app)
    views.register(app)
    people.register(app)
    assistant.add_account_finder(SlackAccounts(app.client))
    door.register_fallbacks(app)
    return app


WsgiApp = Callable[[dict, Callable[..., Any]], Iterable[bytes]]


def build_wsgi(app: App, *, health: Callable[[], bool], mounts: dict[str, WsgiApp] | None = None) -> WsgiApp:
    """One WSGI app: ``POST /slack/events`` for everything Slack sends, ``GET /healthz`` for the platform, and
    ``mounts``: further WSGI apps by path prefix (``{"/dashboard": app}`` gets ``/dashboard`` and every path under it,
    with ``PATH_INFO`` unchanged)."""
    slack_handler = door.SlackDoor(app)
    mounted = sorted((mounts or {}).items(), key=lambda item: -len(item[0]))

    def wsgi(environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        for prefix, mounted_app in mounted:
            if path == prefix or path.startswith(prefix + "/"):
                return mounted_app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/slack/events" and method == "POST":
            return slack_handler(environ, start_response)
        if path == "/healthz" and method in ("GET", "HEAD"):
            healthy = health()
            body = json.dumps({"ok": healthy, "database": "reachable" if healthy else "unreachable"}).encode()
            start_response("200 OK" if healthy else "503 Service Unavailable", [("Content-Type", "application/json")])
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"Not found. Slack sends requests to /slack/events; health checks use /healthz.\n"]

    return wsgi
