"""Customers of the key's brand: create (or replace) and read — the one customer store."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentKey, DraftingDep, FlywheelDep
from api.responses import dumped, json_read
from api.schemas import CustomerOut, StageStepOut
from knowledge.pack import Customer
from storage.keys import Role

router = APIRouter(prefix="/v1/customers", tags=["customers"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CustomerOut,
    responses={
        200: {"description": "replaced an existing customer"},
        401: {"description": "no key"},
        422: {"description": "invalid (e.g. an unknown stage)"},
    },
)
def upsert_customer(
    body: Customer, key: CurrentKey, service: DraftingDep, response: Response
) -> CustomerOut:
    """Add a customer to the key's brand (201), or replace one with the same id (200). An
    opt-out it carries is recorded; one on record stays (only ``POST .../consent`` by an
    admin, with a reason, lifts it): the answer shows the consent that holds."""
    brand = service.brand(key.brand)
    customer, created = service.customers.upsert(
        key.brand, body, brand=brand, source="api", actor=key.prefix
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    stored = service.customers.get(key.brand, customer.id)
    return CustomerOut(brand=key.brand, customer=stored, created=created)


@router.get(
    "/{customer_id}",
    response_model=CustomerOut,
    responses={
        304: {"description": "unchanged (If-None-Match)"},
        401: {"description": "no key"},
        404: {"description": "unknown id"},
    },
)
async def get_customer(
    customer_id: str,
    request: Request,
    key: CurrentKey,
    service: DraftingDep,
    flywheel: FlywheelDep,
) -> Response:
    """The customer, with every logged contact merged into ``last_contacts``, and the saved
    history of their stage (``stage_history``: from, to, when, why). Answers with an ETag
    (``api.responses``)."""

    def read() -> bytes:  # one worker thread: the reads and the JSON
        customer = service.customers.get(key.brand, customer_id)
        steps = [
            StageStepOut(
                from_stage=c.from_stage,
                to_stage=c.to_stage,
                at=c.at,
                why=c.why,
                event_id=c.event_id,
            )
            for c in flywheel.stage_history(key.brand, customer_id)
        ]
        return dumped(CustomerOut(brand=key.brand, customer=customer, stage_history=steps))

    return json_read(request, await run_in_threadpool(read))


@router.get("", response_model=list[CustomerOut], responses={401: {"description": "no key"}})
def list_customers(
    key: CurrentKey,
    service: DraftingDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[CustomerOut]:
    return [
        CustomerOut(brand=key.brand, customer=c)
        for c in service.customers.page(key.brand, limit=limit, offset=offset)
    ]


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opted_out: bool
    reason: str = Field(default="", max_length=2000)


class ConsentChangeOut(BaseModel):
    status: str
    actor: str
    source: str
    reason: str
    at: dt.datetime


class ConsentOut(BaseModel):
    customer_id: str
    opted_out: bool
    history: list[ConsentChangeOut]


def _consent(service: DraftingDep, brand: str, customer_id: str) -> ConsentOut:
    customer = service.customers.get(brand, customer_id)
    return ConsentOut(
        customer_id=customer_id,
        opted_out=customer.opted_out,
        history=[
            ConsentChangeOut(**vars(c))
            for c in service.customers.consent_history(brand, customer_id)
        ],
    )


@router.get(
    "/{customer_id}/consent",
    response_model=ConsentOut,
    responses={401: {"description": "no key"}, 404: {"description": "unknown id"}},
)
def get_consent(customer_id: str, key: CurrentKey, service: DraftingDep) -> ConsentOut:
    """The consent that holds and its whole history (what, when, who, from where, why)."""
    return _consent(service, key.brand, customer_id)


@router.post(
    "/{customer_id}/consent",
    response_model=ConsentOut,
    responses={
        400: {"description": "lifting an opt-out without a reason"},
        403: {"description": "only an admin may lift an opt-out"},
        404: {"description": "unknown id"},
    },
)
def set_consent(
    customer_id: str, body: ConsentIn, key: CurrentKey, service: DraftingDep
) -> ConsentOut:
    """Record an opt-out (any role), or lift one (admins only, with a reason)."""
    service.customers.set_consent(
        key.brand,
        customer_id,
        opted_out=body.opted_out,
        actor=key.prefix,
        admin=key.role.allows(Role.ADMIN),
        reason=body.reason,
    )
    return _consent(service, key.brand, customer_id)
