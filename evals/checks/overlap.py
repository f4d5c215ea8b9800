"""Lexical overlap: how much of one passage another text carries. No model and no tokenizer,
so it is fast enough for every keystroke and works offline.

Two measures live here:
- :func:`lexical_similarity` (the belief check): all character bigrams of a Chinese text, or
  the content words of an English one.
- :func:`content_units` / :func:`coverage` (the truth and coherence checks): bigrams inside
  runs of Chinese characters without function characters (的, 了, 你 ...), plus English
  content words lightly stemmed ("running" and "runs" are one unit), so a mixed text is
  compared on both. The stop lists are data: evals/lexicons/overlap.yaml.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from functools import cache, lru_cache

from evals.checks.base import has_cjk, register_cache
from evals.lexicon import load, word_set

_EN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]{2,}")
_SUFFIXES = ("nesses", "ness", "ings", "ing", "edly", "ed", "es", "s", "ly")


def units(text: str) -> set[str]:
    """Character bigrams for Chinese, content words for English (the belief check's units)."""
    if has_cjk(text):
        chars = [ch for ch in text if ch.isalnum()]
        return {a + b for a, b in itertools.pairwise(chars)}
    stop = word_set("tone", "stopwords_en")
    return {w.lower() for w in _EN_WORD.findall(text) if w.lower() not in stop}


def lexical_similarity(sentence: str, reference: str) -> float:
    """Share of the reference's bigrams (zh) or content words (en) found in the sentence."""
    ref = units(reference)
    if not ref:
        return 0.0
    return len(ref & units(sentence)) / len(ref)


@cache
def stop_chars() -> frozenset[str]:
    return frozenset(str(load("overlap")["stop_chars_zh"]))


@cache
def stopwords() -> frozenset[str]:
    return frozenset(w.lower() for w in load("overlap")["stopwords_en"])


def stem(word: str) -> str:
    """A light English stem: "stiffness" -> "stiff", "running" -> "run", "calves" -> "calv"."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if w.endswith(_SUFFIXES):
        for suffix in _SUFFIXES:
            if len(w) - len(suffix) >= 3 and w.endswith(suffix):
                w = w[: -len(suffix)]
                break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsaeiou":
        w = w[:-1]  # runn -> run, stopp -> stop
    return w


@cache
def _content_run() -> re.Pattern[str]:
    """Runs of Chinese characters without function characters: their bigrams are the
    bigrams of Chinese runs that hold no function character."""
    stop = sorted(ord(ch) for ch in stop_chars() if "\u4e00" <= ch <= "\u9fff")
    ranges, start = [], 0x4E00
    for code in [*stop, 0xA000]:
        if code > start:
            ranges.append(f"{chr(start)}-{chr(code - 1)}")
        start = code + 1
    return re.compile(f"[{''.join(ranges)}]{{2,}}")


@lru_cache(maxsize=2048)
def content_units(text: str) -> frozenset[str]:
    """The content of ``text``: Chinese bigrams without function characters, and stemmed
    English content words."""
    out = {run[i : i + 2] for run in _content_run().findall(text) for i in range(len(run) - 1)}
    stop_en = stopwords()
    for w in _EN_WORD.findall(text):
        low = w.lower()
        if low not in stop_en:
            out.add(stem(low))
    return frozenset(out)


register_cache(content_units.cache_clear)


def units_of(texts: Iterable[str]) -> frozenset[str]:
    """The content units of several texts together."""
    out: set[str] = set()
    for t in texts:
        out |= content_units(t)
    return frozenset(out)


def coverage(part: Iterable[str], whole: frozenset[str] | set[str]) -> float:
    """Share of ``part``'s units found in ``whole`` (0.0 when ``part`` is empty)."""
    items = part if isinstance(part, (set, frozenset)) else set(part)
    if not items:
        return 0.0
    return len(items & whole) / len(items)
