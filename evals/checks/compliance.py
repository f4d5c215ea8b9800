"""Advertising-Law compliance: absolute terms, medical claims and promised efficacy; and the
privacy of children in public content.

``compliance.child_name`` (error, community and story posts only): a child's name, introduced
right after a child word ("她的儿子乐乐", "女儿叫小雨", "her son Leo", "a girl named Mia") and
used again. A child's photo and name never go into public content, whatever a parent agreed
to (the packs' privacy policies); a message to the parent may of course use it.

A brand lets a relative claim it can prove pass by listing it in
``Brand.compliance.allowed_claims``: a match that lies inside an allowed claim present in the
text is dropped. ``Brand.lexicon.absolute`` / ``.medical`` add words to the lexicons.
"""

from __future__ import annotations

import re
from functools import cache

from evals.checks.base import absent, finding, matches
from evals.checks.context import public
from evals.checks.overlap import stop_chars
from evals.lexicon import Pattern, load, pattern, words, words_pattern
from evals.normalise import simplified
from evals.types import CheckContext, Finding, Severity

_EXEMPT_WINDOW = 10
_LEXICONS = ("absolute", "medical", "efficacy")  # compliance.yaml entries
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{1,3}")


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


@cache
def _calls(lang: str) -> tuple[str, ...]:
    """What may stand between a child word and the name, longest first."""
    return tuple(sorted(load("compliance")["child_name_call"][lang], key=len, reverse=True))


@cache
def _not_names(lang: str) -> frozenset[str]:
    return frozenset(load("compliance")["child_name_not"][lang])


def _zh_names(text: str, at: int) -> list[tuple[int, int]]:
    """Spans that may be the name right after a Chinese child word at ``at``, longest first:
    after 叫 any two or three characters not starting with a function character; else only
    a reduplicated pair (乐乐) or 小/阿 + one character, and not an ordinary word."""
    called = next((w for w in _calls("zh") if text.startswith(w, at)), "")
    start = at + len(called)
    run = _CJK_RUN.match(text, start)
    if run is None:
        return []
    name = simplified(run.group(0))
    not_names = _not_names("zh")
    if called:
        if name[0] in stop_chars():
            return []
        return [(start, start + n) for n in (3, 2) if len(name) >= n and name[:n] not in not_names]
    pair = name[:2]
    if len(pair) == 2 and (pair[0] == pair[1] or pair[0] in "小阿") and pair not in not_names:
        return [(start, start + 2)]
    return []


@cache
def _en_name_pattern() -> re.Pattern[str]:
    calls = "|".join(re.escape(w) for w in _calls("en"))
    return re.compile(rf",?[ \t]+(?:(?:{calls})[ \t]+)?([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b")


def _en_name(text: str, at: int) -> tuple[int, int] | None:
    """The capitalised word right after an English child word ("son Leo", "son, Leo",
    "a girl named Mia")."""
    m = _en_name_pattern().match(text, at)
    if m is None or m.group(1) in _not_names("en"):
        return None
    return m.span(1)


def _again(text: str, name: str, span: tuple[int, int]) -> int:
    """How many more times ``name`` occurs in ``text`` outside ``span`` (English: as a word)."""
    if name.isascii():
        found = [m.start() for m in re.finditer(rf"\b{re.escape(name)}\b", text)]
    else:
        found = [m.start() for m in re.finditer(re.escape(name), text)]
    return sum(1 for i in found if i != span[0])


def child_names(ctx: CheckContext) -> list[Finding]:
    """``compliance.child_name``: see the module docstring."""
    if not public(ctx):
        return []
    text = ctx.text
    out: list[Finding] = []
    named: set[str] = set()
    for hit in matches(pattern("compliance", "child_word"), text):
        at = hit.end()
        if hit.group(0).isascii():
            one = _en_name(text, at)
            spans = [one] if one is not None else []
        else:
            spans = _zh_names(text, at)
        for span in spans:
            name = text[span[0] : span[1]]
            more = _again(text, name, span)
            if name in named or not more:
                continue
            named.add(name)
            out.append(
                finding(
                    ctx, "compliance.child_name", Severity.ERROR, *span, name=name, count=more + 1
                )
            )
            break
    return out


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
        out: list[Finding] = child_names(ctx)
        if not extra and absent(ctx.text).issuperset((absolute, medical, efficacy)):
            return out  # most texts: none of the words is there
        allowed = _allowed_spans(ctx)
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
