"""Failed API-key authentications are throttled per client IP: 429 JSON with ``Retry-After``.

Attack replayed here: 50 wrong keys in 0.25 s were all answered 401, never 429.
"""

from __future__ import annotations

import os
import uuid

import pytest
from fastapi.testclient import TestClient

from api.errors import install_error_handlers
from api.rate_limit import RateLimiter, build_limiter
from core.errors import ConfigError, RateLimitedError, ZhenxinError
from core.settings import Settings
from tests.api.conftest import Env
from tests.conftest import services_required

LIMIT = 10  # the default: failed API-key authentications per minute per client IP


def test_wrong_keys_from_one_address_get_429_with_retry_after(env: Env) -> None:
    answers = [
        env.client.get("/v1/drafts", headers={"Authorization": f"Bearer zx_g{n}_wrong"})
        for n in range(50)
    ]
    statuses = [a.status_code for a in answers]
    assert statuses[:LIMIT] == [401] * LIMIT
    assert set(statuses[LIMIT:]) == {429}
    blocked = answers[-1]
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    error = blocked.json()["error"]
    assert error["code"] == "rate_limited" and error["retry_after"] >= 1
    # While blocked, a real key from the same address waits too (no guessing oracle)...
    assert env.client.get("/v1/drafts", headers=env.h("qs_operator")).status_code == 429
    # ...and other addresses are not affected.
    other = TestClient(env.app, client=("198.51.100.7", 40000), raise_server_exceptions=False)
    assert other.get("/v1/drafts", headers=env.h("qs_operator")).status_code == 200


def test_only_failures_count(env: Env) -> None:
    for _ in range(3 * LIMIT):
        assert env.client.get("/v1/drafts", headers=env.h("qs_operator")).status_code == 200
    # A request without any key is not a guess either.
    for _ in range(2 * LIMIT):
        assert env.client.get("/v1/drafts").status_code == 401
    assert env.client.get("/v1/drafts", headers=env.h("qs_operator")).status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(settings: Settings) -> None:
    from tests.api.conftest import make_env

    env = make_env(settings.model_copy(update={"trust_proxy_headers": True}), brands=())
    attacker = {"X-Forwarded-For": "192.0.2.66, 10.0.0.1", "Authorization": "Bearer zx_a_b"}
    for _ in range(LIMIT):
        assert env.client.get("/v1/keys", headers=attacker).status_code == 401
    assert env.client.get("/v1/keys", headers=attacker).status_code == 429
    # The proxy appends the real client last: another client behind the same proxy is fine.
    honest = {"X-Forwarded-For": "192.0.2.67", **env.h("qs_admin")}
    assert env.client.get("/v1/keys", headers=honest).status_code == 200
    env.app.state.engine.dispose()


def test_forwarded_for_is_ignored_without_a_trusted_proxy(env: Env) -> None:
    for n in range(LIMIT):
        spoof = {"X-Forwarded-For": f"192.0.2.{n}", "Authorization": "Bearer zx_a_b"}
        assert env.client.get("/v1/keys", headers=spoof).status_code == 401
    spoof = {"X-Forwarded-For": "192.0.2.250", "Authorization": "Bearer zx_a_b"}
    assert env.client.get("/v1/keys", headers=spoof).status_code == 429


def test_rate_limited_error_is_typed_and_carries_retry_after() -> None:
    exc = RateLimitedError("too many failed sign-ins", retry_after=12.3)
    assert isinstance(exc, ZhenxinError)
    assert exc.http_status == 429 and exc.retry_after == 12.3
    assert exc.to_dict()["code"] == "rate_limited"
    assert exc.to_dict()["retry_after"] == 13


def test_the_error_handler_adds_retry_after() -> None:
    from fastapi import FastAPI

    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise RateLimitedError("slow down / 请稍后再试", retry_after=0.2)

    answer = TestClient(app).get("/boom")
    assert answer.status_code == 429 and answer.headers["retry-after"] == "1"
    assert answer.json()["error"]["message"] == "slow down / 请稍后再试"


def test_limiter_counts_per_scope_and_identity(settings: Settings) -> None:
    limiter = build_limiter(settings.model_copy(update={"sign_in_rate_limit": "2/minute"}))
    limiter.check("sign_in", "1.2.3.4")
    for _ in range(2):
        limiter.fail("sign_in", "1.2.3.4")
    with pytest.raises(RateLimitedError) as raised:
        limiter.check("sign_in", "1.2.3.4")
    assert 0 < raised.value.retry_after <= 60
    limiter.check("sign_in", "1.2.3.5")  # another identity
    limiter.check("api_key", "1.2.3.4")  # another scope


def test_a_bad_limit_setting_is_a_config_error(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="rate limit"):
        build_limiter(settings.model_copy(update={"api_key_rate_limit": "ten per minute"}))


def test_redis_storage_is_chosen_only_when_asked(settings: Settings) -> None:
    assert build_limiter(settings).storage_kind == "memory"
    asked = settings.model_copy(
        update={"rate_limit_storage": "redis", "redis_url": "redis://127.0.0.1:6379/15"}
    )
    assert build_limiter(asked).storage_kind == "redis"


@pytest.mark.services
def test_redis_storage_shares_counts_between_processes(settings: Settings) -> None:
    url = os.environ.get("ZHENXIN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    asked = settings.model_copy(
        update={"rate_limit_storage": "redis", "redis_url": url, "sign_in_rate_limit": "2/minute"}
    )
    one: RateLimiter = build_limiter(asked, key_prefix=f"zx-test-{uuid.uuid4().hex}")
    if not one.healthy():
        if services_required():
            pytest.fail(f"Redis at {url} is required (ZHENXIN_TEST_SERVICES=1)")
        pytest.skip(f"no Redis at {url}")
    two = build_limiter(asked, key_prefix=one.key_prefix)  # a second API process
    one.fail("sign_in", "1.2.3.4")
    two.fail("sign_in", "1.2.3.4")
    with pytest.raises(RateLimitedError):
        one.check("sign_in", "1.2.3.4")
