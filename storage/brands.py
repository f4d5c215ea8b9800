"""Brands: a row per brand id, created on ingest, key creation or the first customer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import BrandRow


def ensure_brand(session: Session, brand_id: str, name: str = "") -> BrandRow:
    row = session.get(BrandRow, brand_id)
    if row is None:
        row = BrandRow(id=brand_id, name=name or brand_id)
        session.add(row)
        session.flush()
    elif name and row.name != name:
        row.name = name
    return row


def list_brands(session: Session) -> list[str]:
    return list(session.scalars(select(BrandRow.id).order_by(BrandRow.id)))
