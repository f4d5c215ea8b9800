"""Customers of the key's brand: create (or replace) and read — the one customer store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import CurrentKey, DraftingDep
from api.schemas import CustomerOut
from knowledge.pack import Customer

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
    opt-out on record stays: the answer shows the consent that holds."""
    brand = service.brand(key.brand)
    customer, created = service.customers.upsert(key.brand, body, brand=brand, source="api")
    if not created:
        response.status_code = status.HTTP_200_OK
    stored = service.customers.get(key.brand, customer.id)
    return CustomerOut(brand=key.brand, customer=stored, created=created)


@router.get(
    "/{customer_id}",
    response_model=CustomerOut,
    responses={401: {"description": "no key"}, 404: {"description": "unknown id"}},
)
def get_customer(customer_id: str, key: CurrentKey, service: DraftingDep) -> CustomerOut:
    """The customer, with every logged contact merged into ``last_contacts``."""
    return CustomerOut(brand=key.brand, customer=service.customers.get(key.brand, customer_id))


@router.get("", response_model=list[CustomerOut], responses={401: {"description": "no key"}})
def list_customers(
    key: CurrentKey,
    service: DraftingDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[CustomerOut]:
    return [
        CustomerOut(brand=key.brand, customer=c)
        for c in service.customers.list(key.brand, limit=limit, offset=offset)
    ]
