"""Many rows into one table in a few round trips, on SQLite and on PostgreSQL.

SQLite gets multi-row ``INSERT … VALUES (?, …), (?, …) … [ON CONFLICT DO NOTHING]
[RETURNING …]`` statements of ``SQLITE_ROWS`` rows, written here and sent through the
driver: each value converted once by its column type's own bind processor (a datetime as
the text SQLAlchemy stores), without SQLAlchemy's per-parameter compile-and-process work,
which cost more than SQLite's own insert.

PostgreSQL gets ``COPY``: the rows stream to the server in its text format, each row
formatted by psycopg's C code (an array per column, the previous way, spent most of an
ingest's client time in psycopg's Python list dumper; a multi-row ``VALUES`` statement before
that was re-parsed by psycopg on every execute). Rows go straight into the table, or — when
held keys must be skipped or inserted keys returned — into a temporary table of the same
columns (dropped at commit) and from there by::

    INSERT INTO events (brand_id, event_id, …) SELECT brand_id, event_id, … FROM zx_copy_events
    ON CONFLICT (brand_id, event_id) DO NOTHING RETURNING event_id

so the unique key still decides, in the database, which of two writers of a key wins.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Collection, Mapping, Sequence
from itertools import chain
from typing import Any

from sqlalchemy import Column, Connection, DateTime, Dialect, Table, insert, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

MANY_CHUNK = 500  # rows per executemany (another database: SQLAlchemy's multi-row statements)
Values = Sequence[tuple[Any, ...]]  # rows converted for the driver, in the columns' order
Columns = Sequence[Column[Any]]
SQLITE_ROWS = 500  # rows per SQLite statement (at 14 columns, 7,000 of its 32,766 variables)
# the most variables one SQLite statement may hold (999 before SQLite 3.32)
SQLITE_VARIABLES = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999


def insert_many(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    skip_duplicates_on: Sequence[str] = (),
    returning: str | None = None,
) -> list[Any]:
    """Insert ``rows`` (each a mapping of column name to value; a column left out takes its
    default) into ``table``, in the order given. With ``skip_duplicates_on`` (the columns of
    a unique key) a row whose key is already held is skipped — by the database, so two
    writers of the same key cannot both win. Returns the ``returning`` column of the rows
    inserted (empty without it)."""
    if not rows:
        return []
    dialect = session.get_bind().dialect
    if dialect.name in ("postgresql", "sqlite"):
        columns = _columns(table, rows)
        values = _values(dialect, columns, rows)
        return _write(session, table, columns, values, skip_duplicates_on, returning)
    stmt: Any = insert(table)
    out: list[Any] = []
    for start in range(0, len(rows), MANY_CHUNK):
        chunk = [dict(r) for r in rows[start : start + MANY_CHUNK]]
        if returning is None:
            session.execute(stmt, chunk)
        else:
            out.extend(session.execute(stmt.returning(table.c[returning]), chunk).scalars())
    return out


def insert_tuples(
    session: Session,
    table: Table,
    names: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    skip_duplicates_on: Sequence[str] = (),
    returning: str | None = None,
    expect_new: bool = False,
) -> list[Any]:
    """:func:`insert_many` of rows given as tuples of the columns ``names`` (in that order;
    the table's other columns with a default computed here, ``created_at``, take it, the
    rest are left to the database): the same stored values without a mapping built and read
    back for every row (an ingest writes its events this way).

    ``expect_new`` (with ``skip_duplicates_on``: the caller expects no row's key to be held):
    PostgreSQL first COPYs the rows straight into the table, inside a savepoint, and only if
    the unique key refuses one (another writer got there first) undoes that and takes the
    usual way through a temporary table and ``ON CONFLICT DO NOTHING``. The same rows in the
    same order either way; the straight COPY spares the server the temporary table and a
    speculative insertion per row."""
    if not rows:
        return []
    dialect = session.get_bind().dialect
    if dialect.name not in ("postgresql", "sqlite"):
        return insert_many(
            session,
            table,
            [dict(zip(names, row, strict=True)) for row in rows],
            skip_duplicates_on=skip_duplicates_on,
            returning=returning,
        )
    named = [table.c[n] for n in names]
    defaulted = [
        c
        for c in table.columns
        if c.name not in names and c.default is not None and c is not table.autoincrement_column
    ]
    extra = tuple(_process(c, dialect, _default(c)) for c in defaulted)
    processors = [(i, p) for i, c in enumerate(named) if (p := _processor(c, dialect)) is not None]
    if processors:
        by_column: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for i, process in processors:
            by_column[i] = [None if v is None else process(v) for v in by_column[i]]
        rows = list(zip(*by_column, strict=True))
    values = [row + extra for row in rows] if extra else list(rows)
    columns = [*named, *defaulted]
    if (
        expect_new
        and skip_duplicates_on
        and dialect.name == "postgresql"
        and (returning is None or returning in names)
        and _copy_all_new(session, table, columns, values)
    ):
        if returning is None:
            return []
        at = list(names).index(returning)
        return [row[at] for row in values]
    return _write(session, table, columns, values, skip_duplicates_on, returning)


UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE


def _copy_all_new(session: Session, table: Table, columns: Columns, values: Values) -> bool:
    """PostgreSQL: COPY the rows straight into ``table`` inside a savepoint; False (the
    savepoint undone: nothing of them written) when a unique key of the table refuses one."""
    try:
        with session.begin_nested():
            _copy(session.connection(), table, columns, values, "")
    except Exception as exc:
        cause = exc.orig if isinstance(exc, DBAPIError) else exc
        if getattr(cause, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        return False
    return True


def _write(
    session: Session,
    table: Table,
    columns: Columns,
    values: list[tuple[Any, ...]],
    skip_duplicates_on: Sequence[str],
    returning: str | None,
) -> list[Any]:
    """The rows' converted ``values`` (tuples in ``columns`` order) into ``table``: SQLite's
    multi-row statements or PostgreSQL's COPY."""
    dialect = session.get_bind().dialect
    quote = dialect.identifier_preparer.quote
    tail = ""  # what the statement adds after its rows
    if skip_duplicates_on:
        tail += f" ON CONFLICT ({', '.join(quote(c) for c in skip_duplicates_on)}) DO NOTHING"
    if returning is not None:
        tail += f" RETURNING {quote(returning)}"
    write = _copy if dialect.name == "postgresql" else _sqlite_values
    return write(session.connection(), table, columns, values, tail)


SELECT_IN = 500  # keys per SQLite ``IN (…)``


def select_in(
    db: Connection,
    table: Table,
    columns: Sequence[str],
    key: str,
    keys: Collection[Any],
    **equal: Any,
) -> list[tuple[Any, ...]]:
    """``columns`` of the rows of ``table`` whose ``key`` is one of ``keys`` (and whose
    columns named in ``equal`` hold those values), in statements written here and sent
    through the driver: SQLAlchemy's expanding ``IN`` cost more than the look-up itself.
    PostgreSQL gets the keys as one array (one statement, one plan for any number), SQLite
    :data:`SELECT_IN` of them an ``IN (…)``."""
    if not keys:
        return []
    quote = db.dialect.identifier_preparer.quote
    postgres = db.dialect.name == "postgresql"
    mark = "?" if db.dialect.paramstyle == "qmark" else "%s"
    head = f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table.name)} WHERE "
    head += "".join(f"{quote(name)} = {mark} AND " for name in equal)
    fixed = tuple(equal.values())
    wanted = list(keys)
    if postgres:
        sql = head + f"{quote(key)} = ANY({mark})"
        return [tuple(row) for row in db.exec_driver_sql(sql, (*fixed, wanted))]
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(wanted), SELECT_IN):
        part = wanted[start : start + SELECT_IN]
        sql = head + f"{quote(key)} IN ({', '.join([mark] * len(part))})"
        found.extend(tuple(row) for row in db.exec_driver_sql(sql, (*fixed, *part)))
    return found


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


