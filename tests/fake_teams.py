"""A fake Microsoft Bot Connector on loopback, like ``fake_slack.py``: the OpenID metadata and JWKS that inbound
tokens are checked against (a test RSA key whose private half signs the test's requests), the token endpoint for
outbound tokens, and ``/v3/conversations`` (create, send, reply, update, delete, members, pagedMembers), recording every call.
Faults are injected per path: 429 with Retry-After, 403 MessageWritesBlocked, 413, 503.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
KEY_ID = "test-key-1"
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Call:
    method: str
    path: str
    body: Any
    headers: dict[str, str]
    refused: bool = False  # answered with an injected fault
    answer_id: str = ""  # the activity ID a send was given (what an invoke from that message names as replyToId)
    at: float = field(default_factory=time.monotonic)  # when it arrived, for latency benchmarks


@dataclass
class Fault:
    pattern: str
    status: int
    times: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict = field(default_factory=dict)


class FakeBotConnector:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.members: dict[str, list[dict]] = {}
        self.personal: dict[str, str] = {}  # user ID -> their 1:1 chat with the bot (one per person, as in Teams)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps connections open, as the Bot Connector does

            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, body: Any = None, headers: dict | None = None) -> None:
                data = json.dumps(body if body is not None else {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if self.headers.get("Content-Type", "").startswith("application/json") and raw:
                    body: Any = json.loads(raw)
                else:
                    body = raw.decode()
                status, answer, headers = fake.route(self.command, self.path, body, dict(self.headers))
                self._answer(status, answer, headers)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # bursts: the default backlog of 5 refuses connections
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    # --- settings a test points the app at -------------------------------------------------------------

    @property
    def openid_metadata_url(self) -> str:
        return f"{self.url}/v1/.well-known/openidconfiguration"

    @property
    def service_url(self) -> str:
        return f"{self.url}/teams/"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.faults.clear()
            self.members.clear()

    def add_member(self, conversation: str, *, user_id: str, name: str, aad: str, email: str | None = None,
                   upn: str | None = None, tenant: str = "") -> dict:  # fmt: skip
        """A member of a conversation or team, as the connector's member lookup and roster answer: a
        TeamsChannelAccount with the email and userPrincipalName (either may be missing in real tenants)."""
        record = {"id": user_id, "name": name, "aadObjectId": aad, "givenName": name.split(" ")[0],
                  "surname": name.split(" ")[-1], "userRole": "user", "tenantId": tenant}  # fmt: skip
        if email is not None:
            record["email"] = email
        if upn is not None:
            record["userPrincipalName"] = upn
        with self._lock:
            self.members.setdefault(conversation, []).append(record)
        return record

    # --- faults -----------------------------------------------------------------------------------------

    def fail(self, pattern: str, status: int, *, times: int = 1, retry_after: str | None = None, code: str = "") -> None:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        body = {"error": {"code": code or f"Status{status}", "message": "injected by the test"}}
        self.faults.append(Fault(pattern, status, times, headers, body))

    # --- what was sent ------------------------------------------------------------------------------------

    def activities(self, conversation: str | None = None) -> list[dict]:
        found = []
        for call in self.calls:
            m = re.match(r"^/teams/v3/conversations/([^/]+)/activities(?:/[^/]+)?$", call.path)
            if (
                m
                and call.method in ("POST", "PUT")
                and not call.refused
                and (conversation is None or m.group(1) == conversation)
            ):
                found.append({**call.body, "_conversation": m.group(1), "_method": call.method, "_id": call.answer_id})
        return found

    def token_requests(self) -> list[Call]:
        return [c for c in self.calls if c.path.endswith("/oauth2/v2.0/token")]

    # --- signing inbound requests -------------------------------------------------------------------------

    def token(self, *, app_id: str, service_url: str | None, expires_in: int = 3600, audience: str | None = None,
              issuer: str = ISSUER, forged: bool = False) -> str:  # fmt: skip
        now = int(time.time())
        claims = {"iss": issuer, "aud": audience or app_id, "iat": now - 10, "nbf": now - 10, "exp": now + expires_in}
        if service_url is not None:
            claims["serviceurl"] = service_url
        key = _OTHER_KEY if forged else _KEY
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KEY_ID})

    # --- routing ---------------------------------------------------------------------------------------------

    def route(self, method: str, path: str, body: Any, headers: dict) -> tuple[int, Any, dict]:
        with self._lock:
            call = Call(method, path, body, headers)
            self.calls.append(call)
            for fault in self.faults:
                if fault.times > 0 and re.search(fault.pattern, f"{method} {path}"):
                    fault.times -= 1
                    call.refused = True
                    return fault.status, fault.body, fault.headers
        if path == "/v1/.well-known/openidconfiguration":
            return 200, {"issuer": ISSUER, "jwks_uri": f"{self.url}/v1/.well-known/keys",
                         "id_token_signing_alg_values_supported": ["RS256"]}, {}  # fmt: skip
        if path == "/v1/.well-known/keys":
            jwk = json.loads(RSAAlgorithm.to_jwk(_KEY.public_key()))
            return 200, {"keys": [{**jwk, "kid": KEY_ID, "use": "sig", "alg": "RS256", "endorsements": ["msteams"]}]}, {}
        if path.endswith("/oauth2/v2.0/token") and method == "POST":
            now = int(time.time())
            token = jwt.encode({"aud": "https://api.botframework.com", "iat": now, "exp": now + 3600, "appid": "fake"},
                               _KEY, algorithm="RS256")  # fmt: skip
            return 200, {"token_type": "Bearer", "expires_in": 3600, "access_token": token}, {}
        if not headers.get("Authorization", headers.get("authorization", "")).startswith("Bearer "):
            return 401, {"error": {"code": "Unauthorized"}}, {}
        if path == "/teams/v3/conversations" and method == "POST":
            return self._create_conversation(body)
        m = re.match(r"^/teams/v3/conversations/([^/?]+)/pagedMembers(?:\?.*)?$", path)
        if m:  # the roster in pages, as the connector gives it: pageSize (at most 500), continuationToken
            members = self.members.get(urllib.parse.unquote(m.group(1)), [])
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
            size = min(int((query.get("pageSize") or ["500"])[0]), 500)
            start = int((query.get("continuationToken") or ["0"])[0])
            page = members[start : start + size]
            token = str(start + size) if start + size < len(members) else None
            return 200, {"members": page, **({"continuationToken": token} if token else {})}, {}
        m = re.match(r"^/teams/v3/conversations/([^/]+)/(activities|members)(?:/([^/]+))?$", path)
        if m:
            if m.group(2) == "members":
                members = self.members.get(m.group(1), [])
                if m.group(3):
                    found = [x for x in members if x["id"] == urllib.parse.unquote(m.group(3))]
                    return (200, found[0], {}) if found else (404, {"error": {"code": "MemberNotFound"}}, {})
                return 200, members, {}
            if method == "DELETE":
                return 200, {}, {}
            if method == "PUT":
                call.answer_id = urllib.parse.unquote(m.group(3) or "")
                return 200, {"id": m.group(3)}, {}
            call.answer_id = f"activity-{next(self._ids)}"
            return 201, {"id": call.answer_id}, {}
        return 404, {"error": {"code": "NotFound"}}, {}

    def _create_conversation(self, body: Any) -> tuple[int, Any, dict]:
        """POST /v3/conversations as the Bot Connector answers it for a bot installed in the person's team: one
        member and the tenant are required (400 BadArgument otherwise); a person's 1:1 chat with the bot is one
        conversation, so asking again gives the same ID."""
        body = body if isinstance(body, dict) else {}
        members = body.get("members") or []
        tenant = body.get("tenantId") or ((body.get("channelData") or {}).get("tenant") or {}).get("id")
        if body.get("isGroup") or len(members) != 1 or not isinstance(members[0], dict) or not members[0].get("id"):
            return 400, {"error": {"code": "BadArgument", "message": "a 1:1 conversation needs exactly one member"}}, {}
        if not tenant:
            return 400, {"error": {"code": "BadArgument", "message": "tenant ID required"}}, {}
        with self._lock:
            conversation = self.personal.setdefault(members[0]["id"], f"a:conv-{next(self._ids)}")
        return 201, {"id": conversation, "serviceUrl": self.service_url}, {}
