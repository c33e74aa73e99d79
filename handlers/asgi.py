"""One web process for every door on one port: an ASGI app (Starlette, served by uvicorn).

``POST /api/messages`` is the Teams door, ``GET /calendar/<token>.ics`` and ``GET /files/<token>.csv`` serve
published files (:mod:`handlers.web.files`),
``GET /healthz`` answers for both, and every other path goes to the Slack WSGI app (``/slack/events`` and
whatever else it mounts) through a2wsgi's thread pool, so Slack keeps its sync listeners unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable

from a2wsgi import WSGIMiddleware
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from handlers.web import files

MAX_ACTIVITY_BYTES = 1_000_000


def build_asgi(*, health: Callable[[], bool], slack_wsgi=None, teams_door=None, published=None, clock=None,
               mounts: dict | None = None) -> Starlette:  # fmt: skip
    """``published`` serves calendar files and organisers' CSV downloads (:mod:`handlers.web.files`); ``mounts``
    maps a path prefix to another WSGI app (web pages), served whichever doors run."""

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

    async def not_found(_: Request) -> Response:
        return PlainTextResponse("Not found. Teams sends requests to /api/messages; health checks use /healthz.\n", 404)

    routes = [Route("/healthz", healthz, methods=["GET", "HEAD"])]
    if published is not None:
        mounts = files.mounts(published, clock) | (mounts or {})
    if teams_door is not None:
        routes.append(Route("/api/messages", messages, methods=["POST"]))
    served: dict[int, WSGIMiddleware] = {}  # one thread pool per app, however many prefixes it has
    for prefix, app in (mounts or {}).items():
        served.setdefault(id(app), WSGIMiddleware(app, workers=4))
        routes.append(Mount(prefix.rstrip("/"), app=served[id(app)]))
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
