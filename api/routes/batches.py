"""Batches of the key's brand: ``POST /v1/batches`` plans (and runs) one, ``GET`` reports.

The same spec gives the same batch (the id is derived from it), so POSTing again resumes
instead of duplicating. The run happens after the response (202); poll ``GET`` for progress.
``"queue": true`` hands the items to the Dramatiq workers instead of the API process.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.deps import CurrentKey, DraftingDep
from batch.jobs import BatchKind, BatchSpec
from batch.service import BatchService
from core.errors import NotFoundError, ZhenxinError

router = APIRouter(prefix="/v1/batches", tags=["batches"])


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["monthly", "care"]
    month: str | None = Field(default=None, examples=["2026-12"])
    date: dt.date | None = Field(default=None, examples=["2026-12-01"])
    tiers: list[str] | None = None
    run: bool = True
    retry_failed: bool = False
    concurrency: int = Field(default=1, ge=1, le=32)
    queue: bool = False


class BatchItemOut(BaseModel):
    key: str
    status: str
    attempts: int
    draft_id: str | None
    error: str | None
    customer_id: str | None = None
    tier: str | None = None
    trigger: str | None = None
    note: str | None = None


class BatchOut(BaseModel):
    id: str
    brand: str
    kind: str
    status: str
    spec: dict[str, Any]
    counts: dict[str, int]
    total: int
    created_at: str
    updated_at: str
    items: list[BatchItemOut]


def get_batch_service(drafting: DraftingDep) -> BatchService:
    """Batches over the app's drafting service (the model loads only when an item drafts)."""
    return BatchService(drafting)


ServiceDep = Annotated[BatchService, Depends(get_batch_service)]
ReaderDep = ServiceDep


def _run(service: BatchService, batch_id: str, body: BatchIn) -> None:
    runner = None
    if body.queue:
        from batch.queue import DramatiqRunner

        runner = DramatiqRunner.from_settings(service.settings, service.repo)
    service.run(
        batch_id, runner=runner, concurrency=body.concurrency, retry_failed=body.retry_failed
    )


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=BatchOut)
def create_batch(
    body: BatchIn, key: CurrentKey, service: ServiceDep, background: BackgroundTasks
) -> dict[str, Any]:
    """Plan the batch for the key's brand (or find it) and run its pending items."""
    try:
        spec = BatchSpec(
            kind=BatchKind(body.kind),
            brand=key.brand,
            month=body.month,
            date=body.date,
            tiers=body.tiers,
        )
    except ValidationError as exc:
        message = str(exc.errors(include_url=False)[0]["msg"]).removeprefix("Value error, ")
        raise ZhenxinError(message) from None
    record = service.create(spec)
    if body.run:
        background.add_task(_run, service, record.id, body)
    return service.status(record.id)


@router.get("/{batch_id}", response_model=BatchOut)
def get_batch(batch_id: str, key: CurrentKey, service: ReaderDep) -> dict[str, Any]:
    """A batch of the key's brand with its counts and items."""
    data = service.status(batch_id)
    if data["brand"] != key.brand:
        raise NotFoundError(f"no batch {batch_id!r}")
    return data
