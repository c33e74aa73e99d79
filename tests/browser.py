"""Headless Chromium (Debian's ``chromium`` package) for the dashboard's browser test and README screenshot."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def chromium() -> str | None:
    """The Chromium binary, or None when it is not installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def run_chromium(url: str, *extra: str, timeout: float = 90) -> subprocess.CompletedProcess:
    """Load ``url`` headless (following redirects, with cookies, in a throw-away profile) and return what Chromium
    printed: ``--dump-dom`` puts the rendered page on stdout; console messages go to stderr as ``CONSOLE`` lines."""
    binary = chromium()
    if binary is None:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="partnerup-chromium-") as profile:
        command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                   "--hide-scrollbars", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                   "--virtual-time-budget=3000", *extra, url]  # fmt: skip
        env = {**os.environ, "HOME": profile}
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)


def console_errors(stderr: str) -> list[str]:
    """The page's console messages (errors, CSP violations, failed loads) from Chromium's log."""
    return [line for line in stderr.splitlines() if "CONSOLE" in line or "Refused to" in line]


def screenshot(url: str, path: Path, *, width: int = 1400, height: int = 1800) -> None:
    result = run_chromium(url, f"--screenshot={path}", f"--window-size={width},{height}")
    if not path.exists():
        raise RuntimeError(f"no screenshot: {result.stderr[-2000:]}")
