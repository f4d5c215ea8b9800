"""Tone: leftover placeholders, banned words, generic greetings, specificity (the customer's
own context), helps before it sells, stage fit, warmth, and the belief statement (present
and faithful to the brand's own words — semantically with an embedder, lexically without)."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence

from evals.checks.base import (
    Hit,
    affirmed,
    finding,
    first,
    found,
    has_cjk,
    purchased,
    term_findings,
)
from evals.checks.overlap import lexical_similarity
from evals.lexicon import load, pattern, threshold, words_pattern
from evals.types import CheckContext, Finding, Severity
from knowledge.embedder import Embedder
from knowledge.stages import DEFAULT_STAGES, BaseStage, Stage, stage_alias
from knowledge.timeline import tags_as_of

_SENTENCE = re.compile(r"[^。！？!?\n；;：]+[。！？!?；;：]*")
_PERSONAL_KINDS = ("care_message", "aftersale_email", "tier_invitation")


def _stage(ctx: CheckContext) -> Stage | None:
    stage_id = ctx.stage or (ctx.customer.stage if ctx.customer is not None else None)
    if not stage_id:
        return None
    wanted = {stage_id.strip().lower(), stage_alias(stage_id)}
    stages = ctx.brand.stages if ctx.brand is not None else list(DEFAULT_STAGES)
    for s in stages:  # a brand's id or its names (zh/en), then the default base stage
        if wanted & {s.id, s.name_zh, s.name_en.lower()}:
            return s
    for s in stages:
        if s.base.value in wanted:
            return s
    return None


def _first_sale(text: str) -> Hit | None:
    sales = affirmed(pattern("spam", "sales"), text)
    return sales[0] if sales else None


def _stage_avoid(ctx: CheckContext, stage: Stage, name: str, taken: list[Finding]) -> list[Finding]:
    """The brand's own ``avoid`` rules of a stage: a rule naming a known concept (selling,
    discounts, referrals, forwarding, chasing a repurchase) is held with that concept's
    pattern; any other rule by its own words appearing in the draft. A span ``taken`` by
    another stage finding is not reported twice."""
    concepts: dict[str, list[str]] = load("tone")["stage_avoid_concepts"]
    out: list[Finding] = []
    for rule in stage.avoid:
        lowered = rule.lower()
        named = [c for c, cues in concepts.items() if any(cue in lowered for cue in cues)]
        hits = [h for c in named for h in affirmed(pattern("spam", c), ctx.text)]
        hits = [h for h in hits if not any(f.start <= h.start() < f.end for f in taken)]
        if not named:
            literal = first(words_pattern([rule]), ctx.text)
            hits = [literal] if literal is not None else []
        if hits:
            hit = min(hits, key=lambda h: h.start())
            out.append(
                finding(
                    ctx,
                    "tone.stage_avoid",
                    Severity.WARN,
                    hit.start(),
                    hit.end(),
                    term=hit.group(0),
                    stage=name,
                    avoid=rule,
                )
            )
    return out


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


# A text whose last mark is one of these stops in the middle of a sentence.
_UNFINISHED_ENDS = frozenset("，、,；;")


class ToneCheck:
    """Does it sound like a person who knows this customer, at this stage of the relationship?"""

    family = "tone"

    def __init__(self, embedder: Embedder | None = None) -> None:
        self.embedder = embedder

    def run(self, ctx: CheckContext) -> list[Finding]:
        out: list[Finding] = []
        out += term_findings(
            ctx, "tone.placeholder", Severity.ERROR, pattern("tone", "placeholder")
        )
        if ctx.brand is not None and ctx.brand.style.banned:
            banned = words_pattern(ctx.brand.style.banned)
            out += term_findings(ctx, "tone.banned", Severity.WARN, banned)
        personal = ctx.personal if ctx.personal is not None else ctx.kind in _PERSONAL_KINDS
        greeting_sev = Severity.WARN if personal else Severity.INFO
        out += term_findings(
            ctx, "tone.generic_greeting", greeting_sev, pattern("tone", "generic_greeting"), limit=1
        )
        out += self._specific(ctx, personal)
        out += self._sells_first(ctx)
        out += self._kind_selling(ctx)
        out += self._stage(ctx)
        out += self._belief(ctx)
        out += self._unfinished(ctx)
        if ctx.kind == "care_message" and not found(pattern("tone", "warmth"), ctx.text):
            out.append(finding(ctx, "tone.cold", Severity.INFO, 0, len(ctx.text)))
        return out

    def _unfinished(self, ctx: CheckContext) -> list[Finding]:
        """A message or post that stops mid-sentence (the model closed its reply early).
        Emails are left out: their body is followed by a sign-off and the unsubscribe line."""
        if ctx.kind == "aftersale_email" or ctx.channel == "email":
            return []
        body = ctx.text.rstrip()
        rules = ctx.brand.sms if ctx.brand is not None else None
        if rules is not None:  # SMS: the fixed tail comes after the message itself
            for tail in (rules.opt_out, rules.signature):
                body = body.removesuffix(tail).rstrip()
        if body and body[-1] in _UNFINISHED_ENDS:
            return [finding(ctx, "tone.unfinished", Severity.WARN, len(body) - 1, len(body))]
        return []

    def _specific(self, ctx: CheckContext, personal: bool) -> list[Finding]:
        c = ctx.customer
        if c is None:
            return []
        today = ctx.as_of or dt.date.today()
        known = [c.name, *purchased(ctx), *tags_as_of(c.tags, today, ctx.lang).values()]
        if len(c.name) >= 3 and has_cjk(c.name):
            known.append(c.name[1:])  # 林小雨 -> 小雨, the given name people actually use
        elif " " in c.name.strip():
            known.append(c.name.split()[0])  # Emma Clarke -> Emma
        pat = words_pattern([k for k in known if k and len(k) >= 1])
        if found(pat, ctx.text):
            return []
        sev = Severity.WARN if personal else Severity.INFO
        return [finding(ctx, "tone.not_specific", sev, 0, len(ctx.text))]

    def _sells_first(self, ctx: CheckContext) -> list[Finding]:
        sale = _first_sale(ctx.text)
        if sale is None:
            return []
        helps = first(pattern("tone", "help"), ctx.text)
        if helps is not None and helps.start() < sale.start():
            return []
        return [
            finding(
                ctx, "tone.sells_first", Severity.WARN, sale.start(), sale.end(), term=sale.group(0)
            )
        ]

    def _kind_selling(self, ctx: CheckContext) -> list[Finding]:
        """A kind that never sells (an invitation into a tier): any sales or discount word."""
        if ctx.selling != "never":
            return []
        hits = [
            *affirmed(pattern("spam", "sales"), ctx.text),
            *affirmed(pattern("spam", "discount"), ctx.text),
        ]
        return [
            finding(ctx, "tone.kind_selling", Severity.WARN, h.start(), h.end(), term=h.group(0))
            for h in sorted(hits, key=lambda h: h.start())[:3]
        ]

    def _stage(self, ctx: CheckContext) -> list[Finding]:
        stage = _stage(ctx)
        if stage is None:
            return []
        name = stage.name(ctx.lang)
        out: list[Finding] = []
        if stage.selling == "never":
            sale = _first_sale(ctx.text)
            if sale is not None:
                out.append(
                    finding(
                        ctx,
                        "tone.stage_selling",
                        Severity.WARN,
                        sale.start(),
                        sale.end(),
                        term=sale.group(0),
                        stage=name,
                    )
                )
        if stage.avoid:  # the brand wrote its own rules for this stage: they replace ours
            return out + _stage_avoid(ctx, stage, name, out)
        if stage.base == BaseStage.FIRST_CONTACT:
            ref = first(pattern("spam", "referral"), ctx.text)
            if ref is not None:
                out.append(
                    finding(
                        ctx,
                        "tone.stage_referral",
                        Severity.WARN,
                        ref.start(),
                        ref.end(),
                        term=ref.group(0),
                        stage=name,
                    )
                )
        if stage.base in (BaseStage.CORE_MEMBER, BaseStage.CO_BUILDER):
            head = len(ctx.text) * float(threshold("tone", "sales_head_share"))
            disc = affirmed(pattern("spam", "discount"), ctx.text)
            if disc and (disc[0].start() < head or len(disc) >= 2):
                out.append(
                    finding(
                        ctx,
                        "tone.stage_discount_led",
                        Severity.WARN,
                        disc[0].start(),
                        disc[0].end(),
                        term=disc[0].group(0),
                        stage=name,
                    )
                )
        return out

    def _belief(self, ctx: CheckContext) -> list[Finding]:
        """Lexical overlap catches the belief in (nearly) the brand's words; an embedder adds
        paraphrases. Either one reaching its "faithful" threshold is enough; below both
        "present" thresholds the belief is missing; in between it drifted. Embeddings measure
        topic, not meaning: an inverted statement on the same topic still scores high (the
        LLM judge is the tool for that)."""
        refs = [ctx.belief] if ctx.belief else []
        if not refs and ctx.brand is not None and ctx.kind == "aftersale_email":
            refs = [b.text for b in ctx.brand.beliefs]
        if not refs:
            return []
        sentences = [(m.start(), m.end(), m.group(0)) for m in _SENTENCE.finditer(ctx.text)]
        sentences = [s for s in sentences if s[2].strip()]
        if not sentences:
            return []
        lex = max(
            ((lexical_similarity(s[2], r), (s[0], s[1]), r) for s in sentences for r in refs),
            key=lambda t: t[0],
        )
        levels = [(lex, "belief_lexical", "belief_lexical_present")]
        if self.embedder is not None:
            levels.append((self._semantic(sentences, refs), "belief_similarity", "belief_present"))
        if any(best[0] >= float(threshold("tone", hi)) for best, hi, _ in levels):
            return []
        drifted = [best for best, _, lo in levels if best[0] >= float(threshold("tone", lo))]
        if not drifted:
            if ctx.kind == "aftersale_email" or ctx.belief:
                return [
                    finding(
                        ctx, "tone.belief_missing", Severity.WARN, 0, len(ctx.text), belief=lex[2]
                    )
                ]
            return []
        score, span, ref = max(drifted, key=lambda t: t[0])
        return [
            finding(
                ctx,
                "tone.belief_unfaithful",
                Severity.WARN,
                span[0],
                span[1],
                belief=ref,
                similarity=f"{score:.2f}",
            )
        ]

    def _semantic(
        self, sentences: list[tuple[int, int, str]], refs: list[str]
    ) -> tuple[float, tuple[int, int], str]:
        assert self.embedder is not None
        ref_vecs = self.embedder.embed_passages(refs)
        sent_vecs = self.embedder.embed_passages([s[2] for s in sentences])
        scored = [
            (_cosine(sv, rv), (s[0], s[1]), r)
            for s, sv in zip(sentences, sent_vecs, strict=True)
            for r, rv in zip(refs, ref_vecs, strict=True)
        ]
        return max(scored, key=lambda t: t[0])
