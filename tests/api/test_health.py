"""GET /healthz (no auth) and GET /readyz (model, vector store, database; details need a key)."""

from __future__ import annotations

from sqlalchemy import create_engine

from core.settings import Settings
from tests.api.conftest import Env, make_env


def test_healthz_needs_no_key(env: Env) -> None:
    r = env.client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["version"]


def test_ready_when_everything_is_there(env: Env) -> None:
    r = env.client.get("/readyz", headers=env.h("qs_operator"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ready"] is True
    assert set(body["components"]) == {"model", "vector_store", "database"}
    assert "2 brand" in body["components"]["vector_store"]["detail"]


def test_not_ready_without_the_local_model_file(settings: Settings) -> None:
    env = make_env(settings.model_copy(update={"llm": "local"}), brands=())
    r = env.client.get("/readyz", headers=env.h("qs_admin"))
    assert r.status_code == 503
    model = r.json()["components"]["model"]
    assert model["ok"] is False and "model" in model["detail"]
    env.app.state.engine.dispose()


def test_not_ready_when_the_database_is_gone(env: Env) -> None:
    env.app.state.engine = create_engine("sqlite:////nonexistent-dir/zhenxin.db")
    r = env.client.get("/readyz", headers=env.h("qs_admin"))
    assert r.status_code == 503
    assert r.json()["components"]["database"]["ok"] is False
    assert r.json()["components"]["model"]["ok"] is True


def test_not_ready_with_a_bad_provider_name(settings: Settings) -> None:
    env = make_env(settings.model_copy(update={"llm": "nonsense"}), brands=())
    r = env.client.get("/readyz", headers=env.h("qs_admin"))
    assert r.status_code == 503 and r.json()["components"]["model"]["ok"] is False
    env.app.state.engine.dispose()
