"""The contact log: what each customer already received. Approval writes it; the pressure
checks read it (merged into ``Customer.last_contacts`` before a draft or a check)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from knowledge.pack import Contact, Customer
from storage.brands import ensure_brand
from storage.bulk import insert_many
from storage.models import ContactRow


def record_contact(
    session: Session,
    brand_id: str,
    customer_id: str,
    *,
    channel: str,
    purpose: str = "care",
    date: dt.date | None = None,
    draft_id: str | None = None,
) -> ContactRow:
    ensure_brand(session, brand_id)
    row = ContactRow(
        brand_id=brand_id,
        customer_id=customer_id,
        channel=channel,
        purpose=purpose,
        date=date or dt.date.today(),
        draft_id=draft_id,
    )
    session.add(row)
    session.flush()
    return row


def record_contacts(session: Session, brand_id: str, contacts: Sequence[Mapping[str, Any]]) -> int:
    """:func:`record_contact` for many (``customer_id``, ``channel``, ``purpose``, ``date``
    and optionally ``draft_id`` each), in one statement, in the order given."""
    if not contacts:
        return 0
    ensure_brand(session, brand_id)
    table: Table = ContactRow.__table__  # type: ignore[assignment]
    insert_many(
        session,
        table,
        [
            {
                "brand_id": brand_id,
                "customer_id": c["customer_id"],
                "channel": c["channel"],
                "purpose": c.get("purpose", "care"),
                "date": c.get("date") or dt.date.today(),
                "draft_id": c.get("draft_id"),
            }
            for c in contacts
        ],
    )
    return len(contacts)


def history(
    session: Session, brand_id: str, customer_id: str, *, limit: int = 200
) -> list[Contact]:
    rows = session.scalars(
        select(ContactRow)
        .where(ContactRow.brand_id == brand_id, ContactRow.customer_id == customer_id)
        .order_by(ContactRow.date.desc(), ContactRow.id.desc())
        .limit(limit)
    )
    return [Contact(date=r.date, channel=r.channel, purpose=r.purpose) for r in rows][::-1]  # type: ignore[arg-type]


def with_history(session: Session, brand_id: str, customer: Customer) -> Customer:
    """The customer with logged contacts added to ``last_contacts`` (no duplicates)."""
    logged = history(session, brand_id, customer.id)
    if not logged:
        return customer
    seen = {(c.date, c.channel, c.purpose) for c in customer.last_contacts}
    extra = [c for c in logged if (c.date, c.channel, c.purpose) not in seen]
    merged = sorted([*customer.last_contacts, *extra], key=lambda c: c.date)
    return customer.model_copy(update={"last_contacts": merged})
