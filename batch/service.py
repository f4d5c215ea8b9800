"""The batch facade used by the CLI and the HTTP API: create a batch, run it, report on it.

    service = BatchService.from_settings(settings)
    record = service.create(BatchSpec(kind="monthly", brand="qingshui", month="2026-12"))
    summary = service.run(record.id, concurrency=4)

``create`` is idempotent (the same spec gives the same batch id, nothing is re-planned);
care batches read customers from the one customer store. ``run`` refuses while another run
holds items of the batch, resets items whose run died (and failed ones with
``retry_failed=True``) and executes every pending item through a :class:`Runner`; each item
is drafted by the drafting service, like any other draft.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from batch.jobs import BatchKind, BatchSpec, care_items, monthly_items
from batch.runner import InProcessRunner, ItemExecutor, OnOutcome, Outcome, Runner, prefix_order
from core.errors import ConflictError, NotFoundError
from core.settings import Settings
from drafting.service import DraftingService
from flywheel import holdout
from flywheel.service import FlywheelService
from generator.drafts import Draft, DraftRequest
from knowledge.pack import BrandPack
from storage.batches import BatchRecord, BatchRepository


@dataclass
class RunSummary:
    batch_id: str
    counts: dict[str, int]  # state of every item of the batch after the run
    ran: dict[str, int] = field(default_factory=dict)  # outcomes of this run
    verdicts: dict[str, int] = field(default_factory=dict)  # of the drafts of this run
    seconds: float = 0.0
    failures: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch_id,
            "counts": self.counts,
            "ran": self.ran,
            "verdicts": self.verdicts,
            "seconds": round(self.seconds, 3),
            "failures": self.failures,
        }


PLAN_CHUNK = 2000  # customers planned at a time (with their contact logs)


class BatchService:
    def __init__(self, drafting: DraftingService) -> None:
        self.drafting = drafting
        self.settings: Settings = drafting.settings
        self.repo = BatchRepository(drafting.sessions)

    @classmethod
    def from_settings(cls, settings: Settings) -> BatchService:
        return cls(DraftingService.from_settings(settings))

    def draft_item(self, request: DraftRequest, as_of: dt.date) -> Draft:
        """One item's draft, made by the drafting service (customer store, consent)."""
        return self.drafting.draft(request.brand, request, as_of=as_of)

    def executor(self) -> ItemExecutor:
        return ItemExecutor(
            self.repo, self.draft_item, lease_seconds=self.settings.job_lease_seconds
        )

    # --- planning --------------------------------------------------------------------------
    def create(self, spec: BatchSpec) -> BatchRecord:
        """Plan and store the batch, or return the existing one with the same spec."""
        batch_id = spec.batch_id
        try:
            return self.repo.get(batch_id)
        except NotFoundError:
            pass
        pack = self.drafting.pack(spec.brand)
        if spec.kind == BatchKind.MONTHLY:
            items = monthly_items(spec, pack, self._theme_history(spec))
        else:
            items = self.plan_care(spec, pack)
            self._hold_out(spec, items)
        params = {"spec": spec.model_dump(mode="json"), "as_of": spec.as_of.isoformat()}
        self.repo.create(
            batch_id, brand_id=spec.brand, kind=spec.kind.value, params=params, items=items
        )
        return self.repo.get(batch_id)

    def plan_care(self, spec: BatchSpec, pack: BrandPack) -> list[dict[str, Any]]:
        """The care batch's items for ``spec.date``. Customers and their contact logs are read
        PLAN_CHUNK at a time: a brand of any size plans in bounded memory (only the due items
        are kept)."""
        handled = self._handled(spec)
        items: list[dict[str, Any]] = []
        people = self.drafting.customers.iter_all(spec.brand, chunk=PLAN_CHUNK)
        while chunk := list(itertools.islice(people, PLAN_CHUNK)):
            log = self.repo.contact_log(spec.brand, [c.id for c in chunk])
            items += care_items(spec, pack, contact_log=log, handled=handled, people=chunk)
        return items

    def _hold_out(self, spec: BatchSpec, items: list[dict[str, Any]]) -> None:
        """Mark the holdout: a stable share of the due customers of this batch get nothing,
        recorded as ``held_out`` events so the outcomes report can compare."""
        share = self.settings.holdout_share if spec.holdout is None else spec.holdout
        if share <= 0:
            return
        at = dt.datetime.combine(spec.as_of, dt.time())
        held = []
        for item in items:
            cid = item.get("customer_id")
            if item.get("skip") or not cid or not holdout.held_out(spec.batch_id, cid, share):
                continue
            item["skip"] = "holdout: deliberately not contacted (outcomes report)"
            item["holdout"] = True
            request = item.get("request", {})
            held.append(
                {
                    "id": holdout.event_id(spec.batch_id, cid),
                    "customer_id": cid,
                    "type": "held_out",
                    "at": at,
                    "kind": request.get("kind", "care_message"),
                    "trigger": item.get("trigger"),
                    "stage": (request.get("customer") or {}).get("stage"),
                }
            )
        if held:
            FlywheelService(self.drafting).ingest(spec.brand, held, actor=f"batch:{spec.batch_id}")

    def _theme_history(self, spec: BatchSpec) -> dict[str, list[tuple[str, str]]]:
        """(month, theme key) per tier from the brand's earlier monthly batches."""
        history: dict[str, list[tuple[str, str]]] = {}
        for record in self.repo.list_for_brand(spec.brand, BatchKind.MONTHLY.value):
            month = record.params.get("spec", {}).get("month")
            if not month or month >= (spec.month or ""):
                continue
            for item in record.params.get("items", {}).values():
                if item.get("tier") and item.get("occurrence"):
                    history.setdefault(item["tier"], []).append((month, item["occurrence"]))
        return history

    def _handled(self, spec: BatchSpec) -> set[str]:
        """Occurrences already drafted (or being drafted) by the brand's other care batches."""
        handled: set[str] = set()
        for record in self.repo.list_for_brand(spec.brand, BatchKind.CARE.value):
            if record.id == spec.batch_id:
                continue
            for item in self.repo.items(record.id, ["done", "pending", "running", "skipped"]):
                if item.status == "skipped" and not item.spec.get("holdout"):
                    continue  # skipped for pressure or consent: may be due again later
                if item.spec.get("occurrence"):
                    handled.add(item.spec["occurrence"])
        return handled

    # --- running ---------------------------------------------------------------------------
    def make_runner(self, concurrency: int = 1) -> Runner:
        """The in-process runner; the local model always runs sequentially."""
        if self.settings.uses_local_model:
            concurrency = 1
        return InProcessRunner(self.executor(), concurrency=concurrency)

    def run(
        self,
        batch_id: str,
        *,
        runner: Runner | None = None,
        concurrency: int = 1,
        retry_failed: bool = False,
        on_outcome: OnOutcome | None = None,
        on_start: Callable[[BatchRecord, int], None] | None = None,
    ) -> RunSummary:
        record = self.repo.get(batch_id)
        held = self.repo.held(batch_id)
        if held:
            raise ConflictError(
                f"batch {batch_id} is being run ({held} item(s) in progress)",
                hint="wait for that run to finish, or follow it with `zhenxin batch status`",
            )
        self.repo.reset(batch_id, retry_failed=retry_failed)
        pending = prefix_order([(it.key, it.spec) for it in self.repo.items(batch_id, ["pending"])])
        record = self.repo.get(batch_id)
        if on_start is not None:
            on_start(record, len(pending))
        as_of = dt.date.fromisoformat(record.params["as_of"])
        summary = RunSummary(batch_id=batch_id, counts={})
        started = time.perf_counter()

        def outcome(o: Outcome) -> None:
            summary.ran[o.status] = summary.ran.get(o.status, 0) + 1
            if o.verdict:
                summary.verdicts[o.verdict] = summary.verdicts.get(o.verdict, 0) + 1
            if o.status == "failed":
                summary.failures.append({"key": o.key, "error": o.error or ""})
            if on_outcome is not None:
                on_outcome(o)

        try:
            if pending:
                (runner or self.make_runner(concurrency)).run(
                    batch_id, pending, as_of=as_of, on_outcome=outcome
                )
        finally:
            self.repo.refresh(batch_id)
        summary.seconds = time.perf_counter() - started
        summary.counts = self.repo.get(batch_id).counts
        return summary

    def status(self, batch_id: str) -> dict[str, Any]:
        record = self.repo.get(batch_id)
        items = self.repo.items(batch_id)
        return {
            "id": record.id,
            "brand": record.brand_id,
            "kind": record.kind,
            "status": record.status,
            "spec": record.params.get("spec", {}),
            "counts": record.counts,
            "total": record.total,
            "created_at": record.created_at.isoformat(),
            "updated_at": record.updated_at.isoformat(),
            "items": [
                {
                    "key": it.key,
                    "status": it.status,
                    "attempts": it.attempts,
                    "draft_id": it.draft_id,
                    "error": it.error,
                    "customer_id": it.spec.get("customer_id"),
                    "tier": it.spec.get("tier"),
                    "trigger": it.spec.get("trigger"),
                    "note": it.spec.get("note"),
                }
                for it in items
            ],
        }


__all__ = ["BatchService", "RunSummary"]
