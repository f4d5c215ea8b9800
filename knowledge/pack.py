"""The brand pack: the data model operators write (``brand.yaml``, ``knowledge/*.md``,
``customers.csv``). Loading and validating files lives in ``knowledge.loader``; this module
only says what a valid pack is.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.days import Day
from knowledge.languages import LANGUAGE_PATTERN
from knowledge.stages import DEFAULT_RULES, DEFAULT_STAGES, Stage, StageRule

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{1,63}$"


class Channel(StrEnum):
    WECHAT = "wechat"
    SMS = "sms"
    EMAIL = "email"
    COMMUNITY = "community"


class DocKind(StrEnum):
    VALUE = "value"
    USAGE_GUIDE = "usage_guide"
    STORY = "story"
    FAQ = "faq"
    POLICY = "policy"
    ACTIVITY = "activity"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Persona(_Strict):
    """Who speaks for the brand, and how."""

    name: str = Field(min_length=1)
    role: str = ""
    voice: str = Field(min_length=1, description="how this person talks, in a sentence or two")
    # Optional in brand.yaml: the Brand derives "—— 阿青 · 青水肌研" / "Maya at Stride".
    signature: str = Field(default="", description="how messages are signed")


def default_signature(persona_name: str, brand_name: str, language: str) -> str:
    """How messages are signed when brand.yaml gives no ``persona.signature``."""
    if language == "zh":
        return f"—— {persona_name} · {brand_name}"
    return f"{persona_name} at {brand_name}"


class Belief(_Strict):
    """A belief statement: why the brand does what it does, in one or two sentences.

    brand.yaml may list beliefs as plain sentences; their id is then :func:`belief_id`."""

    id: str = Field(pattern=ID_PATTERN)
    text: str = Field(min_length=4)
    topic: str = ""
    # the products (usage guides' ``product`` ids) it is about: an email about anything else
    # never carries it ("We fit shoes to how you run" above a sock email). Empty: any.
    products: list[str] = Field(default_factory=list)
    # the moments of use it fits (day3, half_used, almost_finished, after_purchase, welcome…):
    # "护肤品用完再买就好" belongs to the end of a bottle, not its third day. Empty: any.
    moments: list[str] = Field(default_factory=list)

    @field_validator("moments")
    @classmethod
    def _known_moments(cls, value: list[str]) -> list[str]:
        unknown = [m for m in value if m not in BELIEF_MOMENTS]
        if unknown:
            raise ValueError(
                f"unknown moments {unknown}; a belief may name {sorted(BELIEF_MOMENTS)}"
            )
        return value


# The moments a draft to one customer is written for (generator.kinds.Trigger, less the
# community's monthly post and the tier invitation; a test keeps the two in step).
BELIEF_MOMENTS = frozenset(
    {
        "welcome",
        "day3",
        "after_purchase",
        "half_used",
        "almost_finished",
        "milestone",
        "stage_up",
        "birthday",
        "long_silence",
        "question",
    }
)


def belief_id(text: str) -> str:
    """A stable id for a belief written without one: ``b-`` + 8 hex digits of its text.

    Derived from the text, not the position: drafts record the belief they used and the
    monthly plan rotates beliefs by id, so reordering the list or adding a belief must not
    move an id onto another sentence. Whitespace and width (NFKC) do not count; rewording
    the sentence makes a new belief, which it is.
    """
    norm = " ".join(unicodedata.normalize("NFKC", text).split())
    return "b-" + hashlib.sha256(norm.encode("utf-8")).hexdigest()[:8]


def _belief_entry(item: Any) -> Any:
    """A plain sentence (or a mapping without id) becomes a belief with a derived id."""
    if isinstance(item, str):
        return {"id": belief_id(item), "text": item.strip()}
    if isinstance(item, dict) and not item.get("id") and isinstance(item.get("text"), str):
        return {**item, "id": belief_id(item["text"])}
    return item


class StyleRules(_Strict):
    preferred: list[str] = Field(default_factory=list, description="words the brand likes to use")
    banned: list[str] = Field(default_factory=list, description="words the brand never uses")
    notes: list[str] = Field(default_factory=list)


class SmsRules(_Strict):
    signature: str = Field(min_length=2, description="e.g. 【青水肌研】")
    opt_out: str = Field(default="回复TD退订", min_length=2)


class EmailRules(_Strict):
    sender: str = Field(min_length=3, description='e.g. "阿青 <care@example.com>"')
    unsubscribe: str = Field(min_length=4, description="the unsubscribe line under every email")


class Tier(_Strict):
    """A community tier (a group or circle) that gets its own monthly series of posts."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    stages: list[str] = Field(default_factory=list, description="stage ids of its members")
    description: str = ""
    # Products whose purchase is a place in the tier (a camp bought is the camp's group): a
    # customer who bought one is in it already, and is never invited into it.
    products: list[str] = Field(default_factory=list)


