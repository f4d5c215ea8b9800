"""Plan a month's themed series of community posts for each community tier of a brand.

For every tier (``Brand.tiers``) and month the plan holds, in this order:

- one weekly "small good thing" (本周小美好) per week starting in the month (Mondays),
  each built on one of the brand's beliefs, value docs or usage guides;
- one workshop / activity announcement, from the brand's activity docs that fit the tier;
- one member story, from **consented** stories only (``consent: true``);
- one Q&A recap, from the FAQ docs;
- in December, a year-end thank-you.

A slot with no source (no activity doc, no consented story, no FAQ) is left out rather than
invented. Planning is deterministic: the same pack, month and history give the same plan.
Themes do not repeat the previous months': ``history`` holds the theme keys already used
per tier (read from earlier batches); never-used sources are taken first in a stable
order, then the one used longest ago (a month repeats its own picks only when it must).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from core.days import FIRST_DAY, LAST_DAY
from core.errors import NotFoundError, ZhenxinError
from knowledge.pack import BrandPack, DocKind, KnowledgeDoc, Tier

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class Slot(StrEnum):
    SMALL_GOOD_THING = "small_good_thing"
    ACTIVITY = "activity"
    MEMBER_STORY = "member_story"
    QA_RECAP = "qa_recap"
    YEAR_END_THANKS = "year_end_thanks"


_LABELS: dict[Slot, tuple[str, str]] = {
    Slot.SMALL_GOOD_THING: ("本周小美好", "Small good thing of the week"),
    Slot.ACTIVITY: ("活动预告", "Workshop announcement"),
    Slot.MEMBER_STORY: ("会员故事", "Member story"),
    Slot.QA_RECAP: ("问答回顾", "Q&A recap"),
    Slot.YEAR_END_THANKS: ("年终感谢", "Year-end thank-you"),
}


@dataclass(frozen=True)
class PlannedPost:
    """One post of the monthly series. ``theme_key`` is what must not repeat across months."""

    tier: str
    slot: Slot
    index: int  # 1-based position within the slot (week number for small good things)
    publish_on: dt.date
    theme: str  # the theme text handed to the pipeline (DraftRequest.theme)
    theme_key: str  # e.g. "belief:slow-skin", "doc:spring-workshop"
    source_id: str | None = None  # the belief id or knowledge doc id the theme is built on
    story_doc: str | None = None  # for member stories: DraftRequest.story_doc

    @property
    def key(self) -> str:
        """Unique within a batch: tier + slot position (+ theme)."""
        return f"{self.tier}/{self.slot.value}-{self.index}/{self.theme_key}"


@dataclass(frozen=True)
class _Source:
    key: str
    source_id: str
    text: str  # short description of the theme in the brand's language


def parse_month(value: str) -> tuple[int, int]:
    """``"2026-12"`` -> ``(2026, 12)``; anything else is a clear error."""
    m = _MONTH.match(value.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ZhenxinError(f"month must look like 2026-12, got {value!r}")
    year, month = int(m.group(1)), int(m.group(2))
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise ZhenxinError(
            f"month {value.strip()} is out of range",
            hint=f"a month from {FIRST_DAY:%Y-%m} to {LAST_DAY:%Y-%m}",
        )
    return year, month


def mondays(year: int, month: int) -> list[dt.date]:
    """The Mondays of a month: one weekly post each (4 or 5)."""
    _, days = calendar.monthrange(year, month)
    return [
        dt.date(year, month, d)
        for d in range(1, days + 1)
        if dt.date(year, month, d).weekday() == calendar.MONDAY
    ]


def _fits_tier(doc: KnowledgeDoc, tier: Tier) -> bool:
    return not doc.stages or not tier.stages or bool(set(doc.stages) & set(tier.stages))


def _pick(sources: Sequence[_Source], recency: dict[str, int]) -> _Source | None:
    """The source used longest ago (never used first), ties in the stable source order."""
    if not sources:
        return None
    return min(sources, key=lambda s: (recency.get(s.key, -1), sources.index(s)))


def _label(slot: Slot, lang: str) -> str:
    zh, en = _LABELS[slot]
    return zh if lang == "zh" else en


def _theme(slot: Slot, lang: str, detail: str, tier: Tier) -> str:
    sep = "：" if lang == "zh" else ": "
    scope = f"（{tier.name}）" if lang == "zh" else f" ({tier.name})"
    return f"{_label(slot, lang)}{scope}{sep}{detail}"


def _short(text: str, limit: int = 60) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def plan_month(
    pack: BrandPack,
    month: str,
    *,
    tiers: Iterable[str] | None = None,
    history: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> list[PlannedPost]:
    """Plan ``month`` (``"2026-12"``) for the brand's tiers (all, or the ids in ``tiers``).

    ``history`` maps a tier id to ``(month, theme_key)`` pairs of earlier months, in the order
    they were published; themes in it are avoided (the least recently used comes back only
    when every source was used).
    """
    year, mon = parse_month(month)
    brand = pack.brand
    lang = brand.language
    wanted = list(tiers) if tiers is not None else None
    chosen = [t for t in brand.tiers if wanted is None or t.id in wanted]
    if wanted is not None:
        unknown = sorted(set(wanted) - {t.id for t in brand.tiers})
        if unknown:
            raise NotFoundError(
                f"brand {brand.id!r} has no tier {', '.join(unknown)}",
                hint=f"known tiers: {', '.join(t.id for t in brand.tiers) or 'none'}",
            )
    if not chosen:
        raise NotFoundError(
            f"brand {brand.id!r} has no community tiers",
            hint="add 'tiers:' to brand.yaml to plan monthly posts",
        )
    docs = sorted(pack.docs, key=lambda d: d.id)
    weeks = mondays(year, mon)
    last = dt.date(year, mon, calendar.monthrange(year, mon)[1])
    while last.weekday() >= calendar.SATURDAY:  # the year-end thanks goes out on a weekday
        last -= dt.timedelta(days=1)
    history = history or {}
    now = (year * 12 + mon) * 1000
    plan: list[PlannedPost] = []
    for tier in chosen:
        # theme_key -> when it was last used (bigger = more recent); this month's picks
        # count as the most recent of all, so a month repeats a source only when it must
        recency: dict[str, int] = {}
        for position, (past_month, key) in enumerate(history.get(tier.id, ())):
            y, m = parse_month(past_month)
            if (y, m) < (year, mon):
                seen = (y * 12 + m) * 1000 + min(position, 999)
                recency[key] = max(recency.get(key, 0), seen)

        def take(
            slot: Slot,
            sources: Sequence[_Source],
            index: int,
            day: dt.date,
            *,
            tier: Tier = tier,
            recency: dict[str, int] = recency,
        ) -> None:
            src = _pick(sources, recency)
            if src is None:
                return
            recency[src.key] = now + len(plan) + 1
            plan.append(
                PlannedPost(
                    tier=tier.id,
                    slot=slot,
                    index=index,
                    publish_on=day,
                    theme=_theme(slot, lang, src.text, tier),
                    theme_key=src.key,
                    source_id=src.source_id,
                    story_doc=src.source_id if slot == Slot.MEMBER_STORY else None,
                )
            )

        values = [_Source(f"belief:{b.id}", b.id, _short(b.topic or b.text)) for b in brand.beliefs]
        values += [
            _Source(f"doc:{d.id}", d.id, _short(d.title))
            for d in docs
            if d.kind == DocKind.VALUE and _fits_tier(d, tier)
        ]
        values += [  # a small, useful tip from a usage guide is a good thing too
            _Source(f"doc:{d.id}", d.id, _short(d.title))
            for d in docs
            if d.kind == DocKind.USAGE_GUIDE and _fits_tier(d, tier)
        ]
        activities = [
            _Source(f"doc:{d.id}", d.id, _short(d.title))
            for d in docs
            if d.kind == DocKind.ACTIVITY and _fits_tier(d, tier)
        ]
        stories = [
            _Source(f"doc:{d.id}", d.id, _short(d.title))
            for d in docs
            if d.kind == DocKind.STORY and d.consent is True and _fits_tier(d, tier)
        ]
        faqs = [
            _Source(f"doc:{d.id}", d.id, _short(d.title))
            for d in docs
            if d.kind == DocKind.FAQ and _fits_tier(d, tier)
        ]

        for n, monday in enumerate(weeks, start=1):
            take(Slot.SMALL_GOOD_THING, values, n, monday)
        take(Slot.ACTIVITY, activities, 1, weeks[0] + dt.timedelta(days=2))
        take(Slot.MEMBER_STORY, stories, 1, weeks[1] + dt.timedelta(days=3))
        take(Slot.QA_RECAP, faqs, 1, weeks[2] + dt.timedelta(days=4))
        if mon == 12:
            # said to every tier, newest too: "一年同行" told people who came last week they had
            # been here a year (a reader); the year's end is true for everyone
            thanks = "年末，谢谢你" if lang == "zh" else "At the year's end: thank you"
            plan.append(
                PlannedPost(
                    tier=tier.id,
                    slot=Slot.YEAR_END_THANKS,
                    index=1,
                    publish_on=last,
                    theme=_theme(Slot.YEAR_END_THANKS, lang, thanks, tier),
                    theme_key=f"year_end:{year}",
                )
            )
    return sorted(plan, key=lambda p: (p.tier, p.publish_on, p.slot.value, p.index))


__all__ = ["PlannedPost", "Slot", "mondays", "parse_month", "plan_month"]
