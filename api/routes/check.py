"""Check any text with the eval suite (same JSON as ``zhenxin check``)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentKey, DraftingDep
from api.responses import dumped, json_body
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
async def check_text(body: CheckIn, key: CurrentKey, service: DraftingDep) -> Response:
    """Run every rule on ``text`` with the brand's pack, the customer and the contact log."""

    def run() -> bytes:  # one worker thread: the rules, the customer read, the JSON
        report = service.check_text(
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
        return dumped(report)

    return json_body(await run_in_threadpool(run))
