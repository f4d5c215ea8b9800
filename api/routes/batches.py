"""Batches of the key's brand: ``POST /v1/batches`` plans (and runs) one, ``GET`` reports.

The same spec gives the same batch (the id is derived from it), so POSTing again resumes
instead of duplicating. The run happens after the response (202); poll ``GET`` for progress.
``"queue": true`` hands the items to the Dramatiq workers instead of the API process: the
request only sends one message per pending item (bounded: short Redis timeouts, 503 if the
queue is down) and answers; nothing in a request or background task waits for a worker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.deps import CurrentKey, DraftingDep, EditorKey, SettingsDep
from batch.jobs import BatchKind, BatchSpec
from batch.service import BatchService
from core.days import Day
from core.errors import NotFoundError, QueueUnavailableError, ZhenxinError

if TYPE_CHECKING:
    import dramatiq

router = APIRouter(prefix="/v1/batches", tags=["batches"])


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["monthly", "care"]
    month: str | None = Field(default=None, examples=["2026-12"])
    date: Day | None = Field(default=None, examples=["2026-12-01"])
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


# Sending must not hang a request on an unreachable Redis: connect and reply timeouts.
QUEUE_SOCKET_TIMEOUTS: dict[str, Any] = {"socket_connect_timeout": 3.0, "socket_timeout": 5.0}
BrokerFactory = Callable[[], "dramatiq.Broker"]
_broker_lock = threading.Lock()


def get_queue_broker(request: Request, settings: SettingsDep) -> BrokerFactory:
    """How to reach the batch queue: one broker per app, made on first use (so requests
    without ``queue`` never need Dramatiq). Tests override this with a ``StubBroker``."""

    def broker() -> dramatiq.Broker:
        state = request.app.state
        with _broker_lock:
            if getattr(state, "queue_broker", None) is None:
                from batch.queue import make_broker

                state.queue_broker = make_broker(settings.redis_url, **QUEUE_SOCKET_TIMEOUTS)
            made: dramatiq.Broker = state.queue_broker
            return made

    return broker


QueueDep = Annotated[BrokerFactory, Depends(get_queue_broker)]


def _run(service: BatchService, batch_id: str, body: BatchIn) -> None:
    """The in-process run, after the response (drafting takes as long as the model needs)."""
    service.run(batch_id, concurrency=body.concurrency, retry_failed=body.retry_failed)


def _send(service: BatchService, batch_id: str, body: BatchIn, broker: BrokerFactory) -> None:
    """Send the pending items to the workers, without waiting for any of them."""
    from redis.exceptions import RedisError

    from batch.queue import DramatiqRunner

    try:
        runner = DramatiqRunner(broker(), service.repo, follow=False)
        service.run(batch_id, runner=runner, retry_failed=body.retry_failed)
    except (RedisError, OSError) as exc:
        raise QueueUnavailableError(
            "批量队列暂时不可用，条目仍在等待中 / the batch queue is unavailable; "
            "the items stay pending",
            hint=f"start Redis and `dramatiq batch.worker`, then POST again ({type(exc).__name__})",
        ) from None


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=BatchOut)
def create_batch(
    body: BatchIn,
    key: CurrentKey,
    service: ServiceDep,
    background: BackgroundTasks,
    queue_broker: QueueDep,
) -> dict[str, Any]:
    """Plan the batch for the key's brand (or find it) and run its pending items: after the
    response in this process, or (``queue``) on the workers, sent before the response."""
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
    if body.run and body.queue:
        _send(service, record.id, body, queue_broker)
    elif body.run:
        background.add_task(_run, service, record.id, body)
    return service.status(record.id)


@router.get("/{batch_id}", response_model=BatchOut)
def get_batch(batch_id: str, key: CurrentKey, service: ReaderDep) -> dict[str, Any]:
    """A batch of the key's brand with its counts and items."""
    data = service.status(batch_id)
    if data["brand"] != key.brand:
        raise NotFoundError(f"no batch {batch_id!r}")
    return data


class BatchApproved(BaseModel):
    approved: list[str]
    skipped: list[dict[str, str]]


@router.post(
    "/{batch_id}/approve",
    response_model=BatchApproved,
    responses={403: {"description": "needs the editor role"}, 404: {"description": "unknown"}},
)
def approve_batch(batch_id: str, key: EditorKey, service: ServiceDep) -> BatchApproved:
    """Approve the batch's drafts that wait for review and pass every check (editors), each
    as its own decision; drafts with findings stay in the queue for a person to read."""
    if service.repo.get(batch_id).brand_id != key.brand:
        raise NotFoundError(f"no batch {batch_id!r}")
    approved, skipped = service.drafting.approve_batch(key.brand, batch_id, reviewer=key.prefix)
    return BatchApproved(
        approved=approved, skipped=[{"draft_id": d, "why": why} for d, why in skipped]
    )
