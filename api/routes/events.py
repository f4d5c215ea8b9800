"""Events after a draft, the outcomes report and the core members of the key's brand."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentKey, FlywheelDep
from core.days import Day
from core.errors import ZhenxinError
from flywheel.report import group_fields

router = APIRouter(tags=["flywheel"])

MAX_EVENTS = 5000


class EventsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Items stay raw here: a bad one is reported by index and the rest are kept.
    events: list[dict[str, Any]] = Field(max_length=MAX_EVENTS)


class RejectedOut(BaseModel):
    index: int
    id: str | None
    error: str


class StageChangeOut(BaseModel):
    customer_id: str
    from_: str = Field(alias="from")
    to: str
    at: dt.date
    why: str
    event_id: str | None

    model_config = ConfigDict(populate_by_name=True)


class EventsOut(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[RejectedOut]
    stage_changes: list[StageChangeOut]
    opted_out: list[str]


@router.post(
    "/v1/events",
    response_model=EventsOut,
    response_model_by_alias=True,
    responses={401: {"description": "no key"}, 413: {"description": "body too large"}},
)
def post_events(body: EventsIn, key: CurrentKey, flywheel: FlywheelDep) -> dict[str, Any]:
    """Record what happened after drafts: ``sent | delivered | replied | purchased |
    unsubscribed | opted_out | complaint`` (and ``held_out``). Idempotent by event id: the
    same batch posted twice counts once (``duplicates``). Bad items are reported per item in
    ``rejected`` and the rest are kept. A purchase joins the customer's orders, an
    unsubscribe or opt-out their consent; stage rules move customers up (``stage_changes``)."""
    return flywheel.ingest(key.brand, body.events, actor=key.prefix).as_dict()


class MemberOut(BaseModel):
    customer_id: str
    name: str
    stage: str
    score: int
    core: bool
    reasons: list[str]
    tiers: list[str]


@router.get(
    "/v1/members", response_model=list[MemberOut], responses={401: {"description": "no key"}}
)
def list_members(
    key: CurrentKey,
    flywheel: FlywheelDep,
    on: Day | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    core: bool = False,
) -> list[MemberOut]:
    """Customers by core-member score (recency, frequency, engagement, replies), with the
    reasons and the tiers each may be invited into; ``core=true`` lists core members only."""
    found = flywheel.members(key.brand, on=on or dt.date.today(), limit=limit, core_only=core)
    return [
        MemberOut(
            customer_id=m.customer_id,
            name=m.name,
            stage=m.stage,
            score=m.score,
            core=m.core,
            reasons=list(m.reasons),
            tiers=list(m.tiers),
        )
        for m in found
    ]


@router.get("/v1/reports/outcomes", responses={401: {"description": "no key"}})
def outcomes(
    key: CurrentKey,
    flywheel: FlywheelDep,
    from_: Annotated[Day | None, Query(alias="from")] = None,
    to: Day | None = None,
    as_of: Day | None = None,
    by: Annotated[str, Query(max_length=40)] = "kind,trigger,stage,month",
) -> dict[str, Any]:
    """Per kind, trigger, stage and month: drafted, approved, sent, replied, purchased within
    30 and 60 days, unsubscribed — each rate with its 95 % Wilson interval and sample size —
    and the care holdout beside the contacted customers (default: the last 365 days)."""
    until = to or dt.date.today()
    since = from_ or until - dt.timedelta(days=365)
    if since > until:
        raise ZhenxinError("'from' is after 'to'", hint="e.g. ?from=2026-01-01&to=2026-06-30")
    fields = group_fields(by)
    return flywheel.outcomes(key.brand, since=since, until=until, as_of=as_of, by=fields)
