"""Many rows into one table in a few round trips, on SQLite and on PostgreSQL.

SQLite takes a Core executemany (SQLAlchemy folds it into multi-row ``INSERT … VALUES``
statements, compiled once). On PostgreSQL the same multi-row statement carries one
placeholder per value — 6,500 for 500 events — and psycopg re-parses a statement that long on
every execute (it caches only short ones): that parsing was most of an event ingest's time.
So PostgreSQL gets one array per column instead::

    INSERT INTO events (brand_id, event_id, …)
    SELECT * FROM unnest(CAST(:c0 AS VARCHAR(32)[]), CAST(:c1 AS VARCHAR(128)[]), …)
    ON CONFLICT (brand_id, event_id) DO NOTHING RETURNING event_id

a short statement with one parameter per column, prepared once and sent with
``ARRAY_CHUNK`` rows at a time. (A table with a JSON column takes the executemany there too.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Table, bindparam, insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import sqltypes

MANY_CHUNK = 500  # rows per executemany (SQLAlchemy folds them into multi-row statements)
ARRAY_CHUNK = 5000  # rows per PostgreSQL statement (one array per column)


def insert_many(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    skip_duplicates_on: Sequence[str] = (),
    returning: str | None = None,
) -> list[Any]:
    """Insert ``rows`` (each a mapping of column name to value; a column left out takes its
    default) into ``table``. With ``skip_duplicates_on`` (the columns of a unique key) a row
    whose key is already held is skipped — by the database, so two writers of the same key
    cannot both win. Returns the ``returning`` column of the rows inserted (empty without it)."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and not any(_structured(c) for c in _columns(table, rows)):
        return _insert_arrays(session, table, rows, skip_duplicates_on, returning)
    stmt: Any
    if skip_duplicates_on:
        stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
            table
        ).on_conflict_do_nothing(index_elements=list(skip_duplicates_on))
    else:
        stmt = insert(table)
    out: list[Any] = []
    for start in range(0, len(rows), MANY_CHUNK):
        chunk = [dict(r) for r in rows[start : start + MANY_CHUNK]]
        if returning is None:
            session.execute(stmt, chunk)
        else:
            out.extend(session.execute(stmt.returning(table.c[returning]), chunk).scalars())
    return out


def refresh_statistics(session: Session, table: Table) -> None:
    """PostgreSQL: gather ``table``'s planner statistics now, inside the transaction (they
    count its own new rows). A table that grew in one long transaction has none yet, and
    without them ``brand_id = ? AND customer_id IN (…)`` was planned as a walk of the whole
    brand for every chunk. No-op elsewhere, or when the role may not analyze the table."""
    if session.get_bind().dialect.name != "postgresql":
        return
    quote = postgresql.dialect().identifier_preparer.quote  # type: ignore[no-untyped-call]
    try:
        with session.begin_nested():  # a refusal must not end the caller's transaction
            session.execute(text(f"ANALYZE {quote(table.name)}"))
    except DBAPIError:
        pass


def _columns(table: Table, rows: Sequence[Mapping[str, Any]]) -> list[Column[Any]]:
    """The columns the rows name, and those with a default computed here (``created_at``);
    the others are left to the database (its default, or NULL)."""
    named = {name for r in rows for name in r}
    return [
        c
        for c in table.columns
        if c.name in named or (c.default is not None and c is not table.autoincrement_column)
    ]


def _structured(column: Column[Any]) -> bool:
    """A JSON or array column: its values do not travel as one element of an array."""
    return isinstance(column.type, (sqltypes.JSON, sqltypes.ARRAY))


def _default(column: Column[Any]) -> Any:
    default = column.default
    if default is None:
        return None
    arg = getattr(default, "arg", None)
    if getattr(default, "is_callable", False) and callable(arg):
        return arg(None)  # SQLAlchemy wraps a zero-argument default to take a context
    return arg


def _insert_arrays(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    skip_duplicates_on: Sequence[str],
    returning: str | None,
) -> list[Any]:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    quote = dialect.identifier_preparer.quote
    columns = _columns(table, rows)
    arrays = ", ".join(
        f"CAST(:c{i} AS {c.type.compile(dialect=dialect)}[])" for i, c in enumerate(columns)
    )
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in columns)}) "
        f"SELECT * FROM unnest({arrays})"
    )
    if skip_duplicates_on:
        sql += f" ON CONFLICT ({', '.join(quote(c) for c in skip_duplicates_on)}) DO NOTHING"
    if returning is not None:
        sql += f" RETURNING {quote(returning)}"
    stmt = text(sql).bindparams(
        *(bindparam(f"c{i}", type_=postgresql.ARRAY(c.type)) for i, c in enumerate(columns))
    )
    defaults = {c.name: _default(c) for c in columns}
    out: list[Any] = []
    for start in range(0, len(rows), ARRAY_CHUNK):
        chunk = rows[start : start + ARRAY_CHUNK]
        params = {
            f"c{i}": [r[c.name] if c.name in r else defaults[c.name] for r in chunk]
            for i, c in enumerate(columns)
        }
        result = session.execute(stmt, params)
        if returning is not None:
            out.extend(result.scalars())
    return out


__all__ = ["insert_many", "refresh_statistics"]
