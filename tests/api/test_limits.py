"""Bad input: 422 with field messages, 413 for oversized bodies and texts, 404, 405."""

from __future__ import annotations

from core.settings import Settings
from tests.api.conftest import Env, make_env


def test_invalid_draft_bodies_are_422_with_fields(env: Env) -> None:
    h = env.h("qs_operator")
    cases = [
        ({}, ["body", "kind"]),
        ({"kind": "poem"}, ["body", "kind"]),
        ({"kind": "care_message", "channel": "fax"}, ["body", "channel"]),
        ({"kind": "care_message", "question": "问" * 2001}, ["body", "question"]),
        ({"kind": "care_message", "extra": 1}, ["body", "extra"]),
    ]
    for body, loc in cases:
        r = env.client.post("/v1/drafts", json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        err = r.json()["error"]
        assert err["code"] == "invalid_request"
        assert loc in [f["loc"] for f in err["fields"]], (body, err)
    not_json = env.client.post(
        "/v1/drafts", content=b"{oops", headers={**h, "content-type": "application/json"}
    )
    assert not_json.status_code == 422


def test_patch_needs_version_and_text(env: Env) -> None:
    h = env.h("qs_operator")
    d = env.client.post(
        "/v1/drafts",
        headers=h,
        json={"kind": "care_message", "customer_id": "qs-002", "trigger": "day3"},
    ).json()
    for body in (
        {"text": "x"},
        {"version": 1},
        {"text": "", "version": 1},
        {"text": "x", "version": 0},
    ):
        assert env.client.patch(f"/v1/drafts/{d['id']}", json=body, headers=h).status_code == 422
    big = "好" * (env.settings.max_text_chars + 1)
    r = env.client.patch(f"/v1/drafts/{d['id']}", json={"text": big, "version": 1}, headers=h)
    assert r.status_code == 413
    assert env.client.get(f"/v1/drafts/{d['id']}", headers=h).json()["version"] == 1


def test_oversized_body_is_413_before_parsing(settings: Settings) -> None:
    env = make_env(settings.model_copy(update={"max_upload_bytes": 1000}), brands=())
    h = env.h("qs_operator")
    r = env.client.post("/v1/check", headers=h, json={"text": "x" * 200_000})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"

    def chunks():  # no Content-Length: counted while reading
        for _ in range(200):
            yield b"x" * 1000

    streamed = env.client.post(
        "/v1/check", headers={**h, "content-type": "application/json"}, content=chunks()
    )
    assert streamed.status_code == 413
    env.app.state.engine.dispose()


def test_unknown_ids_routes_and_methods(env: Env) -> None:
    h = env.h("qs_operator")
    assert env.client.get("/v1/drafts/does-not-exist", headers=h).status_code == 404
    r = env.client.get("/v1/nothing-here", headers=h)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    m = env.client.delete("/v1/drafts", headers=h)
    assert m.status_code == 405 and m.json()["error"]["code"] == "method_not_allowed"


def test_openapi_documents_every_endpoint(env: Env) -> None:
    spec = env.client.get("/openapi.json").json()
    paths = spec["paths"]
    for path, method in [
        ("/v1/drafts", "post"),
        ("/v1/drafts", "get"),
        ("/v1/drafts/{draft_id}", "get"),
        ("/v1/drafts/{draft_id}", "patch"),
        ("/v1/drafts/{draft_id}/approve", "post"),
        ("/v1/drafts/{draft_id}/reject", "post"),
        ("/v1/drafts/{draft_id}/retry", "post"),
        ("/v1/check", "post"),
        ("/v1/knowledge/ingest", "post"),
        ("/v1/knowledge/search", "get"),
        ("/v1/customers", "post"),
        ("/v1/customers/{customer_id}", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    ]:
        assert method in paths[path], (path, method)
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
