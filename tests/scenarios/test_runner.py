"""The scenario runner and report: expectation logic on stub drafts (fast), then one brand
end to end through the real pipeline with the fake LLM and the hash embedder."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from cli.main import run
from core.errors import RefusedError
from core.settings import Settings
from evals.types import Finding, Severity, Verdict
from generator.drafts import Draft, DraftRequest, Plan
from scenarios.report import bar_chart, write_report
from scenarios.runner import (
    Scenario,
    ScenarioResult,
    SuiteResult,
    evaluate,
    load_scenarios,
    run_scenario,
    run_suite,
)


def _draft(
    text: str,
    verdict: Verdict = Verdict.PASS,
    rules: tuple[str, ...] = (),
    belief: str | None = None,
) -> Draft:
    findings = [Finding(rule=r, severity=Severity.WARN, start=0, end=1, message="m") for r in rules]
    plan = Plan(stage="repeat", stage_name="相恋", trigger="birthday", channel="wechat", goal="g")
    return Draft(
        kind="care_message",
        brand="qingshui",
        customer="qs-013",
        stage="repeat",
        trigger="birthday",
        channel="wechat",
        text=text,
        verdict=verdict,
        score=0.9,
        findings=findings,
        provider="fake",
        model="fake",
        template="t",
        template_hash="h",
        plan=plan,
        belief=belief,
    )


def test_builtin_scenarios_cover_three_brands_all_kinds_and_refusals() -> None:
    files = load_scenarios()
    assert {f.brand for f in files} == {"qingshui", "shanshi", "stride"}
    scenarios = [s for f in files for s in f.scenarios]
    assert {s.kind.value for s in scenarios} == {
        "care_message",
        "aftersale_email",
        "user_story_post",
        "community_post",
    }
    assert sum(s.expect.refused for s in scenarios) == 3
    assert len({s.id for s in scenarios}) == len(scenarios)


def test_evaluate_expectations() -> None:
    s = Scenario.model_validate(
        {
            "id": "x",
            "kind": "care_message",
            "expect": {
                "no_rules": ["spam.*"],
                "contains_any": ["小雨"],
                "max_chars": 10,
                "has_belief": True,
            },
        }
    )
    assert evaluate(s, _draft("小雨你好", belief="b")) == []
    failures = evaluate(
        s,
        _draft(
            "你好，这是一条很长很长的消息。", Verdict.BLOCK, rules=("spam.urgency", "tone.cold")
        ),
    )
    assert len(failures) == 5
    assert any("spam.urgency" in f for f in failures) and not any(
        "tone.cold" in f for f in failures
    )


class _Stub:
    def __init__(self, outcome: Draft | Exception) -> None:
        self.outcome = outcome
        self.requests: list[DraftRequest] = []

    def draft(self, brand: str, request: DraftRequest, *, as_of: dt.date | None = None) -> Draft:
        self.requests.append(request)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def test_refusal_is_a_pass_only_when_expected() -> None:
    refused = Scenario.model_validate(
        {"id": "r", "kind": "care_message", "customer": "c", "expect": {"refused": True}}
    )
    ok = run_scenario(_Stub(RefusedError("opted out")), "qingshui", refused, as_of=None)
    assert ok.passed and ok.verdict == "refused"
    normal = Scenario.model_validate({"id": "n", "kind": "care_message", "customer": "c"})
    bad = run_scenario(_Stub(RefusedError("opted out")), "qingshui", normal, as_of=None)
    assert not bad.passed and "opted out" in bad.failures[0]
    assert not run_scenario(_Stub(_draft("hi")), "qingshui", refused, as_of=None).passed


def _synthetic() -> SuiteResult:
    rows = [
        ("a", "care_message", "first_contact", True),
        ("b", "care_message", "repeat", False),
        ("c", "aftersale_email", "repeat", True),
        ("d", "user_story_post", "co_builder", True),
    ]
    return SuiteResult(
        started_at=dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC),
        provider="fake",
        results=[
            ScenarioResult(
                id=i,
                brand="qingshui",
                kind=k,
                stage=s,
                passed=p,
                failures=[] if p else ["<script>x</script> fired"],
                verdict="pass",
                rules=["tone.cold"] if p else ["spam.urgency", "tone.cold"],
                text="小雨你好",
            )
            for i, k, s, p in rows
        ],
    )


def test_summary_and_report_files(tmp_path: Path) -> None:
    result = _synthetic()
    s = result.summary()
    assert (s["total"], s["passed"]) == (4, 3)
    assert s["by_kind"]["care_message"] == {"total": 2, "passed": 1, "pass_rate": 0.5}
    assert s["by_stage"]["repeat"]["pass_rate"] == 0.5
    assert s["rules"] == {"tone.cold": 4, "spam.urgency": 1}
    paths = write_report(result, tmp_path / "out")
    md = paths["markdown"].read_text("utf-8")
    assert "| care_message | 1 | 2 | 50% |" in md and "**b**" in md
    assert "- tone.cold: 4" in md
    data = json.loads(paths["json"].read_text("utf-8"))
    assert data["summary"]["passed"] == 3 and len(data["results"]) == 4
    html = paths["html"].read_text("utf-8")
    assert "<svg" in html and "http" not in html.replace("http-equiv", "")  # no CDN, offline
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html  # escaped
    assert len(re.findall(r'class="bar(?: mid| low)?"', html)) == 3 + 3 + 1  # kinds, stages, brand


def test_bar_chart_widths_follow_rates() -> None:
    chart = bar_chart(
        {
            "a": {"total": 4, "passed": 1, "pass_rate": 0.25},
            "b": {"total": 2, "passed": 2, "pass_rate": 1.0},
        }
    )
    a, b = chart["bars"]
    assert b["width"] == chart["bar_width"] and a["width"] == chart["bar_width"] * 0.25
    assert a["tone"] == "low" and b["tone"] == "" and a["value"] == "1/4 (25%)"


def test_run_suite_end_to_end_with_the_fake_llm(settings: Settings, tmp_path: Path) -> None:
    result = run_suite(settings, brands=["qingshui"])
    assert len(result.results) == 10 and result.provider == "fake"
    by_id = {r.id: r for r in result.results}
    assert by_id["qs-opted-out"].passed and by_id["qs-opted-out"].verdict == "refused"
    for r in result.results:
        assert r.error is None, (r.id, r.error)
        assert r.stage in {
            "first_contact",
            "getting_to_know",
            "repeat",
            "core_member",
            "co_builder",
        }
    paths = write_report(result, tmp_path / "report")
    assert all(p.is_file() for p in paths.values())


def test_eval_run_cli_and_bad_scenarios(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ZHENXIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZHENXIN_EMBEDDER", "hash")
    folder = tmp_path / "sc"
    folder.mkdir()
    (folder / "one.yaml").write_text(
        "brand: qingshui\npack: examples/qingshui\nas_of: 2026-11-23\nscenarios:\n"
        "  - {id: one, customer: qs-005, kind: care_message, expect: {refused: true}}\n",
        encoding="utf-8",
    )
    code = run(
        [
            "eval",
            "run",
            "--provider",
            "fake",
            "--scenarios",
            str(folder),
            "--out",
            str(tmp_path / "o"),
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["passed"] == 1 and Path(out["files"]["html"]).is_file()
    (folder / "one.yaml").write_text("brand: qingshui\nscenarios: [{id: x}]\n", encoding="utf-8")
    assert run(["eval", "run", "--provider", "fake", "--scenarios", str(folder)]) == 2
    assert "invalid" in capsys.readouterr().err
