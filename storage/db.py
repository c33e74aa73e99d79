"""Engines, the session factory and the schema check, in one place.

Sessions are opened and closed only through :meth:`Database.transaction` (a unit of
work: commit on success, roll back on any error), never by listeners.
"""

from __future__ import annotations

import logging
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
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
PING_AFTER = 5.0  # seconds a pooled connection may sit idle before it is checked on its way out of the pool
CHECKPOINT_EVERY = 1.0  # seconds between SQLite's write-ahead log checkpoints, while the process writes


class SchemaOutOfDate(Exception):
    """The database schema is older (or newer) than this code; the message says what to run."""


def make_engine(url: str, *, begin: str = "BEGIN", checkpoints_apart: bool = False, **kwargs) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout so that a web
    process and a worker can share the embedded file safely.

    For SQLite we issue BEGIN ourselves (SQLAlchemy's documented recipe), which makes
    savepoints work, and lets write transactions start with ``BEGIN IMMEDIATE`` so that two
    writers queue on the busy timeout instead of failing on a lock upgrade. ``checkpoints_apart``: no commit
    checkpoints the write-ahead log (a :class:`WalCheckpointer` does).
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
            if checkpoints_apart:
                cursor.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's, off the commits (WalCheckpointer)
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


class WalCheckpointer:
    """SQLite: copies the write-ahead log back into the database file in a thread of its own, every ``every``
    seconds while this process writes, with ``PRAGMA wal_checkpoint(PASSIVE)``, which waits for no reader or
    writer. SQLite's own automatic checkpoint runs inside whichever commit takes the log past 1,000 pages: about
    one placement in thirty waited 15-25 ms for it, the whole of a lone placement's p99 on SQLite. Each process
    that writes runs one (they may overlap: a passive checkpoint is safe alongside another); when the last
    connection to the file closes, SQLite checkpoints what is left itself."""

    IDLE_ROUNDS = 30

    def __init__(self, engine: Engine, every: float | None) -> None:
        self.engine = engine
        self.every = every
        self._written = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wrote(self) -> None:
        """A transaction committed: a checkpoint is due within ``every`` seconds (the thread starts if it is not
        running; it ends after ``IDLE_ROUNDS`` rounds without a write)."""
        self._written.set()
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stop.is_set():
                    self._thread = threading.Thread(target=self._run, name="partnerup-wal-checkpoint", daemon=True)
                    self._thread.start()

    def checkpoint(self) -> tuple[int, int, int]:
        """One passive checkpoint now: (1 if it could not finish, frames in the log, frames copied back)."""
        with self.engine.connect() as connection:
            busy, log, done = connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        return busy, log, done

    def _run(self) -> None:
        idle = 0
        while not self._stop.wait(self.every):
            if not self._written.is_set():
                idle += 1
                with self._lock:
                    if idle >= self.IDLE_ROUNDS and not self._written.is_set():
                        self._thread = None  # the next write starts another
                        return
                continue
            idle = 0
            self._written.clear()
            try:
                self.checkpoint()
            except Exception:  # the file is busy or gone: the next round tries again
                logging.getLogger(__name__).warning("a WAL checkpoint failed; trying again", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


class Database:
    """The one way to the database for every process."""

    def __init__(self, url: str, *, checkpoint_every: float | None = CHECKPOINT_EVERY, **engine_kwargs) -> None:
        """``checkpoint_every``: SQLite's log checkpoint interval in seconds (see :class:`WalCheckpointer`); None
        for none (a test that checkpoints by hand)."""
        self.url = url
        parsed = make_url(url)
        in_a_file = parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
        self.engine = make_engine(url, checkpoints_apart=in_a_file, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time. Threads of this process queue on a lock of our own, which hands over
        # the moment the writer commits, instead of on SQLite's busy handler, which sleeps and polls (up to
        # 100 ms a wait); other processes (the worker) still queue on the busy timeout.
        self._write_lock = threading.Lock() if url.startswith("sqlite") else None
        if self.engine.dialect.name == "sqlite":
            self._write_engine = make_engine(url, begin="BEGIN IMMEDIATE", checkpoints_apart=in_a_file, **engine_kwargs)
            self._write_sessions = sessionmaker(self._write_engine, expire_on_commit=False)
        else:
            self._write_engine, self._write_sessions = self.engine, self._sessions
        self.checkpointer = WalCheckpointer(self.engine, checkpoint_every) if in_a_file else None
        if self.checkpointer is not None and checkpoint_every is not None:
            for engine in {self.engine, self._write_engine}:  # every commit, migrations and bulk loads included
                event.listen(engine, "commit", self._committed)
        # Lookups on PostgreSQL run in autocommit: one round trip a statement, where a transaction adds BEGIN and
        # COMMIT. Same answers: at READ COMMITTED each statement of a transaction takes its own snapshot anyway.
        self._reads = (
            self._sessions
            if self.is_sqlite
            else sessionmaker(self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)
        )

    def _committed(self, connection) -> None:
        """SQLite: a commit that changed rows (``total_changes`` moved on that connection) makes a checkpoint due;
        a read-only one does not, so a process that only reads lets the checkpointer's thread end."""
        pooled = connection.connection
        changes = pooled.dbapi_connection.total_changes
        if changes != pooled.info.get("total_changes", 0):
            pooled.info["total_changes"] = changes
            self.checkpointer.wrote()

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
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()
        if self._write_engine is not self.engine:
            self._write_engine.dispose()
