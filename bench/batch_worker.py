"""The Dramatiq worker of ``BENCH_BATCH=dramatiq python -m bench batch``
(``dramatiq bench.batch_worker``): the batch actor on the bench's Redis namespace, one model
call per item (``ThinDrafter``) against the bench's fixed-latency server, items stored in the
bench's PostgreSQL schema. Everything comes from ``BENCH_WORKER_*`` variables."""

from __future__ import annotations

import os
from pathlib import Path

import dramatiq

from batch import queue
from batch.runner import ItemExecutor
from batch.service import BatchService
from bench.bench_batch import ThinDrafter, bench_settings
from drafting.service import DraftingService
from knowledge.fake import FakeKnowledge
from knowledge.loader import load_pack
from storage.db import open_database

env = os.environ
broker = queue.make_broker(env["BENCH_WORKER_REDIS_URL"], namespace=env["BENCH_WORKER_NAMESPACE"])
dramatiq.set_broker(broker)
queue.declare_actor(broker)


def _executor() -> ItemExecutor:
    settings = bench_settings(
        Path(env["BENCH_WORKER_DATA_DIR"]),
        int(env["BENCH_WORKER_PORT"]),
        env["BENCH_WORKER_DATABASE_URL"],
    )
    _, sessions = open_database(settings)
    drafting = DraftingService(
        settings,
        sessions=sessions,
        knowledge=FakeKnowledge([load_pack(env["BENCH_WORKER_PACK"])]),
        drafter=ThinDrafter(settings),
    )
    return BatchService(drafting).executor()


executor = _executor()  # built before the first message (the bench waits for heartbeats)
queue.set_executor_factory(lambda: executor)
