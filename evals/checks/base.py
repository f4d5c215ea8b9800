"""Helpers every check family shares: building a finding with its message in the text's
language, and turning pattern matches into findings. ``first`` (the first
boundary-respecting match, or None) and ``affirmed`` (the matches not negated in their
clause: "我们不打折" is no discount) are the matcher's own, re-exported."""

from __future__ import annotations

import re

from evals.lexicon import Pattern, message
from evals.matching import (
    absent,
    affirmed,
    clear_match_cache,
    first,
    matches,
    may_match,
    negated,
    register_cache,
)
from evals.regex_engine import Hit
from evals.types import CheckContext, Finding, Severity
from knowledge.languages import base_language

__all__ = [
    "Hit",
    "absent",
    "affirmed",
    "clear_match_cache",
    "finding",
    "first",
    "found",
    "has_cjk",
    "head_span",
    "lang_of",
    "matches",
    "may_match",
    "negated",
    "piece_matches",
    "purchased",
    "register_cache",
    "tail_span",
    "term_findings",
]


_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds a Chinese character (one class search, not a loop in Python)."""
    return _CJK_CHAR.search(text) is not None


def lang_of(ctx: CheckContext) -> str:
    """The language of the rules' messages: zh-Hant reads as zh."""
    return base_language(ctx.lang)


def purchased(ctx: CheckContext) -> list[str]:
    """How a draft may name what the customer bought: each purchase's id and display name."""
    if ctx.customer is None:
        return []
    out: list[str] = []
    for p in ctx.customer.purchases:
        out.append(p.product)
        if ctx.product_names.get(p.product):
            out.append(ctx.product_names[p.product])
    return out


def finding(
    ctx: CheckContext,
    rule: str,
    severity: Severity,
    start: int,
    end: int,
    *,
    variant: str = "",
    **values: object,
) -> Finding:
    """A finding of ``rule`` over ``ctx.text[start:end]``; message and fix in ``ctx.lang``
    (``variant`` picks the message ``<rule>.<variant>`` of messages.yaml)."""
    msg, fix = message(f"{rule}.{variant}" if variant else rule, lang_of(ctx), **values)
    return Finding(
        rule=rule,
        severity=severity,
        start=start,
        end=end,
        message=msg,
        suggestion=fix,
        family=rule.split(".", 1)[0],
    )


def head_span(text: str) -> tuple[int, int]:
    """The first visible character (where a missing opening belongs)."""
    stripped = len(text) - len(text.lstrip())
    return (stripped, stripped + 1) if stripped < len(text) else (0, len(text))


def tail_span(text: str) -> tuple[int, int]:
    """The last visible character (where a missing closing line belongs)."""
    end = len(text.rstrip())
    return (end - 1, end) if end else (0, len(text))


def found(pat: Pattern | None, text: str) -> bool:
    """Whether ``pat`` has a boundary-respecting match in ``text``."""
    return first(pat, text) is not None


def piece_matches(pat: Pattern | None, piece: str) -> tuple[Hit, ...]:
    """:func:`matches` in a piece of a text (a sentence, a clause, a source): the piece is
    read whole only when one of the lexicon's words is in it, which most pieces lack."""
    return matches(pat, piece) if may_match(pat, piece) else ()


def term_findings(
    ctx: CheckContext,
    rule: str,
    severity: Severity,
    pat: Pattern | None,
    *,
    limit: int = 10,
    skip_negated: bool = False,
) -> list[Finding]:
    """One finding per match (up to ``limit``), with ``{term}`` = the matched text."""
    hits = affirmed(pat, ctx.text) if skip_negated else matches(pat, ctx.text)
    if not hits:
        return []
    out: list[Finding] = []
    for m in hits:
        out.append(finding(ctx, rule, severity, m.start(), m.end(), term=m.group(0).strip()))
        if len(out) >= limit:
            break
    return out
