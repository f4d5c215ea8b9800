"""The doors' start-up helper takes what is alive out of the collector's walks."""

from __future__ import annotations

import gc

from core.runtime import freeze_startup_objects
from core.settings import Settings


def test_freeze_startup_objects_freezes_and_leaves_the_collector_on() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > 0
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_a_brand_wide_cli_command_freezes_once_started(qingshui_cli: Settings) -> None:
    from cli.main import run

    gc.unfreeze()
    assert run(["members", "--brand", "qingshui", "--on", "2026-11-30", "--limit", "3"]) == 0
    assert gc.get_freeze_count() > 0  # conftest's fixture gives them back after the test


def test_the_api_freezes_once_started(settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app

    gc.unfreeze()
    with TestClient(create_app(settings)):
        assert gc.get_freeze_count() > 0
