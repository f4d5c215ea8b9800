"""Lifecycle kept: which stage a customer's record and events earn, by the brand's rules.

Rules (``Brand.stage_rules()``: the brand's ``lifecycle:`` or the defaults) only move a
customer up, never down: an editor may still set any stage by hand. The highest stage whose
rule holds on the day of the newest event wins; the change is saved with why.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from flywheel.events import CO_CREATION
from knowledge.pack import Brand
from knowledge.stages import Stage, StageRule
from storage.events import Activity


class Facts(NamedTuple):
    """What the rules count for one customer on ``on`` (a tuple: an ingest makes one for
    every day it walks of every customer it applies events to)."""

    on: dt.date
    purchases: int
    replies: tuple[dt.date, ...]  # days of replies
    co_creation: int

    def replies_within(self, days: int) -> int:
        start = self.on - dt.timedelta(days=days)
        return sum(1 for d in self.replies if start < d <= self.on)


def facts(on: dt.date, purchases: int, activity: Sequence[Activity]) -> Facts:
    replies = tuple(a.at.date() for a in activity if a.type == "replied" and a.at.date() <= on)
    co = sum(1 for a in activity if a.topic == CO_CREATION and a.at.date() <= on)
    return Facts(on=on, purchases=purchases, replies=replies, co_creation=co)


def holds(rule: StageRule, f: Facts) -> bool:
    return (
        f.purchases >= rule.purchases
        and f.replies_within(rule.within_days) >= rule.replies
        and f.co_creation >= rule.co_creation
    )


@dataclass(frozen=True)
class Promotion:
    from_stage: str
    to: Stage
    rule: StageRule
    why: str


class Ladder:
    """A brand's stages in order and its rules, worked out once for many customers (an
    ingest walks every new event of a chunk through :meth:`promotion`)."""

    def __init__(self, brand: Brand) -> None:
        self.brand = brand
        self.order = {s.id: i for i, s in enumerate(brand.stages)}
        self.rules = brand.stage_rules()
        # the rules of the stages above each one, the highest stage first (for one stage,
        # its rules in the brand's order): the first that holds is the move
        ranked = sorted(self.rules, key=lambda sr: -self.order[sr[0].id])
        self._above = {
            here: [(s, r) for s, r in ranked if self.order[s.id] > rank]
            for here, rank in [*self.order.items(), ("", -1)]
        }

    def can_rise(self, current: str) -> bool:
        """Whether any rule leads above ``current`` (none from the top stage)."""
        return bool(self._above.get(current, self._above[""]))

    def promotion(self, current: str, f: Facts) -> Promotion | None:
        """The stage this customer moves up to, or None (stays)."""
        for stage, rule in self._above.get(current, self._above[""]):
            if holds(rule, f):
                return Promotion(current, stage, rule, rule.describe(self.brand.language))
        return None


class History:
    """One customer's counted activity, for :class:`Facts` on any day: the same facts as
    :func:`facts`, found by bisection instead of a walk of every event each time."""

    def __init__(self, activity: Sequence[Activity]) -> None:
        self.replies = sorted(a.at.date() for a in activity if a.type == "replied")
        self.co_creation = sorted(a.at.date() for a in activity if a.topic == CO_CREATION)

    def counted(self, on: dt.date) -> tuple[int, int]:
        """How many replies and co-creation events there are up to ``on``, ``on`` included
        (the same on two days: nothing counted came between them)."""
        return (
            bisect.bisect_right(self.replies, on),
            bisect.bisect_right(self.co_creation, on),
        )

    def facts(self, on: dt.date, purchases: int) -> Facts:
        replies = tuple(self.replies[: bisect.bisect_right(self.replies, on)])
        co = bisect.bisect_right(self.co_creation, on)
        return Facts(on=on, purchases=purchases, replies=replies, co_creation=co)


def promotion(brand: Brand, current: str, f: Facts) -> Promotion | None:
    """The stage this customer moves up to, or None (stays)."""
    return Ladder(brand).promotion(current, f)


__all__ = ["Facts", "History", "Ladder", "Promotion", "facts", "holds", "promotion"]
