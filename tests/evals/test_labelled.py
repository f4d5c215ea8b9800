"""The labelled set, scored by the rule-based suite. Prints the confusion table and the
spam-detection precision/recall (run with -s to see it)."""

from __future__ import annotations

import pytest

from evals.dataset import Example, load_labelled, score_examples


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    return load_labelled()


def test_set_is_big_enough_and_balanced(examples: list[Example]) -> None:
    zh = [e for e in examples if e.lang == "zh"]
    en = [e for e in examples if e.lang == "en"]
    assert len(zh) >= 60 and len(en) >= 30
    for group in (zh, en):
        assert {e.label for e in group} == {"spam", "sincere", "borderline"}
        assert {e.channel for e in group} == {"wechat", "sms", "email", "community"}
    assert len({e.id for e in examples}) == len(examples)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_verdicts_on_the_labelled_set(examples: list[Example], lang: str) -> None:
    scores = score_examples([e for e in examples if e.lang == lang])
    print(f"\n[{lang}]\n{scores.table()}")
    assert scores.rate("spam", "pass") <= 0.05, scores.wrong  # spam almost never passes
    assert scores.rate("sincere", "block") <= 0.05, scores.wrong  # sincere almost never blocked
    assert scores.n("borderline", "block") == 0, scores.wrong  # borderline never blocked
    # and the rules are not just flagging everything:
    assert scores.rate("sincere", "pass") >= 0.8
    precision, recall = scores.precision_recall({"review", "block"})
    assert precision >= 0.7 and recall >= 0.95
