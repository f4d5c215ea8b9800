"""Inline SVG charts (core/charts.py): the bench pages' and the outcomes page's."""

from __future__ import annotations

import re
from collections import Counter

from core.charts import Bar, histogram, rate_bars, stacked


def test_a_histogram_counts_every_value_once_and_marks_p50_and_p95() -> None:
    values = [1.0, 2.0, 2.5, 9.0, 10.0]
    svg = histogram("care_message", values, bins=5)
    counts = [int(n) for n in re.findall(r"s: (\d+)</title>", svg)]
    assert sum(counts) == len(values) and counts == [1, 2, 0, 0, 2]  # bins of 2 s: [0,2) [2,4) …
    assert "p50 2.5 s" in svg and "p95 10.0 s" in svg and "n=5" in svg
    assert histogram("empty", []) == ""


def test_stacked_bars_split_each_group_by_its_verdicts() -> None:
    svg = stacked("by kind", {"care_message": Counter({"pass": 3, "review": 1}), "x<y": Counter()})
    assert "<title>pass: 3</title>" in svg and "<title>review: 1</title>" in svg
    assert "block: " not in svg  # no empty cells
    assert "x&lt;y" in svg and "x<y" not in svg  # labels are escaped
    widths = [float(w) for w in re.findall(r'width="([\d.]+)" height="18"', svg)]
    assert abs(widths[0] / widths[1] - 3.0) < 0.01  # shares, not counts


def test_rate_bars_draw_each_rate_with_its_interval_and_pale_when_few() -> None:
    bars = [
        Bar("全部", 0.2, 0.1, 0.35, "contacted", "20% [10–35] n=40"),
        Bar("全部", 0.1, 0.02, 0.4, "held out", "10% [2–40] n=10 (few)", faint=True),
        Bar("day<3>", None, 0.0, 0.0, "held out", "n=0"),
    ]
    svg = rate_bars("30-day repurchase", bars, note="whiskers: 95 %")
    rects = re.findall(r'<rect x="130" [^>]*>', svg)
    widths = [float(re.findall(r'width="([\d.]+)"', r)[0]) for r in rects]
    assert widths == [60.0, 30.0]  # 300 px is 100 %
    assert ["fill-opacity" in r for r in rects] == [False, True]
    assert 'x1="160.0" x2="235.0"' in svg  # the contacted bar's interval, 10–35 %
    assert svg.count(">全部</text>") == 1  # one label per group of bars
    assert "day&lt;3&gt;" in svg and "day<3>" not in svg and "n=0" in svg
    assert "<script" not in svg and "whiskers: 95 %" in svg
    assert rate_bars("empty", []) == ""
