"""The API on PostgreSQL (``ZHENXIN_DATABASE_URL``): migrations at startup, a draft's whole
life, and brand isolation. Marked ``services`` (skips unless PostgreSQL answers, or fails
when ZHENXIN_TEST_SERVICES=1)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from core.settings import Settings
from storage import customers
from tests.api.conftest import Env, make_env
from tests.storage.test_postgres import PG_URL, _admin

pytestmark = pytest.mark.services


@pytest.fixture
def pg_env(settings: Settings) -> Iterator[Env]:
    admin = _admin()
    schema = f"zx_api_{uuid.uuid4().hex[:12]}"
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    env = make_env(settings.model_copy(update={"database_url": url}), brands=("qingshui",))
    try:
        assert env.app.state.engine.dialect.name == "postgresql"
        with env.app.state.sessions.begin() as s:
            customers.import_customers(s, "qingshui", env.knowledge.pack("qingshui").customers)
        yield env
    finally:
        env.client.close()
        env.app.state.engine.dispose()
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_draft_lifecycle_on_postgres(pg_env: Env) -> None:
    env = pg_env
    h = env.h("qs_operator")
    d = env.client.post(
        "/v1/drafts",
        headers=h,
        json={"kind": "care_message", "customer_id": "qs-002", "trigger": "day3"},
    )
    assert d.status_code == 201, d.text
    did = d.json()["id"]
    e = env.client.patch(
        f"/v1/drafts/{did}", headers=h, json={"text": "周可你好，洁面用得还顺手吗？", "version": 1}
    )
    assert e.status_code == 200 and e.json()["version"] == 2
    stale = env.client.patch(f"/v1/drafts/{did}", headers=h, json={"text": "x", "version": 1})
    assert stale.status_code == 409
    a = env.client.post(
        f"/v1/drafts/{did}/approve",
        headers=env.h("qs_editor"),
        json={"version": 2, "override_reason": "ok"},
    )
    assert a.status_code == 200 and a.json()["status"] == "approved"
    assert env.client.get(f"/v1/drafts/{did}", headers=env.h("st_admin")).status_code == 404
    ready = env.client.get("/readyz", headers=env.h("qs_operator")).json()
    assert ready["components"]["database"]["detail"] == "postgresql"
