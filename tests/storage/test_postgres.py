"""The same repository tests and the migrations against PostgreSQL, in a private schema.

Marked ``services``: skipped when PostgreSQL is unreachable, unless ZHENXIN_TEST_SERVICES=1
(CI), where unreachable PostgreSQL is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, inspect, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from storage.db import current_revision, make_engine, upgrade_to_head
from tests.conftest import services_required
from tests.storage.repo_cases import *  # noqa: F403  (collect the shared cases here)

pytestmark = pytest.mark.services

# Fail, never hang, if another session holds a lock we need.
TIMEOUTS = "-c lock_timeout=10000 -c statement_timeout=30000"

PG_URL = os.environ.get(
    "ZHENXIN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _admin() -> Engine:
    eng = create_engine(PG_URL, connect_args={"connect_timeout": 3, "options": TIMEOUTS})
    try:
        with eng.connect() as c:
            c.execute(text("SELECT 1"))
    except Exception as exc:
        eng.dispose()
        if services_required():
            pytest.fail(f"PostgreSQL at {PG_URL} is required (ZHENXIN_TEST_SERVICES=1): {exc}")
        pytest.skip(
            f"PostgreSQL unreachable at {PG_URL} ({type(exc).__name__}); "
            "set ZHENXIN_TEST_SERVICES=1 to make this a failure"
        )
    return eng


@pytest.fixture
def engine() -> Iterator[Engine]:
    admin = _admin()
    schema = f"zx_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    # the schema in the URL itself: a process started from this engine's URL (an ingest's
    # workers) finds the same tables
    url = make_url(PG_URL).update_query_dict(
        {"connect_timeout": "3", "options": f"-csearch_path={schema} {TIMEOUTS}"}
    )
    eng = make_engine(url.render_as_string(hide_password=False))
    try:
        upgrade_to_head(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def test_postgres_migrations_reach_head_twice(engine: Engine) -> None:
    upgrade_to_head(engine)
    assert current_revision(engine) is not None
    assert "draft_versions" in inspect(engine).get_table_names()
