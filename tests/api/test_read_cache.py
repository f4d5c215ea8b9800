"""Cheap reads: a key that authenticated is not read again for a few seconds (but a revoked one
is refused at once, and a blocked address still waits), and reads answer with an ETag that
turns a repeated read into ``304 Not Modified``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from api.drafting import to_out
from storage import drafts as drafts_repo
from storage import keys
from tests.api.conftest import Env


def _draft(env: Env) -> dict[str, Any]:
    r = env.client.post(
        "/v1/drafts",
        headers=env.h("qs_operator"),
        json={"kind": "care_message", "customer_id": "qs-002", "trigger": "day3"},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def _key_reads(env: Env) -> list[str]:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "api_keys" in statement:
            seen.append(statement)

    event.listen(env.app.state.engine, "before_cursor_execute", record)
    return seen


def test_a_key_is_read_once_then_served_from_the_cache(env: Env) -> None:
    reads = _key_reads(env)
    for _ in range(5):
        assert env.client.get("/v1/drafts", headers=env.h("qs_editor")).status_code == 200
    assert len(reads) == 1
    # A wrong key is looked up every time (and counted by the limiter).
    for _ in range(2):
        bad = env.client.get("/v1/drafts", headers={"Authorization": "Bearer zx_a_b"})
        assert bad.status_code == 401
    assert len(reads) == 3


def test_a_cached_key_revoked_in_the_process_is_refused_at_once(env: Env) -> None:
    secret = env.keys["qs_editor"]
    assert env.client.get("/v1/drafts", headers=env.h("qs_editor")).status_code == 200
    with env.app.state.sessions.begin() as s:  # as `zhenxin keys revoke` would, in-process
        keys.revoke_key(s, secret.split("_")[1])
    assert env.client.get("/v1/drafts", headers=env.h("qs_editor")).status_code == 401
    # Through the API as well.
    assert env.client.get("/v1/drafts", headers=env.h("qs_operator")).status_code == 200
    prefix = env.keys["qs_operator"].split("_")[1]
    assert env.client.delete(f"/v1/keys/{prefix}", headers=env.h("qs_admin")).status_code == 200
    assert env.client.get("/v1/drafts", headers=env.h("qs_operator")).status_code == 401


def test_a_blocked_address_waits_even_with_a_cached_key(env: Env) -> None:
    assert env.client.get("/v1/drafts", headers=env.h("qs_operator")).status_code == 200
    for n in range(10):
        env.client.get("/v1/drafts", headers={"Authorization": f"Bearer zx_g{n}_wrong"})
    assert env.client.get("/v1/drafts", headers=env.h("qs_operator")).status_code == 429


def test_a_draft_answers_with_an_etag_and_304_when_unchanged(env: Env) -> None:
    draft = _draft(env)
    path = f"/v1/drafts/{draft['id']}"
    h = env.h("qs_operator")
    first = env.client.get(path, headers=h)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and first.headers["cache-control"] == "private, no-cache"
    assert "Authorization" in first.headers["vary"]
    # The same JSON the response model describes.
    with env.app.state.sessions() as s:
        record = drafts_repo.get_record(s, "qingshui", draft["id"])
        assert first.json() == to_out(record).model_dump(mode="json")
    for header in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        again = env.client.get(path, headers={**h, "If-None-Match": header})
        assert again.status_code == 304, header
        assert again.content == b"" and again.headers["etag"] == etag
    assert env.client.get(path, headers={**h, "If-None-Match": '"nope"'}).status_code == 200
    # A new version is a new body: the old tag no longer matches.
    edited = env.client.patch(path, headers=h, json={"text": "周可你好，第二版。", "version": 1})
    assert edited.status_code == 200, edited.text
    after = env.client.get(path, headers={**h, "If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert after.json()["version"] == 2


def test_lists_and_search_answer_with_an_etag(env: Env) -> None:
    _draft(env)
    h = env.h("qs_operator")
    for path in ("/v1/drafts?limit=20", "/v1/knowledge/search?q=修护精华怎么用&k=4"):
        first = env.client.get(path, headers=h)
        assert first.status_code == 200 and first.headers["content-type"] == "application/json"
        again = env.client.get(path, headers={**h, "If-None-Match": first.headers["etag"]})
        assert again.status_code == 304, path
    # Another brand's key reads another body, never the first brand's tag.
    other = env.client.get("/v1/drafts?limit=20", headers=env.h("st_operator"))
    assert other.json()["items"] == []


def test_a_missing_draft_is_still_404(env: Env) -> None:
    r = env.client.get("/v1/drafts/nope", headers=env.h("qs_operator"))
    assert r.status_code == 404 and "etag" not in r.headers
    assert r.json()["error"]["code"] == "not_found"


def test_a_customer_answers_with_an_etag_that_follows_the_contact_log(env: Env) -> None:
    h = env.h("qs_operator")
    first = env.client.get("/v1/customers/qs-002", headers=h)
    assert first.status_code == 200 and first.json()["customer"]["id"] == "qs-002"
    etag = first.headers["etag"]
    same = env.client.get("/v1/customers/qs-002", headers={**h, "If-None-Match": etag})
    assert same.status_code == 304
    # An opt-out is a new body, so the old tag no longer matches.
    opted = env.client.post(
        "/v1/customers/qs-002/consent", headers=h, json={"opted_out": True, "reason": "asked"}
    )
    assert opted.status_code == 200, opted.text
    after = env.client.get("/v1/customers/qs-002", headers={**h, "If-None-Match": etag})
    assert after.status_code == 200 and after.json()["customer"]["opted_out"] is True
    assert env.client.get("/v1/customers/nope", headers=h).status_code == 404
