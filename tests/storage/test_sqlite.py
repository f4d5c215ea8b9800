"""Repository and migration tests on SQLite (the default database)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from storage.db import current_revision, make_engine, open_database, upgrade_to_head
from tests.storage.repo_cases import *  # noqa: F403  (collect the shared cases here)


@pytest.fixture
def engine(settings: Settings) -> Engine:
    eng, _ = open_database(settings)
    yield eng  # type: ignore[misc]
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def test_sqlite_is_wal_with_foreign_keys(engine: Engine) -> None:
    with engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_migrations_are_idempotent_and_create_every_table(settings: Settings) -> None:
    eng = make_engine(settings)
    upgrade_to_head(eng)
    upgrade_to_head(eng)
    assert current_revision(eng) is not None
    tables = set(inspect(eng).get_table_names())
    assert {
        "brands",
        "customers",
        "draft_requests",
        "drafts",
        "draft_versions",
        "reviews",
        "contacts",
        "api_keys",
        "batches",
        "batch_items",
    } <= tables
    eng.dispose()


def test_database_file_lives_in_data_dir(settings: Settings, engine: Engine) -> None:
    assert (settings.data_dir / "zhenxin.db").exists()


def test_sixteen_threads_opening_the_database_get_one_engine(settings: Settings) -> None:
    import threading

    start = threading.Barrier(16)
    opened: list[tuple[Engine, sessionmaker[Session]]] = []
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            start.wait(timeout=30)
            opened.append(open_database(settings))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(opened) == 16
    assert len({id(e) for e, _ in opened}) == 1  # one engine, one pool
    assert len({id(s) for _, s in opened}) == 1
    assert current_revision(opened[0][0]) is not None  # migrated once, for all


def test_a_deleted_sqlite_file_is_created_again(settings: Settings) -> None:
    first, _ = open_database(settings)
    first.dispose()
    (settings.data_dir / "zhenxin.db").unlink()
    again, _ = open_database(settings)
    assert again is not first
    assert current_revision(again) is not None
