"""The holdout: a share of due customers per care batch who are deliberately not contacted,
so the outcomes report can compare. Who is held out is a pure function of the batch and the
customer — the same batch asked again holds out the same people; a new batch draws anew."""

from __future__ import annotations

import hashlib


def held_out(batch_id: str, customer_id: str, share: float) -> bool:
    """True for about ``share`` of customers, stable per (batch, customer)."""
    if share <= 0:
        return False
    if share >= 1:
        return True
    digest = hashlib.sha256(f"holdout|{batch_id}|{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def event_id(batch_id: str, customer_id: str) -> str:
    """The held_out event's id: recording the same holdout twice stores it once."""
    return f"holdout:{batch_id}:{customer_id}"


__all__ = ["event_id", "held_out"]
