"""Life timelines: date-valued customer tags read on the as-of date, and the brand's product
ladder (a usage guide's ``next`` link) that a timeline can reach.

**Date tags.** A tag whose key ends in ``_birth``, ``_born`` or ``_birthday`` is a birth date
(an age); one ending in ``_since``, ``_start`` or ``_started`` is when something began (a
duration). Values are ``YYYY-MM`` (counted from the 1st of that month) or ``YYYY-MM-DD``::

    child_birth=2023-05        -> 孩子3岁2个月 / your child is 3 years 2 months old
    routine_start=2026-09-01   -> 坚持护肤第3个月 / on your routine for 2 months
    running_since=2025-03      -> 坚持跑步1年8个月 / running for 1 year 8 months

Facts are computed on the as-of date, so a draft never repeats a literal that went stale
(``宝宝8个月`` written a year ago). When a birth date is known, tags that state an age
(``child_age=3岁``, a label ``宝宝8个月``) are left out: the computed age wins. A value that is
not such a date, or a date after the as-of date, gives no fact (and no crash).
``stage_since`` is the lifecycle's own tag (``batch.due``), not a life event.

**The ladder.** A usage guide may name the guide of the product that usually comes next and
when it fits, in months on the customer's timeline (``next: walker-guide``,
``from_months: 12``, optionally ``timeline: child_birth``). :func:`next_steps` says which of a
customer's purchases have reached their next step on a date; the program, not the model,
then names that product and quotes its guide.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from knowledge.pack import BrandPack, Customer, DocKind, KnowledgeDoc, Purchase

AGE_SUFFIXES = ("_birth", "_born", "_birthday")
SINCE_SUFFIXES = ("_since", "_start", "_started")
# A date tag this many years before the draft's day is a typo, not a timeline (no one has run for a
# century): left out like a date in the future.
LIFETIME_YEARS = 100
# Tags of the lifecycle itself, not of the customer's life.
SYSTEM_KEYS = frozenset({"stage_since"})

_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*$")
# An age said as a literal: 3岁, 8个月, 1岁半, 3 years old, 18 months.
_AGE_LITERAL = re.compile(
    r"\d+\s*(?:周岁|岁|个月|月龄)|[一二两三四五六七八九十]+\s*(?:周岁|岁)"
    r"|\b\d+\s*(?:years?|yrs?|months?|mos?)(?:\s*old)?\b",
    re.I,
)
# How a subject (the key without its suffix) is said: (zh, en).
_WHO = {
    "child": ("孩子", "your child"),
    "kid": ("孩子", "your child"),
    "baby": ("宝宝", "your baby"),
    "son": ("儿子", "your son"),
    "daughter": ("女儿", "your daughter"),
    "pet": ("毛孩子", "your pet"),
    "dog": ("狗狗", "your dog"),
    "cat": ("猫咪", "your cat"),
}
# What was started: (zh, en) — "坚持跑步第3个月", "running for 8 months".
_WHAT = {
    "running": ("坚持跑步", "running"),
    "run": ("坚持跑步", "running"),
    "routine": ("坚持护肤", "on your routine"),
    "skincare": ("坚持护肤", "on your skin-care routine"),
    "training": ("坚持训练", "training"),
    "yoga": ("坚持练瑜伽", "doing yoga"),
    "member": ("成为会员", "a member"),
}


@dataclass(frozen=True)
class TimelineFact:
    """One date tag read on a date: ``text`` is what a draft may say."""

    key: str  # the tag key (child_birth)
    subject: str  # the key without its suffix (child)
    kind: str  # "age" | "since"
    start: dt.date
    months: int  # whole months from start to the as-of date
    days: int  # days from start to the as-of date
    text: str


def tag_date(value: str) -> dt.date | None:
    """``YYYY-MM`` (the 1st of that month) or ``YYYY-MM-DD``; None for anything else."""
    m = _DATE.match(value or "")
    if m is None:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def date_kind(key: str) -> str | None:
    """ "age" or "since" for a date tag's key, None for any other key."""
    k = key.strip().lower()
    if k in SYSTEM_KEYS:
        return None
    if k.endswith(AGE_SUFFIXES):
        return "age"
    if k.endswith(SINCE_SUFFIXES):
        return "since"
    return None


