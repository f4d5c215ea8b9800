"""What is due when, and running it idempotently.

A batch id is derived from its spec (kind, brand, date or month, tiers: see
``batch.jobs.BatchSpec.batch_id``), and ``BatchService.create`` returns the existing batch for
a spec it has seen. So running what is due twice — cron firing twice, ``--once`` after the
long-running scheduler, a restart in the middle — finds the same batches and drafts only the
items not done yet. Nothing is ever drafted twice.

Due at ``now`` (the brand's clock, see ``--timezone``):

- care: the care batch for ``now``'s date, once ``now`` is past ``care_at``;
- monthly: the month's community series, on the 1st once ``now`` is past ``monthly_at``.

Missed days are not caught up on their own (a care batch written for a past date would talk
about the past); run ``zhenxin batch care --date …`` / ``batch monthly --month …`` for those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from batch.jobs import BatchKind, BatchSpec
from batch.service import BatchService, RunSummary
from core.errors import ZhenxinError

DEFAULT_CARE_AT = dt.time(9, 0)
DEFAULT_MONTHLY_AT = dt.time(8, 0)


@dataclass(frozen=True)
class Times:
    """When the daily care batch and the monthly series (on the 1st) run."""

    care_at: dt.time = DEFAULT_CARE_AT
    monthly_at: dt.time = DEFAULT_MONTHLY_AT


def parse_clock(value: str, *, option: str = "--care-at") -> dt.time:
    """``09:00`` / ``9:30`` -> a time; anything else a clear error."""
    hours, sep, minutes = value.strip().partition(":")
    if sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2:
        h, m = int(hours), int(minutes)
        if 0 <= h <= 23 and 0 <= m <= 59:
            return dt.time(h, m)
    raise ZhenxinError(f"{option} must be a time like 09:00, got {value!r}")


def care_specs(day: dt.date, brands: Sequence[str]) -> list[BatchSpec]:
    return [BatchSpec(kind=BatchKind.CARE, brand=b, date=day) for b in brands]


def monthly_specs(day: dt.date, brands: Sequence[str]) -> list[BatchSpec]:
    return [BatchSpec(kind=BatchKind.MONTHLY, brand=b, month=f"{day:%Y-%m}") for b in brands]


def due_specs(now: dt.datetime, brands: Sequence[str], times: Times) -> list[BatchSpec]:
    """The batches due at ``now``: the month's series first (on the 1st), then today's care."""
    specs: list[BatchSpec] = []
    if now.day == 1 and now.time() >= times.monthly_at:
        specs += monthly_specs(now.date(), brands)
    if now.time() >= times.care_at:
        specs += care_specs(now.date(), brands)
    return specs


@dataclass
class ScheduledRun:
    """One batch the schedule created or resumed, and what this run did with it."""

    spec: BatchSpec
    batch_id: str
    summary: RunSummary | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None or bool(self.summary and self.summary.counts.get("failed"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.spec.kind.value,
            "brand": self.spec.brand,
            "when": self.spec.month or str(self.spec.date),
            "batch": self.batch_id,
            "counts": self.summary.counts if self.summary else {},
            "ran": self.summary.ran if self.summary else {},
            "error": self.error,
        }

    def line(self) -> str:
        head = f"{self.spec.kind.value} {self.spec.month or self.spec.date} {self.spec.brand}"
        if self.error is not None:
            return f"{head}: error: {self.error}"
        assert self.summary is not None
        ran = sum(self.summary.ran.values())
        counts = ", ".join(f"{v} {k}" for k, v in sorted(self.summary.counts.items()))
        news = f"drafted {ran} now" if ran else "nothing new"
        return f"{head}: {self.batch_id} — {counts or 'no items'} ({news})"


def run_specs(
    service: BatchService,
    specs: Sequence[BatchSpec],
    *,
    concurrency: int = 1,
    on_run: Callable[[ScheduledRun], None] | None = None,
) -> list[ScheduledRun]:
    """Create (or find) each batch and run its pending items. One brand's error (an unknown
    brand, a pack that no longer loads) is reported and the others still run."""
    runs: list[ScheduledRun] = []
    for spec in specs:
        run = ScheduledRun(spec=spec, batch_id=spec.batch_id)
        try:
            record = service.create(spec)
            run.summary = service.run(record.id, concurrency=concurrency)
        except ZhenxinError as exc:
            run.error = str(exc)
        runs.append(run)
        if on_run is not None:
            on_run(run)
    return runs


__all__ = [
    "DEFAULT_CARE_AT",
    "DEFAULT_MONTHLY_AT",
    "ScheduledRun",
    "Times",
    "care_specs",
    "due_specs",
    "monthly_specs",
    "parse_clock",
    "run_specs",
]
