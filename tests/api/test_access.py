"""Keys, roles and brand isolation: 401 without a valid key, 403 for a role too low, 404 for
another brand's ids (never 403, so ids do not leak)."""

from __future__ import annotations

import pytest

from storage import keys
from tests.api.conftest import Env


def _draft(env: Env, who: str = "qs_operator") -> str:
    r = env.client.post(
        "/v1/drafts",
        headers=env.h(who),
        json={"kind": "care_message", "customer_id": "qs-002", "trigger": "day3"},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer ",
        "Bearer zx_nope_nope",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-key",
    ],
)
def test_missing_or_wrong_key_is_401(env: Env, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    for method, path in (
        ("GET", "/v1/drafts"),
        ("POST", "/v1/check"),
        ("GET", "/v1/customers/qs-001"),
        ("GET", "/v1/knowledge/search?q=x"),
    ):
        r = env.client.request(method, path, headers=headers, json={"text": "x"})
        assert r.status_code == 401, (method, path, r.text)
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.headers["www-authenticate"] == "Bearer"


def test_revoked_key_is_401(env: Env) -> None:
    secret = env.keys["qs_operator"]
    assert env.client.get("/v1/drafts", headers=env.h("qs_operator")).status_code == 200
    with env.app.state.sessions.begin() as s:
        keys.revoke_key(s, secret.split("_")[1])
    assert env.client.get("/v1/drafts", headers=env.h("qs_operator")).status_code == 401


def test_a_tampered_key_with_a_real_prefix_is_401(env: Env) -> None:
    secret = env.keys["qs_admin"]
    r = env.client.get("/v1/drafts", headers={"Authorization": f"Bearer {secret[:-2]}xx"})
    assert r.status_code == 401


def test_operators_may_not_approve_or_reject(env: Env) -> None:
    did = _draft(env)
    a = env.client.post(f"/v1/drafts/{did}/approve", headers=env.h("qs_operator"), json={})
    assert a.status_code == 403 and a.json()["error"]["code"] == "forbidden"
    r = env.client.post(
        f"/v1/drafts/{did}/reject", headers=env.h("qs_operator"), json={"reason": "no"}
    )
    assert r.status_code == 403
    # ...but operators and editors may edit.
    for n, who in enumerate(("qs_operator", "qs_editor"), start=1):
        e = env.client.patch(
            f"/v1/drafts/{did}",
            headers=env.h(who),
            json={"text": f"周可你好，第{n}版。", "version": n},
        )
        assert e.status_code == 200, e.text
    ok = env.client.post(
        f"/v1/drafts/{did}/reject",
        headers=env.h("qs_admin"),
        json={"reason": "admins are editors too"},
    )
    assert ok.status_code == 200


def test_only_admins_ingest(env: Env) -> None:
    for who in ("qs_operator", "qs_editor"):
        r = env.client.post(
            "/v1/knowledge/ingest",
            headers=env.h(who),
            files={"file": ("p.zip", b"PK", "application/zip")},
        )
        assert r.status_code == 403, r.text


def test_other_brands_draft_is_404_everywhere(env: Env) -> None:
    did = _draft(env)
    h = env.h("st_admin")  # the strongest key of the other brand
    calls = [
        ("GET", f"/v1/drafts/{did}", None),
        ("GET", f"/v1/drafts/{did}/versions", None),
        ("PATCH", f"/v1/drafts/{did}", {"text": "hijack", "version": 1}),
        ("POST", f"/v1/drafts/{did}/approve", {}),
        ("POST", f"/v1/drafts/{did}/reject", {"reason": "x"}),
        ("POST", f"/v1/drafts/{did}/retry", None),
    ]
    for method, path, body in calls:
        r = env.client.request(method, path, headers=h, json=body)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["error"]["code"] == "not_found"
    assert env.client.get("/v1/drafts", headers=h).json()["items"] == []
    # ...and the draft is untouched.
    mine = env.client.get(f"/v1/drafts/{did}", headers=env.h("qs_operator")).json()
    assert mine["version"] == 1 and mine["status"] == "pending_review"


def test_other_brands_customers_are_404(env: Env) -> None:
    assert env.client.get("/v1/customers/qs-001", headers=env.h("qs_operator")).status_code == 200
    assert env.client.get("/v1/customers/qs-001", headers=env.h("st_admin")).status_code == 404
    assert env.client.get("/v1/customers/st-001", headers=env.h("qs_admin")).status_code == 404
    r = env.client.post(
        "/v1/drafts",
        headers=env.h("st_operator"),
        json={"kind": "care_message", "customer_id": "qs-001", "trigger": "day3"},
    )
    assert r.status_code == 404
    listed = env.client.get("/v1/customers", headers=env.h("st_operator")).json()
    assert listed and all(c["customer"]["id"].startswith("st-") for c in listed)


def test_search_sees_only_the_keys_brand(env: Env) -> None:
    zh = env.client.get(
        "/v1/knowledge/search",
        params={"q": "修护精华 怎么用", "k": 5},
        headers=env.h("qs_operator"),
    ).json()
    en = env.client.get(
        "/v1/knowledge/search",
        params={"q": "how to use the road shoe"},
        headers=env.h("st_operator"),
    ).json()
    qs_docs = {d.id for d in env.knowledge.pack("qingshui").docs}
    st_docs = {d.id for d in env.knowledge.pack("stride").docs}
    assert zh["passages"] and {p["doc_id"] for p in zh["passages"]} <= qs_docs
    assert en["passages"] and {p["doc_id"] for p in en["passages"]} <= st_docs


def test_admins_manage_their_brands_keys(env: Env) -> None:
    h = env.h("qs_admin")
    for who in ("qs_operator", "qs_editor"):
        assert env.client.post("/v1/keys", headers=env.h(who), json={}).status_code == 403
        assert env.client.get("/v1/keys", headers=env.h(who)).status_code == 403
    made = env.client.post("/v1/keys", headers=h, json={"role": "editor", "name": "小林"})
    assert made.status_code == 201, made.text
    new = made.json()
    assert new["brand"] == "qingshui" and new["role"] == "editor" and new["key"].startswith("zx_")
    mine = {"Authorization": f"Bearer {new['key']}"}
    assert env.client.get("/v1/drafts", headers=mine).status_code == 200
    listed = env.client.get("/v1/keys", headers=h).json()
    assert {k["brand"] for k in listed} == {"qingshui"} and new["prefix"] in {
        k["prefix"] for k in listed
    }
    assert all("key" not in k for k in listed)
    # Another brand's admin cannot see or revoke it.
    assert new["prefix"] not in {
        k["prefix"] for k in env.client.get("/v1/keys", headers=env.h("st_admin")).json()
    }
    assert (
        env.client.delete(f"/v1/keys/{new['prefix']}", headers=env.h("st_admin")).status_code == 404
    )
    assert env.client.delete(f"/v1/keys/{new['prefix']}", headers=h).status_code == 200
    assert env.client.get("/v1/drafts", headers=mine).status_code == 401
    bad = env.client.post("/v1/keys", headers=h, json={"role": "owner"})
    assert bad.status_code == 422
