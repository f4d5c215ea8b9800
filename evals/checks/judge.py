"""The optional LLM judge: a rubric (beneficial, meaningful, interesting; sincere, not
pushy) scored 1-5 by any ``LLM``, run ``k`` times; reports the mean and spread per criterion.
It is slow and costs a model call per run, so the rule-based suite never runs it by default:
pass ``LLMJudge(llm)`` to :func:`evals.check` as ``judge=`` or call :meth:`LLMJudge.judge`."""

from __future__ import annotations

import json
import re
import statistics
from typing import Any

from pydantic import BaseModel, Field

from core.errors import ProviderError
from evals.checks.base import finding
from evals.lexicon import load, threshold
from evals.types import CheckContext, Finding, Severity
from llm.base import LLM, ChatMessage

_JSON = re.compile(r"\{.*\}", re.DOTALL)


def criteria() -> list[str]:
    return list(load("judge")["criteria"])


def rubric_schema() -> dict[str, Any]:
    score = {"type": "integer", "minimum": 1, "maximum": 5}
    props: dict[str, Any] = {c: score for c in criteria()}
    props |= {"reason": {"type": "string"}, "advice": {"type": "string"}}
    return {"type": "object", "properties": props, "required": [*criteria(), "reason", "advice"]}


def rubric_messages(ctx: CheckContext) -> list[ChatMessage]:
    lang = "en" if ctx.lang == "en" else "zh"
    tpl = load("judge")[lang]
    none = "-"
    user = tpl["user"].format(
        channel=ctx.channel or none, kind=ctx.kind or none, stage=ctx.stage or none, text=ctx.text
    )
    return [{"role": "system", "content": tpl["system"]}, {"role": "user", "content": user}]


def parse_scores(raw: str) -> dict[str, Any]:
    """The rubric JSON of one answer (code fences and chatter around it are tolerated)."""
    m = _JSON.search(raw)
    if m is None:
        raise ValueError("no JSON object in the answer")
    data = json.loads(m.group(0))
    out: dict[str, Any] = {}
    for c in criteria():
        value = float(data[c])
        if not 1 <= value <= 5:
            raise ValueError(f"{c}={value} is outside 1-5")
        out[c] = value
    out["reason"] = str(data.get("reason", ""))
    out["advice"] = str(data.get("advice", ""))
    return out


class JudgeResult(BaseModel):
    k: int
    runs: list[dict[str, Any]] = Field(default_factory=list)  # parsed answers
    errors: list[str] = Field(default_factory=list)
    mean: dict[str, float] = Field(default_factory=dict)  # per criterion
    spread: dict[str, float] = Field(default_factory=dict)  # population stdev per criterion
    overall: float | None = None  # mean of the per-run means
    overall_spread: float = 0.0
    reason: str = ""
    advice: str = ""


class LLMJudge:
    """Scores a message with a rubric k times; also usable as a ``Check``."""

    family = "judge"

    def __init__(self, llm: LLM, *, k: int | None = None, temperature: float = 0.7) -> None:
        self.llm = llm
        self.k = int(k if k is not None else threshold("judge", "k"))
        self.temperature = temperature
        self.last: JudgeResult | None = None  # the result behind the last run()

    def judge(self, ctx: CheckContext) -> JudgeResult:
        result = JudgeResult(k=self.k)
        messages = rubric_messages(ctx)
        schema = rubric_schema()
        for _ in range(self.k):
            try:
                answer = self.llm.complete(
                    messages, json_schema=schema, max_tokens=300, temperature=self.temperature
                )
                result.runs.append(parse_scores(answer.text))
            except (ValueError, KeyError, TypeError, ProviderError) as exc:
                result.errors.append(str(exc))
        if not result.runs:
            return result
        for c in criteria():
            values = [r[c] for r in result.runs]
            result.mean[c] = round(statistics.fmean(values), 3)
            result.spread[c] = round(statistics.pstdev(values), 3)
        per_run = [statistics.fmean(r[c] for c in criteria()) for r in result.runs]
        result.overall = round(statistics.fmean(per_run), 3)
        result.overall_spread = round(statistics.pstdev(per_run), 3)
        worst = min(range(len(per_run)), key=per_run.__getitem__)
        result.reason = result.runs[worst]["reason"]
        result.advice = result.runs[worst]["advice"]
        return result

    def run(self, ctx: CheckContext) -> list[Finding]:
        res = self.last = self.judge(ctx)
        end = len(ctx.text.rstrip()) or len(ctx.text)
        if res.overall is None:
            error = res.errors[0] if res.errors else "?"
            return [finding(ctx, "judge.failed", Severity.INFO, 0, end, error=error)]
        out: list[Finding] = []
        if res.overall < float(threshold("judge", "pass_mean")):
            scores = ", ".join(f"{c} {v:.1f}" for c, v in res.mean.items())
            out.append(
                finding(
                    ctx,
                    "judge.low_score",
                    Severity.WARN,
                    0,
                    end,
                    scores=scores,
                    mean=f"{res.overall:.2f}",
                    reason=res.reason,
                    advice=res.advice,
                )
            )
        if res.overall_spread >= float(threshold("judge", "spread_warn")):
            out.append(
                finding(
                    ctx,
                    "judge.spread",
                    Severity.INFO,
                    0,
                    end,
                    k=res.k,
                    spread=f"{res.overall_spread:.2f}",
                )
            )
        return out
