"""A fake Slack Web API server for tests.

Why: pointing slack_sdk's real WebClient at a local HTTP server exercises the bot's actual request
building, retry handlers and error mapping, which mocking WebClient methods would hide; using only the
standard library keeps the tests hermetic and fast.

Usage::

    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        client.chat_postMessage(channel="C1", text="hi")
        assert fake.calls("chat.postMessage")[0].params["text"] == "hi"

Responses follow Slack's documented shapes closely enough for the bot's code paths; the fake is lenient
where strictness would only get in the way of hand-made test payloads (e.g. unknown view ids).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import json
import math
import socketserver
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

JSONDict = dict[str, Any]

TEAM_ID = "T0001"
TEAM_NAME = "PartnerUp Test"
TEAM_DOMAIN = "partnerup-test"
BOT_USER_ID = "UBOT"
BOT_ID = "B0001"
APP_ID = "A0001"
DEFAULT_TZ = "Europe/Oslo"

#: Params that carry JSON; slack_sdk sends some of them as JSON strings inside query/form bodies.
JSON_PARAMS = frozenset(
    {"attachments", "blocks", "chunks", "files", "message", "metadata", "profile", "unfurls", "user_auth_blocks", "view"}
)
#: Methods that fail_for_channel() breaks: the ones a bot uses to reach a user.
CHANNEL_FAILURE_METHODS = frozenset({"chat.postMessage", "conversations.open"})

_TS_BASE_MICROS = 1_700_000_000_000_000
_TS_STEP_MICROS = 100
_POLL_INTERVAL = 0.02  # only bounds how long stop() waits for serve_forever() to notice; nothing sleeps


@dataclass(frozen=True)
class Call:
    """One request the fake received; failed and rate-limited requests are recorded too.

    `method` is the Web API method ("chat.postMessage"), "response_url" for POSTs under /response/, or
    "upload_url" for file bytes POSTed to an upload URL. `headers` has lower-cased names because urllib
    and aiohttp capitalise them differently.
    """

    method: str
    params: JSONDict
    headers: dict[str, str]
    token: str | None
    status: int = 200
    error: str | None = None
    path: str = ""
    body: bytes = b""
    response: JSONDict = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when it arrived (time.monotonic), for latency benchmarks

    @property
    def ok(self) -> bool:
        """Whether Slack would have reported success, so tests can count delivered vs failed calls."""
        return self.status == 200 and self.error is None


@dataclass(frozen=True)
class _Failure:
    error: str
    status: int
    retry_after: int | None


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class _RateLimit:
    per_second: float
    burst: int
    per_channel: bool = True


@dataclass(frozen=True)
class _Answer:
    status: int
    payload: JSONDict | str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def error(self) -> str | None:
        if isinstance(self.payload, dict) and not self.payload.get("ok", False):
            return str(self.payload.get("error", "unknown_error"))
        return None if self.status == 200 else f"http_{self.status}"

    @classmethod
    def slack_error(cls, error: str, status: int = 200, headers: dict[str, str] | None = None) -> _Answer:
        return cls(status, {"ok": False, "error": error}, headers or {})


class _SlackError(Exception):
    """Raised by method handlers to answer `{"ok": false, "error": ...}`."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class FakeSlack:
    """In-process fake of the Slack Web API, response_url endpoints and file upload URLs."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        """`clock` drives the optional rate limiter, so tests can advance time instead of sleeping."""
        self._clock = clock
        self._cond = threading.Condition(threading.RLock())
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._handlers: dict[str, Callable[[JSONDict], JSONDict]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.publish": self._views_publish,
            "views.update": self._views_update,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.history": self._conversations_history,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "users.list": self._users_list,
            "usergroups.users.list": self._usergroups_users_list,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FakeSlack is already running")
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": _POLL_INTERVAL}, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url_root(self) -> str:
        """Server root ending in "/"; append "response/<anything>" to get a response_url."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def url(self) -> str:
        """Base URL for `WebClient(base_url=...)`, ending in "/api/"."""
        return self.url_root + "api/"

    def reset(self) -> None:
        """Forget calls, registered data, failures and counters, so one server can serve many tests."""
        with self._cond:
            self._calls: list[Call] = []
            self._users: dict[str, JSONDict] = {}
            self._email_index: dict[str, str] = {}
            self._email_index_size = -1
            self.users_list_page_cap = 1000  # Slack may return fewer than asked; lower this to see more pages
            self._usergroups: dict[str, list[str]] = {}
            self._channels: dict[str, JSONDict] = {}
            self._views: dict[str, JSONDict] = {}
            self._home_views: dict[str, str] = {}
            self._pending_files: dict[str, JSONDict] = {}
            self._uploads: dict[str, bytes] = {}
            self._failures: dict[str, deque[_Failure]] = {}
            self._channel_failures: dict[str, str] = {}
            self._rate_limits: dict[str, _RateLimit] = {}
            self._buckets: dict[tuple[str, str], _Bucket] = {}
            self._ts_counter = 0
            self._id_counter = 0
            self.add_user(BOT_USER_ID, real_name="PartnerUp", name="partnerup", is_bot=True)

    # -- test setup ------------------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        real_name: str | None = None,
        display_name: str | None = None,
        name: str | None = None,
        email: str | None = None,
        title: str = "",
        tz: str = DEFAULT_TZ,
        is_bot: bool = False,
        deleted: bool = False,
        locale: str = "en-US",
    ) -> JSONDict:
        """Register a user for users.info / users.lookupByEmail; returns the user object Slack would send."""
        real_name = real_name or f"User {user_id}"
        name = name or real_name.lower().replace(" ", ".")
        email = None if is_bot else (email or f"{name}@example.com")
        profile: JSONDict = {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": display_name if display_name is not None else real_name.split(" ")[0],
            "title": title,
            "image_72": f"https://avatars.example.com/{user_id}_72.png",
            "team": TEAM_ID,
        }
        if email is not None:
            profile["email"] = email
        if is_bot:
            profile["bot_id"] = BOT_ID
        user: JSONDict = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": real_name,
            "deleted": deleted,
            "is_bot": is_bot,
            "is_app_user": False,
            "is_admin": False,
            "is_restricted": False,
            "tz": tz,
            "tz_offset": _tz_offset(tz),
            "profile": profile,
            "locale": locale,  # users.info returns it only with include_locale=true, as Slack does
        }
        with self._cond:
            self._users[user_id] = user
            self._email_index_size = -1
        return user

    def set_usergroup(self, usergroup_id: str, users: Iterable[str]) -> None:
        """Register a user group's members for usergroups.users.list."""
        with self._cond:
            self._usergroups[usergroup_id] = list(users)

    def add_channel(
        self, channel_id: str, *, name: str | None = None, members: Iterable[str] = (), is_private: bool = False
    ) -> None:
        """Register a channel for conversations.info / conversations.members (unknown ones answer empty)."""
        with self._cond:
            self._channels[channel_id] = {
                "name": name or channel_id.lower(),
                "members": list(members),
                "is_private": is_private,
            }

    def fail_next(
        self, method: str, error: str = "ratelimited", status: int = 429, retry_after: int | None = 1, times: int = 1
    ) -> None:
        """Make the next `times` calls of `method` fail (429 + Retry-After by default), for retry paths."""
        failure = _Failure(error=error, status=status, retry_after=retry_after)
        with self._cond:
            self._failures.setdefault(method, deque()).extend([failure] * times)

    def fail_for_channel(self, channel_or_user_id: str, error: str) -> None:
        """Make every chat.postMessage / conversations.open for that channel or user answer `error`.

        Models permanent per-user errors (account_inactive, user_not_found, cannot_dm_bot). A user id
        and its DM id "D<user id>" are treated as the same target.
        """
        with self._cond:
            self._channel_failures[channel_or_user_id] = error

    def rate_limit(self, method: str, per_second: float | None = 1.0, burst: int = 1, *, per_channel: bool = True) -> None:
        """Limit `method` with a token bucket, per channel like Slack's chat.postMessage (or, with
        ``per_channel=False``, for the whole workspace); None turns it off."""
        with self._cond:
            if per_second is None:
                self._rate_limits.pop(method, None)
            else:
                self._rate_limits[method] = _RateLimit(per_second=per_second, burst=burst, per_channel=per_channel)
            self._buckets = {key: bucket for key, bucket in self._buckets.items() if key[0] != method}

    # -- inspection ------------------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """Calls received so far, oldest first, optionally only those of one method."""
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until at least `count` calls of `method` arrived (from any thread); return all of them."""
        with self._cond:
            arrived = self._cond.wait_for(lambda: len(self.calls(method)) >= count, timeout=timeout)
            matching = self.calls(method)
            if not arrived:
                seen = ", ".join(f"{c.method}({c.status}{' ' + c.error if c.error else ''})" for c in self._calls[-20:])
                raise AssertionError(
                    f"expected {count} {method} call(s) within {timeout}s, got {len(matching)}; "
                    f"last calls: [{seen or 'none'}]"
                )
            return matching

    @property
    def uploads(self) -> dict[str, bytes]:
        """File bytes POSTed to upload URLs, by file id."""
        with self._cond:
            return dict(self._uploads)

    # -- request handling ------------------------------------------------------------------------------

    def _handle(self, raw_path: str, headers: dict[str, str], body: bytes) -> _Answer:
        """Answer one HTTP request and record it before the client can see the response."""
        url = urlsplit(raw_path)
        if url.path.startswith("/api/"):
            method = url.path.removeprefix("/api/")
        elif url.path.startswith("/response/"):
            method = "response_url"
        elif url.path.startswith("/upload/"):
            method = "upload_url"
        else:
            return _Answer.slack_error("unknown_path", status=404)
        try:
            params, malformed = _parse_params(url.query, headers.get("content-type", ""), body), False
        except ValueError:  # undecodable JSON or UTF-8
            params, malformed = {}, True
        token = _bearer_token(headers)
        if token is None and isinstance(params.get("token"), str):
            token = params["token"]
        with self._cond:
            if malformed:
                answer = _Answer.slack_error("invalid_json")
            else:
                answer = self._answer(method, url.path, params, token, body)
            call = Call(
                method=method,
                params=params,
                headers=headers,
                token=token,
                status=answer.status,
                error=answer.error,
                path=url.path,
                body=body,
                response=answer.payload if isinstance(answer.payload, dict) else {},
            )
            self._calls.append(call)
            self._cond.notify_all()
        return answer

    def _answer(self, method: str, path: str, params: JSONDict, token: str | None, body: bytes) -> _Answer:
        queued = self._failures.get(method)
        if queued:
            failure = queued.popleft()
            headers: dict[str, str] = {}
            if failure.status == 429 and failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            return _Answer.slack_error(failure.error, failure.status, headers)
        retry_after = self._take_rate_limit_token(method, params)
        if retry_after is not None:
            return _Answer.slack_error("ratelimited", 429, {"Retry-After": str(retry_after)})
        if method == "response_url":
            return _Answer(200, {"ok": True})
        if method == "upload_url":
            return self._receive_upload(path, body)
        if not token:
            return _Answer.slack_error("not_authed")
        blocked = self._channel_failure(method, params)
        if blocked is not None:
            return _Answer.slack_error(blocked)
        handler = self._handlers.get(method)
        try:
            result = handler(params) if handler else {}
        except _SlackError as exc:
            return _Answer.slack_error(exc.error)
        except Exception as exc:  # a bug in the fake must surface in the test, not hang the client
            return _Answer.slack_error(f"fake_slack_bug: {exc!r}", 500)
        return _Answer(200, {"ok": True, **result})

    def _take_rate_limit_token(self, method: str, params: JSONDict) -> int | None:
        """Consume a token from the method's per-channel bucket; return Retry-After seconds if empty."""
        limit = self._rate_limits.get(method)
        if limit is None:
            return None
        now = self._clock()
        key = (method, str(params.get("channel", "")) if limit.per_channel else "*")
        bucket = self._buckets.setdefault(key, _Bucket(tokens=float(limit.burst), updated=now))
        bucket.tokens = min(float(limit.burst), bucket.tokens + (now - bucket.updated) * limit.per_second)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - bucket.tokens) / limit.per_second))

    def _channel_failure(self, method: str, params: JSONDict) -> str | None:
        if method not in CHANNEL_FAILURE_METHODS or not self._channel_failures:
            return None
        targets = _split_ids(params.get("users")) + _split_ids(params.get("channel"))
        for target in targets:
            for alias in (target, _dm_channel_id(target), target.removeprefix("D")):
                if alias in self._channel_failures:
                    return self._channel_failures[alias]
        return None

    def _next_id(self, prefix: str) -> str:
        """Slack-looking object ids (V..., F...), on a counter separate from message timestamps."""
        self._id_counter += 1
        return f"{prefix}{self._id_counter:010d}"

    def _next_ts(self) -> str:
        """Unique, increasing message timestamps: 1700000000.000100, 1700000000.000200, ..."""
        self._ts_counter += 1
        micros = _TS_BASE_MICROS + self._ts_counter * _TS_STEP_MICROS
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    # -- method handlers (called with the lock held) ---------------------------------------------------

    def _auth_test(self, params: JSONDict) -> JSONDict:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": "partnerup",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: JSONDict) -> JSONDict:
        channel = _required(params, "channel", "channel_not_found")
        if not any(params.get(key) for key in ("text", "blocks", "attachments")):
            raise _SlackError("no_text")
        ts = self._next_ts()
        return {"channel": _dm_channel_id(channel), "ts": ts, "message": _message(params, ts)}

    def _chat_post_ephemeral(self, params: JSONDict) -> JSONDict:
        _required(params, "channel", "channel_not_found")
        _required(params, "user", "user_not_in_channel")
        return {"message_ts": self._next_ts()}

    def _chat_update(self, params: JSONDict) -> JSONDict:
        channel = _required(params, "channel", "channel_not_found")
        ts = _required(params, "ts", "message_not_found")
        return {"channel": channel, "ts": ts, "text": params.get("text", ""), "message": _message(params, ts)}

    def _chat_delete(self, params: JSONDict) -> JSONDict:
        channel = _required(params, "channel", "channel_not_found")
        return {"channel": channel, "ts": _required(params, "ts", "message_not_found")}

    def _views_open(self, params: JSONDict) -> JSONDict:
        return {"view": self._store_view(params, view_id=None)}

    def _views_publish(self, params: JSONDict) -> JSONDict:
        user_id = _required(params, "user_id", "invalid_arguments")
        view = self._store_view(params, view_id=self._home_views.get(user_id))
        self._home_views[user_id] = view["id"]
        return {"view": view}

    def _views_update(self, params: JSONDict) -> JSONDict:
        view_id = params.get("view_id") or None
        external_id = params.get("external_id")
        if view_id is None and external_id:
            view_id = next((v["id"] for v in self._views.values() if v.get("external_id") == external_id), None)
        # Unknown ids are accepted so tests can replay hand-made view_submission payloads.
        return {"view": self._store_view(params, view_id=view_id)}

    def _store_view(self, params: JSONDict, view_id: str | None) -> JSONDict:
        submitted = params.get("view")
        if not isinstance(submitted, dict):
            raise _SlackError("invalid_arguments")
        previous = self._views.get(view_id, {}) if view_id else {}
        view_id = view_id or self._next_id("V")
        view: JSONDict = {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "state": {"values": {}},
            "clear_on_close": False,
            "notify_on_close": False,
            "root_view_id": previous.get("root_view_id", view_id),
            "previous_view_id": None,
            "app_id": APP_ID,
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }
        view.update({k: v for k, v in submitted.items() if k not in {"id", "hash"}})
        view["hash"] = "1700000000." + hashlib.sha1(json.dumps(view, sort_keys=True, default=str).encode()).hexdigest()[:8]
        self._views[view_id] = view
        return view

    def _conversations_open(self, params: JSONDict) -> JSONDict:
        users = _split_ids(params.get("users"))
        if users:
            if len(users) == 1:
                return {"channel": {"id": _dm_channel_id(users[0])}}
            digest = hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:10].upper()
            return {"channel": {"id": f"G{digest}"}}
        channel = params.get("channel")
        if channel:
            return {"channel": {"id": channel}, "no_op": True, "already_open": True}
        raise _SlackError("users_list_not_supplied")

    def _conversations_info(self, params: JSONDict) -> JSONDict:
        channel_id = _required(params, "channel", "channel_not_found")
        is_im = channel_id.startswith("D")
        registered = self._channels.get(channel_id, {})
        channel: JSONDict = {
            "id": channel_id,
            "created": 1_600_000_000,
            "is_archived": False,
            "is_im": is_im,
            "is_mpim": False,
            "context_team_id": TEAM_ID,
        }
        if is_im:
            channel["user"] = channel_id.removeprefix("D")
        else:
            is_private = bool(registered.get("is_private", False))
            channel.update(
                {
                    "name": registered.get("name", channel_id.lower()),
                    "is_channel": not is_private,
                    "is_group": is_private,
                    "is_private": is_private,
                    "is_member": BOT_USER_ID in registered.get("members", []),
                }
            )
            if params.get("include_num_members") in (True, "true", "1", 1):
                channel["num_members"] = len(registered.get("members", []))
        return {"channel": channel}

    def _conversations_history(self, params: JSONDict) -> JSONDict:
        """The bot's messages posted to a conversation, newest first, as Slack lists them (``limit``, default 100);
        message metadata only with ``include_all_metadata``."""
        channel = _dm_channel_id(_required(params, "channel", "channel_not_found"))
        limit = int(params.get("limit") or 100)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in {"1", "true"}
        posted = [c.response["message"] for c in self._calls
                  if c.method == "chat.postMessage" and c.ok and c.response.get("channel") == channel]  # fmt: skip
        messages = []
        for message in reversed(posted[-limit:]):
            listed = {k: v for k, v in message.items() if k != "metadata"}
            metadata = message.get("metadata")
            if with_metadata and metadata:
                listed["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
            messages.append(listed)
        return {"messages": messages, "has_more": len(posted) > limit}

    def _conversations_members(self, params: JSONDict) -> JSONDict:
        channel_id = _required(params, "channel", "channel_not_found")
        if channel_id.startswith("D"):
            members = [channel_id.removeprefix("D"), BOT_USER_ID]
        else:
            members = list(self._channels.get(channel_id, {}).get("members", []))
        limit = int(params.get("limit") or 100)
        offset = _decode_cursor(str(params.get("cursor") or ""))
        page = members[offset : offset + limit]
        next_cursor = _encode_cursor(offset + limit) if offset + limit < len(members) else ""
        return {"members": page, "response_metadata": {"next_cursor": next_cursor}}

    def _users_info(self, params: JSONDict) -> JSONDict:
        user = self._users.get(str(params.get("user", "")))
        if user is None:
            raise _SlackError("user_not_found")
        user = copy.deepcopy(user)
        if str(params.get("include_locale", "")).lower() not in ("true", "1"):
            user.pop("locale", None)
        return {"user": user}

    def _users_lookup_by_email(self, params: JSONDict) -> JSONDict:
        email = str(params.get("email", "")).lower()
        if not email:
            raise _SlackError("invalid_arguments")
        if self._email_index_size != len(self._users):
            self._email_index = {str(u["profile"].get("email", "")).lower(): uid for uid, u in self._users.items()}
            self._email_index_size = len(self._users)
        user = self._users.get(self._email_index.get(email, ""))
        if user is None or str(user["profile"].get("email", "")).lower() != email or user.get("deleted"):
            raise _SlackError("users_not_found")  # sic: Slack's error name for this method
        return {"user": copy.deepcopy(user)}

    def _users_list(self, params: JSONDict) -> JSONDict:
        """Members in pages, as Slack pages them: at most ``limit`` (capped at 1,000) per page, a cursor to the
        next in ``response_metadata.next_cursor`` ("" at the end); profiles carry ``email`` (the app has
        users:read.email); ``locale`` only with ``include_locale``."""
        limit = min(int(params.get("limit") or 0) or 1000, 1000, self.users_list_page_cap)
        offset = _decode_cursor(str(params.get("cursor") or ""))
        ids = list(self._users)
        page = []
        for user_id in ids[offset : offset + limit]:
            user = copy.deepcopy(self._users[user_id])
            if str(params.get("include_locale", "")).lower() not in ("true", "1"):
                user.pop("locale", None)
            page.append(user)
        next_cursor = _encode_cursor(offset + limit) if offset + limit < len(ids) else ""
        return {"members": page, "cache_ts": 0, "response_metadata": {"next_cursor": next_cursor}}

    def _usergroups_users_list(self, params: JSONDict) -> JSONDict:
        users = self._usergroups.get(str(params.get("usergroup", "")))
        if users is None:
            raise _SlackError("no_such_subteam")
        return {"users": list(users)}

    def _files_get_upload_url(self, params: JSONDict) -> JSONDict:
        filename = _required(params, "filename", "invalid_arguments")
        file_id = self._next_id("F")
        self._pending_files[file_id] = {"name": filename, "length": int(params.get("length") or 0)}
        return {"upload_url": f"{self.url_root}upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, params: JSONDict) -> JSONDict:
        requested = params.get("files")
        if not isinstance(requested, list) or not requested:
            raise _SlackError("invalid_arguments")
        files = []
        for item in requested:
            file_id = str(item.get("id", ""))
            pending = self._pending_files.get(file_id)
            if pending is None:
                raise _SlackError("file_not_found")
            size = len(self._uploads[file_id]) if file_id in self._uploads else pending["length"]
            files.append(
                {
                    "id": file_id,
                    "created": 1_700_000_000,
                    "name": pending["name"],
                    "title": item.get("title") or pending["name"],
                    "user": BOT_USER_ID,
                    "size": size,
                    "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{BOT_USER_ID}/{file_id}/{pending['name']}",
                }
            )
        return {"files": files}

    def _receive_upload(self, path: str, body: bytes) -> _Answer:
        file_id = path.removeprefix("/upload/").strip("/")
        if file_id not in self._pending_files:
            return _Answer(404, "file not found")
        self._uploads[file_id] = body
        return _Answer(200, f"OK - {len(body)}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Slack takes thousands of connections at once; the socketserver default backlog of 5 makes a burst's sixth
    # concurrent connection wait for the kernel's one-second SYN retry, which Slack would never cause.
    request_queue_size = 256
    fake: FakeSlack

    def server_bind(self) -> None:
        """Skip HTTPServer's socket.getfqdn(), a reverse DNS lookup that can stall in sandboxes."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class _Handler(BaseHTTPRequestHandler):
    """Translates HTTP into FakeSlack._handle; Slack accepts both GET and POST for every method."""

    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer = self.server.fake._handle(self.path, headers, body)
        if isinstance(answer.payload, dict):
            data = json.dumps(answer.payload, ensure_ascii=False).encode("utf-8")
            content_type = "application/json; charset=utf-8"
        else:
            data = answer.payload.encode("utf-8")
            content_type = "text/plain; charset=utf-8"
        self.send_response(answer.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature fixed by the base class
        """Keep test output quiet; the recorded calls are the log."""


# -- helpers -----------------------------------------------------------------------------------------


def _parse_params(query: str, content_type: str, body: bytes) -> JSONDict:
    """Merge query string, form body and JSON body the way Slack does, decoding JSON-valued fields."""
    params: JSONDict = dict(parse_qsl(query, keep_blank_values=True))
    media_type = content_type.split(";")[0].strip().lower()
    if body and media_type == "application/json":
        decoded = json.loads(body.decode("utf-8"))
        if isinstance(decoded, dict):
            params.update(decoded)
    elif body and media_type in ("application/x-www-form-urlencoded", ""):
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    for key in JSON_PARAMS & params.keys():
        value = params[key]
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):  # malformed JSON stays as sent, so tests see what the bot produced
                params[key] = json.loads(value)
    return params


def _bearer_token(headers: dict[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _required(params: JSONDict, key: str, error: str) -> str:
    value = params.get(key)
    if not value:
        raise _SlackError(error)
    return str(value)


def _split_ids(value: object) -> list[str]:
    """Accept Slack's comma-separated id lists as well as real lists."""
    if not value:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _dm_channel_id(channel_or_user: str) -> str:
    """Slack opens a DM when a message targets a user id; the fake's DM id is "D" + user id."""
    return "D" + channel_or_user if channel_or_user[:1] in ("U", "W") else channel_or_user


def _message(params: JSONDict, ts: str) -> JSONDict:
    message: JSONDict = {
        "type": "message",
        "text": params.get("text", ""),
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": TEAM_ID,
        "ts": ts,
    }
    for key in ("blocks", "attachments", "thread_ts", "metadata"):
        if key in params:
            message[key] = params[key]
    return message


def _tz_offset(tz: str) -> int:
    try:
        offset = datetime.now(UTC).astimezone(ZoneInfo(tz)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds()) if offset else 0


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().removeprefix("offset:"))
    except ValueError as exc:
        raise _SlackError("invalid_cursor") from exc
