"""Shared fixtures: a migrated database per test (SQLite, or PostgreSQL with TEST_DATABASE_URL),
an injected clock, the assistant, the fake Slack server and the real Bolt app behind HTTP, the fake Bot Connector."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.assistant import Assistant
from bot.clock import FixedClock
from bot.event_setup import ensure_default_event
from storage.db import Database
from storage.models import Base
from tests.fake_slack import FakeSlack
from tests.fake_teams import FakeBotConnector

OSLO = ZoneInfo("Europe/Oslo")
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()


def oslo(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant on a December 2026 day given in Oslo time (the default event's zone)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=OSLO)


@pytest.fixture(scope="session")
def _template_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per test run; each test then gets a fresh copy (SQLite) or emptied tables (PostgreSQL)."""
    if TEST_DATABASE_URL:
        db = Database(TEST_DATABASE_URL)
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        db.migrate()
        db.dispose()
        return TEST_DATABASE_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    return str(path)


@pytest.fixture
def database_url(_template_database: str, tmp_path: Path) -> str:
    if TEST_DATABASE_URL:
        db = Database(TEST_DATABASE_URL)
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.dispose()
        return TEST_DATABASE_URL
    path = tmp_path / "partnerup.db"
    shutil.copyfile(_template_database, path)
    return f"sqlite:///{path}"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """Day 1 of the default event, 10:30 in Oslo: Olweus is speaking."""
    return FixedClock(oslo(3, 10, 30))


@pytest.fixture
def event_db(db: Database, clock: FixedClock) -> Database:
    """The database with the bundled default event loaded."""
    ensure_default_event(db, clock=clock)
    return db


@pytest.fixture
def assistant(event_db: Database, clock: FixedClock) -> Assistant:
    return Assistant(db=event_db, clock=clock)


@pytest.fixture(scope="session")
def _fake_slack_server() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def fake_slack(_fake_slack_server: FakeSlack) -> FakeSlack:
    _fake_slack_server.reset()
    return _fake_slack_server


@pytest.fixture
def slack_app(assistant: Assistant, fake_slack: FakeSlack) -> Iterator:
    """The real Bolt app over HTTP, its Web API client pointed at the fake Slack server."""
    from tests.slack_harness import SlackHttpApp

    app = SlackHttpApp(assistant, fake_slack)
    yield app
    app.close()


@pytest.fixture(scope="session")
def _fake_connector() -> Iterator[FakeBotConnector]:
    fake = FakeBotConnector()
    yield fake
    fake.close()


@pytest.fixture
def fake_teams(_fake_connector: FakeBotConnector) -> FakeBotConnector:
    """The fake Bot Connector, with no calls, faults or members left from an earlier test."""
    _fake_connector.reset()
    return _fake_connector
