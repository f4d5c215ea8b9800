"""The bench pages' inline SVG charts."""

from __future__ import annotations

import re
from collections import Counter

from bench.charts import histogram, stacked


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
