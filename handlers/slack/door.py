"""The HTTP door in front of Bolt: every request Slack can deliver gets a 200 and a friendly answer.

- Form bodies are parsed correctly before Bolt sees them. slack-bolt 1.x's ``parse_body`` treats any form body
  containing the substring ``payload`` as an interactivity payload, so ``/agenda ADC payload`` reached no
  listener and got a 404 (upstream fix: parse the form first and take the JSON only when the ``payload`` key
  is present).
- Control characters (NUL, which PostgreSQL refuses in text; bidi overrides; lone surrogates) are cleaned out
  of every string a person sent, at the door, so no capability has to remember to.
- Buttons, modals, shortcuts, commands and events this version does not know (a message posted by an older
  version, or a crafted payload) get a 200 and "This button is out of date", logged once per kind and ID.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request.internals import build_context

from handlers.slack.blocks import LINK

log = logging.getLogger(__name__)
OUT_OF_DATE = "This button is out of date. Open /meetings, /agenda or /partnerup help for the current state."
# C0 and C1 controls except tab and newline, bidi embeddings/overrides/isolates, lone surrogates.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean_text(text: str) -> str:
    """A string as a person could have meant it: CRLF folded to LF, control characters gone."""
    return _CONTROLS.sub("", text.replace("\r\n", "\n"))


def clean_controls(value: Any) -> Any:
    """Clean every string inside a request body, in place for dicts and lists (Bolt's listener arguments
    are views into the same body)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = clean_controls(item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = clean_controls(item)
    return value


def repair_form_body(request: BoltRequest) -> BoltRequest:
    """Undo slack-bolt's ``payload`` substring test: a form without a ``payload`` field is a slash command
    (or similar), whatever its text says."""
    raw = request.raw_body
    if not raw or raw.startswith("{") or request.content_type == "application/json":
        return request
    params = dict(parse_qsl(raw, keep_blank_values=True))
    if "payload" in params:
        return request
    if request.body != params:
        request.body = params
        request.context = build_context(request.context.__class__(), params)
    return request


def bolt_request(raw: str, query: Any, headers: dict) -> BoltRequest:
    """A BoltRequest that never raises on a malformed body (only a forged request has one: the signature check
    then refuses it)."""
    try:
        request = BoltRequest(body=raw, query=query, headers=headers)
    except ValueError:
        request = BoltRequest(body="", query=query, headers=headers)
        request.raw_body = raw
        return request
    return repair_form_body(request)


class SlackDoor(SlackRequestHandler):
    """Bolt's WSGI handler with the repairs above; anything Bolt still leaves unhandled is answered 200."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        response = self.app.dispatch(bolt_request(request.get_body(), request.query_string, request.get_headers()))
        if response.status == 404:  # a signed request no listener takes (an event type we never subscribed to)
            return BoltResponse(status=200, body="")
        return response


_seen: set[tuple[str, str]] = set()
_seen_lock = threading.Lock()


def _log_once(kind: str, name: str) -> None:
    with _seen_lock:
        if (kind, name) in _seen:
            return
        _seen.add((kind, name))
    log.warning("answered an unknown %s %r with 'out of date' (logged once)", kind, name[:80])


def out_of_date_action(ack: Ack, body: dict, action: dict, respond) -> None:
    ack()
    _log_once("action", str(action.get("action_id", "")))
    if body.get("response_url"):
        respond(text=OUT_OF_DATE, response_type="ephemeral", replace_original=False)


def out_of_date_view(ack: Ack, view: dict) -> None:
    _log_once("view", str(view.get("callback_id", "")))
    ack(response_action="update", view={"type": "modal", "title": {"type": "plain_text", "text": "PartnerUp"},
                                        "close": {"type": "plain_text", "text": "Close"},
                                        "blocks": [{"type": "section", "text": {"type": "plain_text", "text": OUT_OF_DATE}}]})  # fmt: skip


def out_of_date_closed(ack: Ack, view: dict) -> None:
    ack()
    _log_once("closed view", str(view.get("callback_id", "")))


def out_of_date_shortcut(ack: Ack, body: dict, respond) -> None:
    ack()
    _log_once("shortcut", str(body.get("callback_id", "")))
    if body.get("response_url"):
        respond(text=OUT_OF_DATE, response_type="ephemeral")


def out_of_date_command(ack: Ack, command: dict) -> None:
    _log_once("command", str(command.get("command", "")))
    ack(text="I don't know that command. Try /partnerup help.")


def ignored_event(ack: Ack, body: dict) -> None:
    ack()
    _log_once("event", str(body.get("event", {}).get("type", "")))


def ignored_options(ack: Ack, body: dict) -> None:
    ack(options=[])
    _log_once("options", str(body.get("action_id", "")))


def register(app: App) -> None:
    """The door's middleware (first) and the fallbacks (call last: Bolt tries listeners in order)."""

    @app.middleware
    def clean_input(body: dict, context: BoltContext, next):  # noqa: A002
        clean_controls(body)
        return next()


def opened_link(ack: Ack) -> None:
    """A link button was pressed (the browser opened its address): only acknowledged, so Slack shows no error."""
    ack()


def register_fallbacks(app: App) -> None:
    anything = re.compile(r"(?s).*")
    app.action(re.compile(rf"^{LINK}_\d+$"))(opened_link)
    app.action(anything)(out_of_date_action)
    app.action({"type": "interactive_message", "callback_id": anything})(out_of_date_action)
    app.view(anything)(out_of_date_view)
    app.view_closed(anything)(out_of_date_closed)
    app.shortcut(anything)(out_of_date_shortcut)
    app.command(anything)(out_of_date_command)
    app.event(anything)(ignored_event)
    app.options(anything)(ignored_options)


def friendly_error_response(body: dict) -> BoltResponse:
    """What Slack gets when a listener failed: a 200 (the person is told separately), or for a submitted modal an
    apology in the modal itself."""
    if body.get("type") == "view_submission":
        view = {"type": "modal", "title": {"type": "plain_text", "text": "PartnerUp"},
                "close": {"type": "plain_text", "text": "Close"},
                "blocks": [{"type": "section", "text": {"type": "plain_text",
                            "text": "Sorry, something went wrong on my side. Please try again in a moment."}}]}  # fmt: skip
        return BoltResponse(status=200, body=json.dumps({"response_action": "update", "view": view}),
                            headers={"content-type": "application/json"})  # fmt: skip
    return BoltResponse(status=200, body="")
