"""storage.bulk.insert_many: each row stored once and in the order given, a held key
skipped, the inserted keys returned, left-out columns at their defaults, JSON as JSON — on
SQLite (multi-row statements of its own) and (services) PostgreSQL (COPY)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Table, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from storage import bulk, contacts
from storage import events as event_rows
from storage.brands import ensure_brand
from storage.db import open_database
from storage.models import ContactRow, CustomerRow, EventRow
from tests.storage.test_postgres import db, engine  # noqa: F401  (fixtures)

AT = dt.datetime(2026, 11, 3, 9, 30)


def _event(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"e{n}",
        "customer_id": f"c{n % 3}",
        "type": "sent",
        "at": AT + dt.timedelta(minutes=n),
        "draft_id": None,
        "product": None,
        "text": None,
        "topic": None,
        "kind": "care_message" if n % 2 else None,
        "trigger": None,
        "stage": None,
        "criticism": False,
    } | extra


def _check(sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    # small chunks, so one call spans several statements
    monkeypatch.setattr(bulk, "SQLITE_ROWS", 4)
    monkeypatch.setattr(bulk, "MANY_CHUNK", 4)
    with sessions.begin() as s:
        first = event_rows.insert_new(s, "b", [_event(n) for n in range(10)])
    assert first == {f"e{n}" for n in range(10)}
    with sessions.begin() as s:
        again = event_rows.insert_new(
            s, "b", [_event(n, text="again") for n in range(5, 13)] + [_event(12)]
        )
        table: Table = EventRow.__table__  # type: ignore[assignment]
        plain = bulk.insert_many(s, table, [{**_event(20), "brand_id": "b"}])  # no returning
    assert again == {"e10", "e11", "e12"} and plain == []
    with sessions() as s:
        rows = s.scalars(select(EventRow).order_by(EventRow.event_id)).all()
    assert sorted(r.event_id for r in rows) == sorted(f"e{n}" for n in [*range(13), 20])
    by_id = {r.event_id: r for r in rows}
    monkeypatch.setattr(bulk, "SELECT_IN", 4)  # several statements on SQLite
    with sessions() as s:
        table = EventRow.__table__  # type: ignore[assignment]
        asked = {f"e{n}" for n in range(0, 30, 2)}
        found = bulk.select_in(s.connection(), table, ["event_id", "type"], "event_id", asked)
        of_b = bulk.select_in(s.connection(), table, ["event_id"], "event_id", asked, brand_id="b")
        of_x = bulk.select_in(s.connection(), table, ["event_id"], "event_id", asked, brand_id="x")
        none = bulk.select_in(s.connection(), table, ["event_id"], "event_id", set())
    held = {f"e{n}" for n in (0, 2, 4, 6, 8, 10, 12, 20)}
    assert sorted(found) == sorted((e, "sent") for e in held)
    assert {e for (e,) in of_b} == held and of_x == [] and none == []
    assert by_id["e5"].text is None  # the held row was kept as it was
    assert by_id["e7"].kind == "care_message" and by_id["e8"].kind is None
    assert by_id["e3"].at == AT + dt.timedelta(minutes=3)
    assert all(r.created_at is not None and r.criticism is False for r in rows)

    day = dt.date(2026, 11, 4)
    with sessions.begin() as s:
        sent = [
            {"customer_id": f"c{n}", "channel": "sms", "purpose": "care", "date": day}
            for n in range(6)
        ]
        assert contacts.record_contacts(s, "b", sent) == 6
    with sessions() as s:
        logged = s.scalars(select(ContactRow).order_by(ContactRow.id)).all()
    assert [r.customer_id for r in logged] == [f"c{n}" for n in range(6)]
    assert all(r.draft_id is None and r.created_at is not None for r in logged)

    # a JSON column, with a held key skipped: the stored values read back as sent
    table = CustomerRow.__table__  # type: ignore[assignment]
    record = {"id": "c1", "name": '许晴 "Q"', "tags": {"skin": "敏感肌"}, "purchases": []}
    with sessions.begin() as s:
        new = bulk.insert_many(
            s,
            table,
            [{"brand_id": "b", "customer_id": f"c{n}", "data": record} for n in (1, 2, 1)],
            skip_duplicates_on=("brand_id", "customer_id"),
            returning="customer_id",
        )
    assert new == ["c1", "c2"]  # in the order given, the repeat skipped
    with sessions() as s:
        held = s.execute(select(CustomerRow.customer_id, CustomerRow.data)).all()
    assert sorted(held) == [("c1", record), ("c2", record)]

    # rows as tuples (an ingest's way): the same statements, the same stored values
    with sessions.begin() as s:
        ensure_brand(s, "t")
        rows = [_event(n, text="t" if n % 3 else None, criticism=n == 4) for n in range(10)]
        tuples = [("t", *(r[c] for c in event_rows.EVENT_COLUMNS[1:])) for r in rows]
        # expected new: straight in (PostgreSQL: a plain COPY), then six held, refused by
        # the key and taken the usual way, in the same transaction
        first = event_rows.insert_new_rows(s, "t", tuples[:6], expect_new=True)
        assert first == {f"e{n}" for n in range(6)}
        again = event_rows.insert_new_rows(s, "t", tuples, expect_new=True)
        assert again == {f"e{n}" for n in range(6, 10)}
        assert event_rows.insert_new_rows(s, "t", tuples) == set()
    columns = [c for c in EventRow.__table__.c if c.name not in ("id", "brand_id")]
    with sessions() as s:
        stored = s.execute(
            select(*columns).where(EventRow.brand_id == "t").order_by(EventRow.id)
        ).all()
    assert [tuple(r)[:-1] for r in stored] == [tuple(r.values()) for r in rows]
    assert all(r.created_at is not None for r in stored)


def test_insert_many_on_sqlite(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    _, sessions = open_database(settings)
    with sessions.begin() as s:
        ensure_brand(s, "b")
    _check(sessions, monkeypatch)


def test_sqlite_statements_stay_under_its_variable_limit(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "SQLITE_VARIABLES", 999)  # an SQLite before 3.32
    sqlite, sessions = open_database(settings)
    sizes: list[int] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("INSERT INTO events"):
            sizes.append(len(parameters))

    event.listen(sqlite, "before_cursor_execute", seen)
    try:
        with sessions.begin() as s:
            new = event_rows.insert_new(s, "b", [_event(n) for n in range(300)])
    finally:
        event.remove(sqlite, "before_cursor_execute", seen)
    assert len(new) == 300
    assert len(sizes) > 1 and max(sizes) <= 999  # 71 rows of 14 values a statement


@pytest.mark.services
def test_insert_many_on_postgresql(db, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    with db.begin() as s:
        ensure_brand(s, "b")
    _check(db, monkeypatch)


def _import_with_statistics(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    from drafting import customers as customer_store
    from knowledge.pack import Customer
    from storage.models import CustomerRow

    # chunks of 2: the statistics are gathered at 8 and 32 customers, mid-transaction
    monkeypatch.setattr(customer_store, "IMPORT_CHUNK", 2)
    store = customer_store.CustomerStore(sessions)
    people = [Customer(id=f"c{i}", name=f"n{i}", stage="初识", opted_out=i == 5) for i in range(40)]
    assert store.import_many("b", people, brand=None, source="pack") == 40
    with sessions() as s:
        held = s.scalars(select(CustomerRow.customer_id).where(CustomerRow.brand_id == "b")).all()
    assert sorted(held) == sorted(p.id for p in people)
    assert store.get("b", "c5").opted_out and not store.get("b", "c6").opted_out


def test_a_large_import_gathers_statistics_on_the_way_sqlite(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, sessions = open_database(settings)
    _import_with_statistics(sessions, monkeypatch)


@pytest.mark.services
def test_a_large_import_gathers_statistics_on_the_way_postgresql(
    db,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    _import_with_statistics(db, monkeypatch)
    with db.begin() as s:  # the transaction goes on after it
        bulk.refresh_statistics(s, EventRow.__table__)  # type: ignore[arg-type]
        assert s.scalar(select(func.count()).select_from(EventRow)) == 0


def _statistics_as_events_grow(sessions: sessionmaker[Session]) -> list[bool]:
    """Whether each check gathered statistics: rows in, check, check again, more rows in."""
    table: Table = EventRow.__table__  # type: ignore[assignment]
    done = []
    for first, count in ((0, 200), (200, 0), (200, 2000)):
        with sessions.begin() as s:
            event_rows.insert_new(s, "b", [_event(n) for n in range(first, first + count)])
        with sessions.begin() as s:
            done.append(bulk.refresh_statistics_if_grown(s, table, least_pages=1))
    return done


def test_statistics_are_gathered_as_a_table_grows_sqlite(settings: Settings) -> None:
    _, sessions = open_database(settings)
    assert _statistics_as_events_grow(sessions) == [False, False, False]  # PostgreSQL only


@pytest.mark.services
def test_statistics_are_gathered_as_a_table_grows_postgresql(db) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    with db.begin() as s:
        ensure_brand(s, "b")
    # gathered once it has a page, not again until it is four times that size
    assert _statistics_as_events_grow(db) == [True, False, True]


def test_sqlite_datetimes_are_written_as_sqlalchemy_writes_them() -> None:
    """The short way for a naive datetime gives SQLAlchemy's own text; anything else (an
    aware datetime, a date) goes through SQLAlchemy's processor."""
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()  # type: ignore[no-untyped-call]
    column = EventRow.__table__.c.at
    ours = bulk._processor(column, dialect)
    theirs = column.type._cached_bind_processor(dialect)
    assert ours is not None and theirs is not None and ours is not theirs
    values = [
        AT,
        dt.datetime(1, 1, 1),
        dt.datetime(999, 12, 31, 23, 59, 59, 999999),
        dt.datetime(2026, 6, 1, 8, 0, 0, 5),
        dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        dt.date(2026, 6, 1),
    ]
    assert [ours(v) for v in values] == [theirs(v) for v in values]
    assert ours(AT) == "2026-11-03 09:30:00.000000"
