"""Shared test fixtures. Fast by default: `--slow` adds the real local model and browser."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--slow",
        action="store_true",
        default=False,
        help="also run tests marked slow (real local model, real browser)",
    )


SLOW_TIMEOUT = 900  # seconds: a real-model test drafts several messages on 2 cores


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow"):
        for item in items:
            if "slow" in item.keywords and item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT))
        return
    skip = pytest.mark.skip(reason="slow: run with --slow (real local model / browser)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def services_required() -> bool:
    """CI sets ZHENXIN_TEST_SERVICES=1: then PostgreSQL/Redis tests must run, not skip."""
    return os.environ.get("ZHENXIN_TEST_SERVICES") == "1"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for fast tests: a private data dir, the fake model, the hash embedder."""
    return Settings(
        data_dir=tmp_path / "zhenxin",
        llm="fake",
        embedder="hash",
        chroma_url="",
        database_url="",
        environment="test",
    )


@pytest.fixture(autouse=True)
def _forbid_model_requests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fast tests must never reach a real model: real providers refuse while this is "0".
    Tests marked slow keep whatever the environment says (default: allowed)."""
    if request.node.get_closest_marker("slow") is None:
        monkeypatch.setenv("ZHENXIN_ALLOW_MODEL_REQUESTS", "0")


@pytest.fixture(autouse=True)
def _unfreeze_after() -> Iterator[None]:
    """The doors freeze what is alive once they have started (core.runtime); a test process
    starts them again and again, so each test gives its frozen objects back to the collector
    (else the apps and services of every earlier test would stay for good)."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


@pytest.fixture
def qingshui_cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The CLI's environment for a test: a private data dir, the fake model, the hash
    embedder, SQLite, and the qingshui example pack ingested."""
    from cli.main import run

    monkeypatch.setenv("ZHENXIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZHENXIN_LLM", "fake")
    monkeypatch.setenv("ZHENXIN_EMBEDDER", "hash")
    monkeypatch.setenv("ZHENXIN_DATABASE_URL", "")
    assert run(["ingest", str(EXAMPLES / "qingshui")]) == 0
    return settings