def refresh_statistics_if_grown(
    session: Session, table: Table, *, growth: int = 4, least_pages: int = 128
) -> bool:
    """PostgreSQL: :func:`refresh_statistics` when ``table`` has grown ``growth`` times past
    the size its statistics were last gathered at (``pg_class.relpages``), or to
    ``least_pages`` (1 MB) when it has none; whether it did. A table filled by an ingest is
    analyzed a few times on the way (at 100,000 customers: 5 times for 920,000 events),
    as autovacuum would — which may be off, or behind. Without statistics a look-up of 500
    customers' events was planned as a walk of the brand's (brand, event id) index: every
    event of the brand for each chunk. A catalog read per call; no-op elsewhere. Call it
    in a transaction of its own (the statistics lock is then held only for the ANALYZE)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    sizes = session.execute(
        text(
            "SELECT relpages, pg_relation_size(oid) / current_setting('block_size')::int "
            "FROM pg_class WHERE oid = to_regclass(:name)"
        ),
        {"name": table.name},
    ).first()
    if sizes is None:
        return False
    analyzed, now = int(sizes[0] or 0), int(sizes[1] or 0)
    if now < max(growth * analyzed, least_pages):
        return False
    refresh_statistics(session, table)
    return True


def _columns(table: Table, rows: Sequence[Mapping[str, Any]]) -> list[Column[Any]]:
    """The columns the rows name, and those with a default computed here (``created_at``);
    the others are left to the database (its default, or NULL)."""
    named = {name for r in rows for name in r}
    return [
        c
        for c in table.columns
        if c.name in named or (c.default is not None and c is not table.autoincrement_column)
    ]


def _default(column: Column[Any]) -> Any:
    default = column.default
    if default is None:
        return None
    arg = getattr(default, "arg", None)
    if getattr(default, "is_callable", False) and callable(arg):
        return arg(None)  # SQLAlchemy wraps a zero-argument default to take a context
    return arg


# SQLite's DATETIME as SQLAlchemy stores it by default: "2026-06-01 08:30:00.000000"
_SQLITE_DATETIME = (
    "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"
)


def _processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy converts a value of ``column`` with for ``dialect`` (None: as it is).
    A naive datetime for SQLite's default storage format is written by ``isoformat`` — the
    same text, a tenth of the cost of the dialect's ``%`` of a dict (an ingest sends one a
    row); anything else goes through the dialect's own processor."""
    process = column.type._cached_bind_processor(dialect)
    if process is None or dialect.name != "sqlite" or not isinstance(column.type, DateTime):
        return process
    impl = column.type.dialect_impl(dialect)
    if getattr(impl, "_storage_format", None) != _SQLITE_DATETIME:
        return process
    exact = dt.datetime

    def fast(value: Any) -> Any:
        if type(value) is exact and value.tzinfo is None:
            return value.isoformat(" ", "microseconds")
        return process(value)

    return fast


