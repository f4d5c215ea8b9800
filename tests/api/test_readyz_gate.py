"""``/readyz`` tells strangers only whether the service is ready; details need a valid key.

Attack replayed here: ``/readyz`` showed provider, model and brand count to anyone.
"""

from __future__ import annotations

from sqlalchemy import create_engine

from tests.api.conftest import Env


def test_without_a_key_only_the_status(env: Env) -> None:
    for headers in ({}, {"Authorization": "Bearer zx_nope_nope"}, {"Authorization": "Basic eA=="}):
        answer = env.client.get("/readyz", headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"status": "ok"}
        for secret in ("fake", "brand", "sqlite", "hash"):
            assert secret not in answer.text


def test_with_a_key_the_details(env: Env) -> None:
    for who in ("qs_operator", "st_admin"):
        answer = env.client.get("/readyz", headers=env.h(who))
        assert answer.status_code == 200
        body = answer.json()
        assert body["ready"] is True and body["status"] == "ok"
        assert "2 brand" in body["components"]["vector_store"]["detail"]


def test_not_ready_is_503_for_everyone_but_explained_only_with_a_key(env: Env) -> None:
    env.app.state.engine = create_engine("sqlite:////nonexistent-dir/zhenxin.db")
    stranger = env.client.get("/readyz")
    assert stranger.status_code == 503 and stranger.json() == {"status": "unavailable"}
    detailed = env.client.get("/readyz", headers=env.h("qs_admin"))
    assert detailed.status_code == 503
    assert detailed.json()["components"]["database"]["ok"] is False
