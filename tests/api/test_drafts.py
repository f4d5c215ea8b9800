"""Drafts through the API: create, read, list, edit (versions, 409), approve, reject, retry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.api.conftest import Env


def _create(env: Env, who: str = "qs_operator", **body: Any) -> Any:
    payload = {"kind": "care_message", "customer_id": "qs-002", "trigger": "day3", **body}
    return env.client.post("/v1/drafts", json=payload, headers=env.h(who))


def test_create_and_read_a_draft(env: Env) -> None:
    r = _create(env)
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["status"] == "pending_review" and d["version"] == 1 and d["brand"] == "qingshui"
    assert d["customer"] == "qs-002" and d["text"] and d["verdict"] in ("pass", "review", "block")
    assert d["request"]["customer_id"] == "qs-002" and d["provider"] == "fake"
    got = env.client.get(f"/v1/drafts/{d['id']}", headers=env.h("qs_editor"))
    assert got.status_code == 200 and got.json()["text"] == d["text"]
    assert env.model.calls >= 1


def test_english_brand_draft(env: Env) -> None:
    r = env.client.post(
        "/v1/drafts",
        headers=env.h("st_operator"),
        json={"kind": "care_message", "customer_id": "st-001", "trigger": "day3"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["brand"] == "stride"


def test_inline_customer_profile(env: Env) -> None:
    customer = {
        "id": "walk-in",
        "name": "小周",
        "stage": "相知",
        "purchases": [{"product": "gentle-cleanser", "date": "2026-11-01"}],
    }
    r = env.client.post(
        "/v1/drafts",
        headers=env.h("qs_operator"),
        json={"kind": "care_message", "customer": customer, "trigger": "half_used"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["customer"] == "walk-in" and r.json()["stage"] == "getting_to_know"


def test_list_filters(env: Env) -> None:
    a = _create(env).json()
    b = _create(env, customer_id="qs-001", trigger="welcome").json()
    h = env.h("qs_operator")
    all_ids = {d["id"] for d in env.client.get("/v1/drafts", headers=h).json()["items"]}
    assert {a["id"], b["id"]} <= all_ids
    only = env.client.get("/v1/drafts", params={"customer": "qs-001"}, headers=h).json()
    assert [d["id"] for d in only["items"]] == [b["id"]]
    by_stage = env.client.get("/v1/drafts", params={"stage": a["stage"]}, headers=h).json()
    assert a["id"] in {d["id"] for d in by_stage["items"]}
    pending = env.client.get(
        "/v1/drafts", params={"status": "pending_review", "kind": "care_message"}, headers=h
    ).json()
    assert {a["id"], b["id"]} <= {d["id"] for d in pending["items"]}
    assert (
        env.client.get("/v1/drafts", params={"status": "approved"}, headers=h).json()["items"] == []
    )
    bad = env.client.get("/v1/drafts", params={"status": "nope"}, headers=h)
    assert bad.status_code == 422


def test_edit_makes_a_new_version_and_stale_edit_is_409(env: Env) -> None:
    d = _create(env).json()
    h = env.h("qs_operator")
    first = env.client.patch(
        f"/v1/drafts/{d['id']}",
        headers=h,
        json={
            "text": "周可你好，洁面用了三天，感觉怎么样？有问题随时问我。",
            "version": 1,
            "note": "更口语",
        },
    )
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 2 and first.json()["status"] == "pending_review"
    # A second editor still holding version 1 must not overwrite version 2.
    stale = env.client.patch(
        f"/v1/drafts/{d['id']}",
        headers=env.h("qs_editor"),
        json={"text": "另一个版本", "version": 1},
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    versions = env.client.get(f"/v1/drafts/{d['id']}/versions", headers=h).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["text"] == d["text"] and versions[1]["note"] == "更口语"


def test_edit_is_rechecked(env: Env) -> None:
    d = _create(env).json()
    spam = "仅限今天！！！最后24小时，全网最低价，100%有效，赶紧转发到群里！！！"
    r = env.client.patch(
        f"/v1/drafts/{d['id']}", headers=env.h("qs_operator"), json={"text": spam, "version": 1}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["verdict"] == "block" and body["findings"]
    assert any(f["start"] < f["end"] for f in body["findings"])


def test_approve_records_a_contact(env: Env) -> None:
    d = _create(env).json()
    before = env.client.get("/v1/customers/qs-002", headers=env.h("qs_operator")).json()
    r = env.client.post(
        f"/v1/drafts/{d['id']}/approve",
        headers=env.h("qs_editor"),
        json={"version": d["version"]}
        if d["verdict"] != "block"
        else {"version": d["version"], "override_reason": "checked"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["reviews"][0]["decision"] == "approve"
    after = env.client.get("/v1/customers/qs-002", headers=env.h("qs_operator")).json()
    new = [
        c
        for c in after["customer"]["last_contacts"]
        if c not in before["customer"]["last_contacts"]
    ]
    assert new == [
        {"date": dt.date.today().isoformat(), "channel": d["channel"], "purpose": "care"}
    ]
    # Approved is final: no second review, no edit.
    again = env.client.post(
        f"/v1/drafts/{d['id']}/reject", headers=env.h("qs_editor"), json={"reason": "late"}
    )
    assert again.status_code == 409
    edit = env.client.patch(
        f"/v1/drafts/{d['id']}",
        headers=env.h("qs_editor"),
        json={"text": "x", "version": d["version"]},
    )
    assert edit.status_code == 409


def test_block_needs_override_reason(env: Env) -> None:
    d = _create(env).json()
    env.client.patch(
        f"/v1/drafts/{d['id']}",
        headers=env.h("qs_operator"),
        json={"text": "仅限今天！！！全网最低价，100%根治痘痘！！！", "version": 1},
    )
    refused = env.client.post(f"/v1/drafts/{d['id']}/approve", headers=env.h("qs_editor"))
    assert refused.status_code == 409
    assert "override_reason" in refused.json()["error"]["hint"]
    ok = env.client.post(
        f"/v1/drafts/{d['id']}/approve",
        headers=env.h("qs_editor"),
        json={"override_reason": "法务已确认 / legal signed off"},
    )
    assert ok.status_code == 200
    assert ok.json()["reviews"][-1]["override_reason"] == "法务已确认 / legal signed off"


def test_reject_needs_reason_then_edit_reopens(env: Env) -> None:
    d = _create(env).json()
    no_reason = env.client.post(f"/v1/drafts/{d['id']}/reject", headers=env.h("qs_editor"), json={})
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["fields"][0]["loc"][-1] == "reason"
    r = env.client.post(
        f"/v1/drafts/{d['id']}/reject",
        headers=env.h("qs_editor"),
        json={"reason": "语气太像广告 / reads like an ad"},
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    e = env.client.patch(
        f"/v1/drafts/{d['id']}",
        headers=env.h("qs_operator"),
        json={"text": "周可你好，洁面用得还顺手吗？", "version": 1},
    )
    assert e.status_code == 200 and e.json()["status"] == "pending_review"


def test_stale_approve_is_409(env: Env) -> None:
    d = _create(env).json()
    env.client.patch(
        f"/v1/drafts/{d['id']}",
        headers=env.h("qs_operator"),
        json={"text": "周可你好，洁面用得还顺手吗？", "version": 1},
    )
    r = env.client.post(
        f"/v1/drafts/{d['id']}/approve", headers=env.h("qs_editor"), json={"version": 1}
    )
    assert r.status_code == 409


def test_model_failure_is_stored_and_retryable(env: Env) -> None:
    env.model.fail = 10  # every attempt of the pipeline times out
    r = _create(env, question="敏感肌可以每天用吗？", trigger="question")
    assert r.status_code == 502, r.text
    err = r.json()["error"]
    assert err["code"] == "provider_error" and err["draft_id"]
    draft_id = err["draft_id"]
    stored = env.client.get(f"/v1/drafts/{draft_id}", headers=env.h("qs_operator")).json()
    assert stored["status"] == "failed" and stored["error"]["code"] == "provider_error"
    assert stored["request"]["question"] == "敏感肌可以每天用吗？"  # nothing the operator sent lost
    failed = env.client.get(
        "/v1/drafts", params={"status": "failed"}, headers=env.h("qs_operator")
    ).json()
    assert [d["id"] for d in failed["items"]] == [draft_id]
    # The model is back: retry the same request under the same id.
    env.model.fail = 0
    retried = env.client.post(f"/v1/drafts/{draft_id}/retry", headers=env.h("qs_operator"))
    assert retried.status_code == 201, retried.text
    body = retried.json()
    assert body["id"] == draft_id and body["status"] == "pending_review"
    assert body["attempts"] == 2 and body["error"] is None
    again = env.client.post(f"/v1/drafts/{draft_id}/retry", headers=env.h("qs_operator"))
    assert again.status_code == 409


def test_unknown_customer_and_opted_out(env: Env) -> None:
    missing = _create(env, customer_id="nobody")
    assert missing.status_code == 404
    opted = [c.id for c in env.knowledge.customers("qingshui") if c.opted_out]
    assert opted, "the qingshui example pack has opted-out customers"
    r = _create(env, customer_id=opted[0])
    assert r.status_code == 422 and r.json()["error"]["code"] == "refused"
    # Refused before anything is stored or queued: no job for a customer who said no.
    listed = env.client.get(
        "/v1/drafts", params={"customer": opted[0]}, headers=env.h("qs_operator")
    ).json()
    assert listed["items"] == [] and env.model.calls == 0


def test_body_brand_must_be_the_keys_brand(env: Env) -> None:
    r = _create(env, brand="stride")
    assert r.status_code == 404
    ok = _create(env, brand="qingshui")
    assert ok.status_code == 201
