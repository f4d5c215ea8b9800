"""The read routes' answers cache (``api.read_cache``): served again while nothing changed,
never after a write (this process, another connection, another process), never to another
brand or role, bounded, off with ``ZHENXIN_READ_CACHE_SECONDS=0``."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event

from api.read_cache import ReadCache
from core.settings import Settings
from generator.fake import FakeDrafter
from storage.changes import ChangeWatch
from storage.db import make_engine, upgrade_to_head
from tests.api.conftest import Env, make_env
from tests.conftest import EXAMPLES


@pytest.fixture
def env(settings: Settings) -> Iterator[Env]:
    """The API env with ``generator.fake.FakeDrafter``: these tests are about reads."""
    e = make_env(settings)
    e.service._drafter = FakeDrafter()
    yield e
    e.client.close()
    e.service.queue.close()  # type: ignore[attr-defined]
    e.app.state.engine.dispose()


CHECK = {"text": "小林你好，修护精华用到第三天了，早晚各一次、两泵就够。", "channel": "wechat"}


def _statements(engine: Engine) -> list[str]:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return seen


def _cache(env: Env) -> ReadCache:
    cache: ReadCache = env.app.state.read_cache
    return cache


def _draft(env: Env, who: str = "qs_operator") -> dict[str, Any]:
    r = env.client.post(
        "/v1/drafts",
        headers=env.h(who),
        json={"kind": "care_message", "customer_id": "qs-002", "trigger": "day3"},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def _served_from_cache(env: Env, method: str, path: str, who: str, **kw: Any) -> Any:
    """Ask; the next answer must come from the cache (no SQL, one more hit). The first ask
    of a key the app has not authenticated yet goes to the route as is."""
    env.client.request(method, path, headers=env.h(who), **kw)
    first = env.client.request(method, path, headers=env.h(who), **kw)
    assert first.status_code == 200, first.text
    seen = _statements(env.app.state.engine)
    hits = _cache(env).hits
    second = env.client.request(method, path, headers=env.h(who), **kw)
    assert second.status_code == 200
    assert second.content == first.content and _cache(env).hits == hits + 1
    assert seen == []
    return second.json()


def test_the_draft_list_sees_a_new_draft_at_once(env: Env) -> None:
    before = _served_from_cache(env, "GET", "/v1/drafts", "qs_operator")
    draft = _draft(env)
    after = env.client.get("/v1/drafts", headers=env.h("qs_operator")).json()
    assert [d["id"] for d in after["items"]] == [draft["id"]] + [d["id"] for d in before["items"]]


def test_a_draft_read_sees_its_edit_at_once(env: Env) -> None:
    draft = _draft(env)
    path = f"/v1/drafts/{draft['id']}"
    _served_from_cache(env, "GET", path, "qs_operator")
    etag = env.client.get(path, headers=env.h("qs_operator")).headers["etag"]
    # A polling client: 304 from the cache.
    hits = _cache(env).hits
    same = env.client.get(path, headers={**env.h("qs_operator"), "If-None-Match": etag})
    assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == etag
    assert _cache(env).hits == hits + 1
    edit = env.client.patch(
        path,
        headers=env.h("qs_operator"),
        json={"text": "小林你好，修护精华用得还顺手吗？", "version": draft["version"]},
    )
    assert edit.status_code == 200, edit.text
    changed = env.client.get(path, headers={**env.h("qs_operator"), "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["text"] == "小林你好，修护精华用得还顺手吗？"
    assert changed.json()["version"] == draft["version"] + 1


def test_a_customer_read_sees_an_opt_out_at_once(env: Env) -> None:
    path = "/v1/customers/qs-002"
    assert _served_from_cache(env, "GET", path, "qs_operator")["customer"]["opted_out"] is False
    r = env.client.post(
        f"{path}/consent", headers=env.h("qs_operator"), json={"opted_out": True, "reason": "t"}
    )
    assert r.status_code == 200, r.text
    after = env.client.get(path, headers=env.h("qs_operator"))
    assert after.json()["customer"]["opted_out"] is True


def test_a_check_is_not_cached_as_an_error_and_sees_a_new_customer(env: Env) -> None:
    body = {**CHECK, "customer_id": "qs-new"}
    missing = env.client.post("/v1/check", headers=env.h("qs_operator"), json=body)
    assert missing.status_code == 404
    customer = {"id": "qs-new", "name": "新客", "stage": "first_contact"}
    created = env.client.post("/v1/customers", headers=env.h("qs_operator"), json=customer)
    assert created.status_code == 201, created.text
    report = _served_from_cache(env, "POST", "/v1/check", "qs_operator", json=body)
    assert "verdict" in report
    # Another text is another answer.
    other = env.client.post(
        "/v1/check", headers=env.h("qs_operator"), json={**body, "text": "亲，限时抢购！"}
    )
    assert other.status_code == 200 and other.content != json.dumps(report).encode()


def _zip_with(root: Path, extra_name: str, extra: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.writestr("stride/" + path.relative_to(root).as_posix(), path.read_bytes())
        zf.writestr(f"stride/knowledge/{extra_name}", extra)
    return buf.getvalue()


def test_a_search_sees_a_new_ingest_at_once(env: Env) -> None:
    query = {"q": "zorbling trail socks", "k": 3}
    before = _served_from_cache(env, "GET", "/v1/knowledge/search", "st_operator", params=query)
    assert all("zorbling" not in p["text"].lower() for p in before["passages"])
    doc = (
        "---\nkind: faq\ntitle: Zorbling trail socks\nstages: [repeat]\n---\n"
        "# Zorbling trail socks\n\nThe zorbling trail socks keep feet dry on long runs.\n"
    )
    pack = _zip_with(EXAMPLES / "stride", "guide-zorbling.md", doc)
    r = env.client.post(
        "/v1/knowledge/ingest",
        headers=env.h("st_admin"),
        files={"file": ("stride.zip", pack, "application/zip")},
    )
    assert r.status_code == 200, r.text
    after = env.client.get("/v1/knowledge/search", headers=env.h("st_operator"), params=query)
    assert any("zorbling" in p["text"].lower() for p in after.json()["passages"])


def test_a_write_by_another_connection_is_seen_on_the_next_read(env: Env) -> None:
    """No session of this process commits: SQLite's data_version tells the cache."""
    path = "/v1/customers/qs-002"
    before = _served_from_cache(env, "GET", path, "qs_operator")
    database = env.app.state.engine.url.database
    with sqlite3.connect(database, timeout=5) as other:
        (data,) = other.execute(
            "SELECT data FROM customers WHERE brand_id = 'qingshui' AND customer_id = 'qs-002'"
        ).fetchone()
        changed = {**json.loads(data), "name": "改过的名字"}
        other.execute(
            "UPDATE customers SET data = ? WHERE brand_id = 'qingshui' AND customer_id = 'qs-002'",
            (json.dumps(changed, ensure_ascii=False),),
        )
    other.close()
    after = env.client.get(path, headers=env.h("qs_operator")).json()
    assert before["customer"]["name"] != "改过的名字"
    assert after["customer"]["name"] == "改过的名字"


