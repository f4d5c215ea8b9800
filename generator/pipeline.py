"""The generation pipeline: plan -> retrieve -> render -> generate -> check -> revise.

    pipeline = build_pipeline(settings)
    draft = pipeline.draft(DraftRequest(brand="qingshui", kind="care_message"),
                           customer=customer, as_of=day)

The customer comes resolved from the caller — the drafting service reads it from the one
customer store, with its contact history and consent — so the pipeline never looks customers
up itself. A ``Pipeline`` is a :class:`Drafter`; so is :class:`generator.fake.FakeDrafter`.

Every draft is composed (:mod:`generator.slots`, :mod:`generator.posts`): the program lays
out the fixed parts (the guide's tip, the belief, a tier's description, a post's quoted
source; the channel's furniture from :mod:`generator.compose`) and the model writes only the
short slots between them, all in one call. Each attempt is gated slot by slot and checked by
the eval suite as a whole; the slots whose findings are not a pass are asked again, alone,
up to ``settings.max_attempts``, and what still fails becomes its plain fallback sentence.
The draft is returned with its findings either way, its parts (each marked fixed, model or
fallback) and its provenance: provider, model, template and hash, retrieved chunks, the
plan, each attempt and the timings.
Unknown brand, a missing customer, an opted-out customer, a story without consent or a
product without a usage guide are errors: the pipeline never makes a draft up.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Sequence
from typing import Protocol

from core.errors import NotFoundError, RefusedError, ZhenxinError
from core.settings import Settings
from evals.types import Checker, CheckReport, Finding, Severity
from generator import planner
from generator.answers import answer_passage
from generator.basis import CheckBasis, product_names
from generator.compose import Composed, furnish
from generator.drafts import Attempt, ContentKind, Draft, DraftRequest, Plan, Trigger
from generator.echo import PromptEcho
from generator.exemplars import Exemplar, closest, from_brand
from generator.kinds import kind_spec
from generator.parse import parse_json_object
from generator.posts import post_layout
from generator.render import render_slot_revision, render_slots
from generator.retrieve import Evidence, gather
from generator.sanitize import clean
from generator.slots import (
    GATE_MESSAGES,
    HEADLINES,
    Assembled,
    Fixed,
    Layout,
    Slot,
    assemble,
    drop_offers,
    drop_questions,
    drop_said,
    gate,
    layout_for,
    offers,
    slot_schema,
    slot_tokens,
    tidy,
    to_second_person,
)
from knowledge.guides import sentences, split_safety, usage_days_for
from knowledge.pack import Brand, BrandPack, Customer, DocKind, Tier
from knowledge.retriever import Knowledge
from knowledge.timeline import date_kind, next_steps
from llm.base import LLM, ChatMessage

ECHO_RULE = "generator.prompt_echo"
_ECHO_MESSAGE = {
    "zh": "模型把提示里的段落抄进了草稿，已删去：{lines}",
    "en": "The model copied parts of its prompt into the draft; removed: {lines}",
}


class Drafter(Protocol):
    """Writes one draft for a request; the customer is already resolved by the caller, and
    the examples of the brand's voice (approved drafts) come from it too."""

    def draft(
        self,
        request: DraftRequest,
        *,
        customer: Customer | None,
        as_of: dt.date,
        exemplars: Sequence[Exemplar] = (),
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
        usage_days = {
            d.product: days
            for d in guides
            if d.product and (days := usage_days_for(d, customer)) is not None
        }
        ladder = None
        if request.trigger == Trigger.MILESTONE and customer is not None:
            lang = "en" if pack.brand.language == "en" else "zh"
            ladder = next(iter(next_steps(pack, customer, as_of, lang)), None)
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
            ladder=ladder,
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

    # --- composing -----------------------------------------------------------------------
    def _compose(
        self,
        pack: BrandPack,
        plan: Plan,
        customer: Customer | None,
        evidence: Evidence,
        basis: CheckBasis,
        tier: Tier | None,
        *,
        voice: list[str],
        started: float,
        timings: dict[str, float],
    ) -> Draft:
        """A short draft composed around what it must say (see :mod:`generator.slots`): one
        model call writes every slot; the slots whose checks fail are written again, alone,
        in one more call; what still fails becomes its plain fallback sentence."""
        brand = pack.brand
        lang = "en" if plan.lang == "en" else "zh"
        spec = kind_spec(plan.kind)
        tip, quoted = split_safety(evidence.tip, evidence.safety) if evidence.tip else ("", [])
        belief = evidence.belief.text if evidence.belief and spec.carries_belief else None
        knowledge = [*evidence.faq[:1], *evidence.guide[:2]]
        answer = answer_passage(plan.question, knowledge)
        # what an answer may say: the knowledge its prompt shows, and the question itself
        answer_ground = (
            " ".join([*(p.text for p in knowledge), plan.question]) if plan.question else None
        )
        post = evidence.post
        if post is not None:  # a post: its source quoted, the model writes the lead
            thanks = evidence.belief.text if post.kind == "none" and evidence.belief else None
            layout = post_layout(post, lang, belief=thanks)
        else:
            layout = layout_for(
                plan,
                tip=tip or None,
                safety=quoted,
                belief=belief,
                answer=answer or None,
                tier=(tier.name, tier.description) if tier is not None else None,
                brand_name=brand.name,
                model_words=self.settings.wording == "model",
            )
        tick = time.perf_counter()
        prompt = render_slots(
            lang,
            brand=brand,
            plan=plan,
            slots=layout.slots,
            tip=tip,
            answer=answer,
            source=post.prompt_text(lang) if post is not None else "",
            belief=belief,
            tier=tier.name if tier else "",
            tier_info=tier if post is None else None,  # a post's lead copied it whole
            facts=prompt_facts(plan, lang),
            exemplars=voice,
            kind_label=spec.label(lang) if lang == "zh" else spec.label(lang).lower(),
        )
        timings["render"] = time.perf_counter() - tick
        echo = PromptEcho("\n".join(m["content"] for m in prompt.messages))
        messages: list[ChatMessage] = list(prompt.messages)
        written: dict[str, str] = {}
        fallbacks: set[str] = set()
        attempts: list[Attempt] = []
        notes: list[Finding] = []
        model_name = self.llm.model
        asked = list(layout.slots)
        final: tuple[Composed, Assembled, int, CheckReport] | None = None
        names = customer_names(customer, lang) if post is None else []
        tip_words = f"{tip} {plan.facts.get('product', '')}" if tip else None
        # the brand's own stage lines, shown in the prompt only when the brand wrote them
        stage_words = (
            [plan.stage_name, plan.stage_who, *plan.stage_avoid]
            if plan.stage_who or plan.stage_avoid
            else []
        )
        asks_later = any(s.must_ask for s in layout.slots)
        # an offer to be there is said once: by the offer slot, or the program's own line
        has_offer = any(
            p.name == "offer" if isinstance(p, Slot) else offers(p.text) for p in layout.parts
        )
        # what the program says as written (the tip, a safety statement, the belief): a model
        # sentence that repeats one of them, word for word or nearly, has it taken out (seen:
        # an opening that ended with the quoted tip, then the tip again)
        fixed_said = [
            sentence
            for p in layout.parts
            if isinstance(p, Fixed) and p.name in ("tip", "safety", "belief")
            for sentence in sentences(p.text)
            if len(sentence) >= 8
        ]
        # every part the program's (an email in plain wording): no model call at all
        rounds = max(1, self.settings.max_attempts) if asked else 0
        if not asked:
            final = self._check_composed(layout, written, fallbacks, lang, brand, plan, basis)
        for number in range(1, rounds + 1):
            tick = time.perf_counter()
            completion = self.llm.complete(
                messages,
                json_schema=slot_schema(asked, lang),
                max_tokens=slot_tokens(asked, lang),
                temperature=self.settings.llm_temperature,
            )
            model_name = completion.model or model_name
            timings[f"generate_{number}"] = time.perf_counter() - tick
            tick = time.perf_counter()
            got = _slot_values(completion.text, [s.name for s in asked])
            gated: dict[str, list[Finding]] = {}
            for name, value in got.items():
                cut = echo.cut(value)
                if cut.removed:
                    notes.append(_echo_finding(lang, cut.removed))
                slot = next(s for s in asked if s.name == name)
                name_ = str(layout.values.get("name", ""))
                text = tidy(cut.text or value, name=name_, cap=slot.cap(lang))
                if post is None:  # a post speaks about its story's person, to the group
                    text = to_second_person(text, lang=lang, names=names)
                if asks_later and not slot.question:
                    text = drop_questions(text)  # one question a draft: the question slot's
                if has_offer:  # "最近好吗？有事随时找我。" before "有什么想聊的，随时找我。"
                    text = drop_offers(text, keep_first=slot.name == "offer")
                text = drop_said(text, fixed_said)  # the quoted tip follows: not said first
                others = [written[o] for o in written if o != name]
                written[name] = text
                reasons = gate(
                    slot,
                    text,
                    lang=lang,
                    names=names,
                    tip=tip_words,
                    belief=belief,
                    others=others,
                    products=basis.products,
                    stage_words=stage_words,
                    moment=plan.trigger,
                    source=post.grounds if post is not None else None,
                    answer=answer_ground,
                )
                if reasons:
                    gated[name] = [_gate_finding(lang, r) for r in reasons]
            final = self._check_composed(layout, written, fallbacks, lang, brand, plan, basis)
            composed, assembled, offset, report = final
            failing = _slot_findings(report, assembled, offset)
            for name, found in gated.items():
                failing.setdefault(name, []).extend(found)
            missing = {s.name for s in asked if not got.get(s.name)}
            timings[f"check_{number}"] = time.perf_counter() - tick
            attempts.append(
                Attempt(
                    number=number,
                    text=composed.text,
                    verdict=report.verdict,
                    score=report.score,
                    findings=[*report.findings, *(f for fs in gated.values() for f in fs)],
                    seconds=timings[f"generate_{number}"] + timings[f"check_{number}"],
                    raw=completion.text,
                    prompt_tokens=completion.prompt_tokens,
                    completion_tokens=completion.completion_tokens,
                    cached_prompt_tokens=completion.cached_prompt_tokens,
                )
            )
            redo = sorted(set(failing) | missing)
            if not redo:
                break
            # a reply that was not JSON at all is asked again whatever its slots
            worth = [s for s in layout.slots if s.name in redo and (s.ask_again or not got)]
            if number >= max(1, self.settings.max_attempts) or not worth:
                # wrong twice, or a formulaic sentence: the plain sentence from the knowledge
                fallbacks |= set(redo)
                break
            asked = [s for s in layout.slots if s.name in redo]
            fixes = [(name, failing.get(name, [])) for name in redo]
            messages = [
                *messages,
                {"role": "assistant", "content": completion.text},
                {"role": "user", "content": render_slot_revision(lang, fixes)},
            ]
        assert final is not None
        if fallbacks:
            final = self._check_composed(layout, written, fallbacks, lang, brand, plan, basis)
        composed, assembled, offset, report = final
        timings["total"] = time.perf_counter() - started
        parts = [
            p.model_copy(update={"start": p.start + offset, "end": p.end + offset})
            if p.name not in HEADLINES
            else p
            for p in assembled.parts
        ]
        return Draft(
            kind=ContentKind(plan.kind),
            brand=brand.id,
            customer=customer.id if customer else None,
            stage=plan.stage,
            trigger=plan.trigger,
            channel=plan.channel,
            text=composed.text,
            subject=composed.subject,
            title=composed.title,
            body=composed.body,
            story_doc=evidence.story.id if evidence.story else None,
            belief=evidence.belief.text if evidence.belief else None,
            belief_id=evidence.belief.id if evidence.belief else None,
            sign_off=composed.sign_off,
            unsubscribe=composed.unsubscribe,
            sources=evidence.sources(),
            verdict=report.verdict,
            score=report.score,
            findings=list(report.findings),
            notes=notes,
            provider=self.llm.provider,
            model=model_name,
            template=prompt.template,
            template_hash=prompt.template_hash,
            plan=plan,
            attempts=attempts,
            timings={k: round(v, 4) for k, v in timings.items()},
            basis=basis,
            parts=parts,
        )

    def _check_composed(
        self,
        layout: Layout,
        written: dict[str, str],
        fallbacks: set[str],
        lang: str,
        brand: Brand,
        plan: Plan,
        basis: CheckBasis,
    ) -> tuple[Composed, Assembled, int, CheckReport]:
        assembled = assemble(layout, written, lang=lang, fallbacks=fallbacks)
        subject = next((p.text for p in assembled.parts if p.name == "subject"), None)
        composed, offset = furnish(
            assembled.text,
            brand,
            plan.channel,
            subject=subject,
            sign_off=brand.persona.signature if subject is not None else None,
            title=next((p.text for p in assembled.parts if p.name == "title"), None),
        )
        return composed, assembled, offset, self.checker(basis.context(composed.text, brand))

    # --- the whole thing -----------------------------------------------------------------
    def draft(
        self,
        request: DraftRequest,
        *,
        customer: Customer | None = None,
        as_of: dt.date | None = None,
        exemplars: Sequence[Exemplar] = (),
    ) -> Draft:
        """Plan, retrieve, render, generate, check and revise one draft for ``customer``;
        ``exemplars``: approved drafts of the brand (its samples are added here)."""
        started = time.perf_counter()
        timings: dict[str, float] = {}
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
            source=request.source,
            turn=as_of.year * 12 + as_of.month,
        )
        timings["retrieve"] = time.perf_counter() - tick

        inputs = _untrusted(customer, request)
        basis = CheckBasis.for_draft(pack, plan, customer, evidence, inputs, as_of)
        voice = closest(
            [*exemplars, *from_brand(pack.brand)],
            kind=plan.kind,
            trigger=plan.trigger,
            stage=plan.stage,
            brand=pack.brand,
            lang=plan.lang,
        )
        return self._compose(
            pack,
            plan,
            customer,
            evidence,
            basis,
            tier,
            voice=voice,
            started=started,
            timings=timings,
        )


