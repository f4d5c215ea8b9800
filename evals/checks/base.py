"""Helpers every check family shares: building a finding with its message in the text's
language, and turning pattern matches into findings."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from evals.lexicon import Pattern, message
from evals.types import CheckContext, Finding, Severity


def lang_of(ctx: CheckContext) -> str:
    return "en" if ctx.lang == "en" else "zh"


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


def _ascii_letter(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _inside_word(text: str, start: int, end: int) -> bool:
    """A Latin-letter match that continues a word, or is the tail of a hyphenated compound
    ("wholesale", "After-Sale")."""
    if start > 0 and _ascii_letter(text[start]):
        before = text[start - 1]
        if _ascii_letter(before) or (
            before == "-" and start > 1 and _ascii_letter(text[start - 2])
        ):
            return True
    return end < len(text) and _ascii_letter(text[end - 1]) and _ascii_letter(text[end])


@dataclass(frozen=True, slots=True)
class Hit:
    """One match, with the ``re.Match`` methods the checks use; ``group()`` is the original
    text (English lexicons match on the lower-cased text)."""

    begin: int
    stop: int
    text: str

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.stop

    def span(self) -> tuple[int, int]:
        return self.begin, self.stop

    def group(self, _index: int = 0) -> str:
        return self.text


def matches(pat: Pattern | None, text: str) -> tuple[Hit, ...]:
    """Non-overlapping, non-empty matches of ``pat`` in ``text`` (none when ``pat`` is None)
    that respect word boundaries: a match that starts or ends with a Latin letter must not
    continue a word ("sale" in "wholesale"); a rejected match is retried one character later.
    Cached: several checks scan the same text with the same lexicon."""
    if pat is None:
        return ()
    return _matches(pat, text)


@lru_cache(maxsize=512)
def _matches(pat: Pattern, text: str) -> tuple[Hit, ...]:
    if isinstance(pat, re.Pattern):
        return tuple(_scan(pat, text, text))
    hits = _scan(pat.zh, text, text) if pat.zh is not None else []
    lower = _lower(text)
    if pat.en is not None and len(lower) == len(text):
        hits += _scan(pat.en, lower, text)
    elif pat.en_ci is not None:
        hits += _scan(pat.en_ci, text, text)
    if not hits:
        return ()
    hits.sort(key=lambda h: (h.begin, -h.stop))
    out: list[Hit] = []
    for h in hits:  # the earliest (then longest) of overlapping matches wins
        if not out or h.begin >= out[-1].stop:
            out.append(h)
    return tuple(out)


@lru_cache(maxsize=64)
def _lower(text: str) -> str:
    return text.lower()


def _scan(pat: re.Pattern[str], haystack: str, text: str) -> list[Hit]:
    out: list[Hit] = []
    pos, n = 0, len(text)
    while pos <= n:
        m = pat.search(haystack, pos)
        if m is None:
            break
        start, end = m.span()
        if end == start:
            pos = start + 1
            continue
        if _inside_word(text, start, end):
            pos = start + 1
            continue
        out.append(Hit(start, end, text[start:end]))
        pos = end
    return out


_CACHES: list[Callable[[], None]] = []


def register_cache(clear: Callable[[], None]) -> None:
    """Have :func:`clear_match_cache` also clear another per-text cache (``cache_clear``)."""
    _CACHES.append(clear)


def clear_match_cache() -> None:
    """Forget cached matches and every registered per-text cache (benchmarks use it so
    repeated texts are not free)."""
    _matches.cache_clear()
    _lower.cache_clear()
    for clear in _CACHES:
        clear()


def first(pat: Pattern | None, text: str) -> Hit | None:
    """The first boundary-respecting match, or None."""
    found_ = matches(pat, text)
    return found_[0] if found_ else None


def found(pat: Pattern | None, text: str) -> bool:
    """Whether ``pat`` has a boundary-respecting match in ``text``."""
    return bool(matches(pat, text))


_CLAUSE_BREAK = re.compile(r"[。！？!?；;，,.:：\n]")
_NEGATION_WINDOW = 20


def negated(text: str, start: int) -> bool:
    """Whether a negation ("不用", "no need to", "don't") precedes ``start`` in its clause."""
    from evals.lexicon import pattern

    clause = _CLAUSE_BREAK.split(text[max(0, start - _NEGATION_WINDOW) : start])[-1]
    return bool(clause) and found(pattern("spam", "negation"), clause)


def affirmed(pat: Pattern | None, text: str) -> list[Hit]:
    """Matches of ``pat`` that are not negated ("我们不打折" is not a discount)."""
    return [m for m in matches(pat, text) if not negated(text, m.start())]


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
    out: list[Finding] = []
    for m in affirmed(pat, ctx.text) if skip_negated else matches(pat, ctx.text):
        out.append(finding(ctx, rule, severity, m.start(), m.end(), term=m.group(0).strip()))
        if len(out) >= limit:
            break
    return out
