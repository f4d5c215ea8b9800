"""POST /v1/batches and GET /v1/batches/{id} on the real pipeline with the fake model."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from core.settings import Settings
from tests.api.conftest import Env, make_env


def _wait_until_finished(env: Env, batch_id: str) -> dict[str, Any]:
    """The run happens after the response; poll like a client would (bounded)."""
    for _ in range(300):
        got = env.client.get(f"/v1/batches/{batch_id}", headers=env.h("qs_operator")).json()
        if got["counts"]["pending"] == got["counts"]["running"] == 0:
            return got
        time.sleep(0.1)
    raise AssertionError(f"batch {batch_id} did not finish: {got['counts']}")


@pytest.fixture
def env(settings: Settings) -> Iterator[Env]:
    e = make_env(settings, brands=("qingshui",))
    yield e
    e.client.close()
    e.app.state.engine.dispose()


def test_post_runs_and_get_reports(env: Env) -> None:
    body = {"kind": "monthly", "month": "2026-12", "tiers": ["new-friends"]}
    res = env.client.post("/v1/batches", json=body, headers=env.h("qs_operator"))
    assert res.status_code == 202, res.text
    created = res.json()
    assert created["kind"] == "monthly" and created["brand"] == "qingshui"
    assert created["counts"]["pending"] == created["total"] > 0
    got = _wait_until_finished(env, created["id"])
    assert got["counts"]["done"] == got["total"], got  # the background run finished
    assert all(i["draft_id"] for i in got["items"])
    draft_id = got["items"][0]["draft_id"]
    draft = env.client.get(f"/v1/drafts/{draft_id}", headers=env.h("qs_editor"))
    assert draft.status_code == 200  # the draft is in the review queue
    queue = env.client.get(
        "/v1/drafts", params={"batch": created["id"], "limit": 200}, headers=env.h("qs_editor")
    ).json()["items"]
    assert sorted(d["id"] for d in queue) == sorted(i["draft_id"] for i in got["items"])
    assert (
        env.client.get(
            "/v1/drafts", params={"batch": "monthly-1999-01-00000000"}, headers=env.h("qs_editor")
        ).json()["items"]
        == []
    )
    again = env.client.post("/v1/batches", json=body, headers=env.h("qs_operator")).json()
    assert again["id"] == created["id"] and again["counts"]["done"] == got["total"]


def test_care_batch_validation_and_brand_isolation(env: Env) -> None:
    res = env.client.post("/v1/batches", json={"kind": "care"}, headers=env.h("qs_operator"))
    assert res.status_code == 400 and "date" in res.json()["error"]["message"]
    ok = env.client.post(
        "/v1/batches",
        json={"kind": "care", "date": "2026-11-25", "run": False},
        headers=env.h("qs_operator"),
    ).json()
    assert ok["counts"]["skipped"] >= 1 and ok["counts"]["done"] == 0
    assert env.client.get(f"/v1/batches/{ok['id']}").status_code == 401
    with env.app.state.sessions.begin() as s:
        from storage import keys

        other = keys.create_key(s, "stride", keys.Role.ADMIN).secret
    res = env.client.get(f"/v1/batches/{ok['id']}", headers={"Authorization": f"Bearer {other}"})
    assert res.status_code == 404
    assert env.client.get("/v1/batches/nope", headers=env.h("qs_operator")).status_code == 404


def test_bulk_approve_over_the_api_takes_only_passing_drafts(env: Env) -> None:
    body = {"kind": "monthly", "month": "2026-12", "tiers": ["new-friends"]}
    created = env.client.post("/v1/batches", json=body, headers=env.h("qs_operator")).json()
    got = _wait_until_finished(env, created["id"])
    url = f"/v1/batches/{created['id']}/approve"
    assert env.client.post(url, headers=env.h("qs_operator")).status_code == 403
    answer = env.client.post(url, headers=env.h("qs_editor"))
    assert answer.status_code == 200, answer.text
    result = answer.json()
    drafts = {
        i["draft_id"]: env.client.get(
            f"/v1/drafts/{i['draft_id']}", headers=env.h("qs_editor")
        ).json()
        for i in got["items"]
    }
    passing = {d for d, v in drafts.items() if v["verdict"] == "pass"}
    assert set(result["approved"]) == passing
    assert {s["draft_id"] for s in result["skipped"]} == set(drafts) - passing
    for draft_id in set(drafts) - passing:  # a person still reads these
        got_one = env.client.get(f"/v1/drafts/{draft_id}", headers=env.h("qs_editor")).json()
        assert got_one["status"] == "pending_review"
    with env.app.state.sessions.begin() as s:
        from storage import keys

        other = keys.create_key(s, "stride", keys.Role.EDITOR).secret
    stranger = env.client.post(url, headers={"Authorization": f"Bearer {other}"})
    assert stranger.status_code == 404
