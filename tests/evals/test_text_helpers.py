"""The helpers of the truth and coherence checks: sentences and clauses as spans, and
lexical overlap."""

from __future__ import annotations

from evals.checks.overlap import content_units, coverage, stem
from evals.checks.segments import clause_at, clauses, is_question, sentences


def test_sentences_and_clauses_are_spans_into_the_text() -> None:
    text = "小林，精华用了三天。每次 0.5 ml 就够？Sharp pain, numb toes. Hi J. Smith!"
    got = [text[a:b] for a, b in sentences(text)]
    assert got == ["小林，精华用了三天", "每次 0.5 ml 就够", "Sharp pain, numb toes", "Hi J. Smith"]
    assert [text[a:b] for a, b in clauses(text)][:3] == ["小林", "精华用了三天", "每次 0.5 ml 就够"]
    start, end = clause_at(text, text.index("numb"))
    assert text[start:end] == "numb toes"
    assert is_question(text, text.index("每次")) and not is_question(text, 0)


def test_content_units_drop_grammar_and_stem_english() -> None:
    assert content_units("你的小腿有点酸") == frozenset({"小腿", "腿有", "有点", "点酸"})
    assert content_units("Running stiffness in the calves") == frozenset({"run", "stif", "calv"})
    assert stem("runs") == stem("running") == "run"
    said = content_units("My calves are a bit stiff after two runs")
    assert coverage(content_units("your calves feel stiff"), said) == 2 / 3
    assert coverage(frozenset(), said) == 0.0
