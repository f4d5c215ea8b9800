"""The consent history of a brand's customers: append-only rows, the newest one holds.

Nothing here decides who may change consent (the drafting service does: anyone may record an
opt-out, only an admin with a reason may lift one); this module only records and reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.brands import ensure_brand
from storage.models import ConsentRow

OPTED_OUT = "opted_out"
OPTED_IN = "opted_in"


@dataclass(frozen=True)
class ConsentChange:
    status: str
    actor: str
    source: str
    reason: str
    at: dt.datetime


def record(
    session: Session,
    brand_id: str,
    customer_id: str,
    status: str,
    *,
    actor: str,
    source: str,
    reason: str = "",
) -> ConsentChange:
    if status not in (OPTED_OUT, OPTED_IN):
        raise ValueError(f"unknown consent status {status!r}")
    ensure_brand(session, brand_id)
    row = ConsentRow(
        brand_id=brand_id,
        customer_id=customer_id,
        status=status,
        actor=actor[:64],
        source=source[:16],
        reason=reason,
    )
    session.add(row)
    session.flush()
    return _change(row)


def history(session: Session, brand_id: str, customer_id: str) -> list[ConsentChange]:
    rows = session.scalars(
        select(ConsentRow)
        .where(ConsentRow.brand_id == brand_id, ConsentRow.customer_id == customer_id)
        .order_by(ConsentRow.id)
    )
    return [_change(r) for r in rows]


def current(session: Session, brand_id: str, customer_id: str) -> str | None:
    """The consent that holds (the newest change), or None if nothing was ever recorded."""
    return session.scalar(
        select(ConsentRow.status)
        .where(ConsentRow.brand_id == brand_id, ConsentRow.customer_id == customer_id)
        .order_by(ConsentRow.id.desc())
        .limit(1)
    )


def current_many(
    session: Session, brand_id: str, customer_ids: Iterable[str], *, chunk: int = 500
) -> dict[str, str]:
    """:func:`current` for many customers (one query per ``chunk`` ids); customers with
    nothing recorded are left out."""
    ids = sorted(set(customer_ids))
    found: dict[str, str] = {}
    for start in range(0, len(ids), chunk):
        newest = (
            select(func.max(ConsentRow.id))
            .where(
                ConsentRow.brand_id == brand_id,
                ConsentRow.customer_id.in_(ids[start : start + chunk]),
            )
            .group_by(ConsentRow.customer_id)
        )
        rows = session.execute(
            select(ConsentRow.customer_id, ConsentRow.status).where(ConsentRow.id.in_(newest))
        )
        found.update({cid: status for cid, status in rows})
    return found


def opted_out(session: Session, brand_id: str, customer_ids: Iterable[str]) -> set[str]:
    """Which of ``customer_ids`` have opted out now (one query)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return set()
    newest = (
        select(func.max(ConsentRow.id))
        .where(ConsentRow.brand_id == brand_id, ConsentRow.customer_id.in_(ids))
        .group_by(ConsentRow.customer_id)
    )
    rows = session.execute(
        select(ConsentRow.customer_id, ConsentRow.status).where(ConsentRow.id.in_(newest))
    )
    return {cid for cid, status in rows if status == OPTED_OUT}


def _change(row: ConsentRow) -> ConsentChange:
    return ConsentChange(
        status=row.status, actor=row.actor, source=row.source, reason=row.reason, at=row.created_at
    )


__all__ = [
    "OPTED_IN",
    "OPTED_OUT",
    "ConsentChange",
    "current",
    "current_many",
    "history",
    "opted_out",
    "record",
]