class Sample(_Strict):
    """A message in the brand's own voice, for a kind (and optionally a moment and a stage):
    prompts show the closest one or two so the model learns how this brand talks."""

    kind: str = Field(min_length=1, description="care_message, aftersale_email, ...")
    text: str = Field(min_length=4, max_length=1000)
    trigger: str | None = None  # day3, half_used, birthday, ...
    stage: str | None = None


class Compliance(_Strict):
    # Relative claims the brand can prove, which the absolute-term check then lets pass.
    allowed_claims: list[str] = Field(default_factory=list)
    # Links, phone numbers, WeChat ids, e-mail addresses and promo codes a draft may carry
    # besides those in the brand's knowledge (the unknown-contact check lets them pass).
    allowed_contacts: list[str] = Field(default_factory=list)


class Privacy(_Strict):
    """What of a customer record may enter a prompt (and so, with a remote model, leave the
    machine). Contact details — phone, e-mail, WeChat id, address, ID number — never do."""

    prompt_fields: list[str] | None = Field(
        default=None,
        description="tag keys a prompt may use (e.g. [skin, child_birthday]); unset: every "
        "tag that is not a contact detail",
    )


class LexiconExtension(_Strict):
    """Extra words for the eval suite's lexicons, per family (spam, compliance, ...)."""

    spam: list[str] = Field(default_factory=list)
    absolute: list[str] = Field(default_factory=list)
    medical: list[str] = Field(default_factory=list)


