"""Spam signals: urgency, discount density, prize language, exclamation and emoji floods,
repetition, many or shortened links, ALL CAPS, forward-to-groups asks, chasing replies, and
stacked pressure (several pressure tactics in one message)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from evals.automaton import first_chars
from evals.checks.base import affirmed, finding, lang_of, term_findings
from evals.lexicon import Lexicon, load, pattern, threshold, word_set, words, words_pattern
from evals.matching import absent
from evals.types import CheckContext, Finding, Severity

_CAPS_WORD = re.compile(r"(?<![A-Za-z])[A-Z]{2,}(?![A-Za-z])")
_CAPS_RUN = re.compile(r"(?<![A-Za-z])[A-Z]{2,}(?:[\s!！,.'’-]+[A-Z]{2,})+(?![A-Za-z])")
_TACTIC_LEXICONS = ("flash_sale", "deadline", "scarcity")  # spam.yaml entries
# spam.yaml entries reported once per match (each a rule of its own)
_TERM_RULES = (
    ("spam.prize", "prize"),
    ("spam.giveaway", "giveaway"),
    ("spam.forward", "forward"),
    ("spam.chasing", "chasing"),
)
_TWO_CAPS = re.compile(r"[A-Z][A-Z]")  # not [A-Z]{2}: sre's fast search needs a class first
_EXCLAIM = re.compile(r"[!！]+")


_UNIT_MAX = 5  # a repeated unit is one to five characters ("快", "SALE ")


@cache
def _repetition() -> re.Pattern[str]:
    n = int(threshold("spam", "repetition_min")) - 1
    return re.compile(rf"(\S.{{0,{_UNIT_MAX - 1}}}?)\1{{{n},}}", re.IGNORECASE)


@cache
def _repetition_hint() -> re.Pattern[str]:
    """A necessary condition of :func:`_repetition`, several times cheaper to look for: some
    character recurs at the unit's length, ``n`` more times."""
    n = int(threshold("spam", "repetition_min")) - 1
    # unrolled (".\1.\1", not "(?:.\1){2}"): sre's repeat machinery tripled the cost
    gaps = "|".join(("." * k + r"\1") * n for k in range(_UNIT_MAX))
    return re.compile(rf"(\S)(?={gaps})", re.IGNORECASE)


@cache
def _repetition_ignore() -> re.Pattern[str]:
    return re.compile(load("spam")["repetition_ignore"])


@cache
def _emoji() -> re.Pattern[str]:
    return re.compile(load("spam")["emoji"])


@cache
def _exclaim_run() -> re.Pattern[str]:
    return re.compile(f"[!！]{{{int(threshold('spam', 'exclamation_run'))},}}")


@cache
def _emoji_start() -> re.Pattern[str] | None:
    """What an emoji match starts with: most messages have none of it."""
    return first_chars(_emoji())


@cache
def _url() -> re.Pattern[str]:
    """Any URL, including a shortener link written without a scheme (t.cn/xyz)."""
    hosts = "|".join(re.escape(h) for h in words("spam", "shorteners"))
    bare = r"(?<![\w.])(?:" + hosts + r")/[^\s，。！？、）)]+"
    return re.compile(f"{load('spam')['url']}|{bare}", re.IGNORECASE)


def _host(url: str) -> str:
    rest = re.sub(r"^https?://", "", url, flags=re.IGNORECASE)
    return rest.split("/", 1)[0].lower()


