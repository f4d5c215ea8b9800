"""The labelled set, scored by the rule-based suite. Prints the confusion table, the
spam-detection precision/recall and the per-rule precision/recall of the rules the rows name
in ``expect`` (run with -s to see them)."""

from __future__ import annotations

import pytest

from evals.dataset import Example, load_labelled, rule_table, score_examples, score_rules


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    return load_labelled()


def test_set_is_big_enough_and_balanced(examples: list[Example]) -> None:
    zh = [e for e in examples if e.lang == "zh"]
    en = [e for e in examples if e.lang == "en"]
    assert len(zh) >= 60 and len(en) >= 30
    for group in (zh, en):
        assert {e.label for e in group} == {"spam", "sincere", "borderline", "untrue"}
        assert {e.channel for e in group} == {"wechat", "sms", "email", "community"}
    assert len({e.id for e in examples}) == len(examples)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_verdicts_on_the_labelled_set(examples: list[Example], lang: str) -> None:
    scores = score_examples([e for e in examples if e.lang == lang])
    print(f"\n[{lang}]\n{scores.table()}")
    assert scores.rate("spam", "pass") <= 0.05, scores.wrong  # spam almost never passes
    assert scores.rate("sincere", "block") <= 0.05, scores.wrong  # sincere almost never blocked
    assert scores.n("borderline", "block") == 0, scores.wrong  # borderline never blocked
    assert scores.n("untrue", "pass") == 0, scores.wrong  # a fluent lie never passes
    # and the rules are not just flagging everything:
    assert scores.rate("sincere", "pass") >= 0.8
    precision, recall = scores.precision_recall({"review", "block"})
    assert precision >= 0.7 and recall >= 0.95


# The truth and coherence rules, the unknown-contact gate and the giveaway bait: each has
# zh and en rows that must fire and rows (the same moments written right) that must not.
TRACKED = (
    "truth.invented_statement",
    "truth.assumed_feeling",
    "truth.phantom_reference",
    "truth.safety_reversed",
    "truth.safety_paraphrased",
    "truth.unsupported_effect",
    "coherence.tip_missing",
    "coherence.misattached_fact",
    "coherence.silence_guilt",
    "coherence.repeated_phrase",
    "coherence.pasted_passage",
    "coherence.filler_closing",
    "coherence.mixed_language",
    "injection.unknown_contact",
    "spam.giveaway",
)


def test_every_tracked_rule_has_zh_and_en_rows(examples: list[Example]) -> None:
    for rule in TRACKED:
        assert {e.lang for e in examples if rule in e.expect} == {"zh", "en"}, rule


def test_rule_precision_and_recall(examples: list[Example]) -> None:
    scores = score_rules(examples, TRACKED)
    print("\n" + rule_table(scores))
    for s in scores.values():
        assert s.tp >= 2, s.rule  # every rule is exercised
        assert s.precision >= 0.9 and s.recall >= 0.9, (s.rule, s.false_positives, s.misses)
    tp = sum(s.tp for s in scores.values())
    fp = sum(s.fp for s in scores.values())
    fn = sum(s.fn for s in scores.values())
    assert tp / (tp + fp) >= 0.95 and tp / (tp + fn) >= 0.95


def test_rule_scores_count_misses_and_false_alarms() -> None:
    rows = [
        Example("a", "zh", "untrue", "wechat", "care_message", "请看下图。", expect=("x.rule",)),
        Example(
            "b",
            "zh",
            "sincere",
            "wechat",
            "care_message",
            "请看下图。",
            expect=(),
        ),
    ]
    scores = score_rules(rows, ["truth.phantom_reference", "x.rule"])
    phantom = scores["truth.phantom_reference"]
    assert (phantom.tp, phantom.fp, phantom.fn) == (0, 2, 0)
    assert phantom.false_positives == ["a", "b"] and phantom.precision == 0.0
    made_up = scores["x.rule"]
    assert (made_up.tp, made_up.fn, made_up.misses) == (0, 1, ["a"]) and made_up.recall == 0.0
