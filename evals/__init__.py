"""The eval suite: rule-based checks (spam, compliance, channel, pressure, tone, grounding,
injection, truth, coherence) that explain themselves, an optional LLM judge, and the
scenario runner.

    from evals import CheckContext, check
    report = check(CheckContext(text="...", lang="zh", channel="sms"))
    report.verdict, report.score, report.findings
"""

from __future__ import annotations

from evals.checks.judge import JudgeResult, LLMJudge
from evals.suite import check, detect_lang, report_json, rule_checks, score_of, verdict_of
from evals.types import Check, CheckContext, CheckReport, Finding, Severity, Verdict

__all__ = [
    "Check",
    "CheckContext",
    "CheckReport",
    "Finding",
    "JudgeResult",
    "LLMJudge",
    "Severity",
    "Verdict",
    "check",
    "detect_lang",
    "report_json",
    "rule_checks",
    "score_of",
    "verdict_of",
]
