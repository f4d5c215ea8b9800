"""An ingest over several processes: the events of disjoint customers at once.

A customer's events always go to the same worker (by a hash of their id), in the order
given, so what they mean — orders, consent, contacts, stage changes — is applied as one
process would. Each worker opens its own engine on the database URL and runs
:class:`flywheel.ingest.Ingest` on each part it is sent; the parts are sent as the events
stream in (a bounded queue per worker: memory stays bounded however big the file).

PostgreSQL takes the writers side by side (a customer's rows are one worker's, and the
events' unique key still decides between two writers of one event id). SQLite takes one
writer at a time: two workers measured slower than one (20,000 customers: 12.7 s in one
process, 15.6 s in two), so it is refused.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from multiprocessing.process import BaseProcess
from typing import Any

from core.errors import ZhenxinError
from flywheel.events import Event, Rejected
from flywheel.ingest import Ingest, IngestResult
from knowledge.pack import Brand

PART_TIMEOUT = 600.0  # seconds a worker may take to take a part or to finish: then it is stuck
QUEUED_PARTS = 4  # parts waiting per worker
Item = Mapping[str, Any] | Event | Rejected  # raw, validated, or rejected already


def worker_of(customer_id: str, workers: int) -> int:
    """The worker that takes this customer's events (the same in every run)."""
    return zlib.crc32(customer_id.encode("utf-8")) % workers


def _customer_of(item: Item) -> str:
    if isinstance(item, Event):
        return item.customer_id
    value = item.get("customer_id") if isinstance(item, Mapping) else None
    return str(value or "")


