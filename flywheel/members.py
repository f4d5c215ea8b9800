"""Core members: the few customers who carry the brand, found from recency, frequency,
engagement and replies, each score with its reasons; and the tiers each may be invited into.

Score (0–100) = 30 × recency + 30 × frequency + 20 × engagement + 20 × replies, each part in
[0, 1] over the last year:

- recency: the newest purchase or reply — within 30 days 1, 90 days 0.7, 180 days 0.4,
  365 days 0.2, else 0;
- frequency: orders in the year ÷ 4 (four or more is 1);
- engagement: replies ÷ messages sent (no sends yet: 0);
- replies: replies in the year ÷ 3.

A core member scores at least ``CORE_SCORE`` and has ordered at least twice: a single
enthusiastic reply does not make one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.errors import RefusedError
from generator.planner import invitation_tier, joined
from knowledge.languages import base_language
from knowledge.pack import Brand, Customer
from storage.events import Engagement

CORE_SCORE = 60
YEAR = 365


@dataclass(frozen=True)
class Member:
    customer_id: str
    name: str
    stage: str
    score: int
    core: bool
    reasons: tuple[str, ...]
    tiers: tuple[str, ...]  # tiers they may be invited into


def _recency(days: int | None) -> float:
    if days is None:
        return 0.0
    for limit, value in ((30, 1.0), (90, 0.7), (180, 0.4), (YEAR, 0.2)):
        if days <= limit:
            return value
    return 0.0


def span(on: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The year before ``on`` as moments: a day in ``(on - YEAR, on]`` is a moment in
    ``[since, until)``."""
    since = dt.datetime.combine(on - dt.timedelta(days=YEAR - 1), dt.time())
    return since, dt.datetime.combine(on + dt.timedelta(days=1), dt.time())


def score(
    brand: Brand,
    customer: Customer,
    engaged: Engagement | None,
    on: dt.date,
    *,
    tiers: Mapping[str, tuple[str, ...]] | None = None,
) -> Member:
    """One customer's score; ``engaged``: their replies and sends in the year before ``on``
    (:func:`storage.events.engagement` over :func:`span`), None for none. ``tiers``: the tiers
    open to each stage, when the caller worked them out already (:func:`open_tiers`)."""
    zh = base_language(brand.language) == "zh"
    since = on - dt.timedelta(days=YEAR)
    orders = [p.date for p in customer.purchases if since < p.date <= on]
    replies = engaged.replies if engaged is not None else 0
    sent = engaged.sent if engaged is not None else 0
    last_reply = engaged.last_reply if engaged is not None else None
    latest = max([*orders, *([last_reply.date()] if last_reply is not None else [])], default=None)
    days = (on - latest).days if latest is not None else None
    r = _recency(days)
    f = min(len(orders) / 4, 1.0)
    e = min(replies / sent, 1.0) if sent else 0.0
    q = min(replies / 3, 1.0)
    total = round(100 * (0.3 * r + 0.3 * f + 0.2 * e + 0.2 * q))
    reasons = []
    if days is not None:
        reasons.append(
            f"最近一次购买或回复在{days}天前" if zh else f"last order or reply {days} days ago"
        )
    reasons.append(f"一年内购买{len(orders)}次" if zh else f"{len(orders)} orders in a year")
    if sent:
        reasons.append(
            f"收到{sent}条消息，回复{replies}次"
            if zh
            else f"replied {replies} times to {sent} messages"
        )
    elif replies:
        reasons.append(f"一年内回复{replies}次" if zh else f"{replies} replies in a year")
    held = tiers.get(customer.stage) if tiers is not None else None
    return Member(
        customer_id=customer.id,
        name=customer.name,
        stage=customer.stage,
        score=total,
        core=total >= CORE_SCORE and len(orders) >= 2,
        reasons=tuple(reasons),
        tiers=_not_joined(brand, customer, held if held is not None else _tiers(brand, customer)),
    )


def _not_joined(brand: Brand, customer: Customer, tiers: tuple[str, ...]) -> tuple[str, ...]:
    """``tiers`` (open to the customer's stage) but those they bought a place in."""
    if not any(t.products for t in brand.tiers):
        return tiers
    bought = {t.id for t in brand.tiers if joined(t, customer)}
    return tuple(t for t in tiers if t not in bought)


def _tiers(brand: Brand, customer: Customer) -> tuple[str, ...]:
    """The tiers this customer may be invited into (they depend on the stage alone)."""
    tiers = []
    for tier in brand.tiers:
        try:
            invitation_tier(brand, tier.id, customer)
        except RefusedError:
            continue
        tiers.append(tier.id)
    return tuple(tiers)


def rank(
    brand: Brand,
    customers: Iterable[Customer],
    engagement: Mapping[str, Engagement],
    on: dt.date,
    *,
    tiers: dict[str, tuple[str, ...]] | None = None,
) -> list[Member]:
    """Every customer's score, highest first (ties by id). ``tiers`` keeps the tiers open
    to each stage met, across calls."""
    tiers = {} if tiers is None else tiers
    members = []
    for c in customers:
        if c.opted_out:
            continue
        if c.stage not in tiers:
            tiers[c.stage] = _tiers(brand, c)
        members.append(score(brand, c, engagement.get(c.id), on, tiers=tiers))
    return sorted(members, key=lambda m: (-m.score, m.customer_id))


__all__ = ["CORE_SCORE", "Member", "rank", "score", "span"]
