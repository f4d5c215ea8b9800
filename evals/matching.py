"""Where the checks' lexicon matches come from: one door, :func:`matches`, two engines.

``automaton`` (the default) reads every text in simplified Chinese (:mod:`evals.normalise`,
spans mapped back to the original), passes the combined automaton over it once
(:mod:`evals.automaton`) and answers each lexicon from that pass; patterns the automaton does
not hold (a brand's words, a list of regexes) go to the regex engine, skipped when none of
the substrings they cannot match without is in the text. ``regex`` is the plain-regex engine
on the text as given: what the checks did before, kept as the reference that tests and
``python -m bench checks`` compare with.

Everything learnt about a text (its simplified form, the automaton's pass, each pattern's
matches) is kept in one small record per text, so the dozen look-ups a check makes cost a
dictionary access each; a lexicon none of whose words the automaton's pass met (most of
them, in most texts) is answered by one set test, before any of that.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from evals.automaton import FOLD_TRAP, Side, TextScan, anchors_of, index, side_matches, side_words
from evals.lexicon import Lexicon, Pattern, pattern
from evals.normalise import Normalised, normalise
from evals.regex_engine import Hit, merge, regex_matches

ENGINES = ("automaton", "regex")
_engine = "automaton"


@contextmanager
def use_engine(name: str) -> Iterator[None]:
    """Match with ``name`` ("automaton" or "regex") for a while. For benchmarks and tests:
    not for concurrent use (it is a process-wide switch)."""
    global _engine
    if name not in ENGINES:
        raise ValueError(f"unknown match engine {name!r}; known: {', '.join(ENGINES)}")
    previous, _engine = _engine, name
    clear_match_cache()
    try:
        yield
    finally:
        _engine = previous
        clear_match_cache()


def engine() -> str:
    return _engine


@dataclass(slots=True)
class _Text:
    """What is known about one text: its simplified form, the automaton's pass over it
    (None when the text needs the regex engine), and the matches found so far."""

    norm: Normalised
    scan: TextScan | None
    # the lexicons the automaton holds that its pass found none of the words of: most of
    # them, in most texts, and a look-up of one of them ends with this set test
    quiet: frozenset[Lexicon] = frozenset()
    found: dict[int, tuple[Pattern, tuple[Hit, ...]]] = field(default_factory=dict)
    affirmed: dict[int, tuple[Pattern, tuple[Hit, ...]]] = field(default_factory=dict)


_RECORDS_MAX = 1024
_records: dict[str, _Text] = {}  # by text; emptied when full (texts come and go per draft)


def _text(text: str) -> _Text:
    """The record of ``text``, made on first use. Hot callers read ``_records`` themselves
    first (a dictionary look-up is cheaper than a call)."""
    state = _records.get(text)
    if state is None:
        state = _read(text)
        if len(_records) >= _RECORDS_MAX:
            _records.clear()
        _records[text] = state
    return state


def _read(text: str) -> _Text:
    if _engine == "regex":
        return _Text(Normalised(text, text), None)
    norm = normalise(text)
    plain = norm.text
    lowered = _readable(plain)
    if lowered is None:
        return _Text(norm, None)
    scan = index().scan(plain, lowered)
    held, of_side = _held()
    return _Text(norm, scan, held.difference([of_side[side] for side in scan.active]))


_held_lexicons: tuple[frozenset[Lexicon], dict[int, Lexicon]] | None = None


def _held() -> tuple[frozenset[Lexicon], dict[int, Lexicon]]:
    """Every lexicon the automaton holds (compiled by :func:`pattern`, which keeps it), and
    the lexicon of each of its sides."""
    global _held_lexicons
    if _held_lexicons is None:
        of_side: dict[int, Lexicon] = {}
        for key, sides in index().sides.items():
            lexicon = pattern(*key)
            if isinstance(lexicon, Lexicon) and _plan_of(lexicon).held:
                of_side.update((side.id, lexicon) for side in sides if side is not None)
        _held_lexicons = frozenset(of_side.values()), of_side
    return _held_lexicons


def _fold_trap(text: str) -> bool:
    """Whether ``text`` holds a character that matches a Latin letter case-insensitively but
    does not lower-case to one (then the regex engine reads it); never in ASCII."""
    return not text.isascii() and FOLD_TRAP.search(text) is not None


def _readable(plain: str) -> str | None:
    """``plain`` (simplified) lower-cased, as the automaton reads it; None when the regex
    engine must read it instead (lower-casing changes its length, or a fold trap)."""
    lowered = plain.lower()
    if len(lowered) != len(plain) or _fold_trap(plain):
        return None
    return lowered


def matches(pat: Pattern | None, text: str) -> tuple[Hit, ...]:
    """Non-overlapping, non-empty matches of ``pat`` in ``text`` (none when ``pat`` is None)
    that respect word boundaries: a match that starts or ends with a Latin letter must not
    continue a word ("sale" in "wholesale"); a rejected match is retried one character later.
    Matching runs on the simplified-Chinese form of ``text``; the spans and ``group()`` are
    those of ``text`` itself. Cached: several checks scan the same text with one lexicon."""
    if pat is None:
        return ()
    state = _records.get(text) or _text(text)
    if type(pat) is Lexicon and pat in state.quiet:
        return ()  # most look-ups: the automaton's pass found none of its words
    key = id(pat)  # by identity: hashing a compiled pattern costs more than a small match
    known = state.found.get(key)
    if known is not None and known[0] is pat:
        return known[1]
    plan = None if state.scan is None else _plan_of(pat)
    hits = _hits(pat, text, state, plan)
    state.found[key] = (pat, hits)
    return hits


def first(pat: Pattern | None, text: str) -> Hit | None:
    """The first of :func:`matches` (the earliest, then longest), found without looking for
    the others when the automaton holds ``pat`` ("warmth" has a dozen hits in a message)."""
    if pat is None:
        return None
    state = _records.get(text)
    if state is not None and type(pat) is Lexicon and pat in state.quiet:
        return None
    plan = _plan_of(pat)
    if state is None:
        if plan.words is not None and _engine == "automaton" and not _has_words(plan, text):
            return None  # a piece of a text (a clause, a sentence): none of the words
        state = _text(text)
    if state.scan is None or not plan.held:
        hits = matches(pat, text)
        return hits[0] if hits else None
    active = state.scan.active
    if plan.sides.isdisjoint(active):
        return None
    known = state.found.get(id(pat))
    if known is not None and known[0] is pat:
        return known[1][0] if known[1] else None
    spans: list[tuple[int, int]] = []
    for side in (plan.zh, plan.en):
        if side is not None and side.id in active:
            spans += side_matches(side, state.scan, limit=1)
    if not spans:
        return None
    a, b = min(spans, key=lambda s: (s[0], -s[1]))
    if not state.norm.identity:
        a, b = state.norm.span(a, b)
    return Hit(a, b, text[a:b])


def absent(text: str) -> frozenset[Lexicon]:
    """The lexicons the automaton holds that certainly have no match in ``text`` (it reads
    the text): a check that asks for several lexicons tests them against this set first,
    without a call for each."""
    return (_records.get(text) or _text(text)).quiet


def may_match(pat: Pattern | None, text: str) -> bool:
    """False when ``pat`` certainly has no match in ``text`` (none of its words or anchors
    is there); True otherwise. Cheaper than :func:`matches`: a text already read answers from
    the automaton's pass; a text not read yet (a sentence, a source) is only searched for the
    lexicon's own words, without a pass of the whole automaton."""
    if pat is None:
        return False
    if type(pat) is not Lexicon:
        return True
    state = _records.get(text)
    if state is not None:
        return pat not in state.quiet
    plan = _plan_of(pat)
    return not plan.held or plan.words is None or _engine != "automaton" or _has_words(plan, text)


