"""The lifecycle model: five default stages of a customer relationship (meet, know, love,
hand in hand, walk together). A brand may rename them or add its own; every stage maps to
one of the five defaults (``base``), which is what the planner and the tone checks use.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from knowledge.languages import base_language


class BaseStage(StrEnum):
    FIRST_CONTACT = "first_contact"  # 初识
    GETTING_TO_KNOW = "getting_to_know"  # 相知
    REPEAT = "repeat"  # 相恋
    CORE_MEMBER = "core_member"  # 携手
    CO_BUILDER = "co_builder"  # 共行


class Stage(BaseModel):
    """One lifecycle stage as a brand names it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    base: BaseStage
    name_zh: str
    name_en: str
    # The brand's own playbook for the stage, in its language: who is in it, what fits, what
    # to avoid. Empty: the built-in one for the base stage (generator/guidance.py, zh and en).
    # The planner puts them in the plan and the prompt; the tone check holds drafts to `avoid`.
    who: str = ""
    fits: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    # Selling in this stage: "never" (no offers at all), "gentle" (a soft note, never the
    # lead), "ok" (an offer may be mentioned after the help).
    selling: str = Field(default="gentle", pattern=r"^(never|gentle|ok)$")

    def name(self, lang: str) -> str:
        return self.name_zh if base_language(lang) == "zh" else self.name_en


DEFAULT_STAGES: tuple[Stage, ...] = (
    Stage(
        id="first_contact",
        base=BaseStage.FIRST_CONTACT,
        name_zh="初识",
        name_en="First contact",
        selling="never",
    ),
    Stage(
        id="getting_to_know",
        base=BaseStage.GETTING_TO_KNOW,
        name_zh="相知",
        name_en="Getting to know",
        selling="never",
    ),
    Stage(
        id="repeat",
        base=BaseStage.REPEAT,
        name_zh="相恋",
        name_en="Repeat customer",
        selling="gentle",
    ),
    Stage(
        id="core_member",
        base=BaseStage.CORE_MEMBER,
        name_zh="携手",
        name_en="Core member",
        selling="gentle",
    ),
    Stage(
        id="co_builder",
        base=BaseStage.CO_BUILDER,
        name_zh="共行",
        name_en="Co-builder",
        selling="never",
    ),
)

_ALIASES = {s.name_zh: s.id for s in DEFAULT_STAGES} | {
    s.name_en.lower(): s.id for s in DEFAULT_STAGES
}


def stage_alias(value: str) -> str:
    """Map a Chinese or English stage name (初识, "First contact") to its default id."""
    v = value.strip()
    return _ALIASES.get(v, _ALIASES.get(v.lower(), v))


class StageRule(BaseModel):
    """When a customer moves up to stage ``to`` (a stage id of the brand, or a default id):
    every condition set here holds. Rules only ever move a customer up; the highest stage
    whose rule holds wins. A brand writes its own under ``lifecycle:`` in brand.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    to: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    purchases: int = Field(default=0, ge=0, description="at least this many orders in all")
    replies: int = Field(default=0, ge=0, description="replies within `within_days`")
    co_creation: int = Field(default=0, ge=0, description="co-creation events (topic)")
    within_days: int = Field(default=365, ge=1, le=3650)

    def describe(self, lang: str) -> str:
        zh = base_language(lang) == "zh"
        parts = []
        if self.purchases:
            parts.append(f"累计购买{self.purchases}次" if zh else f"{self.purchases} orders")
        if self.replies:
            parts.append(
                f"{self.within_days}天内回复{self.replies}次"
                if zh
                else f"{self.replies} replies in {self.within_days} days"
            )
        if self.co_creation:
            parts.append(
                f"参与共创{self.co_creation}次" if zh else f"{self.co_creation} co-creation"
            )
        return ("，" if zh else ", ").join(parts) or ("无条件" if zh else "always")


# The five stages' defaults: a second order makes a repeat customer (相恋); sustained
# repurchase and replies make a core member (携手); taking part in co-creation makes a
# co-builder (共行). 初识 → 相知 is a conversation, not a count: an editor sets it.
DEFAULT_RULES: tuple[StageRule, ...] = (
    StageRule(to=BaseStage.REPEAT.value, purchases=2),
    StageRule(to=BaseStage.CORE_MEMBER.value, purchases=3, replies=2, within_days=365),
    StageRule(to=BaseStage.CO_BUILDER.value, co_creation=1),
)