def months_between(start: dt.date, on: dt.date) -> int:
    """Whole months from ``start`` to ``on`` (a month is complete on the same day number)."""
    months = (on.year - start.year) * 12 + on.month - start.month - (on.day < start.day)
    return max(months, 0)


def add_months(start: dt.date, months: int) -> dt.date:
    """``start`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return dt.date(year, month + 1, day)


def _subject(key: str) -> str:
    k = key.strip()
    for suffix in (*AGE_SUFFIXES, *SINCE_SUFFIXES):
        if k.lower().endswith(suffix):
            return k[: -len(suffix)]
    return k


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _span_en(months: int, days: int) -> str:
    if months == 0:
        return _plural(days, "day")
    years, rest = divmod(months, 12)
    if not years:
        return _plural(rest, "month")
    return _plural(years, "year") + (f" {_plural(rest, 'month')}" if rest else "")


def _age_text(subject: str, months: int, days: int, lang: str) -> str:
    base = re.sub(r"\d+$", "", subject.lower())
    zh_who, en_who = _WHO.get(base, (subject, f"your {subject.replace('_', ' ')}"))
    years, rest = divmod(months, 12)
    if lang == "zh":
        if months == 0:
            return f"{zh_who}出生{days}天"
        if not years:
            return f"{zh_who}{rest}个月"
        return f"{zh_who}{years}岁" + (f"{rest}个月" if rest else "")
    return f"{en_who} is {_span_en(months, days)} old"


def _since_text(subject: str, months: int, days: int, lang: str) -> str:
    base = re.sub(r"\d+$", "", subject.lower())
    zh_what, en_what = _WHAT.get(base, (f"坚持{subject}", subject.replace("_", " ")))
    if lang == "zh":
        if months < 12:
            return f"{zh_what}第{months + 1}个月"
        years, rest = divmod(months, 12)
        return f"{zh_what}{years}年" + (f"{rest}个月" if rest else "")
    return f"{en_what} for {_span_en(months, days)}"


def fact_for(key: str, value: str, as_of: dt.date, lang: str) -> TimelineFact | None:
    """The fact a date tag gives on ``as_of``; None when the key is not a date key, the value
    is not a date, or the date is after ``as_of`` or more than a lifetime before it (a typo:
    ``child_birth=0023-05`` would be "孩子2003岁")."""
    kind = date_kind(key)
    start = tag_date(value) if kind is not None else None
    if kind is None or start is None or start > as_of:
        return None
    if months_between(start, as_of) >= LIFETIME_YEARS * 12:
        return None
    lang = "en" if lang == "en" else "zh"
    subject = _subject(key)
    months, days = months_between(start, as_of), (as_of - start).days
    text = (_age_text if kind == "age" else _since_text)(subject, months, days, lang)
    return TimelineFact(key, subject, kind, start, months, days, text)


def timeline(tags: Mapping[str, str], as_of: dt.date, lang: str) -> list[TimelineFact]:
    """Every date tag's fact on ``as_of``, in the tags' order."""
    found = (fact_for(k, v, as_of, lang) for k, v in tags.items())
    return [f for f in found if f is not None]


def stale_keys(tags: Mapping[str, str], facts: Iterable[TimelineFact]) -> set[str]:
    """Tags a computed fact makes stale: ``<subject>_age`` / ``_months`` beside a birth date,
    and any tag stating an age (``宝宝8个月``) once an age is known; ``<subject>_months`` /
    ``_days`` beside a start date."""
    facts = list(facts)
    ages = [f for f in facts if f.kind == "age"]
    stale: set[str] = set()
    for f in facts:
        ends = ("_age", "_months") if f.kind == "age" else ("_months", "_days", "_duration")
        stale |= {f.subject + e for e in ends}
    out = {k for k in tags if k in stale}
    if ages:
        dated = {f.key for f in facts}
        subjects = {f.subject.lower() for f in ages}
        for k, v in tags.items():
            low = k.lower()
            said = k == v or low.endswith("_age") or low in subjects  # a label, child_age…
            if k not in dated and said and (low.endswith("_age") or _AGE_LITERAL.search(v)):
                out.add(k)
    return out


def tags_as_of(tags: Mapping[str, str], as_of: dt.date, lang: str) -> dict[str, str]:
    """The tags as a draft may state them on ``as_of``: a date tag becomes its fact, a stale
    one is left out, a date tag without a usable date (bad, or in the future) is left out;
    every other tag as written."""
    facts = {f.key: f for f in timeline(tags, as_of, lang)}
    stale = stale_keys(tags, facts.values())
    out: dict[str, str] = {}
    for key, value in tags.items():
        if key in facts:
            out[key] = facts[key].text
        elif key not in stale and date_kind(key) is None:
            out[key] = value
    return out


# --- the ladder --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NextStep:
    """A purchase whose guide's ``next`` product fits the customer from ``opens`` on."""

    purchase: Purchase
    guide: KnowledgeDoc  # the guide of what they bought
    next_guide: KnowledgeDoc  # the guide it links to
    fact: TimelineFact  # the timeline the window is counted on
    opens: dt.date  # the day the window opens (the timeline's start + from_months)


