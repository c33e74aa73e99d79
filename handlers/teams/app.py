"""The Teams door: the SDK app hosted by PartnerUp's web server at ``POST /api/messages``, and the one place its
handlers are registered.

A handler does what a Slack listener does: pull the Teams fields out, call one ``Assistant`` method (in a thread,
because the core is sync and must not block the event loop), render the reply as an Adaptive Card. The SDK
validates every inbound JWT (issuer, audience, expiry, signature, serviceurl claim) before a handler runs.
Handlers live by kind of interaction, as in handlers/slack: typed commands in :mod:`handlers.teams.commands`,
button presses (Action.Execute) in :mod:`handlers.teams.actions`, dialogs (task/fetch, task/submit) in
:mod:`handlers.teams.views`, install and lifecycle events in :mod:`handlers.teams.events`.
"""

from __future__ import annotations

import asyncio
import logging

from microsoft_teams.api import ActivityTypeAdapter
from pydantic import ValidationError

from bot.assistant import Assistant
from handlers.teams import actions, commands, events, identity, views
from handlers.teams.render import message  # noqa: F401  (re-exported for callers of the old place)
from handlers.teams.sdk import HttpRequest, RememberedTokenValidator, build_sdk_app, remember_validated_tokens

PLATFORM = identity.PLATFORM
log = logging.getLogger(__name__)


class TeamsDoor:
    """One Teams app for one process; ``loop`` is the event loop its HTTP clients belong to."""

    def __init__(self, *, assistant: Assistant, settings, sleep=asyncio.sleep) -> None:
        self.assistant = assistant
        self.settings = settings
        self.app_id: str = settings.teams_app_id
        self.routes: dict = {}
        self.sdk = build_sdk_app(
            app_id=settings.teams_app_id,
            password=settings.teams_app_password,
            tenant_id=settings.teams_tenant_id,
            openid_metadata_url=settings.teams_openid_metadata_url,
            login_url=settings.teams_login_url,
            http_server_adapter=self,
            sleep=sleep,
        )
        self.validator = RememberedTokenValidator(self.app_id, cloud=self.sdk.cloud)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.background: set[asyncio.Task] = set()  # work that outlives its activity (a scheduling run), kept alive
        self._register()

    # --- HttpServerAdapter: we host the route ourselves ----------------------------------------------

    def register_route(self, method, path, handler) -> None:
        self.routes[path] = handler

    def serve_static(self, path, directory) -> None:
        pass

    async def start(self, port) -> None:
        raise RuntimeError("the Teams door is hosted by PartnerUp's own web server")

    async def stop(self) -> None:
        pass

    async def startup(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.sdk.initialize()
        remember_validated_tokens(self.sdk, self.validator)  # one check per connector token, not per activity

    async def handle(self, body: dict, headers: dict) -> tuple[int, object]:
        """One POST /api/messages. Activities the SDK does not model are authenticated and acknowledged
        (the SDK alone answers them with a 500, which makes Teams retry)."""
        try:
            ActivityTypeAdapter.validate_python(body)
        except ValidationError:
            auth = headers.get("authorization", "")
            if not auth.startswith("Bearer "):
                return 401, {"error": "Unauthorized"}
            try:
                await self.validator.validate_token(auth.removeprefix("Bearer "), body.get("serviceUrl"))
            except Exception:
                return 401, {"error": "Unauthorized"}
            log.info("ignoring a Teams activity of a kind I don't handle (%s)", str(body.get("type"))[:40])
            return 200, None
        result = await self.routes["/api/messages"](HttpRequest(body=body, headers=headers))
        return result["status"], result["body"]

    # --- who is talking ------------------------------------------------------------------------------

    def identify(self, activity) -> int:
        return identity.identify(self, activity)

    def external_id(self, activity) -> str:
        return identity.external_id(activity)

    # --- handlers ------------------------------------------------------------------------------------

    def _register(self) -> None:
        """The one registration point: each kind of interaction attaches its SDK handlers."""
        commands.register(self)
        actions.register(self)
        views.register(self)
        events.register(self)

    def in_background(self, coroutine) -> asyncio.Task:
        """Run ``coroutine`` on the event loop after the activity is answered (see commands.schedule_all)."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task

    async def send_reply(self, ctx, activity) -> None:
        """Send the answer; if the connector refuses it (after the retries), log it and still acknowledge the
        activity, so Teams does not deliver it again and run the command twice."""
        try:
            await ctx.send(activity)
        except Exception as error:
            status = getattr(getattr(error, "response", None), "status_code", None)
            log.warning("could not send a Teams reply (%s %s)", type(error).__name__, status or "")