class SpamCheck:
    """Signals that a message is pressure or broadcast, not care."""

    family = "spam"

    def run(self, ctx: CheckContext) -> list[Finding]:
        text = ctx.text
        out: list[Finding] = []
        out += term_findings(
            ctx, "spam.urgency", Severity.WARN, pattern("spam", "urgency"), skip_negated=True
        )
        out += self._discount(ctx)
        quiet = absent(text)  # the lexicons this text certainly lacks
        for rule, key in _TERM_RULES:
            pat = pattern("spam", key)
            if pat not in quiet:
                out += term_findings(ctx, rule, Severity.WARN, pat)
        if ctx.brand is not None and ctx.brand.lexicon.spam:
            extra = words_pattern(ctx.brand.lexicon.spam)
            out += term_findings(ctx, "spam.urgency", Severity.WARN, extra)
        out += self._exclamation(ctx)
        out += self._emoji(ctx)
        out += self._repetition(ctx)
        out += self._links(ctx)
        out += self._caps(ctx)
        stacked = self._stacked_pressure(ctx, out, quiet)
        signals = [f for f in out if f.severity != Severity.INFO]
        kinds = sorted({f.rule for f in signals})
        if len(kinds) >= int(threshold("spam", "many_signals")) or len(signals) >= int(
            threshold("spam", "many_hits")
        ):
            out.append(
                finding(
                    ctx,
                    "spam.many_signals",
                    Severity.ERROR,
                    0,
                    len(text),
                    count=len(kinds),
                    rules=", ".join(k.split(".", 1)[1] for k in kinds),
                )
            )
        return out + stacked

    def _stacked_pressure(
        self, ctx: CheckContext, found: list[Finding], quiet: frozenset[Lexicon]
    ) -> list[Finding]:
        """Several pressure tactics in one message (flash sale + deadline + scarcity + a
        discount + an exclamation flood) block it, however mild each one looks alone."""
        needed = int(threshold("spam", "stacked_pressure"))
        flood = any(f.rule == "spam.exclamation" for f in found)
        lexicons = [*_TACTIC_LEXICONS, "discount"]
        possible = [t for t in lexicons if pattern("spam", t) not in quiet]
        if len(possible) + flood < needed:
            return []  # most messages: not even the words are there
        tactics = [t for t in possible if affirmed(pattern("spam", t), ctx.text)]
        if flood:
            tactics.append("exclamation")
        if len(tactics) < needed:
            return []
        names = load("spam")["tactic_names"][lang_of(ctx)]
        sep = "、" if lang_of(ctx) == "zh" else ", "
        return [
            finding(
                ctx,
                "spam.stacked_pressure",
                Severity.ERROR,
                0,
                len(ctx.text),
                count=len(tactics),
                tactics=sep.join(names[t] for t in tactics),
            )
        ]

    def _discount(self, ctx: CheckContext) -> list[Finding]:
        found = affirmed(pattern("spam", "discount"), ctx.text)
        if not found:
            return []
        n = len(found)
        if n >= int(threshold("spam", "discount_error")):
            severity = Severity.ERROR
        elif n >= int(threshold("spam", "discount_warn")) or ctx.kind == "care_message":
            severity = Severity.WARN  # a care message is not the place for an offer, even once
        else:
            severity = Severity.INFO
        first = found[0]
        variant = "" if n > 1 else ("care" if severity == Severity.WARN else "once")
        return [
            finding(
                ctx,
                "spam.discount",
                severity,
                first.start(),
                first.end(),
                term=first.group(0),
                count=n,
                variant=variant,
            )
        ]

    def _exclamation(self, ctx: CheckContext) -> list[Finding]:
        text = ctx.text
        total = text.count("!") + text.count("！")  # the marks of all runs
        if not total:
            return []
        # the first run of exclamation_run marks or more, whole (the first maximal run that
        # long: a greedy search for that many from the left starts where it starts)
        m = _exclaim_run().search(text)
        if m is None and total > int(threshold("spam", "exclamation_max")):
            m = list(_EXCLAIM.finditer(text))[int(threshold("spam", "exclamation_max"))]
        if m is None:
            return []
        return [finding(ctx, "spam.exclamation", Severity.WARN, m.start(), m.end(), count=total)]

    def _emoji(self, ctx: CheckContext) -> list[Finding]:
        start = _emoji_start()
        if start is not None and start.search(ctx.text) is None:
            return []
        found = list(_emoji().finditer(ctx.text))
        if not found:
            return []
        run_limit = int(threshold("spam", "emoji_run"))
        run_start, run_len = 0, 0
        for i, m in enumerate(found):
            adjacent = i > 0 and ctx.text[found[i - 1].end() : m.start()].strip() == ""
            run_start, run_len = (run_start, run_len + 1) if adjacent else (i, 1)
            if run_len >= run_limit:
                a, b = found[run_start].start(), m.end()
                return [finding(ctx, "spam.emoji", Severity.WARN, a, b, count=len(found))]
        limit = int(threshold("spam", "emoji_max"))
        if len(found) > limit:
            m = found[limit]
            return [finding(ctx, "spam.emoji", Severity.WARN, m.start(), m.end(), count=len(found))]
        return []

    def _repetition(self, ctx: CheckContext) -> list[Finding]:
        out: list[Finding] = []
        ignore = _repetition_ignore()
        for m in self._repeats(ctx.text):
            unit = m.group(1)
            if ignore.match(unit) or _emoji().fullmatch(unit.strip() or " "):
                continue
            end = m.start() + len(m.group(0).rstrip())
            out.append(finding(ctx, "spam.repetition", Severity.WARN, m.start(), end, term=unit))
            if len(out) >= 3:
                break
        return out

    @staticmethod
    def _repeats(text: str) -> Iterator[re.Match[str]]:
        """``_repetition().finditer(text)``, trying the full pattern only where the hint
        says a repeat may start."""
        full, pos = _repetition(), 0
        for hint in _repetition_hint().finditer(text):
            if hint.start() < pos:
                continue
            m = full.match(text, hint.start())
            if m is not None:
                yield m
                pos = m.end()

    def _links(self, ctx: CheckContext) -> list[Finding]:
        if "/" not in ctx.text and "www." not in ctx.text.lower():
            return []  # every URL has a "/" or starts with "www." (cheaper than the search)
        found = list(_url().finditer(ctx.text))
        out: list[Finding] = []
        shorteners = word_set("spam", "shorteners")
        for m in found:
            if _host(m.group(0)) in shorteners:
                out.append(
                    finding(
                        ctx, "spam.short_link", Severity.WARN, m.start(), m.end(), term=m.group(0)
                    )
                )
        limit = int(threshold("spam", "links_max"))
        if len(found) > limit:
            m = found[limit]
            out.append(
                finding(ctx, "spam.links", Severity.WARN, m.start(), m.end(), count=len(found))
            )
        return out

    def _caps(self, ctx: CheckContext) -> list[Finding]:
        if _TWO_CAPS.search(ctx.text) is None:
            return []  # both patterns need two capitals in a row
        allow = word_set("spam", "caps_allow")
        word_min = int(threshold("spam", "caps_word_min"))
        run_letters = int(threshold("spam", "caps_run_letters"))
        for m in _CAPS_RUN.finditer(ctx.text):
            caps = [w for w in _CAPS_WORD.findall(m.group(0)) if w not in allow]
            if len(caps) >= 2 and sum(len(w) for w in caps) >= run_letters:
                return [
                    finding(
                        ctx, "spam.all_caps", Severity.WARN, m.start(), m.end(), term=m.group(0)
                    )
                ]
        for m in _CAPS_WORD.finditer(ctx.text):
            if len(m.group(0)) >= word_min and m.group(0) not in allow:
                return [
                    finding(
                        ctx, "spam.all_caps", Severity.WARN, m.start(), m.end(), term=m.group(0)
                    )
                ]
        return []
