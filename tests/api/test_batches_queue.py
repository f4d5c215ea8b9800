"""``POST /v1/batches`` with ``"queue": true`` only sends the items and answers; progress is read
from the database. Nothing waits for a worker inside a request or a background task.

Fault replayed here: with no worker running, the request's background task followed the batch
forever (the test client hung: tests/api/test_fuzz.py hung in 2 of 6 runs).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from dramatiq import Worker
from dramatiq.brokers.stub import StubBroker

from api.routes.batches import get_queue_broker
from batch import queue
from batch.service import BatchService
from core.settings import Settings
from tests.api.conftest import Env, make_env

BODY = {"kind": "monthly", "month": "2026-12", "tiers": ["new-friends"], "queue": True}


@pytest.fixture
def env(settings: Settings) -> Iterator[Env]:
    e = make_env(settings, brands=("qingshui",))
    yield e
    e.client.close()
    e.app.state.engine.dispose()


@pytest.fixture
def broker(env: Env) -> Iterator[StubBroker]:
    stub = StubBroker()
    env.app.dependency_overrides[get_queue_broker] = lambda: lambda: stub
    yield stub
    stub.close()


@pytest.mark.timeout(30)
def test_queue_true_sends_and_answers_without_a_worker(env: Env, broker: StubBroker) -> None:
    started = time.monotonic()
    answer = env.client.post("/v1/batches", json=BODY, headers=env.h("qs_operator"))
    assert time.monotonic() - started < 10
    assert answer.status_code == 202, answer.text
    created = answer.json()
    assert created["total"] > 0 and created["counts"]["pending"] == created["total"]
    assert broker.queues[queue.QUEUE_NAME].qsize() == created["total"]
    got = env.client.get(f"/v1/batches/{created['id']}", headers=env.h("qs_operator")).json()
    assert got["counts"]["pending"] == created["total"]  # nobody has worked on it yet


@pytest.mark.timeout(60)
def test_a_worker_drafts_the_items_and_get_reads_the_progress(env: Env, broker: StubBroker) -> None:
    created = env.client.post("/v1/batches", json=BODY, headers=env.h("qs_operator")).json()
    queue.set_executor_factory(BatchService(env.service).executor)
    worker = Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        broker.join(queue.QUEUE_NAME, timeout=45_000)
        worker.join()
    finally:
        worker.stop()
        queue.set_executor_factory(None)
    got = env.client.get(f"/v1/batches/{created['id']}", headers=env.h("qs_operator")).json()
    assert got["counts"]["done"] == created["total"], got["counts"]


@pytest.mark.timeout(30)
def test_an_unreachable_queue_is_a_clear_error_not_a_hang(settings: Settings) -> None:
    unreachable = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    env = make_env(unreachable, brands=("qingshui",))
    started = time.monotonic()
    answer = env.client.post("/v1/batches", json=BODY, headers=env.h("qs_operator"))
    assert time.monotonic() - started < 15
    assert answer.status_code == 503, answer.text
    error = answer.json()["error"]
    assert error["code"] == "queue_unavailable" and "dramatiq" not in error["message"].lower()
    # The batch is planned and stays pending: POST again (or without "queue") resumes it.
    again = env.client.post(
        "/v1/batches", json={**BODY, "run": False}, headers=env.h("qs_operator")
    ).json()
    assert again["counts"]["pending"] == again["total"] > 0
    env.client.close()
    env.app.state.engine.dispose()
