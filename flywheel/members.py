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
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.errors import RefusedError
from generator.planner import invitation_tier
from knowledge.languages import base_language
from knowledge.pack import Brand, Customer
from storage.events import Activity

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


def score(brand: Brand, customer: Customer, activity: Sequence[Activity], on: dt.date) -> Member:
    zh = base_language(brand.language) == "zh"
    since = on - dt.timedelta(days=YEAR)
    orders = [p.date for p in customer.purchases if since < p.date <= on]
    replies = [a.at.date() for a in activity if a.type == "replied" and since < a.at.date() <= on]
    sent = sum(1 for a in activity if a.type == "sent" and since < a.at.date() <= on)
    latest = max([*orders, *replies], default=None)
    days = (on - latest).days if latest is not None else None
    r = _recency(days)
    f = min(len(orders) / 4, 1.0)
    e = min(len(replies) / sent, 1.0) if sent else 0.0
    q = min(len(replies) / 3, 1.0)
    total = round(100 * (0.3 * r + 0.3 * f + 0.2 * e + 0.2 * q))
    reasons = []
    if days is not None:
        reasons.append(
            f"最近一次购买或回复在{days}天前" if zh else f"last order or reply {days} days ago"
        )
    reasons.append(f"一年内购买{len(orders)}次" if zh else f"{len(orders)} orders in a year")
    if sent:
        reasons.append(
            f"收到{sent}条消息，回复{len(replies)}次"
            if zh
            else f"replied {len(replies)} times to {sent} messages"
        )
    elif replies:
        reasons.append(f"一年内回复{len(replies)}次" if zh else f"{len(replies)} replies in a year")
    tiers = []
    for tier in brand.tiers:
        try:
            invitation_tier(brand, tier.id, customer)
        except RefusedError:
            continue
        tiers.append(tier.id)
    return Member(
        customer_id=customer.id,
        name=customer.name,
        stage=customer.stage,
        score=total,
        core=total >= CORE_SCORE and len(orders) >= 2,
        reasons=tuple(reasons),
        tiers=tuple(tiers),
    )


def rank(
    brand: Brand, customers: Iterable[Customer], activity: Iterable[Activity], on: dt.date
) -> list[Member]:
    """Every customer's score, highest first (ties by id)."""
    by_customer: dict[str, list[Activity]] = defaultdict(list)
    for a in activity:
        by_customer[a.customer_id].append(a)
    members = [score(brand, c, by_customer.get(c.id, []), on) for c in customers if not c.opted_out]
    return sorted(members, key=lambda m: (-m.score, m.customer_id))


__all__ = ["CORE_SCORE", "Member", "rank", "score"]
