"""How the HTTP API shows a stored draft: :func:`to_out` (everything else a draft route does
is the drafting service's, see ``drafting.service``)."""

from __future__ import annotations

from api.schemas import DraftOut, ReviewOut
from storage.drafts import DraftRecord


def to_out(record: DraftRecord) -> DraftOut:
    req, draft, cur = record.request, record.draft, record.current
    extra = record.generated or {}
    return DraftOut(
        id=req.id,
        status=record.status,  # type: ignore[arg-type]
        brand=req.brand_id,
        kind=req.kind,
        customer=draft.customer_id if draft is not None else req.customer_id,
        stage=draft.stage if draft is not None else None,
        channel=draft.channel if draft is not None else req.payload.get("channel"),
        trigger=draft.trigger if draft is not None else req.payload.get("trigger"),
        version=draft.current_version if draft is not None else None,
        text=cur.text if cur is not None else None,
        subject=(cur.subject if cur is not None and cur.subject else None) or extra.get("subject"),
        verdict=cur.verdict if cur is not None else None,
        score=cur.score if cur is not None else None,
        findings=cur.findings if cur is not None else [],
        sources=extra.get("sources", []),
        belief=extra.get("belief"),
        provider=extra.get("provider"),
        model=extra.get("model"),
        error=req.error,
        attempts=req.attempts,
        request=req.payload,
        reviews=[
            ReviewOut(
                version=r.version,
                decision=r.decision,
                reason=r.reason,
                override_reason=r.override_reason,
                reviewer=r.reviewer,
                created_at=r.created_at,
            )
            for r in record.reviews
        ],
        created_at=req.created_at,
        updated_at=draft.updated_at if draft is not None else req.updated_at,
    )
