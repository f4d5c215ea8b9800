"""A batch at concurrency 16 over the real stores (issue "scale"): the batch's own threads
open the embedded Chroma client together and write to SQLite together, and no item fails for
a store error. (The embedded client once failed 1 of 17 items with "Could not connect to
tenant default_tenant" when threads opened it at once; a runner must not fail items for its
own store.)"""

from __future__ import annotations

import threading
import time
from typing import Any

from batch.jobs import BatchKind, BatchSpec
from batch.service import BatchService
from core.settings import Settings
from drafting.customers import CustomerStore
from drafting.packs import ingest_pack
from drafting.service import DraftingService
from generator.pipeline import Pipeline
from knowledge.service import KnowledgeBase
from knowledge.store import forget_clients
from llm.fake import FakeLLM, placeholder_reply
from storage.db import open_database
from tests.conftest import EXAMPLES


def _service(settings: Settings, llm: FakeLLM) -> BatchService:
    _, sessions = open_database(settings)
    knowledge = KnowledgeBase(settings)
    pipeline = Pipeline(settings, llm=llm, knowledge=knowledge)
    return BatchService(
        DraftingService(settings, sessions=sessions, knowledge=knowledge, drafter=pipeline)
    )


def test_a_batch_at_concurrency_16_fails_no_item_for_its_stores(settings: Settings) -> None:
    _, sessions = open_database(settings)
    for brand in ("qingshui", "stride"):  # zh and en
        ingest_pack(KnowledgeBase(settings), CustomerStore(sessions), EXAMPLES / brand)
    in_flight = most = 0
    lock = threading.Lock()

    def slow(messages: Any, schema: Any) -> str:  # a model call the threads wait on together
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.2)
        with lock:
            in_flight -= 1
        return placeholder_reply(messages, schema)

    planner = _service(settings, FakeLLM(reply_fn=placeholder_reply))
    records = [
        planner.create(BatchSpec(kind=BatchKind.MONTHLY, brand=brand, month="2026-11"))
        for brand in ("qingshui", "stride")
    ]
    forget_clients()  # the batch's threads open the Chroma client themselves, at once
    service = _service(settings, FakeLLM(reply_fn=slow))
    for record in records:
        assert record.total >= 16  # more items than threads
        summary = service.run(record.id, concurrency=16)
        assert summary.failures == [], summary.failures
        assert summary.counts["done"] == record.total
    assert most >= 12  # the threads really drafted side by side