def customer_names(customer: Customer | None, lang: str) -> list[str]:
    """How a slot would name the customer it should be talking to (full, given, first)."""
    if customer is None:
        return []
    name = customer.name.strip()
    out = [name]
    if lang == "zh" and len(name) >= 3:
        out.append(name[1:])
    if " " in name:
        out.append(name.split()[0])
    return [n for n in out if len(n) >= 2]


def _gate_finding(lang: str, reason: str) -> Finding:
    return Finding(
        rule=f"generator.slot_{reason}",
        severity=Severity.WARN,
        start=0,
        end=0,
        message=GATE_MESSAGES[lang][reason],
        family="generator",
    )


# Findings about the whole text that one slot is there to answer.
_RULE_SLOT = {
    "coherence.tip_missing": "tip",
    "tone.not_specific": "opening",
    "tone.cold": "question",
}


def _slot_findings(
    report: CheckReport, assembled: Assembled, offset: int
) -> dict[str, list[Finding]]:
    """The warnings and errors of a check, by the model-written slot they fall in, or the
    slot that answers a whole-text finding (a missing tip: the tip slot). Findings in a fixed
    part, or about the text as a whole, cannot be fixed by rewriting one sentence."""
    model = {p.name for p in assembled.parts if p.source == "model"}
    out: dict[str, list[Finding]] = {}
    for f in report.findings:
        if f.severity == Severity.INFO:
            continue
        part = assembled.part_at(f.start - offset, f.end - offset)
        name = part.name if part is not None else _RULE_SLOT.get(f.rule)
        if f.end <= offset and f.end > f.start:  # before the body: in the email's subject
            name = "subject"
        if name in model:
            out.setdefault(name, []).append(f)  # type: ignore[arg-type]
    return out


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


