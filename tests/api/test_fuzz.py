"""Schema-driven fuzzing: schemathesis generates requests from our OpenAPI document (valid
and invalid bodies, queries, ids) and the API must never answer 5xx. The fake pipeline and
the hash embedder keep it fast; examples per operation are bounded."""

from __future__ import annotations

import itertools
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings

from tests.api.conftest import Env

EXAMPLES_PER_OPERATION = 20


def test_no_server_errors(env: Env) -> None:
    # A real draft so that some generated {draft_id}s hit the edit/approve/reject code paths.
    real = env.client.post(
        "/v1/drafts",
        headers=env.h("qs_operator"),
        json={"kind": "care_message", "customer_id": "qs-002", "trigger": "day3"},
    ).json()["id"]
    schema = schemathesis.openapi.from_asgi("/openapi.json", env.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    failures: list[tuple[str, int, str, Any]] = []
    use_real = itertools.cycle([True, False])
    calls = 0

    def fuzz(operation: Any) -> None:
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
    assert failures == [], failures[:5]
