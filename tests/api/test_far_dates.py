"""Days at the ends of the calendar (year 1, year 9999) are refused with a clear 422, never a
500: the fuzzer found ``GET /v1/members?on=0001-01-05`` raising OverflowError in the year's
span. Every date the API takes goes through one bounded type (``core.days.Day``)."""

from __future__ import annotations

import pytest

from tests.api.conftest import Env

FAR = ["0001-01-05", "1899-12-31", "3000-01-01", "9999-12-31"]


@pytest.mark.parametrize("day", FAR)
@pytest.mark.parametrize(
    "path",
    [
        "/v1/members?on={day}",
        "/v1/reports/outcomes?to={day}",
        "/v1/reports/outcomes?from={day}&to=2026-11-30",
        "/v1/reports/outcomes?from=2026-01-01&to=2026-11-30&as_of={day}",
    ],
)
def test_a_far_day_in_a_query_is_a_clear_422(env: Env, path: str, day: str) -> None:
    r = env.client.get(path.format(day=day), headers=env.h("qs_operator"))
    assert r.status_code == 422, r.text
    assert "1900-01-01" in r.text and "2999-12-31" in r.text


@pytest.mark.parametrize("day", FAR)
def test_a_far_day_for_a_batch_is_a_clear_422(env: Env, day: str) -> None:
    r = env.client.post(
        "/v1/batches", json={"kind": "care", "date": day}, headers=env.h("qs_operator")
    )
    assert r.status_code == 422, r.text
    assert "2999-12-31" in r.text


def test_the_edges_themselves_are_days_we_take(env: Env) -> None:
    h = env.h("qs_operator")
    assert env.client.get("/v1/members?on=1900-01-01", headers=h).status_code == 200
    assert env.client.get("/v1/members?on=2999-12-31", headers=h).status_code == 200
    r = env.client.get("/v1/reports/outcomes?from=1900-01-01&to=2999-12-31", headers=h)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("month", ["0000-01", "1899-12", "3000-01", "9999-12"])
def test_a_far_month_for_a_monthly_batch_is_one_clear_error(env: Env, month: str) -> None:
    r = env.client.post(
        "/v1/batches",
        json={"kind": "monthly", "month": month, "run": False},
        headers=env.h("qs_operator"),
    )
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert "out of range" in error["message"] and "2999-12" in error["hint"]


@pytest.mark.parametrize(
    "record",
    [
        {"birthday": "0001-01-01"},
        {"purchases": [{"product": "repair-serum", "date": "9999-12-31"}]},
        {"last_contacts": [{"date": "1899-12-31", "channel": "wechat"}]},
    ],
)
def test_a_customer_with_a_far_day_is_refused_and_the_stored_one_kept(
    env: Env, record: dict[str, object]
) -> None:
    h = env.h("qs_operator")
    before = env.client.get("/v1/customers/qs-002", headers=h).json()
    body = {"id": "qs-002", "name": "吴佳", "stage": "first_contact", **record}
    r = env.client.post("/v1/customers", json=body, headers=h)
    assert r.status_code == 422, r.text
    assert "1900-01-01 to 2999-12-31" in r.text
    assert env.client.get("/v1/customers/qs-002", headers=h).json() == before


@pytest.mark.parametrize("day", [*FAR, "0001-01-01T00:00:00+08:00", "9999-12-31T23:00:00-08:00"])
def test_a_far_day_in_an_event_is_rejected_with_the_rest_kept(env: Env, day: str) -> None:
    events = [
        {"id": "far", "customer_id": "qs-001", "type": "sent", "at": day},
        {"id": "near", "customer_id": "qs-001", "type": "sent", "at": "2026-11-21"},
    ]
    r = env.client.post("/v1/events", json={"events": events}, headers=env.h("qs_operator"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 1
    assert [x["id"] for x in body["rejected"]] == ["far"]
    assert "1900-01-01 to 2999-12-31" in body["rejected"][0]["error"]
