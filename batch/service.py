"""The batch facade used by the CLI and the HTTP API: create a batch, run it, report on it.

    service = BatchService(settings)
    record = service.create(BatchSpec(kind="monthly", brand="qingshui", month="2026-12"))
    summary = service.run(record.id, concurrency=4)

``create`` is idempotent (the same spec gives the same batch id, nothing is re-planned);
``run`` resets items a killed run left ``running`` (and failed ones with
``retry_failed=True``) and executes every pending item through a :class:`Runner`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from batch.jobs import BatchKind, BatchSpec, care_items, monthly_items
from batch.runner import (
    Drafter,
    InProcessRunner,
    ItemExecutor,
    OnOutcome,
    Outcome,
    Runner,
    prefix_order,
)
from core.errors import NotFoundError
from core.settings import Settings
from knowledge.pack import BrandPack
from storage.batches import BatchRecord, BatchRepository

PackLoader = Callable[[str], BrandPack]


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


def default_pack_loader(settings: Settings) -> PackLoader:
    def load(brand_id: str) -> BrandPack:
        from knowledge.service import KnowledgeBase  # the knowledge facade

        return KnowledgeBase(settings).pack(brand_id)

    return load


def default_drafter(settings: Settings) -> Drafter:
    from generator.pipeline import build_pipeline

    pipeline = build_pipeline(settings)

    def draft(request: Any, as_of: dt.date) -> Any:
        return pipeline.draft(request, as_of=as_of)

    return draft


def is_local_model(settings: Settings) -> bool:
    return settings.llm.strip() == "local"


class BatchService:
    def __init__(
        self,
        settings: Settings,
        *,
        sessions: sessionmaker[Session] | None = None,
        pack_loader: PackLoader | None = None,
        drafter: Drafter | None = None,
    ) -> None:
        self.settings = settings
        if sessions is None:
            from storage.db import open_database

            _, sessions = open_database(settings)
        self.repo = BatchRepository(sessions)
        self.pack_loader = pack_loader or default_pack_loader(settings)
        self._drafter = drafter

    @property
    def drafter(self) -> Drafter:
        if self._drafter is None:
            self._drafter = default_drafter(self.settings)
        return self._drafter

    # --- planning --------------------------------------------------------------------------
    def create(self, spec: BatchSpec) -> BatchRecord:
        """Plan and store the batch, or return the existing one with the same spec."""
        batch_id = spec.batch_id
        try:
            return self.repo.get(batch_id)
        except NotFoundError:
            pass
        pack = self.pack_loader(spec.brand)
        if spec.kind == BatchKind.MONTHLY:
            items = monthly_items(spec, pack, self._theme_history(spec))
        else:
            items = care_items(
                spec,
                pack,
                contact_log=self.repo.contact_log(spec.brand),
                handled=self._handled(spec),
            )
        params = {"spec": spec.model_dump(mode="json"), "as_of": spec.as_of.isoformat()}
        self.repo.create(
            batch_id, brand_id=spec.brand, kind=spec.kind.value, params=params, items=items
        )
        return self.repo.get(batch_id)

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
            for item in self.repo.items(record.id, ["done", "pending", "running"]):
                if item.spec.get("occurrence"):
                    handled.add(item.spec["occurrence"])
        return handled

    # --- running ---------------------------------------------------------------------------
    def make_runner(self, concurrency: int = 1) -> Runner:
        """The in-process runner; the local model always runs sequentially."""
        if is_local_model(self.settings):
            concurrency = 1
        return InProcessRunner(ItemExecutor(self.repo, self.drafter), concurrency=concurrency)

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


__all__ = ["BatchService", "PackLoader", "RunSummary", "is_local_model"]
