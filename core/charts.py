"""Inline SVG charts for the bench pages: a latency histogram and verdicts stacked per group.
No JavaScript and no chart library: a page opens offline and can be mailed as one file.

    histogram("care_message", [9.8, 10.4, 17.1], unit="s")
    stacked({"care_message": Counter(pass=30, review=5)}, order=("pass", "review", "block"))
"""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Mapping, Sequence

VERDICT_COLOURS = {"pass": "#4c9a52", "review": "#e0a526", "block": "#c4453c", "refused": "#999"}
_W, _BAR_H, _GAP, _LABEL_W = 520, 18, 6, 150


def histogram(title: str, values: Sequence[float], *, unit: str = "s", bins: int = 10) -> str:
    """A histogram of ``values`` (``bins`` equal bins from 0 to the largest value), with the
    median and p95 marked. Empty when there are no values."""
    if not values:
        return ""
    top = max(values) or 1.0
    width = top / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int(v / width))] += 1
    tallest = max(counts)
    height, bottom = 120, 140
    step = _W / bins
    bars = "".join(
        f'<rect x="{i * step + 1:.1f}" y="{bottom - c / tallest * height:.1f}" '
        f'width="{step - 2:.1f}" height="{c / tallest * height:.1f}" fill="#6b8fc7">'
        f"<title>{i * width:.1f}–{(i + 1) * width:.1f} {unit}: {c}</title></rect>"
        for i, c in enumerate(counts)
    )
    ordered = sorted(values)
    marks = ""
    for name, q in (("p50", 0.5), ("p95", 0.95)):
        v = ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]
        x = v / top * _W
        marks += (
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="10" y2="{bottom}" stroke="#333" '
            f'stroke-dasharray="3 2"/><text x="{x + 3:.1f}" y="20" font-size="11">'
            f"{name} {v:.1f} {unit}</text>"
        )
    axis = (
        f'<text x="0" y="{bottom + 14}" font-size="11">0</text>'
        f'<text x="{_W}" y="{bottom + 14}" font-size="11" text-anchor="end">'
        f"{top:.1f} {unit}</text>"
    )
    return (
        f"<figure><figcaption>{html.escape(title)} · n={len(values)}</figcaption>"
        f'<svg width="{_W}" height="{bottom + 20}" role="img">{bars}{marks}{axis}</svg></figure>'
    )


def stacked(
    title: str,
    groups: Mapping[str, Counter[str]],
    *,
    order: Sequence[str] = ("pass", "review", "block", "refused"),
) -> str:
    """One horizontal bar per group, split by share of each key (verdicts), with counts."""
    if not groups:
        return ""
    rows = []
    for i, (group, counts) in enumerate(groups.items()):
        total = sum(counts.values()) or 1
        y = i * (_BAR_H + _GAP)
        x = float(_LABEL_W)
        cells = ""
        for key in order:
            n = counts.get(key, 0)
            if not n:
                continue
            w = n / total * (_W - _LABEL_W)
            cells += (
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{_BAR_H}" '
                f'fill="{VERDICT_COLOURS.get(key, "#888")}"><title>{key}: {n}</title></rect>'
            )
            if w > 18:
                cells += f'<text x="{x + 3:.1f}" y="{y + 13}" font-size="11" fill="#fff">{n}</text>'
            x += w
        rows.append(f'<text x="0" y="{y + 13}" font-size="12">{html.escape(group)}</text>{cells}')
    legend = " ".join(
        f'<span style="color:{VERDICT_COLOURS.get(k, "#888")}">■</span> {k}' for k in order
    )
    h = len(groups) * (_BAR_H + _GAP)
    return (
        f"<figure><figcaption>{html.escape(title)} · {legend}</figcaption>"
        f'<svg width="{_W}" height="{h}" role="img">{"".join(rows)}</svg></figure>'
    )
