"""Check any text with the eval suite (same JSON as ``zhenxin check``)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentKey, DraftingDep
from api.schemas import CheckIn
from evals.types import CheckReport

router = APIRouter(prefix="/v1", tags=["check"])


@router.post(
    "/check",
    response_model=CheckReport,
    responses={
        401: {"description": "no key"},
        404: {"description": "unknown customer"},
        413: {"description": "text too long"},
        422: {"description": "invalid"},
    },
)
def check_text(body: CheckIn, key: CurrentKey, service: DraftingDep) -> CheckReport:
    """Run every rule on ``text`` with the brand's pack, the customer and the contact log."""
    return service.check_text(
        key.brand,
        body.text,
        lang=body.lang,
        channel=body.channel.value if body.channel else None,
        kind=body.kind.value if body.kind else None,
        customer_id=body.customer_id,
        stage=body.stage,
        belief=body.belief,
        purpose=body.purpose,
    )
