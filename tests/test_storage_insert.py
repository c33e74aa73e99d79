"""The outbox's INSERT ... ON CONFLICT DO NOTHING: a duplicate key is skipped, and the statement is compiled once
(the dialects' own on_conflict constructs are compiled again on every execution)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.delivery.outbox import enqueue_many, message, producing
from storage.db import Database
from storage.insert import InsertSkippingDuplicates
from storage.models import Delivery, Participant

NOW = datetime(2026, 6, 22, 9, 0, tzinfo=UTC)


def test_a_second_row_with_a_taken_key_is_skipped_and_the_statement_comes_from_the_cache(db: Database) -> None:
    with db.transaction() as session:
        person = Participant(platform="slack", external_id="U1", display_name="Ada", created_at=NOW, updated_at=NOW)
        session.add(person)
        session.flush()
        rows = [message(participant_id=person.id, kind="note", dedupe_key=f"note:{n}", due_at=NOW, now=NOW)
                for n in (1, 2)]  # fmt: skip
        with producing() as first:
            enqueue_many(session, rows)
        with producing() as second:  # one new, one taken
            enqueue_many(session, [rows[1], message(participant_id=person.id, kind="note", dedupe_key="note:3",
                                                    due_at=NOW, now=NOW)])  # fmt: skip
        keys = session.scalars(select(Delivery.dedupe_key).order_by(Delivery.id)).all()
    assert keys == ["note:1", "note:2", "note:3"]
    assert len(first) == 2 and len(second) == 1  # RETURNING gives only the row inserted

    seen = []
    with db.engine.connect() as connection:
        statement = InsertSkippingDuplicates(Delivery.__table__, key="dedupe_key").returning(Delivery.__table__.c.id)
        for n in (4, 5):
            row = message(participant_id=person.id, kind="note", dedupe_key=f"note:{n}", due_at=NOW, now=NOW)
            seen.append(connection.execute(statement, [row]).context.cache_hit)
        connection.rollback()
    assert seen[1] == seen[1].CACHE_HIT  # the second execution reused the first's compiled form


def test_a_key_the_table_does_not_have_is_refused() -> None:
    with pytest.raises(ValueError, match="no column 'dedupe'"):
        InsertSkippingDuplicates(Delivery.__table__, key="dedupe")
