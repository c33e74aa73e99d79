"""Shared by the agenda import tests: the vendored real exports and a clock inside the 38C3 programme."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import FixedClock
from bot.importing import ImportResult, import_agenda
from bot.sources import ImportOptions
from storage.db import Database

DATA = Path(__file__).parent / "data" / "agenda"
BERLIN = ZoneInfo("Europe/Berlin")
XML_38C3 = DATA / "38c3-schedule.xml"


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant during 38C3 (27–30 December 2024), Hamburg time."""
    return datetime(2024, 12, day, hour, minute, tzinfo=BERLIN)


def bring_in(db: Database, clock: FixedClock, file: str | Path, data: bytes | None = None, **options) -> ImportResult:
    path = DATA / file if isinstance(file, str) else file
    flags = {k: options.pop(k) for k in ("dry_run", "replace", "fmt") if k in options}
    return import_agenda(db, path.read_bytes() if data is None else data, source=path.name, clock=clock,
                         options=ImportOptions(**options), **flags)  # fmt: skip
