"""Draft requests and drafts: what callers (CLI, HTTP API, batch jobs) send and get back."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from evals.types import Finding, Verdict
from generator.basis import CheckBasis
from generator.kinds import ContentKind, Trigger
from generator.parts import Part
from knowledge.pack import Channel, Customer


class DraftRequest(BaseModel):
    """Ask for one draft. Give ``customer_id`` (from the brand's customers) or ``customer``."""

    model_config = ConfigDict(extra="forbid")

    brand: str
    kind: ContentKind
    customer_id: str | None = None
    customer: Customer | None = None
    trigger: Trigger | None = None
    channel: Channel | None = None
    question: str | None = Field(default=None, max_length=2000)  # for trigger=question
    story_doc: str | None = None  # for user_story_post: which story (default: best match)
    theme: str | None = None  # for community_post: the post's theme from the monthly plan
    # for community_post: the belief id or knowledge document id the post is built on (its
    # words are quoted: the activity's facts, two FAQ answers, a story's paragraphs)
    source: str | None = None
    tier: str | None = None  # for community_post: the community tier


class Source(BaseModel):
    doc_id: str
    kind: str
    chunk_id: str = ""
    title: str = ""
    score: float | None = None


class Plan(BaseModel):
    """What this message must do and must not do, decided before any model call."""

    stage: str
    stage_name: str
    # the brand's own words for the stage (brand.yaml stages[].who/avoid); empty: built-in
    stage_who: str = ""
    stage_avoid: list[str] = Field(default_factory=list)
    trigger: str
    channel: str
    goal: str
    must: list[str] = Field(default_factory=list)
    must_not: list[str] = Field(default_factory=list)
    product: str | None = None
    days_since_purchase: int | None = None
    usage_days: int | None = None
    facts: dict[str, str] = Field(default_factory=dict)  # customer context the draft may use
    max_chars: int | None = None
    # Added by the pipeline issue (all optional, so older plans still load).
    kind: str = ""
    lang: str = "zh"
    base_stage: str = ""
    selling: str = "gentle"  # never | gentle | ok (from the stage)
    max_words: int | None = None  # English drafts are limited in words
    days_since_contact: int | None = None
    birthday_in_days: int | None = None
    question: str | None = None  # the customer's question, sanitized
    dropped_inputs: list[str] = Field(default_factory=list)  # untrusted fields left out, and why
    # A milestone: the next product of the brand's ladder and its usage guide (the program
    # names them; knowledge.timeline).
    next_product: str | None = None
    next_doc: str | None = None
    timeline: str | None = None  # the fact the milestone is about, on the as-of date


class Attempt(BaseModel):
    number: int
    text: str
    verdict: Verdict
    score: float
    findings: list[Finding]
    seconds: float
    # Added by the pipeline issue: the raw reply and the model's token counts.
    raw: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_prompt_tokens: int | None = None


class Draft(BaseModel):
    """A generated draft with everything an editor needs to trust it."""

    kind: ContentKind
    brand: str
    customer: str | None
    stage: str
    trigger: str
    channel: str
    text: str  # the full text a customer reads (email: subject line + blank line + body)
    subject: str | None = None
    title: str | None = None
    body: str = ""
    belief: str | None = None
    belief_id: str | None = None
    sign_off: str | None = None
    unsubscribe: str | None = None
    story_doc: str | None = None
    sources: list[Source] = Field(default_factory=list)
    verdict: Verdict
    score: float
    findings: list[Finding] = Field(default_factory=list)
    notes: list[Finding] = Field(default_factory=list)  # how it was made (e.g. an echo cut)
    provider: str
    model: str
    template: str
    template_hash: str
    plan: Plan
    attempts: list[Attempt] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    # What the checks of this draft see besides its text; every re-check starts from it.
    basis: CheckBasis | None = None
    # A composed draft's parts: which sentences the model wrote, which the program put in
    # (a plain fallback, the guide's safety statement, the belief as written).
    parts: list[Part] = Field(default_factory=list)
