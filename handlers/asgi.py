"""One web process for every door on one port: an ASGI app (Starlette, served by uvicorn).

``POST /api/messages`` is the Teams door, ``GET /calendar/<token>.ics`` serves published calendar files,
``GET /healthz`` answers for both, and every other path goes to the Slack WSGI app (``/slack/events`` and
whatever else it mounts) through a2wsgi's thread pool, so Slack keeps its sync listeners unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from a2wsgi import WSGIMiddleware
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from bot.clock import SystemClock

MAX_ACTIVITY_BYTES = 1_000_000
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def build_asgi(*, health: Callable[[], bool], slack_wsgi=None, teams_door=None, published=None, clock=None,
               mounts: dict | None = None) -> Starlette:  # fmt: skip
    """``published`` serves calendar files (kept) and organisers' CSV downloads (for a day after ``clock.now()``);
    ``mounts`` maps a path prefix to another WSGI app (web pages), served whichever doors run."""
    clock = clock or SystemClock()

    async def healthz(_: Request) -> Response:
        healthy = await asyncio.to_thread(health)
        body = {"ok": healthy, "database": "reachable" if healthy else "unreachable"}
        return JSONResponse(body, status_code=200 if healthy else 503)

    async def messages(request: Request) -> Response:
        raw = b""
        async for chunk in request.stream():  # Bot Framework activities are small; refuse a flood unread
            raw += chunk
            if len(raw) > MAX_ACTIVITY_BYTES:
                return JSONResponse({"error": "activity too large"}, status_code=413)
        try:
            body = json.loads(raw)
        except ValueError:
            return JSONResponse({"error": "invalid JSON"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "expected a JSON object"}, status_code=400)
        status, payload = await teams_door.handle(body, dict(request.headers))
        return Response(status_code=status) if payload is None else JSONResponse(payload, status_code=status)

    def file_route(mimetype: str, max_age: timedelta | None):
        async def serve(request: Request) -> Response:
            token = request.path_params["token"]
            newer_than = clock.now() - max_age if max_age is not None else None
            found = (await asyncio.to_thread(published.get, token, mimetype=mimetype, newer_than=newer_than)
                     if TOKEN.match(token) else None)  # fmt: skip
            if found is None:
                return PlainTextResponse("No such file, or its link has expired.\n", status_code=404)
            return download(found)

        return serve

    def download(found) -> Response:
        filename, mimetype, content = found
        return Response(content, media_type=mimetype,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})  # fmt: skip

    async def not_found(_: Request) -> Response:
        return PlainTextResponse("Not found. Teams sends requests to /api/messages; health checks use /healthz.\n", 404)

    routes = [Route("/healthz", healthz, methods=["GET", "HEAD"])]
    if published is not None:
        routes.append(Route("/calendar/{token}.ics", file_route("text/calendar", None), methods=["GET"]))
        routes.append(Route("/files/{token}.csv", file_route("text/csv", timedelta(days=1)), methods=["GET"]))
    if teams_door is not None:
        routes.append(Route("/api/messages", messages, methods=["POST"]))
    for prefix, app in (mounts or {}).items():
        routes.append(Mount(prefix.rstrip("/"), app=WSGIMiddleware(app, workers=4)))
    if slack_wsgi is not None:
        routes.append(Mount("/", app=WSGIMiddleware(slack_wsgi, workers=8)))
    else:
        routes.append(Route("/{path:path}", not_found, methods=["GET", "POST", "HEAD"]))

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        if teams_door is not None:
            await teams_door.startup()
        yield

    return Starlette(routes=routes, lifespan=lifespan)
