"""Request and response bodies of the HTTP API (documented in OpenAPI)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from evals.types import Finding
from generator.drafts import ContentKind, Source, Trigger
from knowledge.pack import Channel, Customer

Purpose = Literal["care", "sales", "notice"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftCreate(_In):
    """Ask for a draft. The brand is the API key's; ``brand``, if sent, must match it."""

    brand: str | None = Field(default=None, max_length=64)
    kind: ContentKind
    customer_id: str | None = Field(default=None, min_length=1, max_length=64)
    customer: Customer | None = None
    trigger: Trigger | None = None
    channel: Channel | None = None
    question: str | None = Field(default=None, max_length=2000)
    story_doc: str | None = Field(default=None, max_length=64)
    theme: str | None = Field(default=None, max_length=500)
    tier: str | None = Field(default=None, max_length=64)
    source: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _one_customer(self) -> DraftCreate:
        if self.customer_id and self.customer and self.customer.id != self.customer_id:
            raise ValueError("give either customer_id or customer, not two different customers")
        return self


class DraftEdit(_In):
    """A new text for a draft, based on ``version`` (409 if that is no longer current).
    For an email the subject is the text's first line; ``subject`` replaces it."""

    text: str = Field(min_length=1)
    subject: str | None = Field(default=None, min_length=1, max_length=300)
    version: int = Field(ge=1, le=1_000_000)
    note: str = Field(default="", max_length=1000)


class DraftApprove(_In):
    version: int | None = Field(
        default=None, ge=1, le=1_000_000, description="the version you approve"
    )
    override_reason: str = Field(
        default="", max_length=2000, description="required to approve a 'block' verdict"
    )
    purpose: Purpose | None = Field(default=None, description="logged contact purpose")
    note: str = Field(default="", max_length=1000)


class DraftReject(_In):
    reason: str = Field(min_length=1, max_length=2000)
    version: int | None = Field(default=None, ge=1, le=1_000_000)


class ReviewOut(BaseModel):
    version: int
    decision: str
    reason: str
    override_reason: str
    reviewer: str
    created_at: dt.datetime


class VersionOut(BaseModel):
    version: int
    text: str
    subject: str | None = None
    verdict: str
    score: float
    findings: list[Finding]
    author: str
    note: str
    created_at: dt.datetime


class DraftOut(BaseModel):
    """A draft, or a request that has no draft yet (status ``generating`` or ``failed``)."""

    id: str
    status: str = Field(
        description="generating | failed (a job, no text yet) · "
        "pending_review | approved | rejected (a draft)"
    )
    brand: str
    kind: str
    customer: str | None
    stage: str | None = None
    channel: str | None = None
    trigger: str | None = None
    version: int | None = None
    text: str | None = None
    subject: str | None = None
    verdict: str | None = None
    score: float | None = None
    findings: list[Finding] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    belief: str | None = None
    provider: str | None = None
    model: str | None = None
    error: dict[str, Any] | None = None
    attempts: int = 0
    request: dict[str, Any] = Field(default_factory=dict)
    reviews: list[ReviewOut] = Field(default_factory=list)
    created_at: dt.datetime
    updated_at: dt.datetime


class DraftList(BaseModel):
    items: list[DraftOut]
    limit: int
    offset: int


class CheckIn(_In):
    text: str = Field(min_length=1)
    lang: Literal["zh", "en"] | None = None
    channel: Channel | None = None
    kind: ContentKind | None = None
    customer_id: str | None = Field(default=None, min_length=1, max_length=64)
    stage: str | None = Field(default=None, max_length=64)
    belief: str | None = Field(default=None, max_length=2000)
    purpose: Purpose | None = None


class StageStepOut(BaseModel):
    """One saved move of the customer's stage: from, to, when, why."""

    from_stage: str
    to_stage: str
    at: dt.date
    why: str
    event_id: str | None = None


class CustomerOut(BaseModel):
    brand: str
    customer: Customer
    created: bool = False
    stage_history: list[StageStepOut] = Field(default_factory=list)


class PassageOut(BaseModel):
    chunk_id: str
    doc_id: str
    kind: str
    title: str
    text: str
    score: float
    product: str | None = None
    stages: list[str] = Field(default_factory=list)


class SearchOut(BaseModel):
    brand: str
    query: str
    passages: list[PassageOut]


class IngestOut(BaseModel):
    brand: str
    customers: int
    report: dict[str, Any]


class ComponentStatus(BaseModel):
    ok: bool
    detail: str = ""


class ReadyBrief(BaseModel):
    """``/readyz`` without an API key: ready or not, nothing about the deployment."""

    status: Literal["ok", "unavailable"]


class ReadyOut(BaseModel):
    """``/readyz`` with an API key: each component and what it is."""

    status: Literal["ok", "unavailable"]
    ready: bool
    components: dict[str, ComponentStatus]


class HealthOut(BaseModel):
    status: Literal["ok"]
    version: str
