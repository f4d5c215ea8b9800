"""API test fixtures: an app on a private data dir with two ingested brands (qingshui, zh;
stride, en), the real pipeline on a scripted FakeLLM and the hash embedder, the drafting
service on a worker pool, and keys. The client sends ``Prefer: wait=30`` by default, so a
``POST /v1/drafts`` answers with the finished draft (201); tests of the 202 flow drop it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.deps import get_drafting, get_knowledge
from api.main import create_app
from core.errors import ProviderError
from core.settings import Settings
from drafting.jobs import WorkerPool
from drafting.packs import ingest_pack
from drafting.service import DraftingService
from generator.pipeline import Pipeline
from knowledge.service import KnowledgeBase
from llm.fake import FakeLLM, placeholder_reply
from storage import keys
from tests.conftest import EXAMPLES


@dataclass
class Model:
    """The fake model's script: ``fail`` calls raise a timeout, then placeholder replies."""

    fail: int = 0
    calls: int = 0
    reply: Any = None

    def __call__(self, messages: list[Any], json_schema: dict[str, Any] | None) -> str:
        self.calls += 1
        if self.fail > 0:
            self.fail -= 1
            raise ProviderError("the model timed out after 120s", hint="ZHENXIN_LLM_TIMEOUT")
        if self.reply is not None:
            return str(self.reply(messages, json_schema))
        return placeholder_reply(messages, json_schema)


@dataclass
class Env:
    app: FastAPI
    client: TestClient
    settings: Settings
    knowledge: KnowledgeBase
    model: Model
    service: DraftingService
    keys: dict[str, str] = field(default_factory=dict)

    def h(self, who: str) -> dict[str, str]:
        """Authorization header of a key: 'qs_operator', 'qs_editor', 'qs_admin', 'st_editor'..."""
        return {"Authorization": f"Bearer {self.keys[who]}"}


def make_env(settings: Settings, *, brands: tuple[str, ...] = ("qingshui", "stride")) -> Env:
    kb = KnowledgeBase(settings)
    model = Model()
    pipeline = Pipeline(settings, llm=FakeLLM(reply_fn=model), knowledge=kb)
    app = create_app(settings)
    service = DraftingService(settings, sessions=app.state.sessions, knowledge=kb, drafter=pipeline)
    service.queue = WorkerPool(service.run, workers=2, capacity=50)
    for brand in brands:  # as an ingest does: knowledge indexed, customers stored
        ingest_pack(kb, service.customers, EXAMPLES / brand)
    app.dependency_overrides[get_knowledge] = lambda: kb
    app.dependency_overrides[get_drafting] = lambda: service
    env = Env(
        app=app,
        client=TestClient(app, raise_server_exceptions=False, headers={"Prefer": "wait=30"}),
        settings=settings,
        knowledge=kb,
        model=model,
        service=service,
    )
    with app.state.sessions.begin() as session:
        for brand, short in (("qingshui", "qs"), ("stride", "st")):
            for role in keys.Role:
                env.keys[f"{short}_{role.value}"] = keys.create_key(session, brand, role).secret
    return env


@pytest.fixture
def env(settings: Settings) -> Iterator[Env]:
    e = make_env(settings)
    yield e
    e.client.close()
    close = getattr(e.service.queue, "close", None)
    if close is not None:
        close()
    e.app.state.engine.dispose()
