"""The Dramatiq worker of the kill test (``dramatiq tests.batch.kill_worker``): the batch
actor on the test's own Redis namespace, items drafted by the fake drafter (a small delay)
into the test's own PostgreSQL schema. Everything comes from ``ZX_KILL_*`` variables."""

from __future__ import annotations

import os

import dramatiq

from batch import queue
from batch.runner import ItemExecutor
from batch.service import BatchService
from core.settings import Settings
from drafting.service import DraftingService
from generator.fake import FakeDrafter
from knowledge.fake import FakeKnowledge
from storage.db import open_database
from tests.batch.conftest import make_pack

broker = queue.make_broker(os.environ["ZX_KILL_REDIS_URL"], namespace=os.environ["ZX_KILL_NS"])
dramatiq.set_broker(broker)
queue.declare_actor(broker)


def _executor() -> ItemExecutor:
    settings = Settings(
        data_dir=os.environ["ZX_KILL_DATA_DIR"],
        database_url=os.environ["ZX_KILL_DATABASE_URL"],
        llm="fake",
        embedder="hash",
        chroma_url="",
        environment="test",
        job_lease_seconds=float(os.environ["ZX_KILL_LEASE"]),
    )
    _, sessions = open_database(settings)
    drafting = DraftingService(
        settings,
        sessions=sessions,
        knowledge=FakeKnowledge([make_pack("zh")]),
        drafter=FakeDrafter(delay=float(os.environ["ZX_KILL_DELAY"])),
    )
    return BatchService(drafting).executor()


executor = _executor()  # ready before the first message: the test waits for heartbeats
queue.set_executor_factory(lambda: executor)
