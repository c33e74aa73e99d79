"""The dashboard in a real browser: headless Chromium (Debian's ``chromium``; .ci/run installs it) signs in with a
one-time link served by waitress, and we read the page it rendered and its console."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from waitress import wasyncore
from waitress.server import create_server

from bot.assistant import Assistant
from bot.clock import FixedClock
from storage.db import Database
from tests.browser import chromium, console_errors, run_chromium
from tests.dashboard_seed import seed
from tests.test_dashboard import ORGANISER, SECRET, booked, link_for, parse

pytestmark = pytest.mark.skipif(
    chromium() is None, reason="chromium is not installed here (apt-get install chromium; .ci/run installs it)"
)


@pytest.fixture
def served(db: Database, clock: FixedClock, tmp_path: Path) -> Iterator[Assistant]:
    from handlers.web.dashboard import DashboardApp

    assistant = Assistant(db=db, clock=clock, organisers=frozenset({ORGANISER}))
    seed(assistant, tmp_path)
    server = create_server(DashboardApp(assistant, secret=SECRET), host="127.0.0.1", port=0, threads=2)
    assistant.public_url = f"http://127.0.0.1:{server.effective_port}"
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            wasyncore.loop(timeout=0.02, map=server._map, count=1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield assistant
    stop.set()
    thread.join(timeout=5)
    server.close()


def test_chromium_shows_the_table_plan_and_the_charts_without_console_errors(served: Assistant, db: Database) -> None:
    plan = run_chromium(served.public_url + link_for(served) + "&next=/dashboard/plan/morning", "--dump-dom")
    assert plan.returncode == 0, plan.stderr[-2000:]
    assert console_errors(plan.stderr) == []
    grid = parse(plan.stdout.encode()).tables[0]
    morning = [m for m in booked(db) if m["block"] == "morning"]
    cells = [cell for row in grid[1:] for cell in row[1:]]
    for m in morning:
        assert any(m["a"][0] in cell and m["b"][0] in cell for cell in cells)

    overview = run_chromium(served.public_url + link_for(served), "--dump-dom")
    assert overview.returncode == 0 and console_errors(overview.stderr) == []
    assert overview.stdout.count("<svg") == 4 and "Meetings per slot: Morning partnering" in overview.stdout
    assert "<h2>Please sign in</h2>" not in overview.stdout
