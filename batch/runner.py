"""Executing batch items: one item at a time (:class:`ItemExecutor`) and whole batches
(:class:`Runner` implementations).

- :class:`InProcessRunner` with ``concurrency=1`` runs the items in plan order, which keeps
  items with the same prompt prefix (same tier and slot, same trigger and channel) next to
  each other so a local llama.cpp model reuses its prompt cache; this is what the local model
  always gets. With ``concurrency=N`` it runs a bounded thread pool for remote models.
- Rate limits: a provider's 429 (:class:`~core.errors.RateLimitedError`, raised by the
  providers with its ``retry_after``) does not fail the item: every worker pauses behind a
  shared :class:`RateGate` (``Retry-After`` if given, else exponential backoff with jitter)
  and the item is tried again.
- :class:`batch.queue.DramatiqRunner` sends the same items to a Dramatiq/Redis queue instead,
  behind the same :class:`Runner` interface.

An item failure never stops the batch: it is recorded (``failed`` + error) and
``--retry-failed`` puts it back. A claimed item's lease is renewed while it drafts; Ctrl-C
gives the item back at once, and a killed process stops renewing, so its items are reset
to pending by the next run once their lease ran out (``ZHENXIN_JOB_LEASE_SECONDS``).
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from core.errors import ConflictError, RateLimitedError, RefusedError
from drafting.jobs import lease_kept
from generator.drafts import Draft, DraftRequest
from storage.batches import BatchRepository

DraftItem = Callable[[DraftRequest, dt.date], Draft]  # DraftingService.draft, in effect
OnOutcome = Callable[["Outcome"], None]


@dataclass(frozen=True)
class Outcome:
    """What happened to one item in this run."""

    key: str
    status: str  # done | failed | claimed (another worker has it) | skipped
    draft_id: str | None = None
    error: str | None = None
    seconds: float = 0.0
    verdict: str | None = None  # the eval suite's verdict of the draft (pass|review|block)


def prefix_order(
    items: Sequence[tuple[str, dict[str, Any]]],
) -> list[tuple[str, dict[str, Any]]]:
    """Items with the same prompt prefix next to each other (stable otherwise).

    The pipeline's prompts start with what is shared (system prompt, brand, kind, channel,
    trigger) and end with the customer; a local llama.cpp model re-evaluates only what follows
    the common prefix with the previous prompt, so this order saves most prompt work.
    """

    def key(item: tuple[str, dict[str, Any]]) -> tuple[str, ...]:
        spec = item[1]
        request = spec.get("request", {})
        return (
            str(request.get("kind", "")),
            str(request.get("channel", "")),
            str(request.get("trigger", "")),
            str(spec.get("tier", "")),
            str(spec.get("slot", "")),
        )

    return sorted(items, key=key)


class RateGate:
    """Shared pause for all workers after a rate-limit answer."""

    def __init__(self, *, base: float = 0.5, cap: float = 30.0) -> None:
        self.base = base
        self.cap = cap
        self._until = 0.0
        self._lock = threading.Lock()
        self.hits = 0

    def wait(self) -> None:
        while True:
            with self._lock:
                delay = self._until - time.monotonic()
            if delay <= 0:
                return
            time.sleep(min(delay, 1.0))

    def backoff(self, attempt: int, retry_after: float | None = None) -> None:
        delay = (
            retry_after
            if retry_after is not None
            else min(self.cap, self.base * 2**attempt) * (0.5 + random.random() / 2)
        )
        with self._lock:
            self.hits += 1
            self._until = max(self._until, time.monotonic() + delay)


def rate_limit_delay(exc: BaseException) -> float | None:
    """If ``exc`` (or what caused it) is a rate limit, its ``retry_after`` seconds (-1 when
    the provider did not say); None for any other error."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, RateLimitedError):
            return -1.0 if current.retry_after is None else current.retry_after
        current = current.__cause__ or current.__context__
    return None


