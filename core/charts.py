"""Inline SVG charts, for the bench pages and the review form's outcomes page: a latency
histogram, verdicts stacked per group, and rates with their intervals. No JavaScript and no
chart library: a page opens offline and can be mailed as one file.

    histogram("care_message", [9.8, 10.4, 17.1], unit="s")
    stacked({"care_message": Counter(pass=30, review=5)}, order=("pass", "review", "block"))
    rate_bars("30-day repurchase", [Bar("day3", 0.2, 0.05, 0.45, "contacted", "20% n=12")])
"""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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


SERIES_COLOURS = ("#9a4a3a", "#8a8f98", "#6b8fc7", "#4c9a52")


@dataclass(frozen=True)
class Bar:
    """One rate (0-1, None when there is nothing to divide) with its interval; ``series``
    picks the colour and the legend, ``text`` is what is written beside the bar (the caller's
    words: ``"17% [5–45] n=12"``); a ``faint`` bar (a small sample) is drawn pale."""

    label: str
    rate: float | None
    low: float
    high: float
    series: str = ""
    text: str = ""
    faint: bool = False


def rate_bars(
    title: str,
    bars: Sequence[Bar],
    *,
    colours: Mapping[str, str] | None = None,
    note: str = "",
) -> str:
    """Horizontal bars on a 0-100 % axis, one row per bar, each with its interval as a
    whisker; bars of one label are drawn together under it. Empty when there are no bars."""
    if not bars:
        return ""
    series = list(dict.fromkeys(b.series for b in bars))
    palette = dict(colours or {})
    for i, name in enumerate(series):
        palette.setdefault(name, SERIES_COLOURS[i % len(SERIES_COLOURS)])
    label_w, axis_w, text_w, row_h, gap = 130, 300, 190, 16, 4
    x0 = label_w
    parts: list[str] = []
    y = 4
    last_label = None
    for bar in bars:
        if bar.label != last_label:
            if last_label is not None:
                y += 8
            parts.append(f'<text x="0" y="{y + 12}" font-size="12">{html.escape(bar.label)}</text>')
            last_label = bar.label
        colour = palette[bar.series]
        tip = html.escape(" · ".join(p for p in (bar.label, bar.series, bar.text) if p))
        if bar.rate is not None:
            w = max(bar.rate * axis_w, 1.0)
            lo, hi = x0 + bar.low * axis_w, x0 + bar.high * axis_w
            mid = y + row_h / 2
            opacity = ' fill-opacity="0.35"' if bar.faint else ""
            parts.append(
                f'<rect x="{x0}" y="{y}" width="{w:.1f}" height="{row_h}" fill="{colour}"'
                f'{opacity} data-series="{html.escape(bar.series)}"><title>{tip}</title></rect>'
                f'<line x1="{lo:.1f}" x2="{hi:.1f}" y1="{mid}" y2="{mid}" stroke="#23262b"/>'
                f'<line x1="{lo:.1f}" x2="{lo:.1f}" y1="{y + 3}" y2="{y + row_h - 3}" '
                f'stroke="#23262b"/><line x1="{hi:.1f}" x2="{hi:.1f}" y1="{y + 3}" '
                f'y2="{y + row_h - 3}" stroke="#23262b"/>'
            )
        parts.append(
            f'<text x="{x0 + axis_w + 8}" y="{y + 12}" font-size="11" fill="{colour}">'
            f"{html.escape(bar.text or '-')}</text>"
        )
        y += row_h + gap
    height = y + 18
    ticks = "".join(
        f'<line x1="{x0 + f * axis_w:.1f}" x2="{x0 + f * axis_w:.1f}" y1="0" y2="{y}" '
        f'stroke="#e3e0da"/><text x="{x0 + f * axis_w:.1f}" y="{y + 13}" font-size="10" '
        f'text-anchor="middle">{round(f * 100)}%</text>'
        for f in (0, 0.25, 0.5, 0.75, 1)
    )
    legend = " ".join(
        f'<span style="color:{palette[s]}">■</span> {html.escape(s)}' for s in series if s
    )
    caption = " · ".join(p for p in (html.escape(title), legend, html.escape(note)) if p)
    width = label_w + axis_w + text_w
    return (
        f'<figure class="chart"><figcaption>{caption}</figcaption>'
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{html.escape(title)}">{ticks}{"".join(parts)}</svg></figure>'
    )
