"""An INSERT that skips rows whose unique key exists already, and that SQLAlchemy compiles only once.

The dialects' own ``insert(...).on_conflict_do_nothing()`` constructs opt out of SQLAlchemy's statement cache
(``inherit_cache = False``): compiled afresh on every execution, which costs about as much as the round trip itself
for a placement's few outbox rows. ``INSERT ... ON CONFLICT (key) DO NOTHING`` is the same text on PostgreSQL and
SQLite (3.24 and later), so the clause is plain SQL text here, part of the statement's cache key.

On PostgreSQL, many rows at once go in as one array per column (:class:`ArrayRows`): an executemany with
RETURNING is sent as one ``INSERT ... VALUES (...), (...)`` of ten parameters per row, a different SQL text for every
batch size, which psycopg parses afresh (it caches only statements of up to 50 parameters): about 40 ms of a
100-meeting burst's 400 outbox rows. The arrays make it one short statement, parsed once and prepared."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from sqlalchemy import JSON, Table, Text, bindparam, cast, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Insert

# psycopg keeps its parsed form of statements with at most this many parameters; a few rows (a placement's four
# messages) stay a VALUES list, parsed once and cheaper to send than arrays.
PSYCOPG_CACHED_PARAMETERS = 50
_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_]*")


class InsertSkippingDuplicates(Insert):
    """``INSERT INTO table ... ON CONFLICT (key) DO NOTHING``: a row whose ``key`` is taken is left out (with
    RETURNING, it returns nothing). ``key`` names a column with a unique index on it alone (not a partial one: the
    clause names no index condition)."""

    inherit_cache = True  # the clause below is in Insert's cache key (its post-values clause)

    def __init__(self, table: Table, *, key: str) -> None:
        super().__init__(table)
        if key not in table.c:
            raise ValueError(f"{table.name} has no column {key!r}")
        if not _PLAIN_NAME.fullmatch(key):  # written into the SQL as it is: a name that needs quoting is refused
            raise ValueError(f"{key!r} is not a plain lower-case column name")
        self._post_values_clause = text(f"ON CONFLICT ({key}) DO NOTHING")


class ArrayRows:
    """Insert rows that skip duplicates of ``key`` (as :class:`InsertSkippingDuplicates`), with RETURNING
    ``returning``: on PostgreSQL, more than a few rows as ``INSERT ... SELECT * FROM unnest(:column_a, :column_b,
    ...)``, one array parameter per column, the same SQL text whatever the number of rows; otherwise as an
    executemany. Every row
    gives a value for each of ``columns`` (a missing one is a KeyError, not a silent default)."""

    def __init__(self, table: Table, *, columns: Sequence[str], key: str, returning: str) -> None:
        missing = [name for name in columns if name not in table.c]
        if missing:
            raise ValueError(f"{table.name} has no column {missing[0]!r}")
        self.columns = tuple(columns)
        base = InsertSkippingDuplicates(table, key=key)
        self.rows = base.returning(table.c[returning])
        # A JSON value goes in as its text, cast back: an array of JSON would take a list value for a nested array.
        self.as_text = frozenset(name for name in self.columns if isinstance(table.c[name].type, JSON))
        arrays = func.unnest(*(bindparam(name, type_=ARRAY(Text if name in self.as_text else table.c[name].type))
                               for name in self.columns))  # fmt: skip
        values = arrays.table_valued(*self.columns).render_derived(name="v")
        picked = (cast(values.c[name], table.c[name].type) if name in self.as_text else values.c[name]
                  for name in self.columns)  # fmt: skip
        self.arrays = base.from_select(self.columns, select(*picked)).returning(table.c[returning])

    def insert(self, session: Session, rows: list[dict]) -> list:
        """Insert ``rows``; returns the ``returning`` column of the rows inserted (not of those skipped)."""
        if not rows:
            return []
        if len(rows) * len(self.columns) > PSYCOPG_CACHED_PARAMETERS and session.get_bind().dialect.name == "postgresql":
            arrays = {name: [json.dumps(row[name]) if name in self.as_text else row[name] for row in rows]
                      for name in self.columns}  # fmt: skip
            return list(session.scalars(self.arrays, arrays))
        return list(session.scalars(self.rows, [{name: row[name] for name in self.columns} for row in rows]))