def _has_words(plan: _Plan, text: str) -> bool:
    """Whether one of the words of ``plan``'s lexicon (its literals and the anchors of its
    regexes) is in ``text`` as the automaton reads it: exactly when its pass would find the
    lexicon active. True when the text takes the regex engine."""
    assert plan.words is not None
    lowered = _readable(normalise(text).text)
    return lowered is None or bool(plan.words.find_matches_as_indexes(lowered))


def affirmed(pat: Pattern | None, text: str) -> tuple[Hit, ...]:
    """:func:`matches` that are not negated in their clause ("我们不打折" is no discount)."""
    if pat is None:
        return ()
    found = matches(pat, text)
    if not found:
        return ()
    state = _records.get(text) or _text(text)
    known = state.affirmed.get(id(pat))
    if known is not None and known[0] is pat:
        return known[1]
    hits = tuple(m for m in found if not negated(text, m.start()))
    state.affirmed[id(pat)] = (pat, hits)
    return hits


def _hits(pat: Pattern, text: str, state: _Text, plan: _Plan | None) -> tuple[Hit, ...]:
    if _engine == "regex":
        return tuple([Hit(a, b, text[a:b]) for a, b in regex_matches(pat, text)])
    norm = state.norm
    spans = _spans(pat, norm.text, state.scan, plan)
    if not spans:
        return ()
    if norm.identity:
        return tuple([Hit(a, b, text[a:b]) for a, b in spans])
    out: list[Hit] = []
    for span in spans:
        a, b = norm.span(*span)
        if b > a and (not out or a >= out[-1].stop):
            out.append(Hit(a, b, text[a:b]))
    return tuple(out)


