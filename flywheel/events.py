"""Events: what happened after a draft, as a shop or a WeCom tool exports it.

One event is ``{"id", "customer_id", "type", "at", "draft_id"?, "product"?, "text"?}``; a
send imported from another tool may say what the message was (``kind``, ``trigger``,
``stage``), and a reply or event may carry a ``topic`` (``co_creation`` for taking part in a
trial or a formula discussion). Files of them: :mod:`flywheel.event_files`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.days import bounded


class EventType(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    REPLIED = "replied"
    PURCHASED = "purchased"
    UNSUBSCRIBED = "unsubscribed"
    OPTED_OUT = "opted_out"
    COMPLAINT = "complaint"
    HELD_OUT = "held_out"  # deliberately not contacted (the holdout of a care batch)


# Events that end consent: they go into the consent record.
CONSENT_ENDING = frozenset({EventType.UNSUBSCRIBED, EventType.OPTED_OUT})
CO_CREATION = "co_creation"


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=128)
    customer_id: str = Field(min_length=1, max_length=64)
    type: EventType
    at: dt.datetime
    draft_id: str | None = Field(default=None, max_length=32)
    product: str | None = Field(default=None, max_length=64)
    text: str | None = Field(default=None, max_length=4000)
    topic: str | None = Field(default=None, max_length=32)
    kind: str | None = Field(default=None, max_length=32)
    trigger: str | None = Field(default=None, max_length=32)
    stage: str | None = Field(default=None, max_length=64)
    criticism: bool | None = None  # None: decided from the text

    @field_validator("at", mode="before")
    @classmethod
    def _date_or_datetime(cls, value: Any) -> Any:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return dt.datetime.combine(value, dt.time())
        if isinstance(value, str) and len(value.strip()) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(value.strip()), dt.time())
        return value

    @field_validator("at")
    @classmethod
    def _naive_utc(cls, value: dt.datetime) -> dt.datetime:
        # first, before a time zone moves it: the report counts 60 days on from an event, and
        # at year 1 or 9999 that arithmetic (or the move to UTC) overflows
        bounded(value.date())
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    @field_validator("draft_id", "product", "text", "topic", "kind", "trigger", "stage")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _purchase_names_product(self) -> Event:
        if self.type == EventType.PURCHASED and not self.product:
            raise ValueError("a 'purchased' event needs 'product' (the product id)")
        return self

    @property
    def day(self) -> dt.date:
        return self.at.date()

    @property
    def is_criticism(self) -> bool:
        """A complaint always; a reply if marked so, else if its text criticises."""
        if self.type == EventType.COMPLAINT:
            return True
        if self.criticism is not None:
            return self.criticism
        return self.type == EventType.REPLIED and criticises(self.text or "")


# Words of a reply that criticises (zh first). Criticism is the most useful reply a brand
# gets: the review form marks it so an editor reads it first. A question is not criticism.
_CRITICISM_ZH = (
    "不好用",
    "没效果",
    "没有效果",
    "没用",
    "失望",
    "不满意",
    "过敏",
    "刺痛",
    "泛红加重",
    "更红了",
    "长痘",
    "闷痘",
    "烂脸",
    "退货",
    "退款",
    "投诉",
    "差评",
    "质量差",
    "质量问题",
    "坏了",
    "开胶",
    "起球",
    "漏液",
    "磨脚",
    "磨破",
    "太贵",
    "不值",
    "骗",
    "敷衍",
    "再也不",
)
_CRITICISM_EN = (
    "disappoint",
    "not happy",
    "unhappy",
    "doesn't work",
    "does not work",
    "didn't work",
    "did not work",
    "broke",
    "broken",
    "rash",
    "irritat",
    "refund",
    "return it",
    "returning",
    "complain",
    "waste",
    "too expensive",
    "not worth",
    "blister",
    "hurts",
    "fell apart",
    "never again",
    "poor quality",
    "scam",
)


_CRITICISM = re.compile("|".join(re.escape(w) for w in _CRITICISM_ZH + _CRITICISM_EN))


def criticises(text: str) -> bool:
    """Whether the text holds any of the words (the English ones in any case): one
    automaton pass instead of a scan per word (an ingest asks it of every reply)."""
    return _CRITICISM.search(text.lower()) is not None


@dataclass(frozen=True)
class Rejected:
    """An item that was not kept, and why (its place in the batch, its id if it had one)."""

    index: int
    id: str | None
    error: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.id, "error": self.error}


def validate(items: Iterable[Mapping[str, Any]]) -> tuple[list[Event], list[Rejected]]:
    """Each raw item as an :class:`Event`, or a :class:`Rejected` saying what is wrong."""
    good: list[Event] = []
    bad: list[Rejected] = []
    for index, item in enumerate(items):
        event = validate_one(item, index)
        if isinstance(event, Rejected):
            bad.append(event)
        else:
            good.append(event)
    return good, bad


def validate_one(item: Mapping[str, Any], index: int = 0) -> Event | Rejected:
    """One raw item as an :class:`Event`, or a :class:`Rejected` (at ``index``) saying what
    is wrong (an ingest validates its items one at a time, in order)."""
    try:
        return Event.model_validate(item)
    except ValidationError as exc:
        raw_id = item.get("id") if isinstance(item, Mapping) else None
        return Rejected(index, str(raw_id) if raw_id else None, _one_line(exc))


def _one_line(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"]) or "event"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


__all__ = [
    "CONSENT_ENDING",
    "CO_CREATION",
    "Event",
    "EventType",
    "Rejected",
    "criticises",
    "validate",
    "validate_one",
]
