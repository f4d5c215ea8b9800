"""The content kinds zhenxin writes, each described once.

A :class:`KindSpec` says everything the rest of the system needs to know about a kind: who it
is for (one customer or a community), whether it carries a belief statement, its default
channel, whether it needs a purchase, a story or a tier, its trigger and selling rule. The
planner, retrieval, the pipeline, the check basis, the drafting service (contact log, consent)
and the review form read it from here.

Every kind is composed (:mod:`generator.slots`, :mod:`generator.posts`): fixed parts and short
model-written slots, asked for by the shared ``prompts/<lang>/slots.j2``. Adding a kind: a
member of :class:`~generator.drafts.ContentKind`, one ``KindSpec`` in :data:`KINDS`, its
layout in :func:`generator.slots.layout_for` (a post's in :mod:`generator.posts`), and its
web label in ``api/web_i18n.py``. Nothing else branches on the kind's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from knowledge.pack import Channel


class ContentKind(StrEnum):
    CARE_MESSAGE = "care_message"
    AFTERSALE_EMAIL = "aftersale_email"
    USER_STORY_POST = "user_story_post"
    COMMUNITY_POST = "community_post"
    TIER_INVITATION = "tier_invitation"


class Trigger(StrEnum):
    """The moment a draft is written for."""

    DAY3 = "day3"
    HALF_USED = "half_used"
    ALMOST_FINISHED = "almost_finished"
    BIRTHDAY = "birthday"
    STAGE_UP = "stage_up"
    LONG_SILENCE = "long_silence"
    MILESTONE = "milestone"  # the customer's timeline reached the next step of the ladder
    QUESTION = "question"
    WELCOME = "welcome"
    AFTER_PURCHASE = "after_purchase"
    MONTHLY = "monthly"
    TIER_INVITE = "tier_invite"


@dataclass(frozen=True)
class KindSpec:
    kind: ContentKind
    label_zh: str
    label_en: str
    needs_customer: bool = False  # no draft without a customer
    personal: bool = False  # sent to one customer: consent applies, approval logs a contact
    # A belief statement of the brand: "required" (woven in, checked), "optional" (offered
    # to the model, not held to it) or "none" (a short message keeps to one point).
    belief: str = "none"
    needs_story: bool = False  # built from a consented customer story
    channel: Channel | None = None  # fixed channel; None: the customer's or the brand's
    guide: bool = True  # uses the usage guide of the customer's product, if any
    extra_chars: int = 0  # room above the channel limit (a story needs more words)

    needs_purchase: bool = False  # about something the customer bought (after-sale)
    needs_tier: bool = False  # about one of the brand's community tiers (``request.tier``)
    trigger: Trigger | None = None  # the one moment this kind is for, if it has one
    # "never": no offer, price or discount at all, whatever the stage allows.
    selling: str | None = None

    @property
    def carries_belief(self) -> bool:
        return self.belief == "required"

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


KINDS: dict[ContentKind, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            ContentKind.CARE_MESSAGE,
            "关怀消息",
            "Care message",
            needs_customer=True,
            personal=True,
        ),
        KindSpec(
            ContentKind.AFTERSALE_EMAIL,
            "售后邮件",
            "After-sale email",
            needs_customer=True,
            personal=True,
            belief="required",
            needs_purchase=True,
            channel=Channel.EMAIL,
        ),
        KindSpec(
            ContentKind.USER_STORY_POST,
            "用户故事",
            "User story",
            needs_story=True,
            belief="optional",
            channel=Channel.COMMUNITY,
            extra_chars=100,
        ),
        KindSpec(
            ContentKind.COMMUNITY_POST,
            "社群帖子",
            "Community post",
            belief="optional",
            channel=Channel.COMMUNITY,
            guide=False,
        ),
        KindSpec(
            ContentKind.TIER_INVITATION,
            "圈子邀请",
            "Tier invitation",
            needs_customer=True,
            personal=True,
            needs_tier=True,
            trigger=Trigger.TIER_INVITE,
            selling="never",
            guide=False,
        ),
    )
}


PERSONAL_KINDS = frozenset(kind.value for kind, spec in KINDS.items() if spec.personal)
"""The kinds sent to one customer (a post about a customer goes to the community)."""


def kind_spec(kind: ContentKind | str) -> KindSpec:
    """The spec of ``kind``; an unknown name is a ValueError (pydantic reports it as 422)."""
    return KINDS[ContentKind(kind)]


__all__ = ["KINDS", "PERSONAL_KINDS", "ContentKind", "KindSpec", "Trigger", "kind_spec"]
