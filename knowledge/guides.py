"""Reading a usage guide the way an operator wrote it: its items (steps, bullets,
paragraphs), the item for a moment of use (day 3, half used, almost finished, getting
started), and its safety statements.

The planner picks the guide item for the moment — the draft must carry it — so the model never
decides which advice fits. Safety statements ("stop using if…", "not normal", "ask your
doctor") are quoted word for word in a draft, never paraphrased: a guide marks them in its
front matter (``safety: [...]``), under a heading such as 注意事项 / Cautions, or by their
words (停用, 就医, not normal, see a doctor…), zh and en.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.pack import Customer, KnowledgeDoc

# Words that mark the guide item written for a moment (zh, then en).
MOMENT_MARKS: dict[str, tuple[str, ...]] = {
    "day3": ("第 3 天", "第3天", "第三天", "头三天", "前三天", "day 3", "first days", "first week"),
    "half_used": (
        "用到一半",
        "练习过半",
        "过半",
        "一半",
        "halfway",
        "half way",
        "half-used",
        "midway",
    ),
    "almost_finished": (
        "快用完",
        "快结营",
        "快结束",
        "用完前",
        "最后几天",
        "almost finished",
        "nearly finished",
        "nearly worn",
        "nearly done",
        "almost done",
        "last few",
    ),
}
# Headings whose first items say how to start (welcome, after purchase).
_START_HEADINGS = re.compile(
    r"用量与步骤|怎么用|使用方法|步骤|开始|how to start|how to use|getting started|steps|first",
    re.I,
)
_SAFETY_HEADINGS = re.compile(r"注意事项|注意|安全|禁忌|cautions?|safety|warnings?|important", re.I)
# Sentences that are safety statements by their own words.
_SAFETY_WORDS = re.compile(
    r"停用|停止使用|立即停|不正常|就医|看医生|问医生|问问.{0,6}医生|咨询医生|皮肤科|过敏|破损"
    r"|not normal|are not[:：]|stop (?:using|and|running)|see a (?:doctor|physio)|physio"
    r"|a doctor|allerg",
    re.I,
)
_SENTENCE_ZH = re.compile(r"[^。！？!?；;\n]+(?:[。！？!?；;]|(?=\n)|$)")
# A period inside a token ("bit.ly", "2.5", "e.g.x") does not end an English sentence.
_SENTENCE_EN = re.compile(r"(?:[^.!?\n]|[.!?](?![\s.!?]|$))+(?:[.!?]+(?=\s|$)|(?=\n)|$)")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_MARKDOWN = re.compile(r"\*\*|__|`|^\s*(?:[-*+]|\d+[.)])\s+", re.M)


@dataclass(frozen=True)
class GuideItem:
    heading: str  # the section it is under ("" before any heading)
    text: str  # the item as plain text (Markdown markers dropped)


def items(doc: KnowledgeDoc) -> list[GuideItem]:
    """Every bullet, numbered step and paragraph of the guide, with its section heading."""
    out: list[GuideItem] = []
    heading = ""
    current: list[str] = []

    def flush() -> None:
        if current:
            text = " ".join(" ".join(current).split())
            text = _MARKDOWN.sub("", text).strip()
            if text:
                out.append(GuideItem(heading, text))
            current.clear()

    for line in doc.body.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            flush()
            heading = stripped.lstrip("#").strip()
        elif not stripped:
            flush()
        elif re.match(r"(?:[-*+]|\d+[.)])\s+", stripped):
            flush()
            current.append(stripped)
        else:
            current.append(stripped)
    flush()
    return out


def names_whole(term: str, text: str) -> bool:
    """Whether ``text`` holds ``term`` whole, case-blind: no letter or digit right before or
    after it ("day 3" is not in "day 30", "run" not in "running")."""
    edge = r"(?<![0-9A-Za-z])" + re.escape(term) + r"(?![0-9A-Za-z])"
    return re.search(edge, text, re.I) is not None


def moment_item(doc: KnowledgeDoc, trigger: str) -> GuideItem | None:
    """The guide's item for this moment: the one that names it (day 3, halfway, almost
    finished), or the first steps for a welcome / after a purchase; None when the guide has
    nothing for the moment."""
    marks = MOMENT_MARKS.get(trigger)
    guide = items(doc)
    if marks:
        for mark in marks:  # the most telling mark first ("day 3" before "first week")
            # whole marks only: "day 3" is not in "day 30", "第3天" not in "第13天"
            for item in guide:
                if names_whole(mark, item.text):
                    return item
        return None
    if trigger in ("welcome", "after_purchase", "stage_up"):
        for item in guide:
            if _START_HEADINGS.search(item.heading):
                return item
    return None


_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九十")}
_NAMED_DAY = re.compile(r"第\s*([0-9]+|[一二三四五六七八九十]{1,3})\s*天|\bday\s+([0-9]+)\b", re.I)
_NAMED_WEEK = re.compile(
    r"第\s*([0-9]+|[一二三四五六七八九十]{1,3})\s*周|\bweek\s+([0-9]+)\b", re.I
)


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if len(text) == 1:
        return _CN_DIGITS[text]
    tens, _, ones = text.partition("十")  # 十二, 二十, 二十一
    return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)


def fits_day(text: str, days: int, usage_days: int | None) -> bool:
    """Whether a guide item that names its time ("用到一半（约第 15 天）", "Halfway (about day
    28, end of week 4)") fits someone ``days`` in: a named week is that week or the next (a
    plan's week 4 passage says "you are running 5 minutes at a time", untrue in week 3); a
    named day within a quarter of the guide's days (at least 5). An item that names no time
    fits any day."""
    week = _NAMED_WEEK.search(text)
    if week:
        named = _number(week.group(1) or week.group(2))
        return named <= days // 7 + 1 <= named + 1
    day = _NAMED_DAY.search(text)
    if day:
        named = _number(day.group(1) or day.group(2))
        return abs(days - named) <= max(5, (usage_days or 0) / 4)
    return True


def sentences(text: str) -> list[str]:
    pattern = _SENTENCE_ZH if _CJK.search(text) else _SENTENCE_EN
    return [s.strip() for s in pattern.findall(text) if s.strip()]


def safety_statements(doc: KnowledgeDoc) -> list[str]:
    """The guide's safety statements, verbatim: declared in front matter, every item under a
    safety heading, and any sentence that says stop / not normal / see a doctor."""
    found: list[str] = list(doc.safety)
    for item in items(doc):
        if _SAFETY_HEADINGS.search(item.heading):
            found.append(item.text)
            continue
        found += [s for s in sentences(item.text) if _SAFETY_WORDS.search(s)]
    seen: set[str] = set()
    return [s for s in found if not (s in seen or seen.add(s))]  # type: ignore[func-returns-value]


def split_safety(text: str, safety: list[str]) -> tuple[str, list[str]]:
    """``text`` without its safety sentences, and those sentences (verbatim): the model says
    the rest in its own words, the composer quotes these."""
    keep: list[str] = []
    quoted: list[str] = []
    for sentence in sentences(text):
        if _SAFETY_WORDS.search(sentence) or any(sentence in s or s in sentence for s in safety):
            quoted.append(sentence)
        else:
            keep.append(sentence)
    joiner = "" if _CJK.search(text) else " "
    return joiner.join(keep), quoted


# A customer's own pace moves a guide's days at most this far either way: a tag that says
# 2 km a week does not make a shoe last nine years.
_PACE_FACTOR_MAX = 3.0


def usage_days_for(guide: KnowledgeDoc, customer: Customer | None) -> int | None:
    """How many days ``guide``'s product lasts this customer: its ``usage_days``, or, when it
    wears by use (``usage_total``) and the customer's record gives their use per week (the
    tag ``usage_rate_tag``, a number), the days that use takes: a runner at 35 km a week
    wears a 600 km shoe out in 120 days, not the guide's 180 (a reader saw "about the halfway
    point" told to one at ~450 km). Within a factor of three of ``usage_days``."""
    days = guide.usage_days
    if days is None or guide.usage_total is None or guide.usage_rate_tag is None:
        return days
    tag = (customer.tags.get(guide.usage_rate_tag) if customer is not None else None) or ""
    m = re.match(r"\s*(\d+(?:\.\d+)?)", tag)
    rate = float(m.group(1)) if m else 0.0
    if rate <= 0:
        return days
    own = guide.usage_total / rate * 7
    return round(min(max(own, days / _PACE_FACTOR_MAX), days * _PACE_FACTOR_MAX))


__all__ = [
    "MOMENT_MARKS",
    "GuideItem",
    "fits_day",
    "items",
    "moment_item",
    "names_whole",
    "safety_statements",
    "sentences",
    "split_safety",
    "usage_days_for",
]