def _slot_values(text: str, names: list[str]) -> dict[str, str]:
    """The slots in a model reply (JSON, possibly fenced or wrapped); missing ones absent."""
    data = parse_json_object(text)
    if not isinstance(data, dict):
        return {}
    return {
        n: str(data[n]).strip() for n in names if isinstance(data.get(n), str) and data[n].strip()
    }


_FACT_LABELS = {
    "zh": {
        "name": "名字",
        "product": "产品",
        "days_since_purchase": "购买后第几天",
        "usage_days": "一瓶大约用几天",
        "stage": "关系阶段",
        "purchases": "购买次数",
        "birthday": "生日",
        "tier": "圈子",
        "next_product": "接下来",
    },
    "en": {
        "name": "name",
        "product": "product",
        "days_since_purchase": "days since purchase",
        "usage_days": "lasts about (days)",
        "stage": "stage",
        "purchases": "orders",
        "birthday": "birthday",
        "tier": "circle",
        "next_product": "next",
    },
}


def prompt_facts(plan: Plan, lang: str) -> list[tuple[str, str]]:
    """The plan's customer facts as (label, value) for the prompt, known keys translated; a
    date tag's fact (孩子3岁2个月, computed on the as-of date) is labelled 如今 / today."""
    en = lang == "en"
    labels = _FACT_LABELS["en" if en else "zh"]
    now = "today" if en else "如今"
    return [(now if date_kind(k) else labels.get(k, k), v) for k, v in plan.facts.items()]


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
