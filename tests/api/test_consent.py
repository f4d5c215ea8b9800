"""Consent cannot be bypassed: one record per customer with its history, checked by customer
id at generate (inline customers too), approve, regenerate and batch run; only an admin lifts
an opt-out, with a reason; an ingest never clears one. Each test is an attack that worked."""

from __future__ import annotations

import datetime as dt

from batch.jobs import BatchKind, BatchSpec
from batch.service import BatchService
from drafting.packs import ingest_pack
from tests.api.conftest import Env
from tests.conftest import EXAMPLES

OPTED_OUT_ID = "qs-005"  # opted out in the example pack


def _opt_out(env: Env, cid: str, who: str = "qs_operator") -> None:
    r = env.client.post(
        f"/v1/customers/{cid}/consent", json={"opted_out": True}, headers=env.h(who)
    )
    assert r.status_code == 200 and r.json()["opted_out"] is True, r.text


def test_an_inline_copy_cannot_say_opted_out_false(env: Env) -> None:
    customer = env.service.customers.get("qingshui", OPTED_OUT_ID).model_dump(mode="json")
    customer["opted_out"] = False
    r = env.client.post(
        "/v1/drafts",
        json={"kind": "care_message", "customer": customer},
        headers=env.h("qs_operator"),
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "refused"
    assert env.model.calls == 0


def test_an_operator_cannot_lift_an_opt_out_by_upserting(env: Env) -> None:
    customer = env.service.customers.get("qingshui", OPTED_OUT_ID).model_dump(mode="json")
    customer["opted_out"] = False
    customer["last_contacts"] = []
    r = env.client.post("/v1/customers", json=customer, headers=env.h("qs_operator"))
    assert r.status_code == 200 and r.json()["customer"]["opted_out"] is True
    got = env.client.get(f"/v1/customers/{OPTED_OUT_ID}", headers=env.h("qs_operator"))
    assert got.json()["customer"]["opted_out"] is True


def test_only_an_admin_with_a_reason_lifts_an_opt_out(env: Env) -> None:
    url = f"/v1/customers/{OPTED_OUT_ID}/consent"
    lift = {"opted_out": False, "reason": "客户在门店当面说可以再联系 / agreed in person"}
    assert env.client.post(url, json=lift, headers=env.h("qs_editor")).status_code == 403
    no_reason = env.client.post(url, json={"opted_out": False}, headers=env.h("qs_admin"))
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["message"]
    done = env.client.post(url, json=lift, headers=env.h("qs_admin"))
    assert done.status_code == 200 and done.json()["opted_out"] is False
    history = done.json()["history"]
    assert [h["status"] for h in history] == ["opted_out", "opted_in"]
    assert history[-1]["reason"] == lift["reason"] and history[-1]["actor"]
    assert history[0]["source"] == "pack"  # the opt-out came with the pack


def test_a_draft_made_before_the_opt_out_cannot_be_approved_after_it(env: Env) -> None:
    draft = env.client.post(
        "/v1/drafts",
        json={"kind": "care_message", "customer_id": "qs-002", "trigger": "day3"},
        headers=env.h("qs_operator"),
    ).json()
    _opt_out(env, "qs-002")
    r = env.client.post(f"/v1/drafts/{draft['id']}/approve", headers=env.h("qs_editor"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "refused"
    got = env.client.get(f"/v1/drafts/{draft['id']}", headers=env.h("qs_editor")).json()
    assert got["status"] == "pending_review"  # not approved, no contact logged
    customer = env.client.get("/v1/customers/qs-002", headers=env.h("qs_editor")).json()
    assert all(
        c["date"] != dt.date.today().isoformat() for c in customer["customer"]["last_contacts"]
    )


def test_regenerate_is_refused_after_an_opt_out(env: Env) -> None:
    draft = env.client.post(
        "/v1/drafts",
        json={"kind": "care_message", "customer_id": "qs-002"},
        headers=env.h("qs_operator"),
    ).json()
    _opt_out(env, "qs-002")
    calls = env.model.calls
    try:
        env.service.regenerate("qingshui", draft["id"], requested_by="test")
    except Exception as exc:  # the service refuses before storing a job
        assert type(exc).__name__ == "RefusedError"
    else:
        raise AssertionError("regenerating for an opted-out customer was accepted")
    assert env.model.calls == calls


def test_a_resumed_batch_skips_a_customer_who_opted_out_in_between(env: Env) -> None:
    service = BatchService(env.service)
    record = service.create(
        BatchSpec(kind=BatchKind.CARE, brand="qingshui", date=dt.date(2026, 11, 25))
    )
    due = [i.spec["customer_id"] for i in service.repo.items(record.id, ["pending"])]
    assert due, "the example pack has customers due on 2026-11-25"
    _opt_out(env, due[0])
    summary = service.run(record.id)
    item = service.repo.item(record.id, f"customer:{due[0]}")
    assert item.status == "skipped" and "opted out" in (item.error or "")
    assert summary.counts["failed"] == 0


def test_a_re_ingest_never_clears_an_opt_out(env: Env) -> None:
    _opt_out(env, "qs-002")
    ingest_pack(env.knowledge, env.service.customers, EXAMPLES / "qingshui")  # says false
    assert env.service.customers.get("qingshui", "qs-002").opted_out is True
    r = env.client.post(
        "/v1/drafts",
        json={"kind": "care_message", "customer_id": "qs-002"},
        headers=env.h("qs_operator"),
    )
    assert r.status_code == 422


def test_customers_ingested_from_the_cli_are_served_by_the_api(env: Env) -> None:
    """One customer store: what `zhenxin ingest` stored, GET /v1/customers answers."""
    got = env.client.get("/v1/customers/qs-023", headers=env.h("qs_operator"))
    assert got.status_code == 200 and got.json()["customer"]["id"] == "qs-023"


def test_a_story_without_consent_is_never_retrievable(env: Env) -> None:
    """It was the first search hit and reached a community-post prompt through the theme."""
    secret = env.knowledge.pack("qingshui").doc("story-yuanyuan")
    assert secret.consent is False
    query = secret.title + " " + secret.body[:60]
    hits = env.client.get(
        "/v1/knowledge/search", params={"q": query, "k": 50}, headers=env.h("qs_operator")
    ).json()["passages"]
    assert hits and all(p["doc_id"] != "story-yuanyuan" for p in hits)
    prompts: list[str] = []

    def reply(messages, schema):  # type: ignore[no-untyped-def]
        prompts.append("\n".join(m["content"] for m in messages))
        return '{"lead": "这个月我们聊聊换季时怎么少打扰皮肤。"}'

    env.model.reply = reply
    r = env.client.post(
        "/v1/drafts",
        json={
            "kind": "community_post",
            "tier": "old-friends",
            "theme": "产后皮肤敏感，睡眠不足怎么办",
        },
        headers=env.h("qs_operator"),
    )
    assert r.status_code == 201, r.text
    assert prompts and "媛媛" not in prompts[0] and "激素变化" not in prompts[0]
    assert all(s["doc_id"] != "story-yuanyuan" for s in r.json()["sources"])
    refused = env.client.post(
        "/v1/drafts",
        json={"kind": "user_story_post", "story_doc": "story-yuanyuan"},
        headers=env.h("qs_operator"),
    )
    assert refused.status_code == 422 and "consent" in refused.json()["error"]["message"]
