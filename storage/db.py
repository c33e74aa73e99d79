"""Engines, the session factory and the schema check, in one place.

Sessions are opened and closed only through :meth:`Database.transaction` (a unit of
work: commit on success, roll back on any error), never by listeners.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
PING_AFTER = 5.0  # seconds a pooled connection may sit idle before it is checked on its way out of the pool


class SchemaOutOfDate(Exception):
    """The database schema is older (or newer) than this code; the message says what to run."""


def make_engine(url: str, *, begin: str = "BEGIN", **kwargs) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout so that a web
    process and a worker can share the embedded file safely.

    For SQLite we issue BEGIN ourselves (SQLAlchemy's documented recipe), which makes
    savepoints work, and lets write transactions start with ``BEGIN IMMEDIATE`` so that two
    writers queue on the busy timeout instead of failing on a lock upgrade.
    """
    kwargs.setdefault("hide_parameters", True)  # a logged database error must not carry what someone typed
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection) -> None:
            connection.exec_driver_sql(begin)

        return engine
    engine = create_engine(url, **kwargs)
    ping_when_idle(engine)
    return engine


def ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it has sat idle ``PING_AFTER`` seconds or more: a server restart
    or an idle timeout in between is met by a fresh connection, not by an error.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round trip in every transaction, and under a
    burst each round trip is a release and re-acquisition of the GIL that a busy process pays for in milliseconds
    (it cost a Teams burst on PostgreSQL ~0.2 s at p99). A connection taken minutes, or milliseconds, after its last
    use is a different matter: only the first can have been dropped unnoticed. A connection that breaks while in
    use fails its statement either way; SQLAlchemy then recycles the pool, and the callers' retries take over."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER:
            return  # fresh, or back in the pool a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise DisconnectionError("an idle pooled connection was dropped") from error  # the pool reconnects
            raise


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class Database:
    """The one way to the database for every process."""

    def __init__(self, url: str, **engine_kwargs) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time. Threads of this process queue on a lock of our own, which hands over
        # the moment the writer commits, instead of on SQLite's busy handler, which sleeps and polls (up to
        # 100 ms a wait); other processes (the worker) still queue on the busy timeout.
        self._write_lock = threading.Lock() if url.startswith("sqlite") else None
        if self.engine.dialect.name == "sqlite":
            self._write_engine = make_engine(url, begin="BEGIN IMMEDIATE", **engine_kwargs)
            self._write_sessions = sessionmaker(self._write_engine, expire_on_commit=False)
        else:
            self._write_engine, self._write_sessions = self.engine, self._sessions
        # Lookups on PostgreSQL run in autocommit: one round trip a statement, where a transaction adds BEGIN and
        # COMMIT. Same answers: at READ COMMITTED each statement of a transaction takes its own snapshot anyway.
        self._reads = (
            self._sessions
            if self.is_sqlite
            else sessionmaker(self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[OrmSession]:
        """A unit of work: everything inside commits together or not at all.

        ``write=True`` for read-then-write work (booking, claiming): on SQLite it takes the
        write lock up front, so concurrent writers wait their turn instead of failing.
        """
        with self._write_lock if write and self._write_lock is not None else nullcontext():
            session = (self._write_sessions if write else self._sessions)()
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    @contextmanager
    def lookup(self) -> Iterator[OrmSession]:
        """A session for reading only, for the lookups a burst of presses makes (who is this, where do I reach
        them): on PostgreSQL each statement runs on its own, without BEGIN and COMMIT around it (two round trips
        fewer, each a wait for the GIL in a busy process). Never write through it: nothing would roll back."""
        session = self._reads()
        try:
            yield session
        finally:
            session.close()

    # --- schema -------------------------------------------------------------------------

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(alembic_config(self.url)).get_current_head()

    def current_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def is_empty(self) -> bool:
        return not inspect(self.engine).get_table_names()

    def migrate(self) -> None:
        """Bring the schema to the newest revision (``python -m bot migrate``)."""
        config = alembic_config(self.url)
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def ensure_schema(self, *, migrate_if_new: bool = True) -> None:
        """Refuse to run on an out-of-date schema; set up a brand-new database by itself.

        Raises:
            SchemaOutOfDate: the database has tables but not the newest revision.
        """
        if migrate_if_new and self.is_empty():
            self.migrate()
            return
        current, head = self.current_revision(), self.head_revision()
        if current != head:
            raise SchemaOutOfDate(
                f"the database schema is at revision {current or 'none'} but this code needs {head}; "
                "run `python -m bot migrate` first"
            )

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        self.engine.dispose()
        if self._write_engine is not self.engine:
            self._write_engine.dispose()