class ItemExecutor:
    """Claims one item (token + lease), drafts it through the drafting service (customer from
    the store, consent checked), and stores the draft with the item state (or the failure)."""

    def __init__(
        self,
        repo: BatchRepository,
        draft: DraftItem,
        *,
        gate: RateGate | None = None,
        max_rate_retries: int = 8,
        lease_seconds: float = 60.0,
    ) -> None:
        self.repo = repo
        self.draft = draft
        self.gate = gate or RateGate()
        self.max_rate_retries = max_rate_retries
        self.lease_seconds = lease_seconds

    def execute(self, batch_id: str, key: str, spec: dict[str, Any], as_of: dt.date) -> Outcome:
        started = time.perf_counter()
        token = self.repo.claim(batch_id, key, lease_seconds=self.lease_seconds)
        if token is None:
            return Outcome(key, "claimed")

        def renew() -> bool:
            return self.repo.renew(batch_id, key, token, lease_seconds=self.lease_seconds)

        try:
            request = DraftRequest.model_validate(spec["request"])
            with lease_kept(renew, every=self.lease_seconds / 3):
                draft = self._draft(request, as_of)
            draft_id = self.repo.complete(
                batch_id,
                key,
                draft.model_dump(mode="json"),
                request=spec["request"],
                token=token,
                as_of=as_of,
            )
        except Exception as exc:
            refused = isinstance(exc, RefusedError)  # e.g. opted out since the batch was planned
            error = f"refused: {exc}" if refused else f"{type(exc).__name__}: {exc}"
            try:
                if refused:
                    self.repo.skip(batch_id, key, error, token=token)
                else:
                    self.repo.fail(batch_id, key, error, token=token)
            except ConflictError:  # our lease ran out and another worker took the item over:
                return Outcome(key, "claimed")  # it drafts and stores it, we store nothing
            status, error = ("skipped", str(exc)) if refused else ("failed", error)
            return Outcome(key, status, error=error, seconds=time.perf_counter() - started)
        except BaseException:  # Ctrl-C: give the item back now, the next run drafts it
            self.repo.release(batch_id, key, token)
            raise
        return Outcome(
            key,
            "done",
            draft_id=draft_id,
            seconds=time.perf_counter() - started,
            verdict=draft.verdict.value,
        )

    def _draft(self, request: DraftRequest, as_of: dt.date) -> Draft:
        attempt = 0
        while True:
            self.gate.wait()
            try:
                return self.draft(request, as_of)
            except Exception as exc:
                delay = rate_limit_delay(exc)
                if delay is None or attempt >= self.max_rate_retries:
                    raise
                self.gate.backoff(attempt, None if delay < 0 else delay)
                attempt += 1


@runtime_checkable
class Runner(Protocol):
    """Runs the given items of one batch; reports each outcome as it happens."""

    def run(
        self,
        batch_id: str,
        items: Sequence[tuple[str, dict[str, Any]]],
        *,
        as_of: dt.date,
        on_outcome: OnOutcome,
    ) -> None: ...


class InProcessRunner:
    """Sequential (``concurrency=1``, the local model) or a bounded thread pool."""

    def __init__(self, executor: ItemExecutor, *, concurrency: int = 1) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.executor = executor
        self.concurrency = concurrency

    def run(
        self,
        batch_id: str,
        items: Sequence[tuple[str, dict[str, Any]]],
        *,
        as_of: dt.date,
        on_outcome: OnOutcome,
    ) -> None:
        if self.concurrency == 1:
            for key, spec in items:
                on_outcome(self.executor.execute(batch_id, key, spec, as_of))
            return
        lock = threading.Lock()
        stop = threading.Event()

        def one(key: str, spec: dict[str, Any]) -> None:
            if stop.is_set():  # interrupted: leave the item pending for the next run
                return
            try:
                outcome = self.executor.execute(batch_id, key, spec, as_of)
            except BaseException:
                stop.set()
                raise
            with lock:
                on_outcome(outcome)

        pool = ThreadPoolExecutor(max_workers=self.concurrency)
        try:
            futures = [pool.submit(one, key, spec) for key, spec in items]
            for future in futures:
                future.result()  # re-raises an interrupt from a worker thread here
        except BaseException:
            # Ctrl-C (or an interrupt in a worker): items in flight finish and are stored,
            # queued ones are dropped and stay pending for the next run.
            stop.set()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


__all__ = [
    "DraftItem",
    "InProcessRunner",
    "ItemExecutor",
    "OnOutcome",
    "Outcome",
    "RateGate",
    "Runner",
    "prefix_order",
    "rate_limit_delay",
]
