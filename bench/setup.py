"""The database every benchmark starts from: migrated, with the big event and its participants."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from sqlalchemy import text

from bench.big_event import add_participants, big_event
from bot.clock import Clock
from bot.event_setup import load_event_file
from storage.db import Database


def big_database(database_url: str, *, clock: Clock, people: int = 20_000) -> tuple[Database, float]:
    """A fresh database (a temporary SQLite file, or the given PostgreSQL database emptied first) holding
    the BIO-sized event and ``people`` participants; returns it and the seconds the event load took."""
    import time

    workdir = Path(tempfile.mkdtemp(prefix="partnerup-bench-"))
    db = empty_database(database_url, workdir / "bench.db")
    event_path = workdir / "big.yml"
    event_path.write_text(yaml.safe_dump(big_event(), sort_keys=False), encoding="utf-8")
    started = time.perf_counter()
    load_event_file(db, event_path, clock=clock)
    seconds = time.perf_counter() - started
    add_participants(db, count=people)
    return db, seconds


def empty_database(database_url: str, sqlite_path: Path) -> Database:
    """A migrated, empty database: a new SQLite file at ``sqlite_path``, or the given (scratch) PostgreSQL
    database with its schema dropped first."""
    db = Database(database_url or f"sqlite:///{sqlite_path}")
    if database_url:
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    db.migrate()
    return db
