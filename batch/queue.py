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

A worker killed mid-batch (``kill -9``, a lost machine) loses nothing:

- the items it was drafting stay ``running`` until their lease runs out
  (``ZHENXIN_JOB_LEASE_SECONDS``; live workers renew theirs), then any claim takes them over;
- its unacknowledged messages (in flight and prefetched) are requeued by the Redis broker
  once its heartbeat is older than ``heartbeat_timeout`` (60 s) — but only during the broker's
  random maintenance (0.1 % of commands), so that alone may take long;
- so the following runner (the CLI) sweeps every ``sweep_seconds`` (default: the lease): it
  sends again the items whose lease ran out, and, when the broker has no message of the queue
  waiting, the items still pending since the last sweep (a dead worker's prefetched ones).
  A message sent twice is harmless: only one claim wins.
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
    spec = executor.repo.spec(batch_id, key)
    executor.execute(batch_id, key, spec, dt.date.fromisoformat(as_of))


def ready_messages(broker: dramatiq.Broker, queue_name: str = QUEUE_NAME) -> int | None:
    """How many messages of the queue wait for a worker (not counting those a worker has
    fetched), or None when the broker cannot say."""
    if isinstance(broker, RedisBroker):
        return int(broker.client.llen(f"{broker.namespace}:{queue_name}"))
    queue = getattr(broker, "queues", {}).get(queue_name)  # the StubBroker's queue.Queue
    return int(queue.qsize()) if queue is not None and hasattr(queue, "qsize") else None


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
    database until each is done, failed or skipped, or ``timeout`` seconds pass; while it
    follows it sends again what a killed worker left behind (see the module notes).

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
        sweep_seconds: float = 60.0,
    ) -> None:
        self.broker = broker
        self.repo = repo
        self.actor = declare_actor(broker)
        self.poll_seconds = poll_seconds
        self.timeout = timeout
        self.follow = follow
        self.sweep_seconds = sweep_seconds
        self.resent = 0  # messages sent again by the sweeps of the last run

    @classmethod
    def from_settings(cls, settings: Settings, repo: BatchRepository) -> DramatiqRunner:
        return cls(make_broker(settings.redis_url), repo, sweep_seconds=settings.job_lease_seconds)

    def run(
        self,
        batch_id: str,
        items: Sequence[tuple[str, dict[str, Any]]],
        *,
        as_of: dt.date,
        on_outcome: OnOutcome,
    ) -> None:
        waiting = {key for key, _ in items}
        day = as_of.isoformat()
        for key, _ in items:  # in plan order (prompt-prefix order for a local model)
            self.actor.send(batch_id, key, day)
        self.resent = 0
        if not self.follow:
            return
        now = time.monotonic()
        deadline = None if self.timeout is None else now + self.timeout
        next_sweep = now + self.sweep_seconds
        pending_before: set[str] = set()
        while waiting:
            for key, status, draft_id, error in self.repo.states(batch_id, TERMINAL):
                if key in waiting:
                    waiting.discard(key)
                    on_outcome(Outcome(key, status, draft_id, error))
            if not waiting:
                break
            now = time.monotonic()
            if deadline is not None and now > deadline:
                raise ProviderError(
                    f"{len(waiting)} item(s) of batch {batch_id} still open after "
                    f"{self.timeout:.0f}s",
                    hint="are `dramatiq batch.worker` processes running? run again to resume",
                )
            if now >= next_sweep:
                pending_before = self._sweep(batch_id, day, waiting, pending_before)
                next_sweep = now + self.sweep_seconds
            time.sleep(self.poll_seconds)

    def _sweep(self, batch_id: str, day: str, waiting: set[str], before: set[str]) -> set[str]:
        """Send again the items a dead worker left: claimed with an expired lease, or pending
        since the last sweep while no message waits in the broker. Returns what is pending
        now (for the next sweep)."""
        again = [key for key in self.repo.stale(batch_id) if key in waiting]
        pending = {key for key, *_ in self.repo.states(batch_id, ["pending"]) if key in waiting}
        if ready_messages(self.broker) == 0:
            again += sorted(pending & before)
        for key in again:
            self.actor.send(batch_id, key, day)
        self.resent += len(again)
        return pending


__all__ = [
    "ACTOR_NAME",
    "QUEUE_NAME",
    "DramatiqRunner",
    "declare_actor",
    "make_broker",
    "ready_messages",
    "run_item",
    "set_executor_factory",
]
