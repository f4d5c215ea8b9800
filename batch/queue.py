"""Run batch items on Dramatiq workers through a Redis broker, behind the :class:`Runner`
interface — for when one machine is not enough.

How to scale out:

1. Point every machine at the same database and broker, e.g.
   ``ZHENXIN_DATABASE_URL=postgresql+psycopg://...`` and ``ZHENXIN_REDIS_URL=redis://host:6379/0``
   (SQLite only works when all workers share one machine), plus the same model settings
   (``ZHENXIN_LLM=openai:...`` or a local model on each worker) and the ingested knowledge
   (a Chroma server via ``ZHENXIN_CHROMA_URL``, or the same data dir).
2. Start workers on each machine: ``dramatiq batch.worker --processes 2 --threads 4``
   (with a local model use ``--threads 1`` per process: one llama.cpp instance each).
3. Run the batch with ``--queue``: ``zhenxin batch care --brand ID --date 2026-12-01 --queue``.
   The command plans the batch, sends one message per pending item, and follows the
   progress in the database until every item is done, failed or skipped.

Each message names only ``(batch id, item key, as-of date)``; the worker claims the item
with a conditional UPDATE, drafts it and stores the draft and the item state in one
transaction, so redelivered messages, several workers and re-runs never draft twice.
Messages are not retried by Dramatiq (``max_retries=0``): a failure is recorded on the
item, and ``--retry-failed`` sends it again.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from batch.runner import ItemExecutor, OnOutcome, Outcome
from core.errors import ProviderError
from core.settings import Settings, get_settings
from storage.batches import TERMINAL, BatchRepository

ACTOR_NAME = "zhenxin_batch_item"
QUEUE_NAME = "zhenxin-batch"
TIME_LIMIT_MS = 30 * 60 * 1000  # a slow local model may need minutes for one draft

ExecutorFactory = Callable[[], ItemExecutor]
_factory: ExecutorFactory | None = None
_executor: ItemExecutor | None = None
_lock = threading.Lock()


def make_broker(url: str, *, namespace: str = "dramatiq", **params: Any) -> RedisBroker:
    """A Redis broker; ``params`` go to the Redis client (e.g. ``socket_connect_timeout``)."""
    return RedisBroker(url=url, namespace=namespace, **params)


def set_executor_factory(factory: ExecutorFactory | None) -> None:
    """How this worker process builds its executor (default: from ``ZHENXIN_*`` settings)."""
    global _factory, _executor
    with _lock:
        _factory, _executor = factory, None


def _default_executor() -> ItemExecutor:
    from batch.service import BatchService

    return BatchService.from_settings(get_settings()).executor()


def _worker_executor() -> ItemExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = (_factory or _default_executor)()
        return _executor


def run_item(batch_id: str, key: str, as_of: str) -> None:
    """The actor body: execute one item (a no-op if it is not pending any more)."""
    executor = _worker_executor()
    item = executor.repo.item(batch_id, key)
    executor.execute(batch_id, key, item.spec, dt.date.fromisoformat(as_of))


def declare_actor(broker: dramatiq.Broker) -> dramatiq.Actor[Any, Any]:
    """The batch actor on ``broker`` (the same name and queue in senders and workers)."""
    if ACTOR_NAME in broker.actors:
        return broker.get_actor(ACTOR_NAME)  # type: ignore[no-any-return]
    decorate = dramatiq.actor(
        broker=broker,
        actor_name=ACTOR_NAME,
        queue_name=QUEUE_NAME,
        max_retries=0,
        time_limit=TIME_LIMIT_MS,
    )
    return decorate(run_item)


class DramatiqRunner:
    """Sends the items to the queue, then (``follow=True``, the CLI) follows their state in the
    database until each is done, failed or skipped, or ``timeout`` seconds pass.

    ``follow=False`` only sends (the HTTP API: a request must never wait for workers; clients
    read the progress with ``GET /v1/batches/{id}``)."""

    def __init__(
        self,
        broker: dramatiq.Broker,
        repo: BatchRepository,
        *,
        poll_seconds: float = 0.2,
        timeout: float | None = None,
        follow: bool = True,
    ) -> None:
        self.broker = broker
        self.repo = repo
        self.actor = declare_actor(broker)
        self.poll_seconds = poll_seconds
        self.timeout = timeout
        self.follow = follow

    @classmethod
    def from_settings(cls, settings: Settings, repo: BatchRepository) -> DramatiqRunner:
        return cls(make_broker(settings.redis_url), repo)

    def run(
        self,
        batch_id: str,
        items: Sequence[tuple[str, dict[str, Any]]],
        *,
        as_of: dt.date,
        on_outcome: OnOutcome,
    ) -> None:
        waiting = {key for key, _ in items}
        for key, _ in items:  # in plan order (prompt-prefix order for a local model)
            self.actor.send(batch_id, key, as_of.isoformat())
        if not self.follow:
            return
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while waiting:
            for item in self.repo.items(batch_id, TERMINAL):
                if item.key in waiting:
                    waiting.discard(item.key)
                    on_outcome(Outcome(item.key, item.status, item.draft_id, item.error))
            if not waiting:
                break
            if deadline is not None and time.monotonic() > deadline:
                raise ProviderError(
                    f"{len(waiting)} item(s) of batch {batch_id} still open after "
                    f"{self.timeout:.0f}s",
                    hint="are `dramatiq batch.worker` processes running? run again to resume",
                )
            time.sleep(self.poll_seconds)


__all__ = [
    "ACTOR_NAME",
    "QUEUE_NAME",
    "DramatiqRunner",
    "declare_actor",
    "make_broker",
    "run_item",
    "set_executor_factory",
]