_WRITER = """
import sqlite3, sys
with sqlite3.connect(sys.argv[1], timeout=5) as c:
    c.execute("INSERT INTO brands (id, name, created_at) VALUES ('other', 'o', '2026-01-01')")
"""


def test_sqlite_data_version_sees_a_commit_by_another_process(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'z.db'}")
    upgrade_to_head(engine)
    watch = ChangeWatch(engine)
    try:
        assert watch.exact_across_processes
        first = watch.token()
        assert first is not None and watch.token() == first  # nothing happened: same token
        subprocess.run(
            [sys.executable, "-c", _WRITER, str(tmp_path / "z.db")], check=True, timeout=60
        )
        assert watch.token() != first
        # A read by another connection changes nothing.
        again = watch.token()
        with sqlite3.connect(tmp_path / "z.db") as reader:
            reader.execute("SELECT count(*) FROM brands").fetchone()
        reader.close()
        assert watch.token() == again
        watch.close()  # closed (the app stopped): it can no longer tell, so no token
        assert watch.token() is None
    finally:
        watch.close()
        engine.dispose()


def test_answers_do_not_leak_between_brands_roles_or_keys(env: Env) -> None:
    _served_from_cache(env, "GET", "/v1/customers/qs-002", "qs_operator")
    # Another brand's key asking the same path: 404, never the cached answer.
    assert env.client.get("/v1/customers/qs-002", headers=env.h("st_operator")).status_code == 404
    # The same brand, another role: its own entry.
    entries = len(_cache(env))
    for _ in range(2):  # the first ask authenticates the key; the second is kept
        r = env.client.get("/v1/customers/qs-002", headers=env.h("qs_editor"))
        assert r.status_code == 200
    assert len(_cache(env)) == entries + 1
    # The same search for two brands: each its own brand's passages.
    q = {"q": "returns policy", "k": 2}
    qs = env.client.get("/v1/knowledge/search", headers=env.h("qs_operator"), params=q).json()
    st = env.client.get("/v1/knowledge/search", headers=env.h("st_operator"), params=q).json()
    assert qs["brand"] == "qingshui" and st["brand"] == "stride"
    # A wrong key, no key, a revoked key: refused even though the answer is kept.
    path = "/v1/customers/qs-002"
    assert env.client.get(path, headers={"Authorization": "Bearer zx_a_b"}).status_code == 401
    assert env.client.get(path).status_code == 401
    prefix = env.keys["qs_operator"].split("_")[1]
    assert env.client.delete(f"/v1/keys/{prefix}", headers=env.h("qs_admin")).status_code == 200
    assert env.client.get(path, headers=env.h("qs_operator")).status_code == 401


