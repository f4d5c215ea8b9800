"""What a check sees and what it says. Shared by the checks, the generator and the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from knowledge.pack import Brand, Contact, Customer


class Severity(StrEnum):
    INFO = "info"  # worth knowing, does not change the verdict
    WARN = "warn"  # an editor must look: verdict at least "review"
    ERROR = "error"  # must not be sent as is: verdict "block"


class Verdict(StrEnum):
    PASS = "pass"
    REVIEW = "review"
    BLOCK = "block"


class Finding(BaseModel):
    rule: str
    severity: Severity
    start: int
    end: int
    message: str
    suggestion: str = ""
    family: str = ""


class CheckReport(BaseModel):
    verdict: Verdict
    score: float
    findings: list[Finding]


@dataclass
class CheckContext:
    """Everything a check may look at. Only ``text`` is required."""

    text: str
    lang: str = "zh"
    channel: str | None = None  # wechat | sms | email | community
    kind: str | None = None  # care_message | aftersale_email | user_story_post | community_post
    brand: Brand | None = None
    customer: Customer | None = None
    stage: str | None = None
    sources: list[str] = field(default_factory=list)  # retrieved passages the draft may rely on
    belief: str | None = None  # the belief statement the draft claims to carry
    inputs: list[str] = field(default_factory=list)  # untrusted text fed to the model
    history: list[Contact] = field(default_factory=list)  # earlier contacts of this customer
    # other drafts for this customer, for the same days, waiting to go out (not rejected)
    waiting: list[Contact] = field(default_factory=list)
    as_of: dt.date | None = None  # the day the message would be sent (default: today)
    products: list[str] = field(default_factory=list)  # the brand's product names (grounding)
    # product id -> display name: purchases are recorded by id, drafts use the name
    product_names: dict[str, str] = field(default_factory=dict)
    purpose: str | None = None  # care | sales | notice, if the caller knows (pressure checks)
    # What the plan asked of this draft (filled by the generator's check basis; empty when a
    # text is checked on its own). The truth and coherence checks read these.
    trigger: str | None = None  # day3 | half_used | almost_finished | long_silence | ...
    required_tip: str | None = None  # the usage-guide passage this moment calls for
    safety: list[str] = field(default_factory=list)  # guide safety statements, quoted verbatim
    # what the draft quotes by design (a post's story paragraphs, an activity's facts, the
    # FAQ's answers): not "pasted", and the same lines again are not a repeated phrase
    quoted: list[str] = field(default_factory=list)
    customer_said: list[str] = field(
        default_factory=list
    )  # the customer's own words (question, replies)
    facts: dict[str, str] = field(
        default_factory=dict
    )  # the plan's customer facts (days_since_contact ...)
    personal: bool | None = None  # sent to one customer (None: decide from ``kind``)
    selling: str | None = None  # "never": this kind never sells (an invitation), any stage


Checker = Callable[[CheckContext], CheckReport]
"""The whole suite as one callable: ``evals.check`` (or a fake, see ``evals.fake``)."""


@runtime_checkable
class Check(Protocol):
    """One family of rules. Returns findings with character spans into ``ctx.text``."""

    family: str

    def run(self, ctx: CheckContext) -> list[Finding]: ...