class Brand(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    language: str = Field(pattern=LANGUAGE_PATTERN)  # zh | zh-Hant | en
    persona: Persona
    beliefs: list[Belief] = Field(min_length=1)
    style: StyleRules = Field(default_factory=StyleRules)
    channels: list[Channel] = Field(min_length=1)
    sms: SmsRules | None = None
    email: EmailRules | None = None
    stages: list[Stage] = Field(default_factory=lambda: list(DEFAULT_STAGES))
    tiers: list[Tier] = Field(default_factory=list)
    compliance: Compliance = Field(default_factory=Compliance)
    samples: list[Sample] = Field(default_factory=list)
    lexicon: LexiconExtension = Field(default_factory=LexiconExtension)
    privacy: Privacy = Field(default_factory=Privacy)
    founder_story: str = ""
    # Stage progression rules (None: the defaults, knowledge.stages.DEFAULT_RULES).
    lifecycle: list[StageRule] | None = None

    @field_validator("beliefs", mode="before")
    @classmethod
    def _plain_beliefs(cls, value: Any) -> Any:
        return [_belief_entry(b) for b in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _derived_fields(self) -> Brand:
        if not self.persona.signature.strip():
            signature = default_signature(self.persona.name, self.name, self.language)
            self.persona = self.persona.model_copy(update={"signature": signature})
        seen: set[str] = set()
        for b in self.beliefs:
            if b.id in seen:
                raise ValueError(f"belief id {b.id!r} is used twice (the same sentence twice?)")
            seen.add(b.id)
        return self

    @model_validator(mode="after")
    def _channels_have_rules(self) -> Brand:
        if Channel.SMS in self.channels and self.sms is None:
            raise ValueError("channel 'sms' needs an 'sms' section (signature, opt_out)")
        if Channel.EMAIL in self.channels and self.email is None:
            raise ValueError("channel 'email' needs an 'email' section (sender, unsubscribe)")
        stage_ids = {s.id for s in self.stages}
        if len(stage_ids) != len(self.stages):
            raise ValueError("stage ids must be unique")
        for tier in self.tiers:
            unknown = [s for s in tier.stages if s not in stage_ids]
            if unknown:
                raise ValueError(f"tier {tier.id!r} names unknown stages {unknown}")
        for rule in self.lifecycle or ():
            if self.rule_stage(rule) is None:
                raise ValueError(
                    f"lifecycle rule to {rule.to!r}: no such stage (one of {sorted(stage_ids)})"
                )
        return self

    def stage_rules(self) -> list[tuple[Stage, StageRule]]:
        """The brand's stage progression rules (or the defaults) with their target stage;
        a default rule whose stage the brand does not have is left out."""
        rules = DEFAULT_RULES if self.lifecycle is None else self.lifecycle
        found = [(self.rule_stage(r), r) for r in rules]
        return [(stage, rule) for stage, rule in found if stage is not None]

    def rule_stage(self, rule: StageRule) -> Stage | None:
        """The stage a rule moves to: the stage with that id, else the first of that base."""
        for s in self.stages:
            if s.id == rule.to:
                return s
        return next((s for s in self.stages if s.base.value == rule.to), None)

    def stage(self, stage_id: str) -> Stage:
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise KeyError(stage_id)

    def belief(self, belief_id: str) -> Belief:
        for b in self.beliefs:
            if b.id == belief_id:
                return b
        raise KeyError(belief_id)


class KnowledgeDoc(_Strict):
    """One Markdown document of the brand's knowledge, with its front matter."""

    id: str = Field(pattern=ID_PATTERN)
    kind: DocKind
    title: str = Field(min_length=1)
    body: str = Field(min_length=1)
    product: str | None = None
    usage_days: int | None = Field(default=None, ge=1, le=3650)
    # What wears out by use, not by days (a shoe's kilometres): how much use it lasts, and the
    # customer tag giving their use per week in the same unit (usage_total: 600, usage_rate_tag:
    # weekly_km). A customer with the tag has their own usage days; see knowledge.guides.
    usage_total: float | None = Field(default=None, gt=0)
    usage_rate_tag: str | None = Field(default=None, min_length=1, max_length=64)
    stages: list[str] = Field(default_factory=list)
    consent: bool | None = None
    customer: str | None = None
    tags: list[str] = Field(default_factory=list)
    # Safety statements a draft must quote word for word (usage guides); more are found by
    # their heading and words, see knowledge.guides.safety_statements.
    safety: list[str] = Field(default_factory=list)
    # The brand's product ladder (usage guides): the guide of what usually comes next, and
    # when it fits, in months on the customer's timeline (a date tag such as child_birth;
    # ``timeline`` names the tag, default the first birth date). See knowledge.timeline.
    next: str | None = Field(default=None, pattern=ID_PATTERN)
    from_months: int | None = Field(default=None, ge=0, le=1200)
    timeline: str | None = None
    path: str = ""

    @property
    def retrievable(self) -> bool:
        """Whether this document may ever be indexed, searched or put in a prompt by search:
        everything but a customer story without that customer's consent."""
        return not (self.kind == DocKind.STORY and self.consent is not True)

    @model_validator(mode="after")
    def _kind_rules(self) -> KnowledgeDoc:
        if self.kind == DocKind.USAGE_GUIDE and not self.product:
            raise ValueError("a usage_guide needs 'product'")
        if self.kind == DocKind.STORY and self.consent is None:
            raise ValueError("a story needs 'consent: true' or 'consent: false'")
        ladder = (self.next, self.from_months, self.timeline)
        if any(v is not None for v in ladder) and self.kind != DocKind.USAGE_GUIDE:
            raise ValueError("'next', 'from_months' and 'timeline' belong to a usage_guide")
        if (self.next is None) != (self.from_months is None):
            raise ValueError(
                "'next' and 'from_months' go together (e.g. next: walker-guide, from_months: 12)"
            )
        if self.timeline is not None and self.next is None:
            raise ValueError("'timeline' says how 'next' is counted: add next and from_months")
        if self.next is not None and self.next == self.id:
            raise ValueError("'next' names this guide itself")
        if (self.usage_total is None) != (self.usage_rate_tag is None):
            raise ValueError(
                "'usage_total' and 'usage_rate_tag' go together "
                "(e.g. usage_total: 600, usage_rate_tag: weekly_km)"
            )
        if self.usage_total is not None and self.usage_days is None:
            raise ValueError("'usage_total' needs 'usage_days' (the days at a usual pace)")
        return self


class Purchase(_Strict):
    product: str = Field(min_length=1)
    date: Day


class Contact(_Strict):
    """A message the customer already received (the pressure checks count these). A value:
    frozen, so one instance may stand for the same contact of many customers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: Day
    channel: Channel
    # care | sales | notice
    purpose: str = Field(default="care", pattern=r"^(care|sales|notice)$")


class Customer(_Strict):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1)
    stage: str
    purchases: list[Purchase] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)
    birthday: Day | None = None
    channel: Channel = Channel.WECHAT
    opted_out: bool = False
    last_contacts: list[Contact] = Field(default_factory=list)

    @field_validator("purchases")
    @classmethod
    def _sorted(cls, value: list[Purchase]) -> list[Purchase]:
        return sorted(value, key=lambda p: p.date)

    @property
    def last_purchase(self) -> Purchase | None:
        return self.purchases[-1] if self.purchases else None


def customer_kinds(customers: Iterable[Customer]) -> dict[str, list[str]]:
    """The values these customers have under each tag key, each once, in order."""
    found: dict[str, set[str]] = {}
    for c in customers:
        for key, value in c.tags.items():
            found.setdefault(key, set()).add(value)
    return {key: sorted(values) for key, values in sorted(found.items())}


class BrandPack(BaseModel):
    """A validated brand pack, ready to ingest."""

    model_config = ConfigDict(extra="forbid")

    root: Path
    brand: Brand
    docs: list[KnowledgeDoc]
    customers: list[Customer] = Field(default_factory=list)
    # The values the pack's customers have under each tag key (skin: 干皮, 油皮, ...): what
    # a snapshot keeps of its customers (:meth:`without_customers`), who live in the
    # customer store; a sentence of a guide written for another kind is left out of a draft.
    customer_kinds: dict[str, list[str]] = Field(default_factory=dict)

    def kinds(self) -> dict[str, list[str]]:
        """:attr:`customer_kinds`, worked out from the customers a pack holds."""
        return customer_kinds(self.customers) if self.customers else self.customer_kinds

    def without_customers(self) -> BrandPack:
        """The pack as a snapshot keeps it: its customers' kinds instead of the customers."""
        return self.model_copy(update={"customers": [], "customer_kinds": self.kinds()})

    def doc(self, doc_id: str) -> KnowledgeDoc:
        for d in self.docs:
            if d.id == doc_id:
                return d
        raise KeyError(doc_id)

    def customer(self, customer_id: str) -> Customer:
        for c in self.customers:
            if c.id == customer_id:
                return c
        raise KeyError(customer_id)

    def usage_guide(self, product: str) -> KnowledgeDoc | None:
        for d in self.docs:
            if d.kind == DocKind.USAGE_GUIDE and d.product == product:
                return d
        return None
