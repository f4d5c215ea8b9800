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
