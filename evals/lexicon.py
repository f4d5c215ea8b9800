"""Lexicons and thresholds of the rule-based checks, loaded from ``evals/lexicons/*.yaml``.

Patterns are compiled once and cached. Each lexicon entry has ``zh`` and ``en`` lists; both
languages run on every text (mixed Chinese/English messages are common). Speed matters (the
editor re-checks on every keystroke), so a bilingual entry compiles to a :class:`Lexicon` of
two patterns: one regex mixing both languages, case-insensitive, defeats the engine's skip
over positions where no alternative can start (measured 3-10x slower). The English pattern
is lower-cased and runs on ``text.lower()``. Word boundaries ("sale" must not match inside
"wholesale"): English entries end with a look-ahead, and the start is checked by
:func:`evals.checks.base.matches` after matching (a leading look-behind would also stop the
skip).
A brand extends a lexicon with literal words (``Brand.lexicon``, ``Brand.style.banned``):
see :func:`words_pattern`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from evals.normalise import simplified

LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"
FLAGS = re.IGNORECASE | re.MULTILINE


@cache
def load(name: str) -> dict[str, Any]:
    """The parsed ``evals/lexicons/<name>.yaml``."""
    with (LEXICON_DIR / f"{name}.yaml").open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"lexicon {name!r} must be a mapping")
    return data


def threshold(section: str, key: str) -> Any:
    """One number from ``thresholds.yaml``."""
    return load("thresholds")[section][key]


@dataclass(frozen=True, eq=False)
class Lexicon:
    """A bilingual lexicon entry: the Chinese alternatives, and the English ones lower-cased
    (``en``, for ``text.lower()``) and as written (``en_ci``, case-insensitive, for the rare
    text whose ``lower()`` changes its length and so its offsets). ``source`` names the entry
    (lexicon file, key) so the combined automaton can find its alternatives. Compared and
    hashed by identity: entries are built once and cached, and hashing three compiled
    patterns on every cached look-up cost more than the match itself."""

    zh: re.Pattern[str] | None
    en: re.Pattern[str] | None
    en_ci: re.Pattern[str] | None
    source: tuple[str, str] | None = None


Pattern = re.Pattern[str] | Lexicon

_UPPER_ESCAPE = re.compile(r"\\[A-Z]")


def _alternation(items: list[str], *, english: bool = False) -> str:
    # A trailing look-ahead keeps the engine trying the other alternatives ("no" vs "not");
    # it costs nothing, unlike a leading look-behind (see the module docstring).
    tail = "(?![A-Za-z])" if english else ""
    return "|".join(f"(?:{p}){tail}" for p in items)


@cache
def pattern(name: str, key: str) -> Pattern:
    """Lexicon ``name`` entry ``key`` compiled: a :class:`Lexicon` for a zh/en entry, a plain
    pattern for a single regex or a list."""
    entry = load(name)[key]
    if isinstance(entry, str):
        return re.compile(entry, FLAGS)
    if isinstance(entry, list):
        return re.compile(_alternation(entry), FLAGS)
    zh, en = list(entry.get("zh", [])), list(entry.get("en", []))
    lowered = None
    if en and not any(_UPPER_ESCAPE.search(p) for p in en):
        lowered = re.compile(_alternation([p.lower() for p in en], english=True), re.MULTILINE)
    return Lexicon(
        zh=re.compile(_alternation(zh), FLAGS) if zh else None,
        en=lowered,
        en_ci=re.compile(_alternation(en, english=True), FLAGS) if en else None,
        source=(name, key),
    )


@cache
def words(name: str, key: str) -> tuple[str, ...]:
    """A plain word list entry (e.g. link shorteners, allowed acronyms)."""
    entry = load(name)[key]
    if isinstance(entry, dict):
        return tuple(entry.get("zh", [])) + tuple(entry.get("en", []))
    return tuple(entry)


@cache
def word_set(name: str, key: str) -> frozenset[str]:
    """:func:`words` as a set, for membership tests."""
    return frozenset(words(name, key))


@lru_cache(maxsize=512)
def _words_pattern(items: tuple[str, ...]) -> re.Pattern[str] | None:
    # Texts are matched in simplified Chinese (evals.normalise): so are a brand's words.
    unique = {simplified(w.strip()) for w in items if w and w.strip()}
    cleaned = sorted(unique, key=len, reverse=True)
    if not cleaned:
        return None
    return re.compile("|".join(re.escape(w) for w in cleaned), re.IGNORECASE)


def words_pattern(items: Iterable[str]) -> re.Pattern[str] | None:
    """A cached pattern matching any of ``items`` literally (longest first), or None if empty.
    Traditional Chinese words are converted to simplified, as the texts they run on are."""
    return _words_pattern(tuple(items))


def message(rule: str, lang: str, **values: object) -> tuple[str, str]:
    """The (message, suggestion) of ``rule`` in ``lang`` (zh when unknown), filled in."""
    text, fix = _templates(rule, lang)
    fields = _Default(values)
    return text.format_map(fields), fix.format_map(fields)


@lru_cache(maxsize=1024)
def _templates(rule: str, lang: str) -> tuple[str, str]:
    texts = load("messages")[rule]
    entry = texts.get(lang) or texts["zh"]
    return entry["message"], entry.get("suggestion", "")


class _Default(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""
