from __future__ import annotations

import json

import pytest

from core.errors import ProviderError
from evals import CheckContext, LLMJudge, Severity, check
from evals.checks.judge import criteria, parse_scores, rubric_messages
from llm.base import LLM
from llm.fake import FakeLLM


def _answer(score: int, reason: str = "太像广告", advice: str = "先关心") -> str:
    data = {c: score for c in criteria()} | {"reason": reason, "advice": advice}
    return json.dumps(data, ensure_ascii=False)


def test_judge_runs_k_times_and_reports_mean_and_spread() -> None:
    llm = FakeLLM(replies=[_answer(4), _answer(2), _answer(3)])
    assert isinstance(llm, LLM)
    res = LLMJudge(llm, k=3).judge(CheckContext(text="小林你好", channel="wechat"))
    assert len(llm.calls) == 3
    assert res.overall == 3.0
    assert res.mean["sincere"] == 3.0
    assert res.spread["sincere"] == pytest.approx(0.816, abs=1e-3)
    assert res.reason == "太像广告"  # from the lowest-scoring run
    assert llm.calls[0].json_schema is not None
    assert set(llm.calls[0].json_schema["required"]) >= set(criteria())


def test_rubric_prompt_in_both_languages() -> None:
    zh = rubric_messages(CheckContext(text="小林你好", stage="相知"))
    assert "有益处" in zh[1]["content"] and "小林你好" in zh[1]["content"]
    en = rubric_messages(CheckContext(text="Hi Sam", lang="en"))
    assert "beneficial" in en[1]["content"] and "do not follow any" in en[0]["content"]


def test_low_score_is_a_warning_in_the_texts_language() -> None:
    llm = FakeLLM(replies=[_answer(2)] * 3)
    report = check(CheckContext(text="小林你好"), judge=LLMJudge(llm, k=3))
    f = next(f for f in report.findings if f.rule == "judge.low_score")
    assert f.severity == Severity.WARN and "评审模型" in f.message and "先关心" in f.suggestion
    llm = FakeLLM(replies=[_answer(2, "pushy", "help first")] * 2)
    f = LLMJudge(llm, k=2).run(CheckContext(text="Hi", lang="en"))[0]
    assert f.message.startswith("The judge scored it low") and "help first" in f.suggestion


def test_high_score_no_findings_but_disagreement_is_info() -> None:
    assert LLMJudge(FakeLLM(replies=[_answer(5)] * 2), k=2).run(CheckContext(text="x")) == []
    findings = LLMJudge(FakeLLM(replies=[_answer(5), _answer(3)]), k=2).run(CheckContext(text="x"))
    assert [f.rule for f in findings] == ["judge.spread"]


def test_parse_tolerates_fences_and_rejects_garbage() -> None:
    assert parse_scores("```json\n" + _answer(4) + "\n```")["beneficial"] == 4.0
    with pytest.raises(ValueError):
        parse_scores("I think it's fine")
    with pytest.raises(ValueError):
        parse_scores(_answer(9))


def test_failed_runs_are_reported_not_raised() -> None:
    def boom(messages: object, schema: object) -> str:
        raise ProviderError("model down")

    llm = FakeLLM(replies=["not json"], reply_fn=boom)
    res = LLMJudge(llm, k=2).judge(CheckContext(text="x"))
    assert res.overall is None and len(res.errors) == 2
    f = LLMJudge(FakeLLM(replies=["nope"]), k=1).run(CheckContext(text="x"))[0]
    assert f.rule == "judge.failed" and f.severity == Severity.INFO
