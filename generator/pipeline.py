"""The generation pipeline: plan -> retrieve -> render -> generate -> check -> revise.

    pipeline = build_pipeline(settings)
    draft = pipeline.draft(DraftRequest(brand="qingshui", kind="care_message"),
                           customer=customer, as_of=day)

The customer comes resolved from the caller — the drafting service reads it from the one
customer store, with its contact history and consent — so the pipeline never looks customers
up itself. A ``Pipeline`` is a :class:`Drafter`; so is :class:`generator.fake.FakeDrafter`.

Every attempt is checked by the eval suite; findings that are not a pass go back to the
model as feedback, up to ``settings.max_attempts``. The best attempt (verdict, then score)
is returned with its findings either way, and the draft records its provenance: provider,
model, template and hash, retrieved chunks, the plan, each attempt and the timings.
Unknown brand, a missing customer, an opted-out customer, a story without consent or a
product without a usage guide are errors: the pipeline never makes a draft up.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Protocol

from core.errors import NotFoundError, RefusedError, ZhenxinError
from core.settings import Settings
from evals.types import Checker, Finding, Severity, Verdict
from generator import planner
from generator.basis import CheckBasis, product_names
from generator.compose import Composed, compose
from generator.drafts import Attempt, ContentKind, Draft, DraftRequest, Plan, Trigger
from generator.echo import PromptEcho
from generator.kinds import kind_spec
from generator.parse import ParseFailure, parse_reply
from generator.render import render_prompt, render_revision
from generator.retrieve import gather
from generator.sanitize import clean
from generator.schemas import json_schema
from knowledge.pack import BrandPack, Customer, DocKind, Tier
from knowledge.retriever import Knowledge
from llm.base import LLM, ChatMessage

VERDICT_RANK = {Verdict.PASS: 2, Verdict.REVIEW: 1, Verdict.BLOCK: 0}
ECHO_RULE = "generator.prompt_echo"
_ECHO_MESSAGE = {
    "zh": "模型把提示里的段落抄进了草稿，已删去：{lines}",
    "en": "The model copied parts of its prompt into the draft; removed: {lines}",
}
_PARSE_HINT = {
    "zh": "只输出一个符合要求格式的JSON对象，不要任何解释或代码块",
    "en": "output exactly one JSON object in the requested format, no explanation or code fence",
}


class Drafter(Protocol):
    """Writes one draft for a request; the customer is already resolved by the caller."""

    def draft(
        self, request: DraftRequest, *, customer: Customer | None, as_of: dt.date
    ) -> Draft: ...


class Pipeline:
    """Drafts content for one request at a time (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        *,
        llm: LLM,
        knowledge: Knowledge,
        checker: Checker | None = None,
    ) -> None:
        self.settings = settings
        self.llm = llm
        self.knowledge = knowledge
        self._checker = checker

    @property
    def checker(self) -> Checker:
        if self._checker is None:
            from evals import check

            self._checker = check
        return self._checker

    # --- steps ---------------------------------------------------------------------------
    @staticmethod
    def _customer(request: DraftRequest, customer: Customer | None) -> Customer | None:
        """The customer given (or the request's own inline one); never looked up here."""
        spec = kind_spec(request.kind)
        customer = customer or request.customer
        if customer is None and spec.needs_customer:
            raise NotFoundError(f"a {spec.kind.value} needs a customer", hint="give customer_id")
        if customer is not None and customer.opted_out:
            raise RefusedError(
                f"customer {customer.id!r} opted out: no drafts for them",
                hint="opted-out customers get nothing",
            )
        return customer

    def plan(
        self, pack: BrandPack, customer: Customer | None, request: DraftRequest, as_of: dt.date
    ) -> Plan:
        if request.trigger == Trigger.QUESTION and not request.question:
            raise ZhenxinError("trigger 'question' needs the question", hint="pass --question")
        guides = [d for d in pack.docs if d.kind == DocKind.USAGE_GUIDE and d.product]
        usage_days = {d.product: d.usage_days for d in guides if d.product and d.usage_days}
        return planner.plan(
            pack.brand,
            customer,
            request.kind,
            request.trigger,
            request.channel,
            as_of,
            usage_days=usage_days,
            product_names=product_names(pack),
            question=request.question,
            stage=self._tier_stage(pack, request),
            tier=self._tier(pack, request, customer),
        )

    @staticmethod
    def _tier(pack: BrandPack, request: DraftRequest, customer: Customer | None) -> Tier | None:
        """The tier an invitation is for (the customer must qualify for it)."""
        if not kind_spec(request.kind).needs_tier:
            return None
        if customer is None:
            raise NotFoundError("an invitation needs a customer", hint="give customer_id")
        return planner.invitation_tier(pack.brand, request.tier, customer)

    @staticmethod
    def _tier_stage(pack: BrandPack, request: DraftRequest) -> str | None:
        """A community post for a tier is written for the tier's first stage."""
        for tier in pack.brand.tiers:
            if request.tier in (tier.id, tier.name) and tier.stages:
                return tier.stages[0]
        return None

    def _max_tokens(self, kind: ContentKind) -> int:
        return kind_spec(kind).max_tokens

    # --- the whole thing -----------------------------------------------------------------
    def draft(
        self,
        request: DraftRequest,
        *,
        customer: Customer | None = None,
        as_of: dt.date | None = None,
    ) -> Draft:
        """Plan, retrieve, render, generate, check and revise one draft for ``customer``."""
        started = time.perf_counter()
        timings: dict[str, float] = {}
        kind = ContentKind(request.kind)
        spec = kind_spec(kind)
        as_of = as_of or dt.date.today()

        tick = time.perf_counter()
        pack = self.knowledge.pack(request.brand)
        customer = self._customer(request, customer)
        plan = self.plan(pack, customer, request, as_of)
        timings["plan"] = time.perf_counter() - tick

        theme = clean_theme(request.theme)
        tier = planner.find_tier(pack.brand, request.tier) if request.tier else None
        tick = time.perf_counter()
        evidence = gather(
            self.knowledge,
            pack,
            plan,
            customer,
            k=self.settings.retrieve_k,
            story_doc=request.story_doc,
            theme=theme,
        )
        timings["retrieve"] = time.perf_counter() - tick

        tick = time.perf_counter()
        prompt = render_prompt(
            kind.value,
            plan.lang,
            brand=pack.brand,
            plan=plan,
            guide=evidence.guide,
            faq=evidence.faq,
            notes=evidence.notes,
            story=evidence.story,
            belief=evidence.belief,
            theme=theme,
            tier=tier.name if tier else "",
            tier_info=tier,
        )
        timings["render"] = time.perf_counter() - tick

        inputs = _untrusted(customer, request)
        basis = CheckBasis.for_draft(pack, plan, customer, evidence, inputs, as_of)
        echo = PromptEcho("\n".join(m["content"] for m in prompt.messages))
        model = spec.reply
        schema = json_schema(model)
        messages: list[ChatMessage] = list(prompt.messages)
        attempts: list[Attempt] = []
        composed_by_attempt: dict[int, Composed] = {}
        model_name = self.llm.model
        for number in range(1, max(1, self.settings.max_attempts) + 1):
            tick = time.perf_counter()
            completion = self.llm.complete(
                messages,
                json_schema=schema,
                max_tokens=self._max_tokens(kind),
                temperature=self.settings.llm_temperature,
            )
            model_name = completion.model or model_name
            timings[f"generate_{number}"] = time.perf_counter() - tick

            tick = time.perf_counter()
            parsed = parse_reply(completion.text, model)
            if isinstance(parsed, ParseFailure):
                findings = [
                    Finding(
                        rule="generator.unparsable_reply",
                        severity=Severity.ERROR,
                        start=0,
                        end=0,
                        message=parsed.reason,
                        suggestion=_PARSE_HINT.get(plan.lang, _PARSE_HINT["en"]),
                        family="generator",
                    )
                ]
                verdict, score, text = Verdict.BLOCK, 0.0, ""
            else:
                parsed, echoed = echo.cut_reply(parsed)
                composed = compose(kind, parsed, pack.brand, plan.channel)
                composed_by_attempt[number] = composed
                report = self.checker(basis.context(composed.text, pack.brand))
                findings, verdict, score, text = (
                    list(report.findings),
                    report.verdict,
                    report.score,
                    composed.text,
                )
                if echoed:
                    findings.append(_echo_finding(plan.lang, echoed))
            timings[f"check_{number}"] = time.perf_counter() - tick
            attempts.append(
                Attempt(
                    number=number,
                    text=text,
                    verdict=verdict,
                    score=score,
                    findings=findings,
                    seconds=timings[f"generate_{number}"] + timings[f"check_{number}"],
                    raw=completion.text,
                    prompt_tokens=completion.prompt_tokens,
                    completion_tokens=completion.completion_tokens,
                    cached_prompt_tokens=completion.cached_prompt_tokens,
                )
            )
            if verdict == Verdict.PASS:
                break
            feedback = [f for f in findings if f.severity != Severity.INFO] or findings
            messages = [
                *messages,
                {"role": "assistant", "content": completion.text},
                {"role": "user", "content": render_revision(plan.lang, feedback)},
            ]

        best = max(attempts, key=lambda a: (VERDICT_RANK[a.verdict], a.score, -a.number))
        chosen = composed_by_attempt.get(best.number)
        timings["total"] = time.perf_counter() - started
        belief = evidence.belief
        return Draft(
            kind=kind,
            brand=pack.brand.id,
            customer=customer.id if customer else None,
            stage=plan.stage,
            trigger=plan.trigger,
            channel=plan.channel,
            text=best.text,
            subject=chosen.subject if chosen else None,
            title=chosen.title if chosen else None,
            body=chosen.body if chosen else "",
            belief=belief.text if belief else None,
            belief_id=belief.id if belief else None,
            sign_off=chosen.sign_off if chosen else None,
            unsubscribe=chosen.unsubscribe if chosen else None,
            story_doc=evidence.story.id if evidence.story else None,
            sources=evidence.sources(),
            verdict=best.verdict,
            score=best.score,
            # What the checks said of the text; how it was made (an echo cut) is a note.
            findings=[f for f in best.findings if f.rule != ECHO_RULE],
            notes=[f for f in best.findings if f.rule == ECHO_RULE],
            provider=self.llm.provider,
            model=model_name,
            template=prompt.template,
            template_hash=prompt.template_hash,
            plan=plan,
            attempts=attempts,
            timings={k: round(v, 4) for k, v in timings.items()},
            basis=basis,
        )


