"""The outbox's INSERT ... ON CONFLICT DO NOTHING: a duplicate key is skipped, and the statement is compiled once
(the dialects' own on_conflict constructs are compiled again on every execution); many rows go in as one array per
column on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

from bot.delivery.outbox import enqueue_many, message, producing
from storage.db import Database
from storage.insert import ArrayRows, InsertSkippingDuplicates
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


def test_many_rows_go_in_with_their_values_skipping_taken_keys_and_on_postgresql_as_one_short_statement(
    db: Database,
) -> None:
    sent: list[str] = []

    def record(_connection, _cursor, statement, _parameters, _context, _executemany) -> None:
        if statement.startswith("INSERT INTO deliveries"):
            sent.append(statement)

    with db.transaction() as session:
        person = Participant(platform="slack", external_id="U1", display_name="Ada", created_at=NOW, updated_at=NOW)
        session.add(person)
        session.flush()

        def row(n: int, payload: dict | None = None, ref_id: int | None = None) -> dict:
            return message(participant_id=person.id, kind="note", dedupe_key=f"many:{n}", due_at=NOW, now=NOW,
                           payload=payload, ref_id=ref_id)  # fmt: skip

        oslo = row(4, {"order": [3, 1]})
        oslo["due_at"] = NOW.astimezone(timezone(timedelta(hours=2)))  # the same moment, told in Oslo's summer time

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            with producing() as five:  # 55 parameters: more than psycopg keeps parsed
                enqueue_many(session, [row(0, {"name": "Bjørn «Ø»", "list": [1, {"a": None}]}, 7), row(1),
                                       row(1, {"second": True}), row(2), oslo])  # fmt: skip
            with producing() as many:  # three taken keys among 300
                enqueue_many(session, [row(n, ref_id=n) for n in range(1, 301)])
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        stored = session.execute(
            select(Delivery.dedupe_key, Delivery.payload, Delivery.ref_id, Delivery.due_at, Delivery.status)
            .order_by(Delivery.id)
        ).all()  # fmt: skip
    assert len(five) == 4 and len(many) == 297
    assert len(stored) == 301
    assert stored[0] == ("many:0", {"name": "Bjørn «Ø»", "list": [1, {"a": None}]}, 7, NOW, "pending")
    assert stored[1] == ("many:1", {}, None, NOW, "pending")  # the first of the two with one key
    assert stored[3] == ("many:4", {"order": [3, 1]}, None, NOW, "pending")
    assert stored[-1] == ("many:300", {}, 300, NOW, "pending")
    if db.engine.dialect.name == "postgresql":
        assert len(sent) == 2 and sent[0] == sent[1] and len(sent[0]) < 1500  # the same text for 5 rows and 300


def test_an_array_insert_refuses_a_column_the_table_does_not_have() -> None:
    with pytest.raises(ValueError, match="no column 'colour'"):
        ArrayRows(Delivery.__table__, columns=("kind", "colour"), key="dedupe_key", returning="id")