def ingest_in_processes(
    database_url: str,
    brand_id: str,
    brand: Brand | None,
    batches: Iterable[Sequence[Item]],
    *,
    workers: int,
    actor: str = "event",
) -> IngestResult:
    """Ingest ``batches`` of events (numbered across batches, as one list) with ``workers``
    processes; one result, as :meth:`Ingest.run` gives for the whole list: rejected items
    by their index, stage changes and opt-outs in the order of the events that made them."""
    if workers < 2:
        raise ValueError("ingest_in_processes needs at least 2 workers")
    if database_url.startswith("sqlite"):
        raise ZhenxinError(
            "ingest with several workers needs PostgreSQL: SQLite takes one writer at a time "
            "(use --workers 1)"
        )
    ctx = mp.get_context("spawn")  # a fresh interpreter: no engine or lock inherited
    inboxes = [ctx.Queue(maxsize=QUEUED_PARTS) for _ in range(workers)]
    outbox = ctx.Queue()
    procs = [
        ctx.Process(
            target=_work,
            args=(database_url, brand_id, brand, actor, inbox, outbox),
            name=f"zhenxin-ingest-{n}",
            daemon=True,
        )
        for n, inbox in enumerate(inboxes)
    ]
    for p in procs:
        p.start()
    try:
        offset = 0
        for batch in batches:
            parts: list[list[tuple[int, Item]]] = [[] for _ in range(workers)]
            for n, item in enumerate(batch):
                parts[worker_of(_customer_of(item), workers)].append((offset + n, item))
            offset += len(batch)
            for worker, part in enumerate(parts):
                if part:
                    _put(inboxes[worker], part, procs[worker], outbox)
        for worker in range(workers):
            _put(inboxes[worker], None, procs[worker], outbox)
        results = [_get(outbox, procs) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join(timeout=5)
    return _merge(results)


def _put(inbox: Any, part: Any, proc: BaseProcess, outbox: Any) -> None:
    """Hand ``part`` to a worker, waiting while its queue is full; a worker that died, said
    it failed or takes no part for PART_TIMEOUT ends the ingest with an error."""
    deadline = time.monotonic() + PART_TIMEOUT
    while True:
        try:
            inbox.put(part, timeout=1.0)
            return
        except queue.Full:
            _raise_if_failed(outbox, proc)
            if time.monotonic() > deadline:
                raise ZhenxinError(
                    f"ingest worker {proc.name} took no events for {PART_TIMEOUT:.0f} s"
                ) from None


def _get(outbox: Any, procs: Sequence[BaseProcess]) -> dict[str, Any]:
    deadline = time.monotonic() + PART_TIMEOUT
    while True:
        try:
            message: dict[str, Any] = outbox.get(timeout=1.0)
        except queue.Empty:
            dead = [p.name for p in procs if not p.is_alive() and p.exitcode not in (0, None)]
            if dead or time.monotonic() > deadline:
                raise ZhenxinError(
                    f"ingest worker {', '.join(dead) or 'result'} lost"
                    + ("" if dead else f" (no result within {PART_TIMEOUT:.0f} s)")
                ) from None
            continue
        if "error" in message:
            raise ZhenxinError(f"ingest worker failed: {message['error']}")
        return message


def _raise_if_failed(outbox: Any, proc: BaseProcess) -> None:
    try:
        message = outbox.get_nowait()
    except queue.Empty:
        message = None
    if message is not None and "error" in message:
        raise ZhenxinError(f"ingest worker failed: {message['error']}")
    if message is not None:
        outbox.put(message)  # a result that came early: kept for _get
    if not proc.is_alive():
        raise ZhenxinError(f"ingest worker {proc.name} ended (exit code {proc.exitcode})")


def _work(
    database_url: str,
    brand_id: str,
    brand: Brand | None,
    actor: str,
    inbox: Any,
    outbox: Any,
) -> None:
    """A worker process: ingest each part it is sent until ``None``, then send its result
    (indexes and orders as numbers of the whole list)."""
    try:
        from core.runtime import freeze_startup_objects
        from storage.db import make_engine, session_factory

        engine = make_engine(database_url, pool_size=2, max_overflow=0)
        ingest = Ingest(session_factory(engine), brand_id, brand)
        freeze_startup_objects()
        total: dict[str, Any] = {
            "accepted": 0,
            "duplicates": 0,
            "rejected": [],
            "stage_changes": [],
            "opted_out": [],
        }
        while (part := inbox.get(timeout=PART_TIMEOUT)) is not None:
            indexes = [n for n, _ in part]
            items = [item for _, item in part]
            result = ingest.run(items, actor=actor)
            # event id -> its number in the whole list (the first, if repeated);
            # customer id -> the number of their first event in this part
            at: dict[str, int] = {}
            first: dict[str, int] = {}
            for n, item in part:
                event_id = (
                    item.id or ""
                    if isinstance(item, Event | Rejected)
                    else str(item.get("id") or "")
                )
                at.setdefault(event_id, n)
                first.setdefault(_customer_of(item), n)
            total["accepted"] += result.accepted
            total["duplicates"] += result.duplicates
            total["rejected"] += [
                Rejected(indexes[r.index], r.id, r.error) for r in result.rejected
            ]
            total["stage_changes"] += [(at.get(c["event_id"], 0), c) for c in result.stage_changes]
            total["opted_out"] += [(first.get(cid, 0), cid) for cid in result.opted_out]
        engine.dispose()
        outbox.put(total)
    except Exception as exc:  # the parent reports it; this process ends
        outbox.put({"error": f"{type(exc).__name__}: {exc}"})


def _merge(results: Sequence[dict[str, Any]]) -> IngestResult:
    out = IngestResult()
    for r in results:
        out.accepted += r["accepted"]
        out.duplicates += r["duplicates"]
        out.rejected += r["rejected"]
    out.rejected.sort(key=lambda r: r.index)
    changes = sorted((c for r in results for c in r["stage_changes"]), key=lambda c: c[0])
    out.stage_changes = [c for _, c in changes]
    opted = sorted((o for r in results for o in r["opted_out"]), key=lambda o: o[0])
    out.opted_out = [cid for _, cid in opted]
    return out


__all__ = ["PART_TIMEOUT", "ingest_in_processes", "worker_of"]