def _echo_finding(lang: str, lines: list[str]) -> Finding:
    shown = " / ".join(line[:30] for line in lines[:3]) + (" …" if len(lines) > 3 else "")
    return Finding(
        rule=ECHO_RULE,
        severity=Severity.INFO,
        start=0,
        end=0,
        message=_ECHO_MESSAGE.get(lang, _ECHO_MESSAGE["en"]).format(lines=shown),
        family="generator",
    )


def _untrusted(customer: Customer | None, request: DraftRequest) -> list[str]:
    """The caller-controlled text that went into the prompt, raw (for the injection checks):
    the customer's name and tags, their question, the theme and tier an operator typed."""
    values: list[str] = []
    if customer is not None:
        values.append(customer.name)
        values.extend(f"{k}={v}" for k, v in customer.tags.items())
    values += [v for v in (request.question, request.theme, request.tier) if v]
    return values


_URL = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:cn|com|net|io|me|cc|ly)/\S*", re.I)


def clean_theme(theme: str | None) -> str:
    """An operator's theme as data for the prompt: cleaned like a customer field, links
    removed (a post needs none from the theme); a theme that reads like an instruction to
    the model is refused (422), never quoted."""
    if not theme:
        return ""
    cleaned = clean(_URL.sub("", theme), max_len=120)
    if cleaned.dropped:
        raise RefusedError(
            f"the theme {cleaned.reason}: {theme[:60]!r}",
            hint="a theme names a topic, e.g. 换季护肤 / Saturday long run",
        )
    return cleaned.value


def build_pipeline(settings: Settings, *, knowledge: Knowledge | None = None) -> Pipeline:
    """The pipeline the drafting service uses: the model from settings, the brand knowledge
    (``knowledge``, or a knowledge base from settings), the eval suite as the checker."""
    from llm import make_llm

    if knowledge is None:
        from knowledge.service import KnowledgeBase

        knowledge = KnowledgeBase(settings)
    return Pipeline(settings, llm=make_llm(settings), knowledge=knowledge)
