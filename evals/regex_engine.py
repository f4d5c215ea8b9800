"""The plain-regex engine: the reference for what a lexicon matches.

Each lexicon is one alternation (see :mod:`evals.lexicon`); :func:`regex_matches` scans a
text with it, keeps matches that respect word boundaries and merges the Chinese and English
sides. It is what every check used before the combined automaton (:mod:`evals.automaton`),
which must find exactly the same spans; it still serves the patterns the automaton does not
hold (brand word lists, single regexes) and the texts it cannot take.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from evals.lexicon import Pattern


def _ascii_letter(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def inside_word(text: str, start: int, end: int) -> bool:
    """A Latin-letter match that continues a word, or is the tail of a hyphenated compound
    ("wholesale", "After-Sale")."""
    if start > 0 and _ascii_letter(text[start]):
        before = text[start - 1]
        if _ascii_letter(before) or (
            before == "-" and start > 1 and _ascii_letter(text[start - 2])
        ):
            return True
    return end < len(text) and _ascii_letter(text[end - 1]) and _ascii_letter(text[end])


class Hit(NamedTuple):
    """One match, with the ``re.Match`` methods the checks use; ``group()`` is the original
    text (English lexicons match on the lower-cased text, every lexicon on the simplified).
    A named tuple: a message has a few of them per lexicon, and a tuple is made in half the
    time of a frozen dataclass."""

    begin: int
    stop: int
    text: str

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.stop

    def span(self) -> tuple[int, int]:
        return self.begin, self.stop

    def group(self, _index: int = 0) -> str:
        return self.text


def scan(pat: re.Pattern[str], haystack: str, text: str, limit: int = 0) -> list[tuple[int, int]]:
    """Non-empty, word-respecting matches of ``pat`` in ``haystack`` (``text`` lower-cased,
    or ``text`` itself); a rejected match is retried one character later. The first
    ``limit`` of them when ``limit`` is set."""
    out: list[tuple[int, int]] = []
    pos, n = 0, len(text)
    while pos <= n:
        m = pat.search(haystack, pos)
        if m is None:
            break
        start, end = m.span()
        if end == start or inside_word(text, start, end):
            pos = start + 1
            continue
        out.append((start, end))
        if len(out) == limit:
            break
        pos = end
    return out


def merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The earliest (then longest) of overlapping spans wins."""
    spans.sort(key=lambda s: (s[0], -s[1]))
    out: list[tuple[int, int]] = []
    for s in spans:
        if not out or s[0] >= out[-1][1]:
            out.append(s)
    return out


def regex_matches(pat: Pattern, text: str) -> list[tuple[int, int]]:
    """The spans of ``pat`` in ``text`` by the plain-regex engine (not cached)."""
    if isinstance(pat, re.Pattern):
        return scan(pat, text, text)
    spans = scan(pat.zh, text, text) if pat.zh is not None else []
    lower = text.lower()
    if pat.en is not None and len(lower) == len(text):
        spans += scan(pat.en, lower, text)
    elif pat.en_ci is not None:
        spans += scan(pat.en_ci, text, text)
    return merge(spans) if spans else []
