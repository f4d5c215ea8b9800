"""Where draft jobs run: the executor behind ``POST /v1/drafts`` and batch items.

A job is a stored draft request (``storage.drafts``): the executor only carries its id, so
nothing is lost when a process dies — the next :meth:`~drafting.service.DraftingService.recover`
finds the job (never claimed, or its lease ran out) and submits it again, and the claim token
makes sure only one worker finishes it.

- :class:`WorkerPool`: threads in this process reading a bounded queue (the default; one
  worker with the local model, since one llama.cpp instance uses every core). A full queue
  refuses the job with :class:`~core.errors.RateLimitedError` (429 with ``Retry-After``); no
  caller ever waits for a place.
- :class:`DramatiqQueue`: sends the id to the Dramatiq/Redis workers (``dramatiq batch.worker``),
  the same workers that draft batch items.
- :class:`InlineQueue`: runs the job in the caller's thread (the CLI).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from core.errors import RateLimitedError

log = logging.getLogger("zhenxin.jobs")

RunJob = Callable[[str], Any]


class JobQueue(Protocol):
    """Accepts draft job ids; ``submit`` never blocks (RateLimitedError when full)."""

    def submit(self, job_id: str) -> None: ...

    def full(self) -> bool: ...


@contextlib.contextmanager
def lease_kept(renew: Callable[[], bool], *, every: float) -> Iterator[None]:
    """Renew a claim's lease every ``every`` seconds while the block runs, so a live worker
    keeps its job however long the model takes, and a dead one loses it within one lease."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                if not renew():
                    return  # the claim is gone (finished, or taken over): nothing to keep
            except Exception:  # a database hiccup: try again at the next beat
                log.warning("could not renew a lease", exc_info=True)

    thread = threading.Thread(target=beat, name="zhenxin-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 1.0)


class InlineQueue:
    """Runs each job at once in the caller's thread."""

    def __init__(self, run: RunJob) -> None:
        self.run = run

    def submit(self, job_id: str) -> None:
        self.run(job_id)

    def full(self) -> bool:
        return False


class WorkerPool:
    """``workers`` threads running jobs from a queue of at most ``capacity`` waiting jobs."""

    def __init__(
        self,
        run: RunJob,
        *,
        workers: int = 1,
        capacity: int = 100,
        retry_after: float = 10.0,
        name: str = "zhenxin-job",
    ) -> None:
        if workers < 1 or capacity < 1:
            raise ValueError("workers and capacity must be at least 1")
        self.run = run
        self.workers = workers
        self.retry_after = retry_after
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=capacity)
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._name = name
        self._queued: set[str] = set()

    def _start(self) -> None:
        with self._lock:
            if self._threads:
                return
            for n in range(self.workers):
                t = threading.Thread(target=self._loop, name=f"{self._name}-{n}", daemon=True)
                t.start()
                self._threads.append(t)

    def full(self) -> bool:
        return self._queue.full()

    def submit(self, job_id: str) -> None:
        self._start()
        with self._lock:
            if job_id in self._queued:
                return  # already waiting here: one run is enough
            try:
                self._queue.put_nowait(job_id)
            except queue.Full:
                raise RateLimitedError(
                    f"the draft queue is full ({self._queue.maxsize} waiting)",
                    retry_after=self.retry_after,
                    hint="try again later",
                ) from None
            self._queued.add(job_id)

    def _loop(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                self._queue.task_done()
                return
            with self._lock:
                self._queued.discard(job_id)
            try:
                self.run(job_id)
            except Exception:  # the job records its own failure; never let a worker die
                log.exception("draft job %s failed unexpectedly", job_id)
            finally:
                self._queue.task_done()

    def join(self, timeout: float = 30.0) -> bool:
        """Wait (at most ``timeout`` seconds) until every queued job ran. True if they did."""
        done = threading.Event()

        def waiter() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=waiter, daemon=True).start()
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the workers after the jobs already running (queued ones stay stored)."""
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            try:
                self._queue.put_nowait(None)
            except queue.Full:
                break
        for t in threads:
            t.join(timeout)


DRAFT_ACTOR = "zhenxin_draft_job"
DRAFT_QUEUE = "zhenxin-drafts"
TIME_LIMIT_MS = 30 * 60 * 1000  # a slow local model may need minutes for one draft

_worker_run: RunJob | None = None
_worker_lock = threading.Lock()


def set_worker_run(run: RunJob | None) -> None:
    """How this worker process runs a job (default: a DraftingService from settings)."""
    global _worker_run
    with _worker_lock:
        _worker_run = run


def _run_in_worker(job_id: str) -> None:
    global _worker_run
    with _worker_lock:
        if _worker_run is None:
            from core.settings import get_settings
            from drafting.service import DraftingService

            _worker_run = DraftingService.from_settings(get_settings()).run
        run = _worker_run
    run(job_id)


def declare_draft_actor(broker: Any) -> Any:
    """The draft-job actor on ``broker`` (the same name and queue in senders and workers).
    Not retried by Dramatiq: a failure is stored on the job, and a lost job is recovered."""
    import dramatiq

    if DRAFT_ACTOR in broker.actors:
        return broker.get_actor(DRAFT_ACTOR)
    return dramatiq.actor(
        broker=broker,
        actor_name=DRAFT_ACTOR,
        queue_name=DRAFT_QUEUE,
        max_retries=0,
        time_limit=TIME_LIMIT_MS,
    )(_run_in_worker)


class DramatiqQueue:
    """Sends job ids to the Dramatiq workers (``dramatiq batch.worker``)."""

    def __init__(self, broker: Any) -> None:
        self.actor = declare_draft_actor(broker)

    def submit(self, job_id: str) -> None:
        self.actor.send(job_id)

    def full(self) -> bool:
        return False


__all__ = [
    "DRAFT_ACTOR",
    "DramatiqQueue",
    "InlineQueue",
    "JobQueue",
    "RunJob",
    "WorkerPool",
    "declare_draft_actor",
    "lease_kept",
    "set_worker_run",
]