def test_query_order_does_not_matter_but_values_do(env: Env) -> None:
    _draft(env)
    h = env.h("qs_operator")
    one = env.client.get("/v1/drafts?limit=5&offset=0", headers=h)
    hits = _cache(env).hits
    two = env.client.get("/v1/drafts?offset=0&limit=5", headers=h)
    assert two.content == one.content and _cache(env).hits == hits + 1
    other = env.client.get("/v1/drafts?offset=1&limit=5", headers=h)
    assert other.json()["offset"] == 1 and other.json()["items"] == []
    # Invalid queries are the route's 422, never kept.
    assert env.client.get("/v1/drafts?limit=0", headers=h).status_code == 422
    assert env.client.get("/v1/drafts?limit=0", headers=h).status_code == 422


def test_the_cache_is_bounded(env: Env) -> None:
    cache = _cache(env)
    cache.max_entries = 3
    for limit in range(1, 10):
        r = env.client.get(f"/v1/drafts?limit={limit}", headers=env.h("qs_operator"))
        assert r.status_code == 200
        assert len(cache) <= 3
    assert len(cache) == 3


def test_read_cache_is_lru_bounded_by_entries_and_bytes_and_expires() -> None:
    now = [0.0]
    cache = ReadCache(1.0, max_entries=2, max_bytes=10, clock=lambda: now[0])
    token = (1, 1)
    cache.put(("a",), token, [], b"1234", None)
    cache.put(("b",), token, [], b"1234", None)
    assert cache.get(("a",), token) is not None  # a is now the most recent
    cache.put(("c",), token, [], b"1234", None)  # 12 bytes > 10: b (least recent) goes
    assert cache.get(("b",), token) is None
    assert len(cache) == 2 and cache.size_bytes == 8
    assert cache.put(("big",), token, [], b"x" * 11, None) is None  # never kept
    assert cache.get(("a",), (1, 2)) is None  # another token: gone
    now[0] = 1.0
    assert cache.get(("c",), token) is None  # expired
    assert len(cache) == 0


def test_zero_seconds_turns_it_off(settings: Settings) -> None:
    env = make_env(settings.model_copy(update={"read_cache_seconds": 0.0}))
    try:
        h = env.h("qs_operator")
        assert env.client.get("/v1/customers/qs-002", headers=h).status_code == 200
        seen = _statements(env.app.state.engine)
        assert env.client.get("/v1/customers/qs-002", headers=h).status_code == 200
        assert seen  # read again
        assert len(_cache(env)) == 0 and _cache(env).hits == 0
    finally:
        env.client.close()
        env.service.queue.close()  # type: ignore[attr-defined]
        env.app.state.engine.dispose()


def test_concurrent_misses_of_one_answer_read_it_once(env: Env) -> None:
    path, h = "/v1/customers/qs-002", env.h("qs_operator")
    assert env.client.get(path, headers=h).status_code == 200  # the key is authenticated
    _cache(env).clear()
    one = _statements(env.app.state.engine)
    assert env.client.get(path, headers=h).status_code == 200
    reads = len(one)
    _cache(env).clear()
    many = _statements(env.app.state.engine)

    async def together() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=env.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return list(await asyncio.gather(*(client.get(path, headers=h) for _ in range(8))))

    answers = asyncio.run(together())
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert len(many) == reads  # eight asks, one read
