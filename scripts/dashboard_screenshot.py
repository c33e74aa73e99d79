"""Make the README's dashboard screenshot (docs/dashboard.png) from the seeded test event, the way an organiser
sees it: a real server, a real one-time sign-in link, headless Chromium.

    .venv/bin/python -m scripts.dashboard_screenshot [--out docs/dashboard.png] [--page /dashboard] [--height 1500]
    .venv/bin/python -m scripts.dashboard_screenshot --out docs/dashboard-plan.png --page /dashboard/plan/morning --height 900
"""

from __future__ import annotations

import argparse
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from waitress import wasyncore
from waitress.server import create_server

from bot.assistant import Assistant
from bot.clock import FixedClock
from handlers.web.dashboard import DashboardApp
from storage.db import Database
from tests.browser import screenshot
from tests.dashboard_seed import seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/dashboard.png")
    parser.add_argument("--page", default="/dashboard", help="where to go after signing in")
    parser.add_argument("--height", type=int, default=1800)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/screenshot.db")
        db.migrate()
        clock = FixedClock(datetime(2026, 12, 3, 12, 40, tzinfo=ZoneInfo("Europe/Oslo")))
        assistant = Assistant(db=db, clock=clock, organisers=frozenset({"ada-nilsen"}))
        clock.set(datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Oslo")))
        ids = seed(assistant, Path(folder))
        clock.set(datetime(2026, 12, 3, 12, 40, tzinfo=ZoneInfo("Europe/Oslo")))
        server = create_server(DashboardApp(assistant, secret="screenshot-secret-0123456789"), host="127.0.0.1", port=0)
        stop = threading.Event()

        def serve() -> None:
            while not stop.is_set():
                wasyncore.loop(timeout=0.05, map=server._map, count=1)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            assistant.public_url = f"http://127.0.0.1:{server.effective_port}"
            _, message = assistant.dashboard_link(external_id="ada-nilsen", actor=ids["people"][2])
            link = next(part.text for part in message.parts if "login?token=" in getattr(part, "text", ""))
            if args.page != "/dashboard":
                link += f"&next={args.page}"  # the sign-in link lands on any dashboard page
            out = Path(args.out).resolve()
            out.parent.mkdir(parents=True, exist_ok=True)
            screenshot(link, out, height=args.height)
            print(f"wrote {out} (signed in with a /report dashboard link, page {args.page})")
        finally:
            stop.set()
            thread.join(timeout=5)
            server.close()
            db.dispose()


if __name__ == "__main__":
    main()
