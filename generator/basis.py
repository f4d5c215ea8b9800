"""The check basis: everything the checks of one draft look at except its text.

Built once, when the draft is generated, and stored with it. Every later check of that draft
— an editor's edit, the review form's live check, a re-check before approval or export —
rebuilds its :class:`~evals.types.CheckContext` from the stored basis and the brand, so an
unchanged text gets exactly its generation verdict and findings, whatever door asks.

    basis = CheckBasis.for_draft(pack, plan, customer, evidence, inputs, as_of)
    report = checker(basis.context(text, pack.brand))

``CheckBasis.for_text`` is the basis of a text checked on its own (``zhenxin check --brand``,
``POST /v1/check``): the brand, and a customer or stage if the caller names them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from evals.types import CheckContext
from generator.kinds import kind_spec
from knowledge.guides import split_safety
from knowledge.pack import Brand, BrandPack, Contact, Customer, DocKind, KnowledgeDoc

if TYPE_CHECKING:  # both import this module's users; only the signatures need them
    from generator.drafts import Plan
    from generator.retrieve import Evidence


class CheckBasis(BaseModel):
    """The stored, serialisable half of a :class:`CheckContext` (see the module docstring)."""

    model_config = ConfigDict(extra="ignore")

    lang: str = "zh"
    channel: str | None = None
    kind: str | None = None
    customer: Customer | None = None  # as it was at generation (contact history included)
    stage: str | None = None
    sources: list[str] = Field(default_factory=list)
    belief: str | None = None
    inputs: list[str] = Field(default_factory=list)
    as_of: dt.date | None = None
    products: list[str] = Field(default_factory=list)
    product_names: dict[str, str] = Field(default_factory=dict)
    purpose: str | None = None
    trigger: str | None = None
    required_tip: str | None = None
    safety: list[str] = Field(default_factory=list)
    quoted: list[str] = Field(default_factory=list)
    customer_said: list[str] = Field(default_factory=list)
    facts: dict[str, str] = Field(default_factory=dict)
    personal: bool | None = None
    selling: str | None = None
    # other drafts for this customer made for the same days and not rejected (the drafting
    # service's store knows them): a care message and an email on one day is two messages
    waiting: list[Contact] = Field(default_factory=list)

    def context(self, text: str, brand: Brand | None) -> CheckContext:
        """The check context of ``text`` on this basis (``brand``: the brand's current rules)."""
        data: dict[str, Any] = self.model_dump()
        data["customer"] = self.customer
        data["waiting"] = list(self.waiting)
        history = list(self.customer.last_contacts) if self.customer else []
        return CheckContext(text=text, brand=brand, history=history, **data)

    @classmethod
    def for_draft(
        cls,
        pack: BrandPack,
        plan: Plan,
        customer: Customer | None,
        evidence: Evidence,
        inputs: list[str],
        as_of: dt.date,
    ) -> CheckBasis:
        spec = kind_spec(plan.kind)
        names = product_names(pack)
        said = [plan.question] if plan.question else []
        return cls(
            lang=plan.lang,
            channel=plan.channel,
            kind=plan.kind,
            customer=customer,
            stage=plan.stage,
            # the founder story and the tiers' descriptions are the brand's own facts: a post
            # may tell the story, an invitation quotes its tier ("Rookie: … 10K beginner plan")
            sources=evidence.texts()
            + ([pack.brand.founder_story] if pack.brand.founder_story else [])
            + [f"{t.name}: {t.description}" for t in pack.brand.tiers],
            # Only the kinds that must carry a belief are held to it.
            belief=evidence.belief.text if evidence.belief and spec.carries_belief else None,
            inputs=inputs,
            as_of=as_of,
            products=sorted(set(names.values()) | set(names)),
            product_names=names,
            purpose="care",
            trigger=plan.trigger,
            required_tip=split_safety(evidence.tip, evidence.safety)[0] if evidence.tip else None,
            safety=evidence.safety,
            quoted=evidence.post.texts if evidence.post is not None else [],
            customer_said=said,
            facts=dict(plan.facts),
            personal=spec.personal,
            selling=spec.selling,
        )

    @classmethod
    def for_text(
        cls,
        pack: BrandPack | None,
        *,
        lang: str,
        channel: str | None = None,
        kind: str | None = None,
        customer: Customer | None = None,
        stage: str | None = None,
        belief: str | None = None,
        purpose: str | None = None,
        as_of: dt.date | None = None,
    ) -> CheckBasis:
        names = product_names(pack) if pack is not None else {}
        spec = kind_spec(kind) if kind else None
        return cls(
            lang=lang,
            channel=channel,
            kind=kind,
            customer=customer,
            stage=stage or (customer.stage if customer else None),
            belief=belief,
            as_of=as_of,
            products=sorted(set(names.values()) | set(names)),
            product_names=names,
            purpose=purpose,
            personal=spec.personal if spec else None,
            selling=spec.selling if spec else None,
        )


_GUIDE_SUFFIX = re.compile(
    r"\s*(使用指南|使用说明|用法指南|usage guide|guide|how to use)\s*$", re.I
)


def product_name(guide: KnowledgeDoc) -> str:
    """The product's display name: its usage guide's title without "使用指南" / "guide"."""
    return _GUIDE_SUFFIX.sub("", guide.title).strip() or (guide.product or guide.title)


def product_names(pack: BrandPack) -> dict[str, str]:
    """Product id -> display name, from the brand's usage guides."""
    return {
        d.product: product_name(d) for d in pack.docs if d.kind == DocKind.USAGE_GUIDE and d.product
    }


__all__ = ["CheckBasis", "product_name", "product_names"]
