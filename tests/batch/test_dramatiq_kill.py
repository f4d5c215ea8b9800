"""Scale-out safety with a real broker: two ``dramatiq`` worker processes (2 threads each) on
Redis share a PostgreSQL database; one is killed with SIGKILL mid-batch. Every item still ends
done with exactly one draft: the dead worker's claimed items are taken over once their lease
runs out, and what it had fetched but not started is sent again by the following runner.

Marked ``services`` (PostgreSQL and Redis; skipped when unreachable unless
ZHENXIN_TEST_SERVICES=1). Each test gets its own schema and Redis namespace.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from batch import queue
from batch.jobs import BatchKind, BatchSpec
from batch.service import BatchService
from core.settings import Settings
from drafting.service import DraftingService
from generator.fake import FakeDrafter
from knowledge.fake import FakeKnowledge
from storage.models import BatchItemRow, DraftRequestRow, DraftRow, DraftVersionRow
from tests.batch.conftest import customer, make_pack
from tests.batch.test_queue import _redis_or_skip
from tests.conftest import ROOT
from tests.storage.test_postgres import PG_URL, db, engine  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.services, pytest.mark.timeout(180)]

ITEMS = 200
WORKERS = 2  # dramatiq commands, one worker process each
THREADS = 2
DELAY = 0.05  # seconds per fake draft
LEASE = 2.0  # seconds: a dead worker's claims are taken over after this


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _worker_pids(masters: list[subprocess.Popen[bytes]], broker: RedisBroker) -> list[int]:
    """The worker process of each ``dramatiq --processes 1`` master, once every worker asks
    the broker for messages (it heartbeats), within a bounded wait."""
    heartbeats = f"{broker.namespace}:__heartbeats__"
    for _ in range(600):
        assert all(m.poll() is None for m in masters), "a dramatiq master exited early"
        kids = [_children(m.pid) for m in masters]
        if all(kids) and broker.client.zcard(heartbeats) >= len(masters):
            return [k[0] for k in kids]
        time.sleep(0.1)
    raise AssertionError("the dramatiq workers did not start within 60 s")


def test_kill9_one_worker_mid_batch_loses_nothing_and_drafts_once(
    settings: Settings,
    engine: Engine,  # noqa: F811  (a private schema, migrated; dropped afterwards)
    db: sessionmaker[Session],  # noqa: F811
    tmp_path: Path,
) -> None:
    _redis_or_skip(settings.redis_url)
    with engine.connect() as c:  # the workers connect to the same private schema
        pg_url = f"{PG_URL}?options=-csearch_path%3D{c.scalar(text('SHOW search_path'))}"
    settings = settings.model_copy(update={"database_url": pg_url, "job_lease_seconds": LEASE})
    sessions = db
    pack = make_pack("zh", [customer(f"c{i:03d}", bought=["2026-11-28"]) for i in range(ITEMS)])
    drafting = DraftingService(
        settings, sessions=sessions, knowledge=FakeKnowledge([pack]), drafter=FakeDrafter()
    )
    drafting.customers.import_many("qingshui", pack.customers, brand=pack.brand, source="pack")
    service = BatchService(drafting)
    record = service.create(
        BatchSpec(kind=BatchKind.CARE, brand="qingshui", date=dt.date(2026, 12, 1))
    )
    assert record.counts["pending"] == ITEMS

    namespace = f"zhenxin-kill-{uuid.uuid4().hex}"
    broker = queue.make_broker(settings.redis_url, namespace=namespace)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ZX_KILL_REDIS_URL": settings.redis_url,
        "ZX_KILL_NS": namespace,
        "ZX_KILL_DATABASE_URL": pg_url,
        "ZX_KILL_DATA_DIR": str(tmp_path / "worker"),
        "ZX_KILL_LEASE": str(LEASE),
        "ZX_KILL_DELAY": str(DELAY),
    }
    command = [sys.executable, "-m", "dramatiq", "tests.batch.kill_worker"]
    command += ["--processes", "1", "--threads", str(THREADS)]
    logs = ExitStack()
    masters = [
        subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=logs.enter_context((tmp_path / f"worker{n}.log").open("wb")),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: cleaned up as one below
        )
        for n in range(WORKERS)
    ]
    runner = queue.DramatiqRunner(
        broker, service.repo, poll_seconds=0.1, timeout=120, sweep_seconds=1.0
    )
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        victim = _worker_pids(masters, broker)[0]
        t0 = time.monotonic()
        running = pool.submit(service.run, record.id, runner=runner)
        done_at_kill = 0
        for _ in range(1200):  # bounded: wait until the batch is well under way
            done_at_kill = service.repo.get(record.id).counts["done"]
            if done_at_kill >= ITEMS // 5 or running.done():
                break
            time.sleep(0.05)
        os.kill(victim, signal.SIGKILL)
        print(f"killed at {time.monotonic() - t0:.1f}s, {done_at_kill} done")
        assert 0 < done_at_kill < ITEMS, "the batch was not mid-way when the worker was killed"
        assert masters[0].wait(timeout=30) != 0  # its master sees the worker die and stops
        summary = running.result(timeout=150)
        print(f"finished at {time.monotonic() - t0:.1f}s, resent {runner.resent}")
    finally:
        for master in masters:
            if master.poll() is None:
                os.killpg(master.pid, signal.SIGTERM)
        for master in masters:
            try:
                master.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(master.pid, signal.SIGKILL)
                master.wait(timeout=10)
        pool.shutdown(wait=False)
        logs.close()
        for key in broker.client.scan_iter(f"{namespace}*"):
            broker.client.delete(key)
        broker.close()

    assert summary.counts == {"pending": 0, "running": 0, "done": ITEMS, "failed": 0, "skipped": 0}
    assert summary.ran == {"done": ITEMS}
    with sessions() as s:
        items = s.execute(
            select(BatchItemRow.key, BatchItemRow.draft_id, BatchItemRow.attempts)
        ).all()
        per_customer = s.execute(
            select(DraftRequestRow.customer_id, func.count()).group_by(DraftRequestRow.customer_id)
        ).all()
        drafts = s.scalar(select(func.count()).select_from(DraftRow))
        versions = s.scalar(select(func.count()).select_from(DraftVersionRow))
    assert len(items) == ITEMS and all(draft_id for _, draft_id, _ in items)
    assert len({draft_id for _, draft_id, _ in items}) == ITEMS
    assert sorted(per_customer) == [(f"c{i:03d}", 1) for i in range(ITEMS)]  # one draft each
    assert drafts == versions == ITEMS
    # Only what the killed worker was drafting was claimed a second time (its lease ran out);
    # every message sent again (the sweeps, the dead worker's prefetched ones) found its item
    # done or held and drafted nothing.
    taken_over = [key for key, _, attempts in items if attempts > 1]
    assert len(taken_over) <= THREADS
    assert all(attempts <= 2 for *_, attempts in items)
    assert runner.resent >= 1  # the dead worker left something behind, and it was sent again
