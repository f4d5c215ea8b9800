"""The review form's outcomes page as a view model: the flywheel's outcomes report
(``flywheel.report``) turned into two server-rendered SVG charts and the groups table, in
the editor's language. Rates keep their interval and sample size; a rate from fewer than
``FEW`` is marked, since it says little."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from core.charts import Bar, rate_bars
from flywheel.report import FEW, rate

Translate = Callable[..., str]


@dataclass(frozen=True)
class Cell:
    """A rate as the table shows it: ``17%``, its interval, ``n``, and whether n is few."""

    text: str
    interval: str
    n: int
    few: bool


def cell(r: Mapping[str, Any]) -> Cell:
    if not r["n"]:
        return Cell("–", "", 0, False)
    return Cell(
        f"{100 * r['rate']:.0f}%",
        f"[{100 * r['low']:.0f}–{100 * r['high']:.0f}]",
        int(r["n"]),
        bool(r["few"]),
    )


def _bar_text(r: Mapping[str, Any], few_word: str) -> str:
    c = cell(r)
    if not c.n:
        return "n=0"
    return f"{c.text} {c.interval} n={c.n}" + (f" ({few_word})" if c.few else "")


def _bar(label: str, series: str, r: Mapping[str, Any], few_word: str) -> Bar:
    return Bar(
        label=label,
        rate=r["rate"] if r["n"] else None,
        low=r["low"],
        high=r["high"],
        series=series,
        text=_bar_text(r, few_word),
        faint=bool(r["few"]),
    )


def _points(value: float) -> str:
    return f"{100 * value:+.0f}"


def holdout_chart(report: Mapping[str, Any], t: Translate, trigger: Callable[[str], str]) -> str:
    """30-day repurchase, contacted beside held out: all care messages, then per trigger."""
    hold = report["holdout"]
    contacted, held = t("contacted"), t("held_out")
    few = t("few")
    bars: list[Bar] = []
    pairs = [(t("all_triggers"), hold), *((trigger(k), v) for k, v in hold["by_trigger"].items())]
    for name, pair in pairs:
        bars.append(_bar(name, contacted, pair["contacted"]["purchase_rate_30d"], few))
        bars.append(_bar(name, held, pair["held_out"]["purchase_rate_30d"], few))
    colours = {contacted: "#9a4a3a", held: "#8a8f98"}
    return rate_bars(t("chart_holdout"), bars, colours=colours, note=t("chart_interval"))


def by_trigger(groups: list[Mapping[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Reply rate and 30-day repurchase per trigger, summed over kinds, stages and months."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for g in groups:
        s = sums[g["trigger"] or "-"]
        s[0] += g["reply_rate"]["k"]
        s[1] += g["reply_rate"]["n"]
        s[2] += g["purchase_rate_30d"]["k"]
        s[3] += g["purchase_rate_30d"]["n"]
    return {
        k: {"reply_rate": rate(v[0], v[1]), "purchase_rate_30d": rate(v[2], v[3])}
        for k, v in sorted(sums.items())
        if v[1]
    }


def trigger_chart(report: Mapping[str, Any], t: Translate, trigger: Callable[[str], str]) -> str:
    few = t("few")
    bars: list[Bar] = []
    for name, rates in by_trigger(report["groups"]).items():
        bars.append(_bar(trigger(name), t("reply_rate"), rates["reply_rate"], few))
        bars.append(_bar(trigger(name), t("bought_30d"), rates["purchase_rate_30d"], few))
    colours = {t("reply_rate"): "#6b8fc7", t("bought_30d"): "#4c9a52"}
    return rate_bars(t("chart_triggers"), bars, colours=colours, note=t("chart_interval"))


def outcomes_context(
    report: Mapping[str, Any], t: Translate, trigger: Callable[[str], str]
) -> dict[str, Any]:
    """What ``review/outcomes.html`` shows."""
    hold = report["holdout"]
    lift = hold["lift_30d"]
    lift_text = ""
    if lift["diff"] is not None:
        lift_text = t(
            "lift_text",
            diff=_points(lift["diff"]),
            low=_points(lift["low"]),
            high=_points(lift["high"]),
        )
    rows = [
        {
            "month": g["month"],
            "kind": g["kind"],
            "trigger": g["trigger"],
            "stage": g["stage"],
            "drafted": g["drafted"],
            "approved": g["approved"],
            "sent": g["sent"],
            "unsubscribed": g["unsubscribed"],
            "reply": cell(g["reply_rate"]),
            "bought_30d": cell(g["purchase_rate_30d"]),
            "bought_60d": cell(g["purchase_rate_60d"]),
        }
        for g in report["groups"]
    ]
    sent = sum(g["sent"] for g in report["groups"])
    return {
        "report": report,
        "rows": rows,
        "sent_total": sent,
        "contacted": cell(hold["contacted"]["purchase_rate_30d"]),
        "held": cell(hold["held_out"]["purchase_rate_30d"]),
        "contacted_customers": hold["contacted"]["customers"],
        "held_customers": hold["held_out"]["customers"],
        "lift_text": lift_text,
        "holdout_svg": holdout_chart(report, t, trigger) if hold["by_trigger"] else "",
        "trigger_svg": trigger_chart(report, t, trigger),
        "few_n": FEW,
    }


__all__ = ["Cell", "by_trigger", "cell", "outcomes_context"]