def ladder_fact(guide: KnowledgeDoc, facts: list[TimelineFact]) -> TimelineFact | None:
    """The timeline a guide's window is counted on: its ``timeline`` tag, else the first age."""
    if guide.timeline:
        return next((f for f in facts if f.key == guide.timeline), None)
    return next((f for f in facts if f.kind == "age"), None)


def next_steps(
    pack: BrandPack,
    customer: Customer,
    as_of: dt.date,
    lang: str = "zh",
    guide_of: Callable[[str], KnowledgeDoc | None] | None = None,
) -> list[NextStep]:
    """The next steps open on ``as_of`` for the customer's purchases, the latest window first.

    A step counts when the customer bought the guide's product on or before the day its
    window opened (the timeline crossed it after the purchase) and has not bought the next
    product yet. ``guide_of`` looks a product's usage guide up (default
    ``pack.usage_guide``; a brand-wide pass passes one that remembers). The customer's
    timeline is worked out only for a guide with a next step (most customers have none)."""
    facts: list[TimelineFact] | None = None
    owned = {p.product for p in customer.purchases}
    steps: dict[str, NextStep] = {}
    for purchase in customer.purchases:
        guide = (guide_of or pack.usage_guide)(purchase.product)
        if guide is None or not guide.next or guide.from_months is None:
            continue
        try:
            nxt = pack.doc(guide.next)
        except KeyError:
            continue
        if nxt.kind != DocKind.USAGE_GUIDE or nxt.product in owned:
            continue
        if facts is None:
            facts = timeline(customer.tags, as_of, lang)
        fact = ladder_fact(guide, facts)
        if fact is None:
            continue
        opens = add_months(fact.start, guide.from_months)
        if purchase.date <= opens <= as_of:
            steps.setdefault(nxt.id, NextStep(purchase, guide, nxt, fact, opens))
    return sorted(steps.values(), key=lambda s: s.opens, reverse=True)


__all__ = [
    "AGE_SUFFIXES",
    "SINCE_SUFFIXES",
    "NextStep",
    "TimelineFact",
    "add_months",
    "date_kind",
    "fact_for",
    "ladder_fact",
    "months_between",
    "next_steps",
    "stale_keys",
    "tag_date",
    "tags_as_of",
    "timeline",
]
