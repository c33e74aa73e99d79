"""The Teams notifier for a process without a web server (``python -m bot worker``): the SDK app runs on an
event loop in a thread of its own, and the sync worker hands it sends."""

from __future__ import annotations

import asyncio
import threading

from handlers.teams.app import TeamsDoor
from handlers.teams.notifier import TeamsNotifier


def start_teams_notifier(*, assistant, settings, sleep=asyncio.sleep) -> TeamsNotifier:
    door = TeamsDoor(assistant=assistant, settings=settings, sleep=sleep)
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="teams-loop", daemon=True).start()
    asyncio.run_coroutine_threadsafe(door.startup(), loop).result(timeout=60)
    return TeamsNotifier(door)
