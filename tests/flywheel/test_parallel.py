"""The ingest over several processes, where no database is needed: a worker that cannot
reach its database ends the ingest with one clear error, within a bound, and SQLite is
refused before any process starts. (The ingest itself, equal to one process's, is tested
on PostgreSQL in tests/storage/test_postgres_events.py.)"""

from __future__ import annotations

import time

import pytest

from core.errors import ZhenxinError
from flywheel.parallel import ingest_in_processes, worker_of

EVENTS = [
    {"id": f"e{n}", "customer_id": f"c{n % 5}", "type": "sent", "at": "2026-11-01"}
    for n in range(20)
]


def test_a_worker_that_cannot_reach_its_database_ends_the_ingest_with_one_error() -> None:
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:9/nowhere?connect_timeout=2"
    started = time.monotonic()
    with pytest.raises(ZhenxinError, match="ingest worker failed: OperationalError"):
        ingest_in_processes(unreachable, "b", None, [EVENTS[:10], EVENTS[10:]], workers=2)
    assert time.monotonic() - started < 60


def test_sqlite_is_refused_before_any_worker_starts() -> None:
    with pytest.raises(ZhenxinError, match="needs PostgreSQL"):
        ingest_in_processes("sqlite:///x.db", "b", None, [EVENTS], workers=2)
    with pytest.raises(ValueError):
        ingest_in_processes("postgresql://x/y", "b", None, [EVENTS], workers=1)


def test_a_customer_always_goes_to_the_same_worker() -> None:
    assert [worker_of("sx-0000003", 2) for _ in range(3)] == [0, 0, 0]
    assert {worker_of(f"c{n}", 4) for n in range(40)} == {0, 1, 2, 3}
