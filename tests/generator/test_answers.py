"""generator.answers: the knowledge a customer's question is answered from. Readers saw
"这个一天用几次？" answered "这个问题我确认一下，稍后回复你" while the guide said "早晚各一次", and
"How often should I use it?" answered with a first-fitting tip."""

from __future__ import annotations

import pytest

from generator.answers import answer_passage
from generator.slots import answer_sentence
from knowledge.retriever import Passage

SERUM = """---
kind: usage_guide
product: repair-serum
---
# 舒缓修护精华液 30ml

## 用法
1. 洁面后，先用化妆水。
2. 每次约半管滴管（约 0.5 ml，8–10 滴），先滴在掌心，双手轻轻合十捂热。
5. 早晚各一次。按这个用量，一瓶 30ml 大约用 **30 天**。
"""
FAQ_ZH = """**6. 刷酸、用 A 醇的时候能用吗？** 和它错开早晚使用。
**7. 多久能看到变化？** 多数人两到四周。"""
RUNNERS = """# Questions new runners ask us most

**How fast should I run?**
Slow enough to talk in full sentences.

**How many days a week?**
Three is plenty to start. Walk, cycle or rest on the other days.

**Do I need to stretch?**
A few minutes of walking matters more."""
SHOE = """## How to start
1. Wear them around the house for an evening first: toes should have a thumb's width of room.
2. First two runs: keep them short (20–30 minutes) at an easy, conversational pace."""


def _p(text: str, doc: str = "d") -> Passage:
    return Passage(chunk_id=doc, doc_id=doc, kind="usage_guide", title=doc, text=text, score=1.0)


@pytest.mark.parametrize(
    ("question", "passages", "answer"),
    [
        ("这个一天用几次？", [SERUM], "5. 早晚各一次。"),
        ("一天用几次啊", [FAQ_ZH, SERUM], "5. 早晚各一次。"),  # the FAQ about acids is no answer
        (
            "一次用多少？",
            [SERUM],
            "2. 每次约半管滴管（约 0.5 ml，8–10 滴），先滴在掌心，双手轻轻合十捂热。",
        ),
        (
            "How often should I use it?",
            [SHOE, RUNNERS],
            "Three is plenty to start. Walk, cycle or rest on the other days.",
        ),
        (
            "how many times a week should I run",
            [RUNNERS],
            "Three is plenty to start. Walk, cycle or rest on the other days.",
        ),
    ],
)
def test_a_question_of_a_known_kind_gets_the_sentence_that_says_it(
    question: str, passages: list[str], answer: str
) -> None:
    found = answer_passage(question, [_p(t, str(i)) for i, t in enumerate(passages)])
    assert found == answer


def test_the_fallback_says_the_answer_without_its_markup() -> None:
    found = answer_passage("这个一天用几次？", [_p(SERUM)])
    assert answer_sentence(found, "zh", 80) == "早晚各一次。"


@pytest.mark.parametrize(
    ("question", "passages", "answer"),
    [
        # no kind we know: the passage sharing most words, a quarter at least
        ("刷酸的时候能用吗？", [SERUM, FAQ_ZH], FAQ_ZH),
        ("Do I need to stretch?", [SHOE, RUNNERS], RUNNERS),
        # nothing shares a quarter of the question: "" (the fallback promises to check)
        ("孕期可以用吗？", [SERUM], ""),
        ("How often should I wash them?", [SHOE], ""),
        (None, [SERUM], ""),
    ],
)
def test_otherwise_the_passage_sharing_its_words_or_nothing(
    question: str | None, passages: list[str], answer: str
) -> None:
    assert answer_passage(question, [_p(t, str(i)) for i, t in enumerate(passages)]) == answer
