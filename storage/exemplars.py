"""Examples of a brand's voice: the texts editors approved, newest first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.brands import ensure_brand
from storage.models import ExemplarRow


def add(
    session: Session,
    brand_id: str,
    *,
    kind: str,
    stage: str,
    trigger: str,
    text: str,
    draft_id: str | None,
    edited: bool,
) -> None:
    ensure_brand(session, brand_id)
    session.add(
        ExemplarRow(
            brand_id=brand_id,
            kind=kind,
            stage=stage,
            trigger=trigger,
            text=text,
            draft_id=draft_id,
            edited=edited,
        )
    )
    session.flush()


def for_kind(session: Session, brand_id: str, kind: str, *, limit: int = 50) -> list[ExemplarRow]:
    """The brand's approved texts of this kind, newest first (edited ones first among them)."""
    return list(
        session.scalars(
            select(ExemplarRow)
            .where(ExemplarRow.brand_id == brand_id, ExemplarRow.kind == kind)
            .order_by(ExemplarRow.id.desc())
            .limit(limit)
        )
    )


__all__ = ["add", "for_kind"]
