"""The review form's session secret: never a public placeholder, generated once per data dir.

Attack replayed here: a cookie signed with the old default secret ("dev-only-change-me") for
brand X and key ids 1..8 opened the queue under a real editor's name.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from pydantic import SecretStr

from api.main import create_app
from api.web_auth import SESSION_COOKIE
from core.errors import ConfigError
from core.settings import Settings
from tests.web.conftest import BRAND_A, Seeded, build_app, rule_checker, seed
from tests.web.test_review_form import sign_in

OLD_PLACEHOLDER = "dev-only-change-me"
SALT = "zhenxin.review.session"  # public: it is in the source


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No secret set, whatever the environment says (ZHENXIN_SESSION_SECRET)."""
    return settings.model_copy(update={"session_secret": None})


def _forge(secret: str, data: dict[str, str]) -> str:
    return URLSafeTimedSerializer(secret, salt=SALT).dumps(data)


def test_a_cookie_signed_with_the_old_placeholder_opens_nothing(settings: Settings) -> None:
    app = build_app(settings, rule_checker)
    seed(app.state.sessions, rule_checker)
    client = TestClient(app)
    for key_id in range(1, 9):
        for cookie in (
            {"k": str(key_id), "b": BRAND_A, "r": "editor", "n": "x", "c": "forged"},
            {"s": "forged-session", "c": "forged"},
        ):
            client.cookies.set(SESSION_COOKIE, _forge(OLD_PLACEHOLDER, cookie))
            answer = client.get("/review", follow_redirects=False)
            assert answer.status_code == 303, (key_id, cookie)


def test_without_a_setting_a_random_secret_is_made_once_and_kept(settings: Settings) -> None:
    assert settings.session_secret is None
    app = create_app(settings)
    path = settings.data_dir / "session_secret"
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = path.read_text(encoding="utf-8").strip()
    assert len(secret) >= 32 and secret != OLD_PLACEHOLDER
    assert app.state.settings.session_secret.get_secret_value() == secret
    # A restart reuses it (sessions survive); another data dir gets another one.
    again = create_app(settings)
    assert again.state.settings.session_secret.get_secret_value() == secret
    other = create_app(settings.model_copy(update={"data_dir": settings.data_dir / "other"}))
    assert other.state.settings.session_secret.get_secret_value() != secret
    for a in (app, again, other):
        a.state.engine.dispose()


def test_a_session_survives_a_restart_with_the_kept_secret(settings: Settings) -> None:
    app = build_app(settings, rule_checker)
    seeded: Seeded = seed(app.state.sessions, rule_checker)
    client = TestClient(app)
    sign_in(client, seeded.keys["editor_a"])
    cookie = client.cookies[SESSION_COOKIE]
    restarted = TestClient(build_app(settings, rule_checker))
    restarted.cookies.set(SESSION_COOKIE, cookie)
    assert restarted.get("/review", follow_redirects=False).status_code == 200


def test_a_loose_secret_file_is_tightened(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True)
    path = settings.data_dir / "session_secret"
    path.write_text("k" * 48, encoding="utf-8")
    path.chmod(0o644)
    app = create_app(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert app.state.settings.session_secret.get_secret_value() == "k" * 48
    app.state.engine.dispose()


@pytest.mark.parametrize("environment", ["development", "test", "production"])
@pytest.mark.parametrize("value", [OLD_PLACEHOLDER, "changeme", "secret", "short-but-random-9f3"])
def test_a_placeholder_or_short_secret_is_refused_everywhere(
    settings: Settings, environment: str, value: str
) -> None:
    bad = settings.model_copy(
        update={"session_secret": SecretStr(value), "environment": environment}
    )
    with pytest.raises(ConfigError, match=r"session secret|会话密钥"):
        create_app(bad)


def test_an_empty_setting_means_generate(settings: Settings, tmp_path: Path) -> None:
    empty = settings.model_copy(update={"session_secret": SecretStr("")})
    app = create_app(empty)
    assert len(app.state.settings.session_secret.get_secret_value()) >= 32
    app.state.engine.dispose()


def test_a_strong_secret_from_the_environment_is_used_as_is(settings: Settings) -> None:
    strong = "x9" * 24
    app = create_app(settings.model_copy(update={"session_secret": SecretStr(strong)}))
    assert app.state.settings.session_secret.get_secret_value() == strong
    assert not (settings.data_dir / "session_secret").exists()
    app.state.engine.dispose()
