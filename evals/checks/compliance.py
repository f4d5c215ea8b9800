"""Advertising-Law compliance: absolute terms, medical claims and promised efficacy.

A brand lets a relative claim it can prove pass by listing it in
``Brand.compliance.allowed_claims``: a match that lies inside an allowed claim present in the
text is dropped. ``Brand.lexicon.absolute`` / ``.medical`` add words to the lexicons.
"""

from __future__ import annotations

from functools import cache

from evals.checks.base import absent, finding, matches
from evals.lexicon import Pattern, pattern, words, words_pattern
from evals.normalise import simplified
from evals.types import CheckContext, Finding, Severity

_EXEMPT_WINDOW = 10
_LEXICONS = ("absolute", "medical", "efficacy")  # compliance.yaml entries


@cache
def _exempt_words() -> tuple[str, ...]:
    return tuple(w.lower() for w in words("compliance", "medical_exempt"))


def _allowed_spans(ctx: CheckContext) -> list[tuple[int, int]]:
    if ctx.brand is None or not ctx.brand.compliance.allowed_claims:
        return []
    pat = words_pattern(ctx.brand.compliance.allowed_claims)
    return [(m.start(), m.end()) for m in matches(pat, ctx.text)]


def _inside(span: tuple[int, int], allowed: list[tuple[int, int]]) -> bool:
    return any(a <= span[0] and span[1] <= b for a, b in allowed)


class ComplianceCheck:
    """Claims a brand may not make in an ad or a customer message."""

    family = "compliance"

    def run(self, ctx: CheckContext) -> list[Finding]:
        extra_abs = extra_med = None
        if ctx.brand is not None:
            extra_abs = words_pattern(ctx.brand.lexicon.absolute)
            extra_med = words_pattern(ctx.brand.lexicon.medical)
        absolute, medical, efficacy = (pattern("compliance", k) for k in _LEXICONS)
        extra = extra_abs is not None or extra_med is not None
        if not extra and absent(ctx.text).issuperset((absolute, medical, efficacy)):
            return []  # most texts: none of the words is there
        allowed = _allowed_spans(ctx)
        out: list[Finding] = []
        out += self._terms(ctx, "compliance.absolute", Severity.ERROR, allowed, absolute, extra_abs)
        out += self._terms(
            ctx, "compliance.medical", Severity.ERROR, allowed, medical, extra_med, exempt=True
        )
        out += self._terms(ctx, "compliance.efficacy", Severity.WARN, allowed, efficacy)
        return out

    def _terms(
        self,
        ctx: CheckContext,
        rule: str,
        severity: Severity,
        allowed: list[tuple[int, int]],
        *pats: Pattern | None,
        exempt: bool = False,
    ) -> list[Finding]:
        exempt_words = _exempt_words()
        out: list[Finding] = []
        seen: set[tuple[int, int]] = set()
        for pat in pats:
            for m in matches(pat, ctx.text):
                span = (m.start(), m.end())
                if span in seen or _inside(span, allowed):
                    continue
                if exempt:
                    around = ctx.text[max(0, m.start() - _EXEMPT_WINDOW) : m.end()]
                    around = simplified(around).lower()
                    if any(w in around for w in exempt_words):
                        continue
                seen.add(span)
                out.append(finding(ctx, rule, severity, *span, term=m.group(0)))
        return out
