"""Life timelines: date tags read on the as-of date (zh, en), stale literals left out."""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge.timeline import add_months, fact_for, stale_keys, tag_date, tags_as_of, timeline


def text(key: str, value: str, on: str, lang: str = "zh") -> str | None:
    fact = fact_for(key, value, dt.date.fromisoformat(on), lang)
    return fact.text if fact is not None else None


@pytest.mark.parametrize(
    ("key", "value", "on", "zh", "en"),
    [
        # 孩子的年龄：按月份数，不是写下时的旧数字 / ages by whole months on the day
        (
            "child_birth",
            "2023-05",
            "2026-07-10",
            "孩子3岁2个月",
            "your child is 3 years 2 months old",
        ),
        ("child_born", "2023-05-14", "2026-05-14", "孩子3岁", "your child is 3 years old"),
        # 生日还没到：还是2岁11个月 / the birthday not reached yet
        (
            "child_born",
            "2023-05-14",
            "2026-05-13",
            "孩子2岁11个月",
            "your child is 2 years 11 months old",
        ),
        ("baby_birth", "2026-03", "2026-11-30", "宝宝8个月", "your baby is 8 months old"),
        ("baby_born", "2026-11-20", "2026-12-01", "宝宝出生11天", "your baby is 11 days old"),
        # 月末：1月31日出生，2月28日还不满一个月 / month ends
        ("child_born", "2026-01-31", "2026-02-28", "孩子出生28天", "your child is 28 days old"),
        ("child_born", "2026-01-31", "2026-03-31", "孩子2个月", "your child is 2 months old"),
        (
            "child_birthday",
            "2025-05-10",
            "2026-11-23",
            "孩子1岁6个月",
            "your child is 1 year 6 months old",
        ),
        # 坚持了多久 / how long something has gone on
        (
            "routine_start",
            "2026-09-01",
            "2026-11-20",
            "坚持护肤第3个月",
            "on your routine for 2 months",
        ),
        ("running_since", "2025-03", "2025-11-23", "坚持跑步第9个月", "running for 8 months"),
        (
            "running_since",
            "2025-03",
            "2026-11-23",
            "坚持跑步1年8个月",
            "running for 1 year 8 months",
        ),
        ("member_since", "2026-11-01", "2026-11-13", "成为会员第1个月", "a member for 12 days"),
    ],
)
def test_facts_on_the_as_of_date(key: str, value: str, on: str, zh: str, en: str) -> None:
    assert text(key, value, on, "zh") == zh
    assert text(key, value, on, "en") == en


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("child_birth", "2027-01"),  # 未来的日期 / a date after the as-of date
        ("child_birth", "2026-12-02"),
        ("child_birth", "不记得了"),  # 不是日期 / not a date
        ("child_birth", "2023-13"),
        ("child_birth", "2023-02-30"),
        ("child_birth", ""),
        ("child_birth", "3岁"),
        ("child_birth", "0023-05"),  # 打错的年份：不是"孩子2003岁" / a typo, not a 2,003-year-old
        ("running_since", "1926-12"),  # 一百年前 / a century before the day
        ("stage_since", "2026-11-20"),  # 生命周期自己的标签 / the lifecycle's own tag
        ("skin", "2026-01-01"),  # 不是日期键 / not a date key
    ],
)
def test_future_bad_and_other_values_give_no_fact(key: str, value: str) -> None:
    assert fact_for(key, value, dt.date(2026, 12, 1), "zh") is None
    assert fact_for(key, value, dt.date(2026, 12, 1), "en") is None


def test_a_long_life_is_still_a_timeline() -> None:
    fact = fact_for("member_since", "1927-01", dt.date(2026, 12, 1), "zh")
    assert fact is not None and fact.text == "成为会员99年11个月"


def test_tag_dates_and_months() -> None:
    assert tag_date("2023-05") == dt.date(2023, 5, 1)
    assert tag_date(" 2023-05-14 ") == dt.date(2023, 5, 14)
    assert tag_date("2023/05/14") is None
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 11, 1), 12) == dt.date(2026, 11, 1)


def test_the_computed_age_wins_over_stale_literals() -> None:
    """孩子有出生日期时，child_age=3岁和“宝宝8个月”这类旧字面都不再出现；客户自己的age不动。
    A birth date makes child_age=3岁 and a 宝宝8个月 label stale; the customer's own age stays."""
    tags = {
        "child_birth": "2025-12",
        "宝宝8个月": "宝宝8个月",
        "child_age": "3岁",
        "age": "32岁",
        "skin": "干皮",
    }
    on = dt.date(2026, 12, 3)
    assert stale_keys(tags, timeline(tags, on, "zh")) == {"宝宝8个月", "child_age"}
    assert tags_as_of(tags, on, "zh") == {"child_birth": "孩子1岁", "age": "32岁", "skin": "干皮"}
    # 没有出生日期：旧标签照旧 / no birth date: the tags as written
    assert tags_as_of({"child_age": "3岁"}, on, "zh") == {"child_age": "3岁"}
    # 坏的、未来的日期标签不出现 / a bad or future date tag is left out
    assert tags_as_of({"child_birth": "unknown", "x_start": "2030-01"}, on, "en") == {}
    en = {"running_since": "2026-06", "running_months": "2", "shoe": "road"}
    assert tags_as_of(en, on, "en") == {"running_since": "running for 6 months", "shoe": "road"}
