"""POST/GET /v1/customers."""

from __future__ import annotations

from tests.api.conftest import Env


def test_create_read_replace(env: Env) -> None:
    h = env.h("qs_operator")
    body = {
        "id": "new-1",
        "name": "王小雅",
        "stage": "初识",
        "tags": {"skin": "干皮"},
        "purchases": [{"product": "repair-serum", "date": "2026-11-01"}],
    }
    r = env.client.post("/v1/customers", json=body, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["customer"]["stage"] == "first_contact"  # Chinese alias resolved
    got = env.client.get("/v1/customers/new-1", headers=h)
    assert got.status_code == 200 and got.json()["customer"]["name"] == "王小雅"
    again = env.client.post("/v1/customers", json={**body, "name": "Wang Xiaoya"}, headers=h)
    assert again.status_code == 200 and again.json()["created"] is False
    assert env.client.get("/v1/customers/new-1", headers=h).json()["customer"]["name"] == (
        "Wang Xiaoya"
    )
    # Drafts can use the new customer right away.
    d = env.client.post(
        "/v1/drafts",
        headers=h,
        json={"kind": "care_message", "customer_id": "new-1", "trigger": "day3"},
    )
    assert d.status_code == 201, d.text


def test_english_stage_name(env: Env) -> None:
    r = env.client.post(
        "/v1/customers",
        headers=env.h("st_operator"),
        json={"id": "st-new", "name": "Sam", "stage": "first_contact", "channel": "email"},
    )
    assert r.status_code == 201, r.text


def test_invalid_customers(env: Env) -> None:
    h = env.h("qs_operator")
    bad_stage = env.client.post(
        "/v1/customers", headers=h, json={"id": "x1", "name": "x", "stage": "悲伤"}
    )
    assert bad_stage.status_code == 422 and bad_stage.json()["error"]["code"] == "invalid_pack"
    bad_date = env.client.post(
        "/v1/customers",
        headers=h,
        json={
            "id": "x2",
            "name": "x",
            "stage": "repeat",
            "purchases": [{"product": "p", "date": "yesterday"}],
        },
    )
    assert bad_date.status_code == 422
    assert any("purchases" in f["loc"] for f in bad_date.json()["error"]["fields"])
    assert env.client.get("/v1/customers/none", headers=h).status_code == 404
