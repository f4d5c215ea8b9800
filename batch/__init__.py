"""Batch jobs: a month of community posts per tier, and the care messages due on a date.

    from batch import BatchService, BatchSpec
    service = BatchService(settings)
    record = service.create(BatchSpec(kind="care", brand="qingshui", date="2026-12-01"))
    summary = service.run(record.id, concurrency=4)

Modules: ``monthly`` (plan a month per tier), ``due`` (who is due, which trigger, caps),
``jobs`` (specs, batch ids, items), ``runner`` (executing items in process, rate limits),
``queue``/``worker`` (Dramatiq + Redis, for more than one machine), ``service`` (the facade),
``progress`` (rich bar), ``export`` (csv, jsonl, eml). State lives in ``storage.batches``.
"""

from batch.due import Due, DueRules, PressureCaps, find_due
from batch.jobs import BatchKind, BatchSpec
from batch.monthly import PlannedPost, Slot, plan_month
from batch.runner import InProcessRunner, ItemExecutor, Outcome, Runner
from batch.service import BatchService, RunSummary

__all__ = [
    "BatchKind",
    "BatchService",
    "BatchSpec",
    "Due",
    "DueRules",
    "InProcessRunner",
    "ItemExecutor",
    "Outcome",
    "PlannedPost",
    "PressureCaps",
    "RunSummary",
    "Runner",
    "Slot",
    "find_due",
    "plan_month",
]
