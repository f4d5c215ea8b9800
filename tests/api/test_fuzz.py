"""Schema-driven fuzzing: schemathesis generates requests from our OpenAPI document (valid
and invalid bodies, queries, ids) and the API must never answer 5xx. The fake pipeline and
the hash embedder keep it fast; examples per operation are bounded.

The run is seeded (``ZHENXIN_FUZZ_SEED``, default below) so a failure reproduces: the
assertion message names the seed to run again with. The batch queue is Dramatiq's in-memory
``StubBroker``: a generated ``"queue": true`` must neither reach a real Redis nor wait.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import schemathesis
from dramatiq.brokers.stub import StubBroker
from hypothesis import HealthCheck, given, seed
from hypothesis import settings as hsettings

from api.routes.batches import get_queue_broker
from tests.api.conftest import Env

EXAMPLES_PER_OPERATION = 20
FUZZ_SEED = int(os.environ.get("ZHENXIN_FUZZ_SEED", "20261201"))


def test_no_server_errors(env: Env) -> None:
    # A real draft so that some generated {draft_id}s hit the edit/approve/reject code paths.
    real = env.client.post(
        "/v1/drafts",
        headers=env.h("qs_operator"),
        json={"kind": "care_message", "customer_id": "qs-002", "trigger": "day3"},
    ).json()["id"]
    broker = StubBroker()
    env.app.dependency_overrides[get_queue_broker] = lambda: lambda: broker
    schema = schemathesis.openapi.from_asgi("/openapi.json", env.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    failures: list[tuple[str, int, str, Any]] = []
    use_real = itertools.cycle([True, False])
    calls = 0

    def fuzz(operation: Any) -> None:
        @seed(FUZZ_SEED)
        @given(case=operation.as_strategy())
        @hsettings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            nonlocal calls
            if case.path_parameters and "draft_id" in case.path_parameters and next(use_real):
                case.path_parameters["draft_id"] = real
            response = case.call(headers=env.h("qs_admin"))
            calls += 1
            if response.status_code >= 500:
                body = case.body if not isinstance(case.body, bytes) else "<bytes>"
                failures.append((operation.label, response.status_code, response.text[:300], body))

        run()

    for operation in operations:
        fuzz(operation)

    assert calls >= len(operations) * 3  # the fuzzer really exercised every operation
    broker.close()
    assert failures == [], (f"ZHENXIN_FUZZ_SEED={FUZZ_SEED}", failures[:5])
