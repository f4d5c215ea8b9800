"""Customers of one brand, stored as ``knowledge.pack.Customer`` JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Table, Text, bindparam, cast, select, update
from sqlalchemy.orm import Session

from core.errors import NotFoundError
from knowledge.pack import Customer
from storage.brands import ensure_brand
from storage.bulk import insert_many
from storage.models import CustomerRow, utcnow


def _row(session: Session, brand_id: str, customer_id: str) -> CustomerRow | None:
    return session.scalar(
        select(CustomerRow).where(
            CustomerRow.brand_id == brand_id, CustomerRow.customer_id == customer_id
        )
    )


def upsert_customer(
    session: Session, brand_id: str, customer: Customer, *, source: str = "api"
) -> tuple[Customer, bool]:
    """Add or replace one customer; returns it and whether it was new."""
    ensure_brand(session, brand_id)
    data = customer.model_dump(mode="json")
    row = _row(session, brand_id, customer.id)
    created = row is None
    if row is None:
        row = CustomerRow(brand_id=brand_id, customer_id=customer.id, data=data, source=source)
        session.add(row)
    else:
        row.data = data
        row.source = source
    session.flush()
    return customer, created


@dataclass(frozen=True)
class Held:
    """A stored customer: its row's key and its record as JSON text."""

    pk: int
    data: str

    @property
    def opted_out(self) -> bool:
        """The flag the record carries (what consent was before there was a history)."""
        return bool((json.loads(self.data) or {}).get("opted_out"))


def held(
    session: Session, brand_id: str, customer_ids: Iterable[str], *, chunk: int = 500
) -> dict[str, Held]:
    """The stored records of these customers that exist, by id (one query per ``chunk``
    ids, through Core: no ORM row, no JSON decoded here)."""
    ids = sorted(set(customer_ids))
    found: dict[str, Held] = {}
    for start in range(0, len(ids), chunk):
        query = select(CustomerRow.customer_id, CustomerRow.id, cast(CustomerRow.data, Text)).where(
            CustomerRow.brand_id == brand_id,
            CustomerRow.customer_id.in_(ids[start : start + chunk]),
        )
        found.update((cid, Held(pk, data)) for cid, pk, data in session.connection().execute(query))
    return found


def known(
    session: Session, brand_id: str, customer_ids: Iterable[str], *, chunk: int = 500
) -> set[str]:
    """Which of these customers the brand holds (:func:`held` without their records: an
    ingest asks it of the customers whose events it holds already)."""
    ids = sorted(set(customer_ids))
    found: set[str] = set()
    for start in range(0, len(ids), chunk):
        query = select(CustomerRow.customer_id).where(
            CustomerRow.brand_id == brand_id,
            CustomerRow.customer_id.in_(ids[start : start + chunk]),
        )
        found.update(session.connection().execute(query).scalars())
    return found


def write(
    session: Session,
    brand_id: str,
    *,
    new: Sequence[Customer] = (),
    changed: Sequence[tuple[int, Customer]] = (),
    source: str,
) -> None:
    """Add the ``new`` customers (in order) and replace the records of ``changed`` (the
    row's key, the customer): one statement each way for any number, through Core."""
    table: Table = CustomerRow.__table__  # type: ignore[assignment]
    if new:
        ensure_brand(session, brand_id)
        insert_many(
            session,
            table,
            [
                {
                    "brand_id": brand_id,
                    "customer_id": c.id,
                    "data": c.model_dump(mode="json"),
                    "source": source,
                }
                for c in new
            ],
        )
    if changed:
        now = utcnow()
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("pk"))
            .values(data=bindparam("record"), source=source, updated_at=now),
            [{"pk": pk, "record": c.model_dump(mode="json")} for pk, c in changed],
        )


def customer_page(
    session: Session, brand_id: str, *, after: str = "", limit: int = 500
) -> list[tuple[str, str]]:
    """``(customer id, the stored record as JSON text)`` of the brand's next ``limit``
    customers after ``after``, in id order. The text is for ``Customer.model_validate_json``:
    through Core and without decoding the JSON here, a brand-wide walk costs a few
    microseconds a customer instead of an ORM row and a ``json.loads`` each."""
    query = (
        select(CustomerRow.customer_id, cast(CustomerRow.data, Text))
        .where(CustomerRow.brand_id == brand_id, CustomerRow.customer_id > after)
        .order_by(CustomerRow.customer_id)
        .limit(limit)
    )
    return [(cid, data) for cid, data in session.connection().execute(query)]


def import_customers(session: Session, brand_id: str, customers: Iterable[Customer]) -> int:
    count = 0
    for customer in customers:
        upsert_customer(session, brand_id, customer, source="pack")
        count += 1
    return count


def find_customer(session: Session, brand_id: str, customer_id: str) -> Customer | None:
    row = _row(session, brand_id, customer_id)
    return None if row is None else Customer.model_validate(row.data)


def get_customer(session: Session, brand_id: str, customer_id: str) -> Customer:
    customer = find_customer(session, brand_id, customer_id)
    if customer is None:
        raise NotFoundError(f"customer {customer_id!r} not found")
    return customer


def list_customers(
    session: Session, brand_id: str, *, limit: int = 100, offset: int = 0
) -> list[Customer]:
    rows = session.scalars(
        select(CustomerRow)
        .where(CustomerRow.brand_id == brand_id)
        .order_by(CustomerRow.customer_id)
        .limit(limit)
        .offset(offset)
    )
    return [Customer.model_validate(r.data) for r in rows]


def purchase_days_between(
    session: Session, brand_id: str, first: str, last: str
) -> Iterator[tuple[str, list[dt.date]]]:
    """``(customer id, order days)`` of the customers with ids in ``[first, last]`` with an
    order on record (one chunk of the outcomes report), through Core, each record's JSON
    decoded once."""
    query = select(CustomerRow.customer_id, cast(CustomerRow.data, Text)).where(
        CustomerRow.brand_id == brand_id,
        CustomerRow.customer_id >= first,
        CustomerRow.customer_id <= last,
    )
    for cid, data in session.connection().execute(query):
        record = (json.loads(data) if data else None) or {}
        days = [dt.date.fromisoformat(str(p["date"])) for p in record.get("purchases") or ()]
        if days:
            yield cid, days
