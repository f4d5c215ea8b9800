"""The Dramatiq adapter against the real Redis broker, with a worker running in-thread."""

from __future__ import annotations

import uuid

import pytest

from batch.jobs import BatchKind, BatchSpec
from tests.batch.conftest import make_pack
from tests.conftest import services_required

pytestmark = pytest.mark.services


def _redis_or_skip(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError as exc:
        if services_required():
            pytest.fail(f"Redis at {url} is unreachable but ZHENXIN_TEST_SERVICES=1: {exc}")
        pytest.skip(f"Redis at {url} is unreachable ({exc}); start it or set ZHENXIN_REDIS_URL")


def test_dramatiq_worker_runs_a_small_batch(settings, make_service, drafter) -> None:  # type: ignore[no-untyped-def]
    _redis_or_skip(settings.redis_url)
    from dramatiq import Worker

    from batch import queue

    service = make_service(make_pack("zh"))
    record = service.create(
        BatchSpec(kind=BatchKind.MONTHLY, brand="qingshui", month="2026-11", tiers=["new-friends"])
    )
    broker = queue.make_broker(settings.redis_url, namespace=f"zhenxin-test-{uuid.uuid4().hex}")
    runner = queue.DramatiqRunner(broker, service.repo, poll_seconds=0.05, timeout=60)
    queue.set_executor_factory(service.executor)
    worker = Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    try:
        seen = []
        summary = service.run(record.id, runner=runner, on_outcome=seen.append)
        # a redelivered message for a finished item is a no-op
        runner.actor.send(record.id, seen[0].key, "2026-11-01")
        broker.join(queue.QUEUE_NAME, timeout=10_000)
        worker.join()
    finally:
        worker.stop()
        queue.set_executor_factory(None)
        broker.flush_all()
        broker.close()
    assert summary.counts["done"] == record.total == len(seen) == len(drafter.calls)
    assert {o.status for o in seen} == {"done"}
