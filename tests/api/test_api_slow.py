"""One draft through the HTTP API on the real local model (no pipeline override: the app
builds its pipeline from settings). Run with ``pytest --slow -m slow tests/api``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.deps import get_knowledge
from api.main import create_app
from core.settings import Settings
from knowledge.service import KnowledgeBase
from llm.model_files import model_path
from storage import customers, keys
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow


def test_draft_with_the_local_model(tmp_path: Path) -> None:
    base = Settings(llm="local", local_threads=2, local_n_ctx=4096)
    gguf = model_path(base)
    if not gguf.is_file():
        message = f"local model file absent: {gguf} (run `zhenxin model setup`)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    settings = base.model_copy(
        update={
            "data_dir": tmp_path / "zx",
            "local_model_path": gguf,
            "embedder": "hash",
            "max_attempts": 1,
            "max_wait_seconds": 600.0,
        }
    )
    kb = KnowledgeBase(settings)
    kb.ingest(EXAMPLES / "qingshui")
    app = create_app(settings)
    app.dependency_overrides[get_knowledge] = lambda: kb
    with app.state.sessions.begin() as s:
        customers.import_customers(s, "qingshui", kb.customers("qingshui"))
        secret = keys.create_key(s, "qingshui", keys.Role.EDITOR).secret
    h = {"Authorization": f"Bearer {secret}"}
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        r = client.post(
            "/v1/drafts",
            headers={**h, "Prefer": "wait=600"},  # the draft job runs on the server's worker
            json={"kind": "care_message", "customer_id": "qs-006", "trigger": "half_used"},
        )
        assert r.status_code == 201, r.text
        d = r.json()
        assert d["provider"] == "local" and len(d["text"]) > 10
        assert sum("\u4e00" <= ch <= "\u9fff" for ch in d["text"]) > 5  # written in Chinese
        assert d["verdict"] in ("pass", "review", "block") and d["sources"]
        listed = client.get("/v1/drafts", headers=h).json()["items"]
        assert [x["id"] for x in listed] == [d["id"]]
    app.state.engine.dispose()
