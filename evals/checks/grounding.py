"""Grounding: product facts in the draft (amounts, days, steps, percentages, product names,
proof claims) must be traceable to the retrieved sources. Numbers the customer's own context
explains (days since their purchase, values in their fields, their own words) are allowed
too."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from evals.checks.base import finding, matches, purchased
from evals.checks.context import brand_lines
from evals.lexicon import load, pattern, threshold, words_pattern
from evals.normalise import normalise, simplified
from evals.types import CheckContext, Finding, Severity
from knowledge.timeline import tags_as_of

_CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNIT_ALIASES = {
    "日": "天",
    "day": "天",
    "毫升": "ml",
    "克": "g",
    "gram": "g",
    "grams": "g",
    "min": "minute",
    "mins": "minute",
    "分钟": "minute",
    "小时": "hour",
    "lbs": "lb",
    "pound": "lb",
    "pounds": "lb",
    "公斤": "kg",
    "percent": "%",
    "千卡": "kcal",
    "大卡": "kcal",
    "calories": "kcal",
    "week": "周",
    "个月": "月",
    "month": "月",
    "次": "time",
    "遍": "time",
    "步": "step",
    "滴": "drop",
    "泵": "pump",
}


@cache
def _fact() -> re.Pattern[str]:
    units = load("grounding")["units"]
    zh = "|".join(sorted(units["zh"], key=len, reverse=True))
    en = "|".join(sorted(units["en"], key=len, reverse=True))
    num = r"\d+(?:\.\d+)?|[零一二两三四五六七八九十百半]+"
    to = r"\s*(?:-|–|—|~|～|至|到|to)\s*"  # a range ("500 to 800 km", "2-3滴"): both get the unit
    unit = rf"(?:(?P<zh>{zh})|(?P<en>(?:{en}))(?![A-Za-z]))"
    return re.compile(rf"(?P<num>{num})(?:{to}(?P<num2>{num}))?\s*{unit}", re.IGNORECASE)


def _cn_number(text: str) -> float | None:
    if text == "半":
        return 0.5
    if "百" in text:
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        t = _CN_DIGITS.get(tens, 1) if tens else 1
        o = _CN_DIGITS.get(ones, 0) if ones else 0
        return float(t * 10 + o)
    if len(text) == 1 and text in _CN_DIGITS:
        return float(_CN_DIGITS[text])
    return None


def _unit(raw: str) -> str:
    u = raw.lower()
    if u in _UNIT_ALIASES:
        return _UNIT_ALIASES[u]
    singular = u[:-1] if len(u) > 3 and u.endswith("s") else u
    return _UNIT_ALIASES.get(singular, singular)


def facts(text: str) -> list[tuple[float, str, int, int]]:
    """(value, unit, start, end) of every number-with-unit in ``text`` (read in simplified
    Chinese, like every lexicon: 三週 is 三周; the span is the original's)."""
    norm = normalise(text)
    out = []
    for m in _fact().finditer(norm.text):
        unit = _unit(m.group("zh") or m.group("en"))
        start, end = norm.span(m.start(), m.end())
        for group in ("num", "num2"):
            raw = m.group(group)
            if raw is None:
                continue
            if raw == "一":  # 一天, 一次, 进一步: "a day", "once", "further" — not amounts
                continue
            value = float(raw) if raw[0].isdigit() else _cn_number(raw)
            if value is not None:
                out.append((value, unit, start, end))
    return out


class GroundingCheck:
    """Everything the draft states about the product must come from the sources."""

    family = "grounding"

    def run(self, ctx: CheckContext) -> list[Finding]:
        out: list[Finding] = []
        claims = matches(pattern("grounding", "claims"), ctx.text)
        corpus = "\n".join(ctx.sources)
        # a 繁體 draft may quote simplified sources (read only when something is compared)
        low_corpus = simplified(corpus).lower() if claims or ctx.products else ""
        for m in claims:
            if simplified(m.group(0)).lower() not in low_corpus:
                out.append(
                    finding(
                        ctx,
                        "grounding.unsupported_claim",
                        Severity.WARN,
                        m.start(),
                        m.end(),
                        term=m.group(0),
                    )
                )
        if not ctx.sources:
            return out  # nothing to verify numbers against
        out += self._numbers(ctx, corpus)
        return out + self._products(ctx, low_corpus)

    def _numbers(self, ctx: CheckContext, corpus: str) -> list[Finding]:
        """Numbers with units the draft states that nothing it was given states."""
        min_number = float(threshold("grounding", "min_number"))
        stated = [f for f in facts(ctx.text) if f[0] >= min_number]
        if not stated:
            return []  # most drafts: nothing to look up
        known = {(v, u) for v, u, _, _ in facts(corpus)}
        known |= {(v, u) for text in ctx.inputs for v, u, _, _ in facts(text)}
        # the customer's own words ("这两天晚上饿得睡不着") and the plan's facts about them
        # ("已经99天没联系") are their context, not claims about the product
        known |= {(v, u) for text in ctx.customer_said for v, u, _, _ in facts(text)}
        for key in ("days_since_purchase", "days_since_contact"):
            if str(ctx.facts.get(key, "")).isdigit():
                known.add((float(ctx.facts[key]), "天"))
        known |= self._customer_facts(ctx)
        known |= {(v, u) for text in brand_lines(ctx) for v, u, _, _ in facts(text)}
        return [
            finding(
                ctx,
                "grounding.unsupported_fact",
                Severity.WARN,
                start,
                end,
                term=ctx.text[start:end],
            )
            for value, unit, start, end in stated
            if (value, unit) not in known
        ]

    def _products(self, ctx: CheckContext, low_corpus: str) -> list[Finding]:
        """Product names the sources do not mention."""
        if not ctx.products:
            return []
        out: list[Finding] = []
        mentioned = words_pattern(ctx.products)
        # naming what the customer bought is their own context, not a product claim
        bought = simplified(" ".join(purchased(ctx))).lower()
        for m in matches(mentioned, ctx.text):
            name = simplified(m.group(0)).lower()
            if name not in low_corpus and name not in bought:
                out.append(
                    finding(
                        ctx,
                        "grounding.unsupported_fact",
                        Severity.WARN,
                        m.start(),
                        m.end(),
                        term=m.group(0),
                    )
                )
        return out

    @staticmethod
    def _customer_facts(ctx: CheckContext) -> set[tuple[float, str]]:
        c = ctx.customer
        if c is None:
            return set()
        today = ctx.as_of or dt.date.today()
        known: set[tuple[float, str]] = set()
        for p in c.purchases:
            days = (today - p.date).days
            known |= {(float(days), "天"), (float(days // 7), "周"), (float(days // 30), "月")}
        # the tags as of the message's day: 孩子1岁2个月 from child_birth, not a stale 宝宝8个月
        for value in tags_as_of(c.tags, today, ctx.lang).values():
            known |= {(v, u) for v, u, _, _ in facts(value)}
        return known
