"""Getting a programme from a file or an http(s) URL, with limits: a source that hangs or is huge is refused
with one clear line, and a live source is asked conditionally (ETag / If-Modified-Since)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.sources.programme import SourceError
from bot.sources.read import MAX_BYTES, check_size

TIMEOUT = httpx.Timeout(20.0, connect=10.0)


@dataclass(frozen=True)
class Fetched:
    data: bytes | None  # None: not modified since the validators given
    etag: str = ""
    last_modified: str = ""


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def read_file(path: str, *, limit: int = MAX_BYTES) -> bytes:
    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError as error:
        raise SourceError(f"{path}: cannot read the file ({error.strerror})") from None
    check_size(size, path, limit=limit)
    try:
        return file.read_bytes()
    except OSError as error:
        raise SourceError(f"{path}: cannot read the file ({error.strerror})") from None


def fetch_url(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    timeout: httpx.Timeout | float = TIMEOUT,
    limit: int = MAX_BYTES,
    transport: httpx.BaseTransport | None = None,
) -> Fetched:
    """GET ``url``; stop reading past ``limit`` bytes; 304 gives ``Fetched(data=None)``.

    Raises:
        SourceError: down, slow, an error status, empty or too big; says which.
    """
    headers = {"User-Agent": "PartnerUp agenda import", "Accept": "*/*"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    shown = url.split("?")[0][:120]
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=5, transport=transport) as client:
            with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return Fetched(None, etag, last_modified)
                if response.status_code >= 400:
                    raise SourceError(f"{shown}: the server answered {response.status_code}; nothing was changed")
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit():
                    check_size(int(declared) or 1, shown, limit=limit)
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        check_size(size, shown, limit=limit)
                    chunks.append(chunk)
                data = b"".join(chunks)
                check_size(len(data), shown, limit=limit)
                return Fetched(data, response.headers.get("ETag", ""), response.headers.get("Last-Modified", ""))
    except httpx.TimeoutException:
        raise SourceError(f"{shown}: no answer in time (the source is slow or down); nothing was changed") from None
    except httpx.HTTPError as error:
        raise SourceError(f"{shown}: cannot fetch ({type(error).__name__}); nothing was changed") from None


def get_source(source: str, *, limit: int = MAX_BYTES) -> bytes:
    if is_url(source):
        fetched = fetch_url(source, limit=limit)
        assert fetched.data is not None
        return fetched.data
    return read_file(source, limit=limit)
