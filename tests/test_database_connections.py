"""Pooled PostgreSQL connections: checked before use only after sitting idle (storage.db.ping_when_idle), so a
server restart or an idle timeout costs no request, while busy traffic pays no extra round trip."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage import db as storage_db
from storage.db import Database


@pytest.fixture
def pg(database_url: str):
    if database_url.startswith("sqlite"):
        pytest.skip("pooled connections that a server can drop: PostgreSQL only (SQLite is a file)")
    database = Database(database_url, pool_size=1, max_overflow=0)
    yield database
    database.dispose()


def _drop_pooled_connection(database: Database) -> int:
    """Use the pool's one connection, then have the server end it (as a restart or an idle timeout would)."""
    with database.transaction() as session:
        pid = session.scalar(text("SELECT pg_backend_pid()"))
    other = Database(database.url)
    try:
        with other.transaction() as session:
            assert session.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        other.dispose()
    return pid


def test_a_connection_dropped_while_idle_is_replaced_before_use(pg: Database, monkeypatch) -> None:
    monkeypatch.setattr(storage_db, "PING_AFTER", 0.0)  # every checkout counts as "after sitting idle"
    dropped = _drop_pooled_connection(pg)
    with pg.transaction() as session:  # no error: the ping found it dead and the pool connected again
        assert session.scalar(text("SELECT pg_backend_pid()")) != dropped


def test_a_connection_back_in_the_pool_a_moment_ago_is_used_without_a_ping(pg: Database, monkeypatch) -> None:
    """The trade: one dropped within PING_AFTER of its last use fails one statement, and the next is served."""
    monkeypatch.setattr(storage_db, "PING_AFTER", 3600.0)
    _drop_pooled_connection(pg)
    with pytest.raises(DBAPIError) as failed:
        with pg.transaction() as session:
            session.scalar(text("SELECT 1"))
    assert failed.value.connection_invalidated
    with pg.transaction() as session:
        assert session.scalar(text("SELECT 1")) == 1
