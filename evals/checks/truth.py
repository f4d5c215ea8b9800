"""Truth: a fluent draft that says something untrue about the customer, the product or the
message itself. Each rule compares the draft with what the plan knows (CheckContext):

- ``truth.invented_statement`` (error): words or feedback attributed to the customer
  ("你提到", "我们收到了您的反馈", "you mentioned") that ``customer_said`` does not carry.
- ``truth.assumed_feeling`` (warn): how the customer felt, did or saw, stated as fact
  ("你一定", "很高兴知道您正在", "your first runs felt"); asking is fine.
- ``truth.phantom_reference`` (warn; error for a bracketed stand-in such as "[图片]"): an
  image, attachment, link or "see below" that a text-only draft does not carry.
- ``truth.safety_reversed`` (error): a sentence speaks of a safety statement's subject
  (刺痛, sharp pain) and calls it normal while the statement says stop / not normal.
  ``truth.safety_paraphrased`` (warn): it speaks of the subject without quoting the statement.
- ``truth.unsupported_effect`` (warn): an effect of the product ("这是…的效果", "this means
  it's working") whose content no source sentence carries.

What the customer said is known when the plan says so: a ``trigger`` is set (the generator's
check basis) or ``customer_said`` is given. A text checked on its own (no plan) cannot be
verified: attributions and feelings are then ``info`` ("check this"), never a block.
Support is lexical overlap (evals/checks/overlap.py) with thresholds in thresholds.yaml.
"""

from __future__ import annotations

import re

from evals.checks.base import absent, finding, found, matches, piece_matches
from evals.checks.context import (
    brand_line_spans,
    knows_customer_words,
    names,
    said_units,
    without_brand_lines,
)
from evals.checks.injection import contacts
from evals.checks.overlap import content_units, coverage, units_of
from evals.checks.segments import clause_at, clauses, enclosing, is_question, sentences
from evals.lexicon import Pattern, pattern, threshold
from evals.normalise import simplified
from evals.types import CheckContext, Finding, Severity

_VISIBLE = re.compile(r"[\w\u4e00-\u9fff]")
_NORMALISE = re.compile(r"[\W_]+")
_PHANTOM_LEXICONS = ("phantom_image", "phantom_link", "phantom_below")


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def _hedged(text: str, start: int, end: int, *pats: Pattern) -> bool:
    """A hedge word in ``text[start:end]`` (the clause up to the end of the match)."""
    region = text[start:end]
    return any(found(p, region) for p in pats)


def _signature(text: str, start: int, end: int) -> bool:
    """An SMS signature (【品牌】 at the very start or end), not a placeholder."""
    return text[start] == "【" and (not text[:start].strip() or not text[end:].strip())


def _normalised(text: str) -> str:
    return _NORMALISE.sub("", text.lower())


_BIRTHDAY_WORD = re.compile(r"生日|生辰|birthday", re.I)


