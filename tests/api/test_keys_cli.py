"""``zhenxin keys create/list/revoke`` and ``zhenxin serve`` wiring."""

from __future__ import annotations

import json

import pytest

from cli.main import run
from core.settings import Settings
from storage import keys
from storage.db import open_database


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ZHENXIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZHENXIN_LLM", "fake")
    monkeypatch.setenv("ZHENXIN_EMBEDDER", "hash")
    return settings


def test_create_list_revoke(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(
            [
                "keys",
                "create",
                "--brand",
                "qingshui",
                "--role",
                "editor",
                "--name",
                "阿青",
                "--json",
            ]
        )
        == 0
    )
    created = json.loads(capsys.readouterr().out)
    assert created["role"] == "editor" and created["key"].startswith("zx_")
    _engine, sessions = open_database(cli_env)
    with sessions.begin() as s:
        info = keys.authenticate(s, created["key"])
        assert info is not None and info.brand == "qingshui" and info.role is keys.Role.EDITOR

    assert run(["keys", "create", "--brand", "qingshui"]) == 0
    plain = capsys.readouterr()
    assert plain.out.strip().startswith("zx_") and "shown once" in plain.err

    assert run(["keys", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {k["role"] for k in listed} == {"editor", "operator"}
    assert all("key" not in k for k in listed)
    assert created["key"] not in json.dumps(listed)

    assert run(["keys", "revoke", created["prefix"]]) == 0
    with sessions.begin() as s:
        assert keys.authenticate(s, created["key"]) is None
    assert run(["keys", "list"]) == 0
    assert "revoked" in capsys.readouterr().out
    _engine.dispose()


def test_bad_input_exits_2(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["keys", "create", "--brand", "qingshui", "--role", "boss"]) == 2
    assert run(["keys", "create", "--brand", "Not A Brand"]) == 2
    assert "invalid brand id" in capsys.readouterr().err
    assert run(["keys", "revoke", "nope"]) == 2


def test_serve_runs_uvicorn_with_the_app(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    seen: dict[str, object] = {}

    def fake_run(app: object, **kwargs: object) -> None:
        seen["app"] = app
        seen.update(kwargs)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    assert run(["serve", "--host", "127.0.0.1", "--port", "8765"]) == 0
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8765
    from fastapi import FastAPI

    assert isinstance(seen["app"], FastAPI)
    seen["app"].state.engine.dispose()  # type: ignore[attr-defined]


@pytest.mark.parametrize("environment", ["development", "production"])
def test_serve_refuses_a_placeholder_session_secret(
    cli_env: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    environment: str,
) -> None:
    import uvicorn

    def never(*_a: object, **_k: object) -> None:
        pytest.fail("served with a placeholder session secret")

    monkeypatch.setattr(uvicorn, "run", never)
    monkeypatch.setenv("ZHENXIN_ENVIRONMENT", environment)
    monkeypatch.setenv("ZHENXIN_SESSION_SECRET", "dev-only-change-me")
    assert run(["serve"]) == 2
    assert "session secret" in capsys.readouterr().err


def test_serve_in_production_without_a_secret_keeps_a_random_one(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **_k: seen.setdefault("app", app))
    monkeypatch.setenv("ZHENXIN_ENVIRONMENT", "production")
    monkeypatch.delenv("ZHENXIN_SESSION_SECRET", raising=False)
    assert run(["serve"]) == 0
    kept = (cli_env.data_dir / "session_secret").read_text(encoding="utf-8").strip()
    app = seen["app"]
    assert app.state.settings.session_secret.get_secret_value() == kept  # type: ignore[attr-defined]
    app.state.engine.dispose()  # type: ignore[attr-defined]
