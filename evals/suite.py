"""The suite: run the rule-based checks on one text and decide a verdict and a score.

Verdict: the worst severity among the findings — any ``error`` → ``block``, any ``warn`` →
``review``, otherwise ``pass`` (``info`` findings never change the verdict).

Score in [0, 1]: ``score = Π (1 − w[severity])`` over all findings, with the weights in
``evals/lexicons/thresholds.yaml`` (info 0.02, warn 0.12, error 0.35); a ``block`` verdict caps
it at ``block_cap`` (0.4). No findings → 1.0; every finding lowers it; it never leaves [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from evals.checks.channel import ChannelCheck
from evals.checks.coherence import CoherenceCheck
from evals.checks.compliance import ComplianceCheck
from evals.checks.grounding import GroundingCheck
from evals.checks.injection import InjectionCheck
from evals.checks.pressure import PressureCheck
from evals.checks.spam import SpamCheck
from evals.checks.tone import ToneCheck
from evals.checks.truth import TruthCheck
from evals.lexicon import load
from evals.types import Check, CheckContext, CheckReport, Finding, Severity, Verdict
from knowledge.embedder import Embedder

_ORDER = {Severity.ERROR: 0, Severity.WARN: 1, Severity.INFO: 2}


def rule_checks(embedder: Embedder | None = None) -> list[Check]:
    """The rule-based checks, in order. ``embedder`` makes the belief check semantic."""
    return [
        SpamCheck(),
        ComplianceCheck(),
        ChannelCheck(),
        PressureCheck(),
        ToneCheck(embedder),
        GroundingCheck(),
        InjectionCheck(),
        TruthCheck(),
        CoherenceCheck(),
    ]


@cache
def _default_checks() -> tuple[Check, ...]:
    return tuple(rule_checks())


def verdict_of(findings: Sequence[Finding]) -> Verdict:
    severities = {f.severity for f in findings}
    if Severity.ERROR in severities:
        return Verdict.BLOCK
    if Severity.WARN in severities:
        return Verdict.REVIEW
    return Verdict.PASS


@cache
def _factors() -> dict[str, float]:
    """What a finding of each severity leaves of the score: 1 − its weight."""
    weights = load("thresholds")["score"]["weights"]
    return {str(severity): 1.0 - float(weights[severity]) for severity in weights}


def score_of(findings: Sequence[Finding], verdict: Verdict) -> float:
    factors = _factors()
    score = 1.0
    for f in findings:
        score *= factors[f.severity]
    if verdict == Verdict.BLOCK:
        score = min(score, float(load("thresholds")["score"]["block_cap"]))
    return round(max(0.0, min(1.0, score)), 4)


def check(
    ctx: CheckContext,
    *,
    embedder: Embedder | None = None,
    checks: Sequence[Check] | None = None,
    judge: Check | None = None,
) -> CheckReport:
    """Run the checks on ``ctx`` and return findings (by position), verdict and score."""
    if checks is None:
        checks = rule_checks(embedder) if embedder is not None else _default_checks()
    if judge is not None:
        checks = [*checks, judge]
    findings: list[Finding] = []
    seen: set[tuple[str, int, int]] = set()
    for c in checks:
        for f in c.run(ctx):
            key = (f.rule, f.start, f.end)
            if key not in seen:
                seen.add(key)
                findings.append(f)
    findings.sort(key=lambda f: (f.start, _ORDER[f.severity], f.end, f.rule))
    verdict = verdict_of(findings)
    return CheckReport(verdict=verdict, score=score_of(findings, verdict), findings=findings)


def report_json(report: CheckReport) -> dict[str, Any]:
    """The public JSON shape of a report (``zhenxin check --json``)."""
    return {
        "verdict": report.verdict.value,
        "score": report.score,
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity.value,
                "start": f.start,
                "end": f.end,
                "message": f.message,
                "suggestion": f.suggestion,
            }
            for f in report.findings
        ],
    }


def detect_lang(text: str) -> str:
    """ "zh" when at least a fifth of the letters are Chinese characters, else "en"."""
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    letters = sum(1 for ch in text if ch.isalpha())
    return "zh" if letters and cjk / letters >= 0.2 else "en"
