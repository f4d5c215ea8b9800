"""The Dramatiq adapter on Dramatiq's in-memory StubBroker (no Redis needed)."""

from __future__ import annotations

import pytest
from dramatiq import Worker
from dramatiq.brokers.stub import StubBroker

from batch import queue
from batch.jobs import BatchKind, BatchSpec
from core.errors import ProviderError
from tests.batch.conftest import make_pack


@pytest.fixture
def service_and_record(make_service):  # type: ignore[no-untyped-def]
    service = make_service(make_pack("en"))
    spec = BatchSpec(
        kind=BatchKind.MONTHLY, brand="slowbrew", month="2026-11", tiers=["new-friends"]
    )
    return service, service.create(spec)


def test_stub_worker_runs_the_batch(service_and_record, drafter) -> None:  # type: ignore[no-untyped-def]
    service, record = service_and_record
    broker = StubBroker()
    runner = queue.DramatiqRunner(broker, service.repo, poll_seconds=0.02, timeout=60)
    queue.set_executor_factory(service.executor)
    worker = Worker(broker, worker_threads=2, worker_timeout=50)
    worker.start()
    try:
        summary = service.run(record.id, runner=runner)
    finally:
        worker.stop()
        queue.set_executor_factory(None)
        broker.close()
    assert summary.counts["done"] == record.total == len(drafter.calls)


def test_no_worker_times_out_with_a_hint_and_resumes_later(service_and_record) -> None:  # type: ignore[no-untyped-def]
    service, record = service_and_record
    broker = StubBroker()
    runner = queue.DramatiqRunner(broker, service.repo, poll_seconds=0.01, timeout=0.05)
    with pytest.raises(ProviderError, match="still open") as exc:
        service.run(record.id, runner=runner)
    assert "dramatiq batch.worker" in str(exc.value)
    assert service.repo.get(record.id).counts["pending"] == record.total
    broker.close()
