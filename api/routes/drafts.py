"""Drafts: request (a job), list, read, edit (new version), approve, reject, retry.

``POST /v1/drafts`` answers ``202 Accepted`` at once with the draft id, status ``generating``
and a ``Location`` to poll; a client that sends ``Prefer: wait=N`` (RFC 7240) gets the
finished draft (``201``) if it is done within N seconds, else the same 202. The model runs on
the drafting service's workers, never inside the request.

The two reads (list, one draft) run in one worker thread each and answer pre-serialised JSON
with an ETag (``api.responses``): ``If-None-Match`` gets 304 when nothing changed.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentKey, DraftingDep, EditorKey, SessionDep, SessionsDep, SettingsDep
from api.drafting import to_out
from api.responses import dumped, json_read
from api.schemas import (
    DraftApprove,
    DraftCreate,
    DraftEdit,
    DraftList,
    DraftOut,
    DraftReject,
    VersionOut,
)
from core.errors import NotFoundError
from drafting.service import stored_error
from generator.drafts import DraftRequest
from storage import drafts as repo

router = APIRouter(prefix="/v1/drafts", tags=["drafts"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or invalid API key"},
    404: {"description": "unknown id (or another brand's)"},
    409: {"description": "stale version, or a state that does not allow this"},
    422: {"description": "invalid body, unknown customer kind, opted-out customer"},
}
_WAIT = re.compile(r"(?:^|[;,\s])wait\s*=\s*(\d+(?:\.\d+)?)", re.I)
POLL_SECONDS = 0.05


def prefer_wait(header: str | None, cap: float) -> float:
    """Seconds asked for by ``Prefer: wait=N`` (0 without it), capped at ``cap``."""
    m = _WAIT.search(header or "")
    return min(float(m.group(1)), cap) if m else 0.0


async def _finished(
    service: DraftingDep, brand: str, draft_id: str, wait: float, response: Response
) -> DraftOut:
    """The draft once its job finished within ``wait`` seconds (201), else the 202 as is."""
    deadline = time.monotonic() + wait
    while True:
        record = await run_in_threadpool(service.record, brand, draft_id)
        if record.request.status != "generating" or time.monotonic() >= deadline:
            break
        await asyncio.sleep(POLL_SECONDS)
    if record.request.status == "failed":
        raise stored_error(record)
    if record.request.status == "done":
        response.status_code = status.HTTP_201_CREATED
        if "Retry-After" in response.headers:
            del response.headers["Retry-After"]
    return to_out(record)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DraftOut,
    responses={
        **ERRORS,
        201: {"description": "finished within `Prefer: wait=N`", "model": DraftOut},
        413: {"description": "text too long"},
        429: {"description": "the draft queue is full (see Retry-After)"},
        502: {"description": "the model failed (with Prefer: wait); the request is stored"},
    },
)
async def create_draft(
    body: DraftCreate,
    key: CurrentKey,
    service: DraftingDep,
    settings: SettingsDep,
    response: Response,
    prefer: Annotated[str | None, Header(description="e.g. `wait=30` (RFC 7240)")] = None,
) -> DraftOut:
    """Request a draft. The request is stored first, so a model failure loses nothing; poll
    ``Location`` (``GET /v1/drafts/{id}``) until ``status`` is no longer ``generating``."""
    if body.brand is not None and body.brand != key.brand:
        raise NotFoundError(f"brand {body.brand!r} not found")
    request = DraftRequest.model_validate(
        {**body.model_dump(exclude={"brand"}, exclude_none=True), "brand": key.brand}
    )
    draft_id = await run_in_threadpool(service.submit, key.brand, request, requested_by=key.prefix)
    response.headers["Location"] = f"/v1/drafts/{draft_id}"
    response.headers["Retry-After"] = "2"
    if prefer:
        response.headers["Preference-Applied"] = "wait"
    return await _finished(
        service, key.brand, draft_id, prefer_wait(prefer, settings.max_wait_seconds), response
    )


@router.get("", response_model=DraftList, responses={**ERRORS, 304: {"description": "unchanged"}})
async def list_drafts(
    request: Request,
    key: CurrentKey,
    sessions: SessionsDep,
    status: Annotated[str | None, Query(pattern="^(" + "|".join(repo.STATUSES) + ")$")] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    stage: Annotated[str | None, Query(max_length=64)] = None,
    customer: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    batch: Annotated[str | None, Query(max_length=32, description="a batch id")] = None,
) -> Response:
    def read() -> bytes:
        with sessions() as session:
            records = repo.list_records(
                session,
                key.brand,
                status=status,
                kind=kind,
                stage=stage,
                customer=customer,
                limit=limit,
                offset=offset,
                batch=batch,
            )
            return dumped(DraftList(items=[to_out(r) for r in records], limit=limit, offset=offset))

    return json_read(request, await run_in_threadpool(read))


@router.get(
    "/{draft_id}", response_model=DraftOut, responses={**ERRORS, 304: {"description": "unchanged"}}
)
async def get_draft(
    draft_id: str, request: Request, key: CurrentKey, sessions: SessionsDep
) -> Response:
    """A draft; while its job runs, ``status`` is ``generating`` (poll again after
    ``Retry-After`` seconds)."""

    def read() -> tuple[bytes, bool]:
        with sessions() as session:
            record = repo.get_record(session, key.brand, draft_id)
            return dumped(to_out(record)), record.request.status == "generating"

    body, generating = await run_in_threadpool(read)
    return json_read(request, body, headers={"Retry-After": "2"} if generating else None)


@router.get("/{draft_id}/versions", response_model=list[VersionOut], responses=ERRORS)
def list_versions(draft_id: str, key: CurrentKey, session: SessionDep) -> list[VersionOut]:
    return [
        VersionOut(
            version=v.version,
            text=v.text,
            subject=v.subject,
            verdict=v.verdict,
            score=v.score,
            findings=v.findings,
            author=v.author,
            note=v.note,
            created_at=v.created_at,
        )
        for v in repo.list_versions(session, key.brand, draft_id)
    ]


@router.patch(
    "/{draft_id}",
    response_model=DraftOut,
    responses={**ERRORS, 413: {"description": "text too long"}},
)
def edit_draft(draft_id: str, body: DraftEdit, key: CurrentKey, service: DraftingDep) -> DraftOut:
    """Save an edited text (and, for an email, subject) as a new version, checked exactly as
    the draft was at generation. ``version`` must be the current version, else 409 and nothing
    is written."""
    record = service.edit(
        key.brand,
        draft_id,
        text=body.text,
        subject=body.subject,
        version=body.version,
        author=key.prefix,
        note=body.note,
    )
    return to_out(record)


@router.post(
    "/{draft_id}/approve",
    response_model=DraftOut,
    responses={**ERRORS, 403: {"description": "needs the editor role"}},
)
def approve_draft(
    draft_id: str, key: EditorKey, service: DraftingDep, body: DraftApprove | None = None
) -> DraftOut:
    """Approve the current version (editors). A 'block' verdict needs ``override_reason``;
    a customer who opted out since the draft was made cannot be approved (422). Approving a
    message to one customer records a contact in the log."""
    body = body or DraftApprove()
    record = service.decide(
        key.brand,
        draft_id,
        approve=True,
        reviewer=key.prefix,
        override_reason=body.override_reason,
        reason=body.note,
        version=body.version,
        purpose=body.purpose,
    )
    return to_out(record)


@router.post(
    "/{draft_id}/reject",
    response_model=DraftOut,
    responses={**ERRORS, 403: {"description": "needs the editor role"}},
)
def reject_draft(
    draft_id: str, body: DraftReject, key: EditorKey, service: DraftingDep
) -> DraftOut:
    record = service.decide(
        key.brand,
        draft_id,
        approve=False,
        reviewer=key.prefix,
        reason=body.reason,
        version=body.version,
    )
    return to_out(record)


@router.post(
    "/{draft_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DraftOut,
    responses={**ERRORS, 201: {"description": "finished within `Prefer: wait=N`"}},
)
async def retry_draft(
    draft_id: str,
    key: CurrentKey,
    service: DraftingDep,
    settings: SettingsDep,
    response: Response,
    prefer: Annotated[str | None, Header()] = None,
) -> DraftOut:
    """Generate again for a request whose job failed (same id, same inputs)."""
    await run_in_threadpool(service.retry, key.brand, draft_id)
    response.headers["Location"] = f"/v1/drafts/{draft_id}"
    return await _finished(
        service, key.brand, draft_id, prefer_wait(prefer, settings.max_wait_seconds), response
    )