def _spans(
    pat: Pattern, plain: str, scan: TextScan | None, plan: _Plan | None
) -> list[tuple[int, int]]:
    """The automaton for a lexicon it holds, the regex engine otherwise."""
    if scan is None or plan is None:
        return regex_matches(pat, plain)
    if plan.held:
        zh, en = plan.zh, plan.en
        active = scan.active
        zh_on = zh is not None and zh.id in active
        en_on = en is not None and en.id in active
        if not (zh_on or en_on):
            return []
        spans = side_matches(zh, scan) if zh_on and zh is not None else []
        if en_on and en is not None:
            spans += side_matches(en, scan)
            if zh_on and spans:
                spans = merge(spans)
        return spans
    if plan.anchors is not None:
        lowered = scan.lowered
        if not any(a in lowered for a in plan.anchors):
            return []  # none of what every match contains is there
    return regex_matches(pat, plain)


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to match one pattern: by the automaton's sides (``held``), or by the regex engine
    behind a check for its anchors (None: always run the regex)."""

    pattern: Pattern
    held: bool
    zh: Side | None = None
    en: Side | None = None
    anchors: frozenset[str] | None = None
    sides: frozenset[int] = frozenset()  # the ids of ``zh`` and ``en``
    # the lexicon's own words in a small automaton, to look a piece of text over without the
    # whole one (None when a side has a regex without an anchor: it may match anywhere)
    words: Any = None


_ANCHORS_MAX = 32  # more substrings to look for cost more than the regex
_plans: dict[int, _Plan] = {}  # by id(pattern): hashing a compiled pattern is slow


def _plan_of(pat: Pattern) -> _Plan:
    plan = _plans.get(id(pat))
    if plan is None or plan.pattern is not pat:
        plan = _plan(pat)
    return plan


def _plan(pat: Pattern) -> _Plan:
    plan = _Plan(pat, held=False)
    if isinstance(pat, Lexicon) and pat.source is not None:
        sides = index().sides.get(pat.source)
        if sides is not None and (pat.en is not None or pat.en_ci is None):
            present = [side for side in sides if side is not None]
            ids = frozenset(side.id for side in present)
            plan = _Plan(pat, True, sides[0], sides[1], sides=ids, words=side_words(present))
    elif isinstance(pat, re.Pattern) and pat.flags & re.IGNORECASE:
        anchors = anchors_of(pat.pattern)
        if anchors is not None and len(anchors) <= _ANCHORS_MAX:
            plan = _Plan(pat, held=False, anchors=anchors)
    if len(_plans) > 4096:  # brand word lists come and go
        _plans.clear()
    _plans[id(pat)] = plan  # the plan holds the pattern: its id is not reused meanwhile
    return plan


_CLAUSE_BREAK = re.compile(r"[。！？!?；;，,.:：\n]")
_NEGATION_WINDOW = 20


def negated(text: str, start: int) -> bool:
    """Whether a negation ("不用", "no need to", "don't") precedes ``start`` in its clause
    (read in the simplified text, as every lexicon is)."""
    if _engine == "automaton":
        norm = _text(text).norm
        text, start = norm.text, norm.position(start)
    clause = _CLAUSE_BREAK.split(text[max(0, start - _NEGATION_WINDOW) : start])[-1]
    return bool(clause) and _negation_in(clause)


@lru_cache(maxsize=1024)
def _negation_in(clause: str) -> bool:
    # A clause is a few characters, already simplified: the plain regex is cheaper here than
    # a pass of the automaton, and finds the same (tests/evals/test_engine.py); cheaper still
    # is to see first that none of the lexicon's words is there, as in most clauses.
    negation = pattern("spam", "negation")
    plan = _plan_of(negation)
    if plan.words is not None and _engine == "automaton":
        lowered = _readable(clause)
        if lowered is not None and not plan.words.find_matches_as_indexes(lowered):
            return False
    return bool(regex_matches(negation, clause))


_CACHES: list[Callable[[], None]] = []


def register_cache(clear: Callable[[], None]) -> None:
    """Have :func:`clear_match_cache` also clear another per-text cache (``cache_clear``)."""
    _CACHES.append(clear)


def clear_match_cache() -> None:
    """Forget everything learnt about texts, and every registered per-text cache (benchmarks
    use it so repeated texts are not free)."""
    _records.clear()
    _negation_in.cache_clear()
    normalise.cache_clear()
    for clear in _CACHES:
        clear()
