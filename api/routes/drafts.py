"""Drafts: request, list, read, edit (new version), approve, reject, retry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from api import drafting
from api.deps import CheckerDep, CurrentKey, EditorKey, KnowledgeDep, PipelineDep, SessionDep
from api.deps import SettingsDep as Settings_
from api.schemas import (
    DraftApprove,
    DraftCreate,
    DraftEdit,
    DraftList,
    DraftOut,
    DraftReject,
    VersionOut,
)
from storage import drafts as repo

router = APIRouter(prefix="/v1/drafts", tags=["drafts"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or invalid API key"},
    404: {"description": "unknown id (or another brand's)"},
    409: {"description": "stale version, or a state that does not allow this"},
    422: {"description": "invalid body"},
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DraftOut,
    responses={
        **ERRORS,
        413: {"description": "text too long"},
        502: {
            "description": "the model failed; the request is stored "
            "(error.draft_id) and can be retried"
        },
    },
)
def create_draft(
    body: DraftCreate,
    key: CurrentKey,
    session: SessionDep,
    pipeline: PipelineDep,
    settings: Settings_,
) -> DraftOut:
    """Generate a draft. The request is stored first, so a model failure loses nothing."""
    return drafting.to_out(drafting.create(session, key, body, pipeline, settings))


@router.get("", response_model=DraftList, responses=ERRORS)
def list_drafts(
    key: CurrentKey,
    session: SessionDep,
    status: Annotated[str | None, Query(pattern="^(" + "|".join(repo.STATUSES) + ")$")] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    stage: Annotated[str | None, Query(max_length=64)] = None,
    customer: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    batch: Annotated[str | None, Query(max_length=32, description="a batch id")] = None,
) -> DraftList:
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
    return DraftList(items=[drafting.to_out(r) for r in records], limit=limit, offset=offset)


@router.get("/{draft_id}", response_model=DraftOut, responses=ERRORS)
def get_draft(draft_id: str, key: CurrentKey, session: SessionDep) -> DraftOut:
    return drafting.to_out(repo.get_record(session, key.brand, draft_id))


@router.get("/{draft_id}/versions", response_model=list[VersionOut], responses=ERRORS)
def list_versions(draft_id: str, key: CurrentKey, session: SessionDep) -> list[VersionOut]:
    return [
        VersionOut(
            version=v.version,
            text=v.text,
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
def edit_draft(
    draft_id: str,
    body: DraftEdit,
    key: CurrentKey,
    session: SessionDep,
    knowledge: KnowledgeDep,
    checker: CheckerDep,
    settings: Settings_,
) -> DraftOut:
    """Save an edited text as a new version (re-checked). Operators and editors may edit;
    ``version`` must be the current version, else 409 and nothing is written."""
    record = drafting.edit(
        session,
        key,
        draft_id,
        body.text,
        body.version,
        body.note,
        knowledge=knowledge,
        checker=checker,
        settings=settings,
    )
    return drafting.to_out(record)


@router.post(
    "/{draft_id}/approve",
    response_model=DraftOut,
    responses={**ERRORS, 403: {"description": "needs the editor role"}},
)
def approve_draft(
    draft_id: str, key: EditorKey, session: SessionDep, body: DraftApprove | None = None
) -> DraftOut:
    """Approve the current version (editors). A 'block' verdict needs ``override_reason``.
    Approving a message to one customer records a contact in the log."""
    body = body or DraftApprove()
    record = drafting.decide(
        session,
        key,
        draft_id,
        approve=True,
        override_reason=body.override_reason,
        reason=body.note,
        version=body.version,
        purpose=body.purpose,
    )
    return drafting.to_out(record)


@router.post(
    "/{draft_id}/reject",
    response_model=DraftOut,
    responses={**ERRORS, 403: {"description": "needs the editor role"}},
)
def reject_draft(draft_id: str, body: DraftReject, key: EditorKey, session: SessionDep) -> DraftOut:
    record = drafting.decide(
        session, key, draft_id, approve=False, reason=body.reason, version=body.version
    )
    return drafting.to_out(record)


@router.post(
    "/{draft_id}/retry",
    response_model=DraftOut,
    responses={**ERRORS, 502: {"description": "the model failed again"}},
)
def retry_draft(
    draft_id: str, key: CurrentKey, session: SessionDep, pipeline: PipelineDep
) -> DraftOut:
    """Generate again for a request whose model call failed (same id, same inputs)."""
    request_row = repo.get_request(session, key.brand, draft_id)
    return drafting.to_out(drafting.generate(session, request_row, pipeline))
