"""Check any text with the eval suite (same JSON as ``zhenxin check``)."""

from __future__ import annotations

from fastapi import APIRouter

from api import drafting
from api.deps import CheckerDep, CurrentKey, KnowledgeDep, SessionDep, SettingsDep
from api.schemas import CheckIn
from evals.types import CheckReport
from storage import customers

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
def check_text(
    body: CheckIn,
    key: CurrentKey,
    session: SessionDep,
    knowledge: KnowledgeDep,
    checker: CheckerDep,
    settings: SettingsDep,
) -> CheckReport:
    """Run every rule on ``text`` with the brand's pack, the customer and the contact log."""
    drafting.limit_text(settings, body.text, "text")
    customer = (
        customers.get_customer(session, key.brand, body.customer_id) if body.customer_id else None
    )
    ctx = drafting.check_context(
        session,
        knowledge,
        key.brand,
        body.text,
        lang=body.lang,
        channel=body.channel.value if body.channel else None,
        kind=body.kind.value if body.kind else None,
        customer=customer,
        stage=body.stage,
        belief=body.belief,
        purpose=body.purpose,
    )
    report: CheckReport = checker(ctx)
    return report
