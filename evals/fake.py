"""A checker that returns what it is told, for tests of what happens around the checks.

    checker = FakeChecker(verdict=Verdict.REVIEW)
    report = checker(ctx); checker.contexts[-1].text

Satisfies :data:`evals.types.Checker`, like ``evals.check``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from evals.types import CheckContext, CheckReport, Finding, Verdict


class FakeChecker:
    def __init__(
        self,
        *,
        verdict: Verdict = Verdict.PASS,
        score: float = 1.0,
        findings: Sequence[Finding] = (),
        decide: Callable[[CheckContext], CheckReport] | None = None,
    ) -> None:
        self.report = CheckReport(verdict=verdict, score=score, findings=list(findings))
        self.decide = decide
        self.contexts: list[CheckContext] = []

    def __call__(self, ctx: CheckContext) -> CheckReport:
        self.contexts.append(ctx)
        return self.decide(ctx) if self.decide is not None else self.report


__all__ = ["FakeChecker"]
