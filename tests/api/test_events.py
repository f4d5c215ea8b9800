"""POST /v1/events, GET /v1/reports/outcomes, GET /v1/members and the stage history on
GET /v1/customers/{id}."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Env


def _ev(eid: str, cid: str, type_: str, at: str, **kw: Any) -> dict[str, Any]:
    return {"id": eid, "customer_id": cid, "type": type_, "at": at, **kw}


def test_events_are_idempotent_and_bad_items_reported(env: Env) -> None:
    h = env.h("qs_operator")
    batch = {
        "events": [
            _ev("e1", "qs-001", "sent", "2026-11-21", kind="care_message", trigger="day3"),
            _ev("e2", "qs-001", "replied", "2026-11-22", text="用了两天，两颊反而更红了"),
            _ev("e3", "qs-001", "purchased", "2026-11-28", product="repair-serum"),
            _ev("bad", "qs-001", "purchased", "2026-11-28"),
            _ev("e4", "st-001", "sent", "2026-11-21"),  # another brand's customer
        ]
    }
    r = env.client.post("/v1/events", json=batch, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["duplicates"]) == (3, 0)
    assert [(x["index"], x["id"]) for x in body["rejected"]] == [(3, "bad"), (4, "e4")]
    assert body["stage_changes"] == [
        {
            "customer_id": "qs-001",
            "from": "first_contact",
            "to": "repeat",
            "at": "2026-11-28",
            "why": "累计购买2次",
            "event_id": "e3",
        }
    ]
    again = env.client.post("/v1/events", json=batch, headers=h).json()
    assert (again["accepted"], again["duplicates"], again["stage_changes"]) == (0, 3, [])
    got = env.client.get("/v1/customers/qs-001", headers=h).json()
    assert got["customer"]["stage"] == "repeat"
    assert got["stage_history"] == [
        {
            "from_stage": "first_contact",
            "to_stage": "repeat",
            "at": "2026-11-28",
            "why": "累计购买2次",
            "event_id": "e3",
        }
    ]


def test_events_need_a_key_and_a_list(env: Env) -> None:
    assert env.client.post("/v1/events", json={"events": []}).status_code == 401
    h = env.h("st_operator")
    r = env.client.post("/v1/events", json={"items": []}, headers=h)
    assert r.status_code == 422
    r = env.client.post("/v1/events", json={"events": ["not an object"]}, headers=h)
    assert r.status_code == 422 or r.json()["rejected"][0]["index"] == 0


def test_an_unsubscribe_event_stops_drafts(env: Env) -> None:
    h = env.h("st_operator")
    r = env.client.post(
        "/v1/events",
        json={"events": [_ev("u1", "st-001", "unsubscribed", "2026-11-20")]},
        headers=h,
    )
    assert r.json()["opted_out"] == ["st-001"]
    d = env.client.post(
        "/v1/drafts",
        headers=h,
        json={"kind": "care_message", "customer_id": "st-001", "trigger": "day3"},
    )
    assert d.status_code == 422 and d.json()["error"]["code"] == "refused", d.text
    consent = env.client.get("/v1/customers/st-001/consent", headers=h)
    assert consent.status_code == 200 and consent.json()["history"][-1]["source"] == "event"


def test_outcomes_report_and_members(env: Env) -> None:
    h = env.h("st_operator")
    events = [
        _ev("s1", "st-001", "sent", "2026-06-01", kind="care_message", trigger="half_used"),
        _ev("p1", "st-001", "purchased", "2026-06-15", product="road-shoe"),
        _ev("h2", "st-002", "held_out", "2026-06-01", kind="care_message", trigger="half_used"),
    ]
    assert env.client.post("/v1/events", json={"events": events}, headers=h).json()["accepted"] == 3
    r = env.client.get(
        "/v1/reports/outcomes?from=2026-01-01&to=2026-11-30&as_of=2026-11-30", headers=h
    )
    assert r.status_code == 200, r.text
    report = r.json()
    (group,) = report["groups"]
    assert (group["kind"], group["trigger"], group["sent"], group["purchased_30d"]) == (
        "care_message",
        "half_used",
        1,
        1,
    )
    assert report["holdout"]["held_out"]["customers"] == 1
    assert report["holdout"]["lift_30d"]["diff"] == 1.0
    assert (
        env.client.get("/v1/reports/outcomes?from=2026-12-01&to=2026-01-01", headers=h).status_code
        == 400
    )
    other = env.client.get(
        "/v1/reports/outcomes?from=2026-01-01&to=2026-11-30", headers=env.h("qs_operator")
    )
    assert other.json()["groups"] == []  # another brand sees none of it
    members = env.client.get("/v1/members?on=2026-11-30&limit=5", headers=h)
    assert members.status_code == 200
    top = members.json()
    assert len(top) == 5 and top[0]["score"] >= top[-1]["score"]
    assert all(m["reasons"] for m in top)