class TruthCheck:
    """Does the draft say only what is true of this customer, this product, this message?"""

    family = "truth"

    def run(self, ctx: CheckContext) -> list[Finding]:
        out: list[Finding] = []
        out += self._invented(ctx)
        out += self._assumed(ctx)
        out += self._phantom(ctx)
        out += self._safety(ctx)
        out += self._effect(ctx)
        out += self._unknown_birthday(ctx)
        return out

    def _unknown_birthday(self, ctx: CheckContext) -> list[Finding]:
        """A birthday wish for a customer with no birthday on record: the operator may know
        the day (it was said in a chat), but nothing here does, so an editor confirms it (a
        reader saw "生日快乐" sent on an arbitrary day)."""
        if ctx.trigger != "birthday" or ctx.customer is None or ctx.customer.birthday:
            return []
        m = _BIRTHDAY_WORD.search(ctx.text)
        start, end = (m.start(), m.end()) if m else (0, len(ctx.text))
        return [finding(ctx, "truth.unknown_birthday", Severity.WARN, start, end)]

    # --- the customer's words and feelings ------------------------------------------------
    def _invented(self, ctx: CheckContext) -> list[Finding]:
        text = ctx.text
        hits = matches(pattern("truth", "attribution"), text)
        if not hits:
            return []
        knows = knows_customer_words(ctx)
        said = said_units(ctx)
        least = float(threshold("truth", "support_min"))
        hedge = pattern("truth", "hedge")
        out: list[Finding] = []
        for hit in hits:
            cs, ce = clause_at(text, hit.start())
            if _hedged(text, cs, hit.start(), hedge):
                continue
            end = max(ce, hit.end())
            content = content_units(text[cs : hit.start()] + "，" + text[hit.end() : end])
            if not content:  # "As you said, ..." — what they said is the next clause
                nxt = enclosing(clauses(text), end + 1)
                if nxt[1] > nxt[0]:
                    content = content_units(text[nxt[0] : nxt[1]])
            term = text[hit.start() : end]
            if not knows:
                out.append(
                    finding(
                        ctx,
                        "truth.invented_statement",
                        Severity.INFO,
                        hit.start(),
                        end,
                        variant="unverified",
                        term=term,
                    )
                )
                continue
            supported = coverage(content, said) >= least if content else bool(ctx.customer_said)
            if not supported:
                out.append(
                    finding(
                        ctx, "truth.invented_statement", Severity.ERROR, hit.start(), end, term=term
                    )
                )
        return out

    def _assumed(self, ctx: CheckContext) -> list[Finding]:
        text = ctx.text
        hits = matches(pattern("truth", "feeling"), text)
        if not hits:
            return []
        knows = knows_customer_words(ctx)
        said = said_units(ctx)
        least = float(threshold("truth", "support_min"))
        hedges = (pattern("truth", "hedge"), pattern("truth", "hedge_feeling"))
        out: list[Finding] = []
        last_end = -1
        for hit in hits:
            if hit.start() < last_end or is_question(text, hit.start()):
                continue
            cs, _ = clause_at(text, hit.start())
            _, ce = clause_at(text, max(hit.start(), hit.end() - 1))
            end = max(ce, hit.end())
            if _hedged(text, cs, hit.end(), *hedges):
                continue
            if coverage(content_units(text[hit.start() : end]), said) >= least:
                continue
            last_end = end
            out.append(
                finding(
                    ctx,
                    "truth.assumed_feeling",
                    Severity.WARN if knows else Severity.INFO,
                    hit.start(),
                    end,
                    variant="" if knows else "unverified",
                    term=text[hit.start() : end],
                )
            )
        return out

    # --- what the message itself pretends to carry -----------------------------------------
    def _phantom(self, ctx: CheckContext) -> list[Finding]:
        text = ctx.text
        fixed = brand_line_spans(ctx)
        out: list[Finding] = []
        taken: list[tuple[int, int]] = []
        for m in matches(pattern("truth", "phantom_bracket"), text):
            if _inside(m.start(), fixed) or _signature(text, m.start(), m.end()):
                continue
            taken.append(m.span())
            out.append(
                finding(
                    ctx,
                    "truth.phantom_reference",
                    Severity.ERROR,
                    m.start(),
                    m.end(),
                    variant="bracket",
                    term=m.group(0),
                )
            )

        image, link, below = (pattern("truth", k) for k in _PHANTOM_LEXICONS)
        if absent(text).issuperset((image, link, below)):
            return out  # most texts: the automaton's pass found none of their words
        # the cue, like the lexicons, reads the simplified text: a 繁體 "點擊鏈接" is one
        cue = pattern("truth", "phantom_cue")
        assert isinstance(cue, re.Pattern)
        if cue.search(text) is None and cue.search(simplified(text)) is None:
            return out

        def free(start: int) -> bool:
            return not _inside(start, taken) and not _inside(start, fixed)

        for m in matches(image, text):
            if free(m.start()):
                out.append(
                    finding(
                        ctx,
                        "truth.phantom_reference",
                        Severity.WARN,
                        m.start(),
                        m.end(),
                        term=m.group(0),
                    )
                )
        has_url = any(c[0] == "url" for c in contacts(text))
        if not has_url:
            for m in matches(link, text):
                if free(m.start()):
                    out.append(
                        finding(
                            ctx,
                            "truth.phantom_reference",
                            Severity.WARN,
                            m.start(),
                            m.end(),
                            variant="link",
                            term=m.group(0),
                        )
                    )
        follow = int(threshold("truth", "phantom_follow_min_chars"))
        for m in matches(below, text):
            if not free(m.start()):
                continue
            rest = without_brand_lines(ctx, text[m.end() :])
            if len(_VISIBLE.findall(rest)) < follow:
                out.append(
                    finding(
                        ctx,
                        "truth.phantom_reference",
                        Severity.WARN,
                        m.start(),
                        m.end(),
                        term=m.group(0),
                    )
                )
        return sorted(out, key=lambda f: f.start)

    # --- safety statements ---------------------------------------------------------------
    def _safety(self, ctx: CheckContext) -> list[Finding]:
        if not ctx.safety:
            return []
        text = ctx.text
        symptom = pattern("truth", "symptom")
        caution = pattern("truth", "caution")
        statements = [
            (
                s,
                {m.group(0).lower() for m in piece_matches(symptom, s)},
                content_units(s),
                found(caution, s),
            )
            for s in ctx.safety
            if s.strip()
        ]
        subject_min = float(threshold("truth", "safety_subject_min"))
        faithful_min = float(threshold("truth", "safety_faithful_min"))
        # a statement without symptom words is recognised by its content alone
        by_content = any(not stmt_terms for _, stmt_terms, _, _ in statements)
        normal_text = _normalised(text)
        out: list[Finding] = []
        for sa, sb in sentences(text):
            sentence = text[sa:sb]
            hits = piece_matches(symptom, sentence)
            if not hits and not by_content:
                continue  # it names no statement's subject
            terms = {m.group(0).lower() for m in hits}
            sent_units = content_units(sentence)
            best: tuple[int, float, str, set[str], bool] | None = None
            for stmt, stmt_terms, stmt_units, cautious in statements:
                shared = stmt_terms & terms
                cov = coverage(stmt_units, sent_units)
                if not shared and (stmt_terms or cov < subject_min):
                    continue
                if best is None or (len(shared), cov) > (best[0], best[1]):
                    best = (len(shared), cov, stmt, stmt_terms, cautious)
            if best is None:
                continue
            _, cov, stmt, stmt_terms, cautious = best
            # the span: from the clause that names the subject to the end of the claim
            named = [sa + m.start() for m in hits if m.group(0).lower() in stmt_terms]
            start = clause_at(text, named[0])[0] if named else sa
            normal_end = self._calls_normal(text, sa, sb) if cautious else None
            if normal_end is not None:
                out.append(
                    finding(
                        ctx,
                        "truth.safety_reversed",
                        Severity.ERROR,
                        min(start, clause_at(text, normal_end - 1)[0]),
                        max(normal_end, clause_at(text, start)[1]),
                        statement=stmt.strip(),
                    )
                )
                continue
            quoted = _normalised(stmt) in normal_text
            faithful = cov >= faithful_min and (found(caution, sentence) or not cautious)
            if not (quoted or faithful):
                out.append(
                    finding(
                        ctx,
                        "truth.safety_paraphrased",
                        Severity.WARN,
                        start,
                        sb,
                        statement=stmt.strip(),
                    )
                )
        return out

    @staticmethod
    def _calls_normal(text: str, start: int, end: int) -> int | None:
        """The end of the last clause in ``text[start:end]`` that calls something normal
        (not negated: "不正常", "are not normal" do not count), or None."""
        negation = pattern("truth", "normal_negation")
        last: int | None = None
        for m in piece_matches(pattern("truth", "normal"), text[start:end]):
            at = start + m.start()
            cs, ce = clause_at(text, at)
            if not found(negation, text[cs:at]):
                last = max(ce, start + m.end())
        return last

    # --- effects of the product ----------------------------------------------------------
    def _effect(self, ctx: CheckContext) -> list[Finding]:
        if not ctx.sources:
            return []  # nothing to verify an effect against
        text = ctx.text
        hits = matches(pattern("truth", "effect"), text)
        if not hits:
            return []
        drop = units_of(names(ctx))
        source_sentences = [
            content_units(src[a:b]) for src in ctx.sources for a, b in sentences(src)
        ]
        least = float(threshold("truth", "effect_support_min"))
        out: list[Finding] = []
        seen: set[tuple[int, int]] = set()
        for hit in hits:
            cs, ce = clause_at(text, hit.start())
            span = (cs, max(ce, hit.end()))
            if span in seen:
                continue
            seen.add(span)
            claim = content_units(text[span[0] : span[1]]) - drop
            best = max((coverage(claim, s) for s in source_sentences), default=0.0)
            if claim and best >= least:
                continue
            out.append(
                finding(
                    ctx,
                    "truth.unsupported_effect",
                    Severity.WARN,
                    *span,
                    term=text[span[0] : span[1]],
                )
            )
        return out
