"""Customers of the key's brand: create (or replace) and read."""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api import drafting
from api.deps import CurrentKey, KnowledgeDep, SessionDep
from api.schemas import CustomerOut
from core.errors import ZhenxinError
from knowledge.pack import Customer
from knowledge.stages import DEFAULT_STAGES, stage_alias
from storage import contacts
from storage import customers as repo

router = APIRouter(prefix="/v1/customers", tags=["customers"])


def _stage(knowledge: object, brand_id: str, value: str) -> str:
    from core.errors import PackError, PackProblem

    pack = drafting.brand_pack(knowledge, brand_id)
    if pack is not None:
        from knowledge.loader import resolve_stage

        resolved = resolve_stage(pack.brand, value)
        ids = [s.id for s in pack.brand.stages]
    else:
        ids = [s.id for s in DEFAULT_STAGES]
        alias = stage_alias(value)
        resolved = alias if alias in ids else None
    if resolved is None:
        raise PackError(
            [
                PackProblem(
                    "customer", "stage", f"unknown stage {value!r}", hint=f"one of {', '.join(ids)}"
                )
            ]
        )
    return resolved


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CustomerOut,
    responses={
        200: {"description": "replaced an existing customer"},
        401: {"description": "no key"},
        422: {"description": "invalid"},
    },
)
def upsert_customer(
    body: Customer,
    key: CurrentKey,
    session: SessionDep,
    knowledge: KnowledgeDep,
    response: Response,
) -> CustomerOut:
    """Add a customer to the key's brand (201), or replace one with the same id (200)."""
    customer = body.model_copy(update={"stage": _stage(knowledge, key.brand, body.stage)})
    _, created = repo.upsert_customer(session, key.brand, customer)
    session.commit()
    # Keep the ingested pack (used by the CLI and the pipeline) in step, if there is one.
    with contextlib.suppress(ZhenxinError, AttributeError):
        knowledge.upsert_customer(key.brand, customer)
    if not created:
        response.status_code = status.HTTP_200_OK
    return CustomerOut(brand=key.brand, customer=customer, created=created)


@router.get(
    "/{customer_id}",
    response_model=CustomerOut,
    responses={401: {"description": "no key"}, 404: {"description": "unknown id"}},
)
def get_customer(customer_id: str, key: CurrentKey, session: SessionDep) -> CustomerOut:
    """The customer, with every logged contact merged into ``last_contacts``."""
    customer = repo.get_customer(session, key.brand, customer_id)
    return CustomerOut(
        brand=key.brand, customer=contacts.with_history(session, key.brand, customer)
    )


@router.get("", response_model=list[CustomerOut], responses={401: {"description": "no key"}})
def list_customers(
    key: CurrentKey,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[CustomerOut]:
    return [
        CustomerOut(brand=key.brand, customer=c)
        for c in repo.list_customers(session, key.brand, limit=limit, offset=offset)
    ]