def _process(column: Column[Any], dialect: Dialect, value: Any) -> Any:
    """One value of ``column`` converted as SQLAlchemy would for ``dialect``."""
    process = _processor(column, dialect)
    return value if value is None or process is None else process(value)


def _values(
    dialect: Dialect, columns: Sequence[Column[Any]], rows: Sequence[Mapping[str, Any]]
) -> list[tuple[Any, ...]]:
    """Each row as a tuple in ``columns`` order, a left-out column at its default (worked
    out once a call: one ``created_at`` for the rows of one call), each value converted as
    SQLAlchemy would for ``dialect`` (:func:`_processor`). Column by column: a list
    comprehension a column costs less than a loop a value."""
    out = []
    for c in columns:
        default = _default(c)
        values = [r.get(c.name, default) for r in rows]
        process = _processor(c, dialect)
        if process is not None:
            values = [None if v is None else process(v) for v in values]
        out.append(values)
    return list(zip(*out, strict=True))


def _sqlite_values(
    db: Connection, table: Table, columns: Columns, values: Values, tail: str
) -> list[Any]:
    quote = db.dialect.identifier_preparer.quote
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in columns)}) VALUES "
    one = "(" + ", ".join("?" * len(columns)) + ")"
    out: list[Any] = []
    per = max(1, min(SQLITE_ROWS, SQLITE_VARIABLES // max(len(columns), 1)))
    for start in range(0, len(values), per):
        chunk = values[start : start + per]
        sql = head + ", ".join([one] * len(chunk)) + tail
        result = db.exec_driver_sql(sql, tuple(chain.from_iterable(chunk)))
        if "RETURNING" in tail:
            out.extend(result.scalars().all())
    return out


def _copy(db: Connection, table: Table, columns: Columns, values: Values, tail: str) -> list[Any]:
    quote = db.dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in columns)
    target = quote(table.name)
    direct = not tail  # nothing to skip or return: straight into the table
    into = target if direct else quote(f"zx_copy_{table.name}")
    cursor = db.connection.cursor()
    try:
        if not direct:  # a table of the same columns, and each row's place in the call
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {into} ON COMMIT DROP AS "
                f"SELECT {names}, 0::bigint AS zx_n FROM {target} WITH NO DATA"
            )
            cursor.execute(f"TRUNCATE {into}")
        copied = names if direct else f"{names}, zx_n"
        with cursor.copy(f"COPY {into} ({copied}) FROM STDIN") as copy:
            for n, row in enumerate(values):
                copy.write_row(row if direct else (*row, n))
        if direct:
            return []
        cursor.execute(
            f"INSERT INTO {target} ({names}) SELECT {names} FROM {into} ORDER BY zx_n{tail}"
        )
        return [row[0] for row in cursor.fetchall()] if "RETURNING" in tail else []
    finally:
        cursor.close()


__all__ = [
    "insert_many",
    "insert_tuples",
    "refresh_statistics",
    "refresh_statistics_if_grown",
    "select_in",
]
