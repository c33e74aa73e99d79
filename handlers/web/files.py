"""Published files by their unguessable links, one WSGI app for every web server PartnerUp runs (waitress for
Slack alone, uvicorn when Teams is on): ``GET /calendar/<token>.ics`` (a meeting's calendar file, kept) and
``GET /files/<token>.csv`` (an organiser's download, for a day). The links go out where an attachment cannot: a
Teams card, a Slack answer to a button press (see :class:`bot.replies.HeldMessage`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from bot.clock import Clock, SystemClock
from bot.delivery.addresses import PublishedFiles

log = logging.getLogger(__name__)
# The path, whether a server hands it over whole (waitress) or split at the mount (Starlette + a2wsgi).
ROUTE = re.compile(
    r"^/(?:(?P<calendar>calendar)/(?P<ics>[A-Za-z0-9_-]{16,64})\.ics|files/(?P<csv>[A-Za-z0-9_-]{16,64})\.csv)$"
)
KINDS = {"ics": ("text/calendar", None), "csv": ("text/csv", timedelta(days=1))}  # mimetype, how long a link works
PREFIXES = ("/calendar", "/files")


class PublishedFilesApp:
    """Serves :class:`~bot.delivery.addresses.PublishedFiles`; anything else under its prefixes is a 404 that says
    why (an expired link, a mistyped one), never an error."""

    def __init__(self, published: PublishedFiles, clock: Clock | None = None) -> None:
        self.published = published
        self.clock = clock or SystemClock()

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        found = None
        if environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD"):
            path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
            match = ROUTE.fullmatch(path)
            if match is not None:
                kind = "ics" if match["ics"] else "csv"
                mimetype, max_age = KINDS[kind]
                newer_than = self.clock.now() - max_age if max_age is not None else None
                try:
                    found = self.published.get(match[kind], mimetype=mimetype, newer_than=newer_than)
                except Exception:  # the database is away: say so, and let the browser try again
                    log.warning("could not read a published file", exc_info=True)
                    start_response("503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8"),
                                                              ("Retry-After", "5")])  # fmt: skip
                    return [b"This file cannot be read just now; please try again in a moment.\n"]
        if found is None:
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")])
            return [b"No such file, or its link has expired.\n"]
        filename, mimetype, content = found
        start_response("200 OK", [("Content-Type", mimetype), ("Content-Length", str(len(content))),
                                  ("Content-Disposition", f'attachment; filename="{_quoted(filename)}"'),
                                  ("Cache-Control", "no-store")])  # fmt: skip
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else content]


def _quoted(filename: str) -> str:
    """A filename safe inside the header's quotes (our own names, but a header must never be split)."""
    return "".join(c for c in filename if c.isascii() and c.isprintable() and c not in '"\\\r\n') or "file"


def mounts(published: PublishedFiles, clock: Clock | None = None) -> dict[str, PublishedFilesApp]:
    """The app under each of its prefixes, for a server's ``mounts``."""
    app = PublishedFilesApp(published, clock)
    return {prefix: app for prefix in PREFIXES}
