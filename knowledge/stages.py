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
