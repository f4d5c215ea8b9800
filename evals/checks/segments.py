"""Sentences and clauses of a draft, as character spans into the text.

The truth and coherence checks reason per sentence ("does the sentence that calls the symptom
normal speak of the safety statement's subject?") and per clause ("the rest of the clause
after 你提到 is what the customer supposedly said"). Chinese ends sentences with 。！？ and
clauses with ，、; English with . ! ? and , — a full stop between digits (0.5 ml) or after a
single capital (J. Smith) ends nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache

from evals.checks.base import register_cache

_SENTENCE_END = re.compile(r"[。！？!?；;\n…]+|(?<![0-9A-Z])\.(?![0-9])")
_CLAUSE_END = re.compile(r"[。！？!?；;\n…，,、：:]+|(?<![0-9A-Z])\.(?![0-9])")

Span = tuple[int, int]


def _split(text: str, ends: re.Pattern[str]) -> tuple[Span, ...]:
    out: list[Span] = []
    start = 0
    for m in ends.finditer(text):
        if m.start() > start:
            out.append(_trim(text, start, m.start()))
        start = m.end()
    if start < len(text):
        out.append(_trim(text, start, len(text)))
    return tuple(s for s in out if s[1] > s[0])


def _trim(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


@lru_cache(maxsize=256)
def sentences(text: str) -> tuple[Span, ...]:
    """The sentences of ``text`` (without their end marks and surrounding spaces)."""
    return _split(text, _SENTENCE_END)


@lru_cache(maxsize=256)
def clauses(text: str) -> tuple[Span, ...]:
    """The clauses of ``text``: sentences cut again at commas and colons."""
    return _split(text, _CLAUSE_END)


register_cache(sentences.cache_clear)
register_cache(clauses.cache_clear)


def enclosing(spans: tuple[Span, ...], pos: int) -> Span:
    """The span of ``spans`` that holds ``pos`` (or the next one after it; (pos, pos) if none)."""
    for start, end in spans:
        if pos < end:
            return (min(start, pos), end)
    return pos, pos


def sentence_at(text: str, pos: int) -> Span:
    return enclosing(sentences(text), pos)


def clause_at(text: str, pos: int) -> Span:
    return enclosing(clauses(text), pos)


def is_question(text: str, pos: int) -> bool:
    """Whether the sentence holding ``pos`` ends with a question mark."""
    _, end = sentence_at(text, pos)
    rest = text[end : end + 3]
    return rest[:1] in ("?", "？") or rest.strip()[:1] in ("?", "？")
