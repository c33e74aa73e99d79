"""Importing and building the Teams SDK app with every setting passed explicitly.

The SDK reads a ``.env`` from the working directory (and its parents) when ``microsoft_teams.apps`` is imported,
and falls back to generic variables (CLIENT_ID, CLIENT_SECRET, TENANT_ID, CLOUD, SERVICE_URL, OAUTH_URL,
DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS) wherever an option is empty. Our deployment contract is the TEAMS_*
names, so the import runs with python-dotenv's loader switched off, and :class:`PinnedApp` builds its
credentials from our settings alone: no generic variable can change who we are or switch validation off.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import dotenv
import httpx

warnings.filterwarnings("ignore", category=FutureWarning, module=r"microsoft_teams.*")
warnings.filterwarnings("ignore", message=r".*is in preview and may change")
warnings.filterwarnings("ignore", message=r"The bot client is deprecated", category=DeprecationWarning)
_load_dotenv = dotenv.load_dotenv
dotenv.load_dotenv = lambda *args, **kwargs: False  # the SDK's import-time .env load
try:
    from microsoft_teams.api import ApiClientSettings
    from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
    from microsoft_teams.api.auth.credentials import TokenCredentials
    from microsoft_teams.apps import ActivityContext, App, InboundActivityTokenValidator
    from microsoft_teams.apps.http import HttpRequest
    from microsoft_teams.common import Client, ClientOptions
    from microsoft_teams.common.http.client import MiddlewareContext, MiddlewareNext
finally:
    dotenv.load_dotenv = _load_dotenv

__all__ = [
    "ActivityContext",
    "App",
    "HttpRequest",
    "InboundActivityTokenValidator",
    "RememberedTokenValidator",
    "build_sdk_app",
    "remember_validated_tokens",
]
log = logging.getLogger(__name__)
BOT_SCOPE = "https://api.botframework.com/.default"
DEFAULT_SERVICE_URL = "https://smba.trafficmanager.net/teams"
RETRY_STATUSES = frozenset({412, 429, 502, 503, 504})
Sleep = Callable[[float], Awaitable[None]]


class ClientCredentialsToken:
    """Outbound tokens from ``TEAMS_LOGIN_URL/<tenant>/oauth2/v2.0/token`` (client-credentials grant), cached
    until five minutes before they expire. MSAL, which the SDK would use, cannot be pointed at a test fake."""

    def __init__(self, *, login_url: str, client_id: str, secret: str, tenant: str | None) -> None:
        self.url = f"{login_url.rstrip('/')}/{tenant or 'botframework.com'}/oauth2/v2.0/token"
        self.client_id, self.secret = client_id, secret
        self._token, self._expires = "", 0.0
        self._lock: asyncio.Lock | None = None

    async def __call__(self, scope: str | list[str] | None = None, tenant_id: str | None = None) -> str:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if time.time() < self._expires - 300:
                return self._token
            async with httpx.AsyncClient(timeout=10.0) as http:  # honours SSL_CERT_FILE / SSL_CERT_DIR
                response = await http.post(
                    self.url,
                    data={
                        "grant_type": "client_credentials",
                        "client_id": self.client_id,
                        "client_secret": self.secret,
                        "scope": BOT_SCOPE,
                    },  # fmt: skip
                )
            if response.status_code != 200:
                raise PermissionError(f"the token endpoint answered {response.status_code}")
            body = response.json()
            self._token, self._expires = body["access_token"], time.time() + float(body.get("expires_in", 3600))
            return self._token


class RetryAfter:
    """Retries 412, 429, 502, 503 and 504 honouring Retry-After (the SDK does not), a few times at most."""

    def __init__(self, *, attempts: int = 4, longest: float = 30.0, sleep: Sleep = asyncio.sleep) -> None:
        self.attempts, self.longest, self.sleep = attempts, longest, sleep

    async def send(self, ctx: MiddlewareContext, next: MiddlewareNext) -> httpx.Response:  # noqa: A002
        for attempt in range(self.attempts):
            try:
                return await next()
            except httpx.HTTPStatusError as error:
                status = error.response.status_code
                if status not in RETRY_STATUSES or attempt == self.attempts - 1:
                    raise
                wait = retry_after(error.response.headers.get("Retry-After"), attempt)
                log.info("Bot Connector answered %s; retrying in %.1f s", status, wait)
                await self.sleep(min(wait, self.longest))
        raise AssertionError("unreachable")


def retry_after(header: str | None, attempt: int) -> float:
    try:
        return max(0.0, float(header)) if header is not None else float(2**attempt)
    except ValueError:
        return float(2**attempt)


class RememberedTokenValidator(InboundActivityTokenValidator):
    """The SDK's inbound JWT check, remembering each token it accepted, for that service URL, until it expires.

    The Bot Connector signs its calls with one token for up to an hour, and checking its RSA signature (with the
    claims, decoded four times over by the SDK and PyJWT) is ~0.5 ms of the event loop per activity: a quarter of
    what the door spends on an invoke, and a burst of a hundred presses queues on that loop. A token seen before is
    the same bytes the signature was checked over, so only the expiry and the service URL (part of the key) can
    change the answer; refusals are never remembered. What this gives up: a key the connector stops publishing
    still admits the tokens already accepted under it until they expire (at most an hour)."""

    SIZE = 4096  # tokens remembered (the connector's one, per service URL; Entra tokens of agent calls)

    def __init__(self, app_id: str, *, cloud, clock: Callable[[], float] = time.time) -> None:
        super().__init__(app_id, cloud=cloud)
        self.clock = clock
        self._accepted: OrderedDict[tuple[str, str], tuple[dict[str, Any], float]] = OrderedDict()

    async def validate_token(self, raw_token: str, service_url: str | None = None) -> dict[str, Any]:
        key = (raw_token, (service_url or "").rstrip("/"))
        seen = self._accepted.get(key)
        if seen is not None and self.clock() < seen[1]:
            self._accepted.move_to_end(key)
            return copy.deepcopy(seen[0])
        payload = await super().validate_token(raw_token, service_url)
        expires = payload.get("exp")
        if isinstance(expires, int | float) and self.clock() < expires:
            self._accepted[key] = (copy.deepcopy(payload), float(expires))
            while len(self._accepted) > self.SIZE:
                self._accepted.popitem(last=False)
        return payload


def remember_validated_tokens(app: App, validator: RememberedTokenValidator) -> None:
    """Make ``validator`` the one the SDK checks every inbound activity with (after ``app.initialize()``, which
    builds the SDK's own). The SDK is pinned to one version; if its HTTP server no longer keeps its validator
    where this looks, this refuses to start rather than silently checking tokens some other way."""
    server = getattr(app, "server", None)
    if not isinstance(getattr(server, "_token_validator", None), InboundActivityTokenValidator):
        raise RuntimeError("the Teams SDK's HTTP server has no inbound token validator where expected")
    server._token_validator = validator


class PinnedApp(App):
    """The SDK app whose credentials come only from what we pass, never from CLIENT_ID and the like."""

    def __init__(self, *, pinned: TokenCredentials, **options) -> None:
        self._pinned = pinned
        super().__init__(**options)

    def _init_credentials(self) -> TokenCredentials:
        return self._pinned


def build_sdk_app(
    *,
    app_id: str,
    password: str,
    tenant_id: str | None,
    openid_metadata_url: str,
    login_url: str,
    http_server_adapter,
    sleep: Sleep = asyncio.sleep,
) -> App:
    """The SDK app, every option explicit: keys from ``openid_metadata_url`` for inbound JWT validation
    (the SDK reads the JWKS next to it), tokens from ``login_url``, a 20 s timeout and Retry-After on sends."""
    cloud = with_overrides(PUBLIC, openid_metadata_url=openid_metadata_url, login_endpoint=login_url)
    provider = ClientCredentialsToken(login_url=login_url, client_id=app_id, secret=password, tenant=tenant_id)
    http = Client(ClientOptions(timeout=20.0))
    http.use(RetryAfter(sleep=sleep))
    return PinnedApp(
        pinned=TokenCredentials(client_id=app_id, tenant_id=tenant_id, token=provider),
        client_id=app_id,
        tenant_id=tenant_id,
        cloud=cloud,
        service_url=DEFAULT_SERVICE_URL,
        dangerously_allow_unauthenticated_requests=False,
        api_client_settings=ApiClientSettings(oauth_url=cloud.token_service_url),
        client=http,
        http_server_adapter=http_server_adapter,
        telemetry={"agent365": False},
    )
