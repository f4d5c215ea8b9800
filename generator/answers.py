"""What answers a customer's question: the knowledge an answer must come from.

Two ways, in order. A question of a kind we know ("一天用几次？", "How often…?", "用多少？",
"How much…?") is answered by the sentence that says it: a frequency or an amount in a guide
("早晚各一次。"), or the answer under an FAQ question of the same kind ("**How many days a
week?** Three is plenty to start."). Otherwise the passage that shares most of the question's
words, and only if it shares a quarter of them (FAQ "刷酸能用吗" is no answer to "一天用几次";
then the answer's fallback says we will check).

Readers saw a frequency question answered "这个问题我确认一下，稍后回复你" while the guide in
the prompt said "早晚各一次", and "How often should I use it?" answered with a fitting tip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.slots import CJK, is_question
from knowledge.guides import sentences
from knowledge.retriever import Passage

_FRONT_MATTER = re.compile(r"\A\s*---\n.*?\n---\s*\n", re.S)
_NUMBER_ZH = r"[一两二三四五六七八九十\d]+"
_NUMBER_EN = r"(?:one|two|three|four|five|six|seven|once|twice|\d+)"


@dataclass(frozen=True)
class _Intent:
    """A kind of question: how it is asked, and how a sentence that answers it reads."""

    asked: re.Pattern[str]
    answered: re.Pattern[str]


_INTENTS = (
    # how often (频率)
    _Intent(
        re.compile(
            r"几次|多少次|多久(?:一次|用一次|吃一次|用|吃)|频率|几天一次|一周几|每周几|一天几"
            r"|\bhow (?:often|many (?:times|days|runs))\b|\b(?:times|days) a (?:day|week)\b",
            re.I,
        ),
        re.compile(
            rf"早晚各{_NUMBER_ZH}次|(?:每天|每晚|每早|每周|一天|一周|隔天)[^，。！？；\n]{{0,8}}?"
            rf"{_NUMBER_ZH}\s*(?:次|袋|餐|回|天)"
            rf"|\b{_NUMBER_EN} (?:times? )?(?:a|per|each) (?:day|week)\b"
            rf"|\b{_NUMBER_EN} (?:days?|runs?) (?:a|per) week\b"
            r"|\bevery (?:day|other day|morning|evening|night)\b"
            rf"|^\s*{_NUMBER_EN} is (?:plenty|enough)\b",
            re.I,
        ),
    ),
    # how much (用量)
    _Intent(
        re.compile(
            r"用多少|多少滴|用量|一次用多少|多少克|多少毫升|吃多少|放多少"
            r"|\bhow (?:much|many drops|many grams)\b",
            re.I,
        ),
        re.compile(
            r"\d+(?:\s*[–\-~到]\s*\d+)?\s*(?:滴|ml|毫升|克|g|泵|粒|袋)(?![a-z])"
            r"|\b\d+(?:\s*[–\-]\s*\d+)?\s*(?:drops?|ml|g|grams|pumps?)\b",
            re.I,
        ),
    ),
)


_BOLD_END = re.compile(r"\*\*\s*$")  # an FAQ's question in bold: "**How many days a week?**"


def _asks(sentence: str) -> bool:
    return is_question(_BOLD_END.sub("", sentence))


def _by_intent(question: str, passages: list[Passage]) -> str:
    """The sentence that answers a question of a known kind, or ""."""
    for intent in _INTENTS:
        if not intent.asked.search(question):
            continue
        for passage in passages:
            said = sentences(_FRONT_MATTER.sub("", passage.text))
            for i, sentence in enumerate(said):
                if sentence.lstrip().startswith("#"):
                    continue  # a heading ("# 舒缓修护精华液 30ml"), not an answer
                if _asks(sentence):
                    if intent.asked.search(sentence):
                        # the FAQ's answer to a question of this kind, up to the next question
                        # ("Three is plenty to start. Walk, cycle or rest on the other days.")
                        answer: list[str] = []
                        for nxt in said[i + 1 : i + 3]:
                            if _asks(nxt):
                                break
                            answer.append(nxt)
                        if answer:
                            return ("" if CJK.search(answer[0]) else " ").join(answer)
                    continue
                if intent.answered.search(re.sub(r"\*\*|__|`", "", sentence)):
                    return sentence
    return ""


def answer_passage(question: str | None, passages: list[Passage]) -> str:
    """The knowledge that answers ``question`` (see the module): a sentence for a question of
    a known kind, else the passage sharing a quarter of its words, else ""."""
    from evals.checks.overlap import content_units, coverage

    if not question:
        return ""
    found = _by_intent(question, passages)
    if found:
        return found
    asked = content_units(question)
    scored = [(coverage(asked, content_units(p.text)), p.text) for p in passages]
    share, best = max(scored, key=lambda x: x[0], default=(0.0, ""))
    return best if share >= 0.25 else ""
