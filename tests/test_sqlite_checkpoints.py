"""SQLite's write-ahead log is copied back into the database file by a thread of its own (storage.db.WalCheckpointer),
not inside whichever commit takes the log past 1,000 pages: that commit used to wait 15-25 ms, the p99 of a lone
placement on SQLite."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from storage import db as storage_db
from storage.db import Database

ROW = "x" * 800


def _fill(database: Database, transactions: int) -> None:
    """About five pages a transaction, each committed on its own, as placements are."""
    with database.transaction(write=True) as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS filler (body TEXT)"))
    for _ in range(transactions):
        with database.transaction(write=True) as session:
            session.execute(text("INSERT INTO filler VALUES (:body)"), [{"body": ROW}] * 20)


def test_commits_leave_the_log_to_the_checkpointer_which_copies_all_of_it_back(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'event.db'}", checkpoint_every=None)  # checkpoints by hand here
    try:
        _fill(database, 300)  # about 1,500 pages: past SQLite's automatic checkpoint at 1,000
        busy, log, copied = database.checkpointer.checkpoint()
        assert busy == 0 and log > 1000 and copied == log  # no commit checkpointed on the way; now all of it is back
        with database.transaction() as session:
            assert session.scalar(text("SELECT count(*) FROM filler")) == 300 * 20
    finally:
        database.dispose()


def test_a_writing_process_checkpoints_in_the_background_and_stops_when_disposed(tmp_path: Path, monkeypatch) -> None:
    done = threading.Event()
    ran_in: list[threading.Thread] = []
    checkpoint = storage_db.WalCheckpointer.checkpoint

    def recorded(self):
        result = checkpoint(self)
        ran_in.append(threading.current_thread())
        done.set()
        return result

    monkeypatch.setattr(storage_db.WalCheckpointer, "checkpoint", recorded)
    database = Database(f"sqlite:///{tmp_path / 'event.db'}", checkpoint_every=0.01)
    try:
        _fill(database, 5)
        assert done.wait(10)  # a write made a checkpoint due, and a thread of its own ran it
        assert ran_in[0].name == "partnerup-wal-checkpoint" and ran_in[0] is not threading.main_thread()
    finally:
        database.dispose()
    ran_in[0].join(10)
    assert not ran_in[0].is_alive()  # disposing of the database ends it


def test_a_database_in_memory_or_on_a_server_has_no_checkpointer(database_url: str) -> None:
    memory = Database("sqlite://")
    try:
        assert memory.checkpointer is None
    finally:
        memory.dispose()
    if not database_url.startswith("sqlite"):
        server = Database(database_url)
        try:
            assert server.checkpointer is None
        finally:
            server.dispose()


def test_a_process_that_only_reads_starts_no_checkpoints(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'event.db'}"
    writer = Database(url, checkpoint_every=0.01)
    _fill(writer, 3)
    writer.dispose()
    reader = Database(url, checkpoint_every=0.01)
    try:
        for _ in range(3):
            with reader.transaction() as session:
                assert session.scalar(text("SELECT count(*) FROM filler")) == 3 * 20
        assert reader.checkpointer._thread is None  # nothing written: nothing to copy back
        _fill(reader, 1)
        assert reader.checkpointer._thread is not None  # its first write starts it
    finally:
        reader.dispose()
