"""An INSERT that skips rows whose unique key exists already, and that SQLAlchemy compiles only once.

The dialects' own ``insert(...).on_conflict_do_nothing()`` constructs opt out of SQLAlchemy's statement cache
(``inherit_cache = False``): compiled afresh on every execution, which costs about as much as the round trip itself
for a placement's few outbox rows. ``INSERT ... ON CONFLICT (key) DO NOTHING`` is the same text on PostgreSQL and
SQLite (3.24 and later), so the clause is plain SQL text here, part of the statement's cache key."""

from __future__ import annotations

import re

from sqlalchemy import Table, text
from sqlalchemy.sql.expression import Insert

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
