"""The scenario report: Markdown for a quick read, JSON for machines, and a self-contained
HTML page whose bar charts (pass rate per kind, per stage, per brand) are inline SVG — no
scripts, no CDN, opens offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from knowledge.stages import DEFAULT_STAGES
from scenarios.runner import SuiteResult

TEMPLATES = Path(__file__).resolve().parent / "templates"
_LEFT, _BAR, _ROW = 170, 240, 26


_STAGE_NAMES = {s.id: s.name_zh for s in DEFAULT_STAGES}
_STAGE_ORDER = {s.id: i for i, s in enumerate(DEFAULT_STAGES)}


def bar_chart(groups: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Geometry of a horizontal bar chart of pass rates (one bar per group; lifecycle stages
    in their order and with their Chinese names, other groups by name)."""
    bars = []
    ordered = sorted(groups.items(), key=lambda kv: (_STAGE_ORDER.get(kv[0], 99), kv[0]))
    for i, (name, g) in enumerate(ordered):
        label = f"{name} {_STAGE_NAMES[name]}" if name in _STAGE_NAMES else name
        rate = float(g["pass_rate"])
        tone = "" if rate >= 0.8 else ("mid" if rate >= 0.5 else "low")
        bars.append(
            {
                "label": label,
                "y": 4 + i * _ROW,
                "width": round(_BAR * rate, 1),
                "tone": tone,
                "value": f"{int(g['passed'])}/{int(g['total'])} ({rate:.0%})",
            }
        )
    return {
        "bars": bars,
        "left": _LEFT,
        "bar_width": _BAR,
        "width": _LEFT + _BAR + 110,
        "height": 8 + len(bars) * _ROW,
    }


def render_markdown(result: SuiteResult) -> str:
    s = result.summary()
    lines = [
        "# zhenxin scenario eval",
        "",
        f"- started: {result.started_at.isoformat()}",
        f"- provider: {result.provider}" + (f" ({result.model})" if result.model else ""),
        f"- passed: **{s['passed']}/{s['total']}** ({s['pass_rate']:.0%}) in {result.seconds} s",
        "",
    ]
    for title, key in (("kind", "by_kind"), ("stage", "by_stage"), ("brand", "by_brand")):
        lines += [
            f"## Pass rate by {title}",
            "",
            f"| {title} | passed | total | rate |",
            "|---|---:|---:|---:|",
        ]
        for name, g in sorted(s[key].items()):
            lines.append(f"| {name} | {g['passed']} | {g['total']} | {g['pass_rate']:.0%} |")
        lines.append("")
    lines += ["## Rules that fired (drafts)", ""]
    lines += [f"- {rule}: {n}" for rule, n in s["rules"].items()] or ["None."]
    lines.append("")
    failed = [r for r in result.results if not r.passed]
    lines += ["## Failures", ""]
    if not failed:
        lines.append("None.")
    for r in failed:
        lines.append(
            f"- **{r.id}** ({r.brand}, {r.kind}, {r.stage}, verdict {r.verdict}): "
            + "; ".join(r.failures)
        )
    return "\n".join(lines) + "\n"


def render_html(result: SuiteResult) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
    )
    s = result.summary()
    charts = [
        ("Pass rate by kind · 按内容类型", bar_chart(s["by_kind"])),
        ("Pass rate by stage · 按关系阶段", bar_chart(s["by_stage"])),
        ("Pass rate by brand · 按品牌", bar_chart(s["by_brand"])),
    ]
    return env.get_template("report.html.j2").render(
        started=result.started_at.isoformat(),
        provider=result.provider,
        model=result.model,
        seconds=result.seconds,
        summary=s,
        charts=charts,
        results=result.results,
    )


def write_report(result: SuiteResult, out_dir: Path) -> dict[str, Path]:
    """Write report.md, report.json and report.html into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": out_dir / "report.md",
        "json": out_dir / "report.json",
        "html": out_dir / "report.html",
    }
    paths["markdown"].write_text(render_markdown(result), encoding="utf-8")
    data = {"summary": result.summary(), **result.model_dump(mode="json")}
    paths["json"].write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    paths["html"].write_text(render_html(result), encoding="utf-8")
    return paths
