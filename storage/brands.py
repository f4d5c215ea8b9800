"""Brands: a row per brand id, created on ingest, key creation or the first customer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import BrandRow

_HELD = "zhenxin.brands"  # session.info key: the brand rows this session has seen


def ensure_brand(session: Session, brand_id: str, name: str = "") -> BrandRow:
    # The session holds the row (its identity map keeps objects only while something
    # references them): every later call in the session is a dictionary look-up instead of
    # a SELECT per event, contact or customer written.
    held: dict[str, BrandRow] = session.info.setdefault(_HELD, {})
    row = held.get(brand_id)
    if row is None or row not in session:  # not seen, or added by a rolled-back transaction
        row = session.get(BrandRow, brand_id)
    if row is None:
        row = BrandRow(id=brand_id, name=name or brand_id)
        session.add(row)
        session.flush()
    elif name and row.name != name:
        row.name = name
    held[brand_id] = row
    return row


def list_brands(session: Session) -> list[str]:
    return list(session.scalars(select(BrandRow.id).order_by(BrandRow.id)))
