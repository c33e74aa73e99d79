"""The Alembic migrations build exactly the models' schema, and the code refuses to run on an old one."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, inspect, text

from storage.db import Database, SchemaOutOfDate
from storage.models import Base


def schema_differences(db: Database) -> list:
    """What ``alembic revision --autogenerate`` would want to change: tables, columns, types,
    nullability, indexes, unique and foreign keys (server defaults are not compared, as by default)."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def check_constraint_names(db: Database) -> dict[str, set[str]]:
    """Alembic's comparison skips CHECK constraints, so compare their names separately."""
    inspector = inspect(db.engine)
    return {table: {c["name"] for c in inspector.get_check_constraints(table)} for table in Base.metadata.tables}


def model_check_constraint_names() -> dict[str, set[str]]:
    return {
        name: {str(c.name) for c in table.constraints if isinstance(c, CheckConstraint)}
        for name, table in Base.metadata.tables.items()
    }


def set_alembic_version(db: Database, revision: str) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :revision"), {"revision": revision})


def test_upgrade_from_empty_matches_the_models(db: Database) -> None:
    # The ``db`` fixture's schema was built by ``alembic upgrade head`` on an empty database
    # (a SQLite file, or PostgreSQL's emptied public schema), never by create_all().
    assert db.current_revision() == db.head_revision()
    assert schema_differences(db) == []
    assert check_constraint_names(db) == model_check_constraint_names()
    assert check_constraint_names(db)["agenda_sessions"] == {
        "ck_agenda_sessions_ends_after_start",
        "ck_agenda_sessions_kind",
        "ck_agenda_sessions_status",
    }


def test_fresh_sqlite_upgrade_matches_the_models(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert db.is_empty()
        db.migrate()

        assert schema_differences(db) == []
        assert set(inspect(db.engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
    finally:
        db.dispose()


def test_current_schema_passes_the_check(db: Database) -> None:
    db.ensure_schema(migrate_if_new=False)
    db.ensure_schema(migrate_if_new=True)


@pytest.mark.parametrize("revision", ["0000", "ffffdeadbeef"], ids=["older", "unknown"])
def test_out_of_date_schema_is_refused_with_what_to_run(db: Database, revision: str) -> None:
    head = db.head_revision()
    set_alembic_version(db, revision)
    try:
        with pytest.raises(SchemaOutOfDate) as raised:
            db.ensure_schema()
    finally:
        set_alembic_version(db, head)

    message = str(raised.value)
    assert "python -m bot migrate" in message
    assert revision in message
    assert head in message
    assert db.current_revision() == head


def test_tables_without_a_revision_are_refused(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'unversioned.db'}")
    try:
        Base.metadata.create_all(db.engine)

        with pytest.raises(SchemaOutOfDate, match=r"at revision none .*python -m bot migrate"):
            db.ensure_schema(migrate_if_new=True)
    finally:
        db.dispose()


def test_brand_new_database_is_migrated_by_ensure_schema(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        assert db.is_empty()

        db.ensure_schema(migrate_if_new=True)

        assert not db.is_empty()
        assert db.current_revision() == db.head_revision()
        assert schema_differences(db) == []
    finally:
        db.dispose()


def test_brand_new_database_is_refused_when_not_allowed_to_migrate(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        with pytest.raises(SchemaOutOfDate, match="python -m bot migrate"):
            db.ensure_schema(migrate_if_new=False)
        assert db.is_empty()
    finally:
        db.dispose()
