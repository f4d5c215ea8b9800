"""What a batch is: its spec (monthly posts or due care messages), its id and its items.

The batch id is derived from the spec (kind, brand, month or date, tiers), so running the
same command again finds the same batch and resumes it instead of starting a second one.
Each item carries the exact :class:`~generator.drafts.DraftRequest` it will send, its unique
key inside the batch (tier + slot + theme for posts, the customer id for care messages)
and, for skipped items, why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from batch.due import Due, DueRules, find_due
from batch.monthly import PlannedPost, parse_month, plan_month
from core.days import Day
from generator.drafts import ContentKind, DraftRequest, Trigger
from knowledge.pack import BrandPack, Channel, Contact, Customer


class BatchKind(StrEnum):
    MONTHLY = "monthly"
    CARE = "care"


class BatchSpec(BaseModel):
    """What to run. ``month`` for monthly posts (``2026-12``), ``date`` for care messages."""

    model_config = ConfigDict(extra="forbid")

    kind: BatchKind
    brand: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")
    month: str | None = None
    date: Day | None = None
    tiers: list[str] | None = None
    # Care batches: the share of due customers held out (None: ZHENXIN_HOLDOUT_SHARE).
    holdout: float | None = Field(default=None, ge=0.0, le=0.5)

    @model_validator(mode="after")
    def _fields_for_kind(self) -> BatchSpec:
        if self.kind == BatchKind.MONTHLY:
            if not self.month:
                raise ValueError("a monthly batch needs 'month' (e.g. 2026-12)")
            parse_month(self.month)
        elif self.date is None:
            raise ValueError("a care batch needs 'date' (e.g. 2026-12-01)")
        return self

    @property
    def batch_id(self) -> str:
        """Stable for the same spec (<= 32 characters): ``monthly-2026-12-1a2b3c4d``."""
        when = self.month if self.kind == BatchKind.MONTHLY else str(self.date)
        tiers = ",".join(sorted(self.tiers)) if self.tiers else "*"
        digest = hashlib.sha256(f"{self.brand}|{tiers}".encode()).hexdigest()[:8]
        return f"{self.kind.value}-{when}-{digest}"

    @property
    def as_of(self) -> dt.date:
        """The date the drafts are written for (the 1st of the month for monthly posts)."""
        if self.date is not None:
            return self.date
        year, month = parse_month(self.month or "")
        return dt.date(year, month, 1)


def _post_item(brand: str, post: PlannedPost) -> dict[str, Any]:
    request = DraftRequest(
        brand=brand,
        kind=ContentKind.COMMUNITY_POST,
        trigger=Trigger.MONTHLY,
        channel=Channel.COMMUNITY,
        theme=post.theme,
        tier=post.tier,
        story_doc=post.story_doc,
        source=None if post.story_doc else post.source_id,
    )
    return {
        "key": post.key,
        "tier": post.tier,
        "slot": post.slot.value,
        "publish_on": post.publish_on.isoformat(),
        "occurrence": post.theme_key,
        "note": post.theme,
        "request": request.model_dump(mode="json", exclude_none=True),
    }


def _care_item(brand: str, due: Due) -> dict[str, Any]:
    customer = due.customer
    if due.new_stage:  # a stage change inferred from purchases: speak to the new stage
        request = DraftRequest(
            brand=brand,
            kind=ContentKind.CARE_MESSAGE,
            customer=customer.model_copy(update={"stage": due.new_stage}),
            trigger=due.trigger,
            channel=customer.channel,
        )
    else:
        request = DraftRequest(
            brand=brand,
            kind=ContentKind.CARE_MESSAGE,
            customer_id=customer.id,
            trigger=due.trigger,
            channel=customer.channel,
        )
    item: dict[str, Any] = {
        "key": f"customer:{customer.id}",
        "customer_id": customer.id,
        "trigger": due.trigger.value,
        "occurrence": due.occurrence,
        "note": due.reason,
        "request": request.model_dump(mode="json", exclude_none=True),
    }
    if due.skip:
        item["skip"] = due.skip
    return item


def monthly_items(
    spec: BatchSpec, pack: BrandPack, history: Mapping[str, Sequence[tuple[str, str]]]
) -> list[dict[str, Any]]:
    posts = plan_month(pack, spec.month or "", tiers=spec.tiers, history=history)
    return [_post_item(spec.brand, p) for p in posts]


def care_items(
    spec: BatchSpec,
    pack: BrandPack,
    *,
    contact_log: Mapping[str, Sequence[Contact]],
    handled: Collection[str],
    rules: DueRules | None = None,
    people: Iterable[Customer] | None = None,
) -> list[dict[str, Any]]:
    due = find_due(
        pack, spec.as_of, rules=rules, contact_log=contact_log, handled=handled, people=people
    )
    return [_care_item(spec.brand, d) for d in due]


__all__ = ["BatchKind", "BatchSpec", "care_items", "monthly_items"]
