"""The check engine's fast path: one Aho-Corasick automaton for every lexicon at once.

Every bilingual lexicon entry of ``evals/lexicons/*.yaml`` (a mapping with ``zh``/``en``
lists) is split into its alternatives. A literal alternative ("限时", "hurry") goes into ONE
combined automaton shared by all lexicons; an alternative that needs a regex
("最后\\s*\\d+\\s*小时") stays a regex, and the literal it cannot match without (its anchor:
"最后", or one of a set such as {"¥", "￥"}) goes into the automaton too, so the regex runs only
on texts that contain its anchor. One pass of the automaton over a text finds the candidates
of every lexicon; a lexicon that nothing hit costs a dictionary look-up.

The matches are exactly those of the plain-regex reference (:mod:`evals.regex_engine`):
a lexicon's alternatives form one alternation, so at the leftmost position where any of them
matches, the first alternative in the file's order wins; a match that continues a word is
dropped and the search resumes one character later; the Chinese and English sides are merged
(earliest, then longest). ``tests/evals/test_engine.py`` compares both engines on the labelled
set and on generated texts; ``python -m bench checks`` prints the speed ratio.

The automaton is ``ahocorasick_rs`` (Rust). ``pyahocorasick`` finds the same matches but was
measured five times slower on our texts (13.6 vs 2.6 µs per labelled message): its root node
has hundreds of children (every first Chinese character) and it searches them one by one.

Both sides run on the lower-cased text (the caller falls back to the reference when lowering
changes the length, or when a character case-folds to an ASCII letter, such as "ſ" or "K").
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from re import _parser as sre  # type: ignore[attr-defined]
from typing import Any, NamedTuple

import ahocorasick_rs

from evals.lexicon import FLAGS
from evals.regex_engine import inside_word
from evals.regex_engine import scan as regex_scan

# Characters that match an ASCII letter case-insensitively but do not lower-case to one:
# texts with them take the reference path (see the module docstring).
FOLD_TRAPS = frozenset("\u0130\u0131\u017f\u212a")
# Looked for with one class search: iterating a text character by character (set.isdisjoint)
# made a string object of each character and cost five times as much.
FOLD_TRAP = re.compile(f"[{''.join(sorted(FOLD_TRAPS))}]")

_LITERAL: Any = sre.LITERAL
_ANCHOR_SET_MAX = 24  # a character class of more members is no anchor


def _plain(ch: str) -> bool:
    """A character whose case-insensitive match is itself or an ASCII letter's two cases."""
    if ch.isascii():
        return True
    return ch.lower() == ch and ch.upper() == ch and ch.casefold() == ch


def literal_of(regex: str) -> str | None:
    """The lower-cased literal that ``regex`` matches (case-insensitively), or None when it
    needs the regex engine (a class, a repeat, an escape such as ``\\d``, a cased letter
    outside ASCII)."""
    try:
        parsed = sre.parse(regex, re.IGNORECASE)
    except re.error:
        return None
    chars: list[str] = []
    for op, av in parsed.data:
        if op is not _LITERAL:
            return None
        chars.append(chr(av))
    text = "".join(chars)
    if not text or not all(_plain(ch) for ch in text):
        return None
    return text.lower()


def _better(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The more selective of two anchor sets: longer shortest member, then fewer members."""
    if a is None:
        return b
    if b is None:
        return a
    ka = (min(len(s) for s in a), -len(a))
    kb = (min(len(s) for s in b), -len(b))
    return b if kb > ka else a


def _class_members(items: Sequence[tuple[Any, Any]]) -> frozenset[str] | None:
    out: set[str] = set()
    for op, av in items:
        if op is _LITERAL:
            out.add(chr(av))
        elif op is sre.RANGE and av[1] - av[0] < _ANCHOR_SET_MAX:
            out.update(chr(c) for c in range(av[0], av[1] + 1))
        else:  # NEGATE, CATEGORY (\d, \s), a wide range
            return None
    return frozenset(out) if 0 < len(out) <= _ANCHOR_SET_MAX else None


_EXACT_MAX = 64  # an exact expansion of more strings is not worth it


def _exact(op: Any, av: Any) -> frozenset[str] | None:
    """Every string one item of a parsed regex can match, when they are few, else None."""
    if op is _LITERAL:
        return frozenset([chr(av)])
    if op is sre.IN:
        return _class_members(av)
    if op is sre.SUBPATTERN:
        return _exact_seq(av[-1])
    if op is sre.BRANCH:
        parts = [_exact_seq(b) for b in av[1]]
        if any(p is None for p in parts):
            return None
        union = frozenset().union(*(p for p in parts if p is not None))
        return union if len(union) <= _EXACT_MAX else None
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[1] <= 2:
        low, high, body = av
        once = _exact_seq(body)
        if once is None:
            return None
        out: set[str] = set()
        for count in range(low, high + 1):
            strings = {""}
            for _ in range(count):
                strings = {a + b for a in strings for b in once}
            out |= strings
        return frozenset(out) if len(out) <= _EXACT_MAX else None
    return None


def _exact_seq(seq: Iterable[tuple[Any, Any]]) -> frozenset[str] | None:
    strings: frozenset[str] = frozenset([""])
    for op, av in seq:
        part = _exact(op, av)
        if part is None or len(strings) * len(part) > _EXACT_MAX:
            return None
        strings = frozenset(a + b for a in strings for b in part)
    return strings


def _required(seq: Iterable[tuple[Any, Any]]) -> frozenset[str] | None:
    """A set of strings one of which every match of ``seq`` contains, or None if unknown.
    Consecutive items with few exact expansions are joined ("最" + (佳|优) → 最佳, 最优);
    any other item ends the stretch and offers what it requires itself."""
    best: frozenset[str] | None = None
    stretch: frozenset[str] = frozenset([""])
    for op, av in seq:
        part = _exact(op, av)
        if part is not None and len(stretch) * len(part) <= _EXACT_MAX:
            stretch = frozenset(a + b for a in stretch for b in part)
            continue
        if "" not in stretch:
            best = _better(best, stretch)
        stretch = frozenset([""])
        if part is not None:  # exact but too many joined: start a new stretch with it
            stretch = part
            continue
        found: frozenset[str] | None = None
        if op is sre.SUBPATTERN:
            found = _required(av[-1])
        elif op is sre.ATOMIC_GROUP:
            found = _required(av)
        elif op is sre.BRANCH:
            branches = [_required(b) for b in av[1]]
            if all(b is not None for b in branches):
                found = frozenset().union(*(b for b in branches if b is not None))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, _high, body = av
            found = _required(body) if low >= 1 else None
        best = _better(best, found)
    if "" not in stretch:
        best = _better(best, stretch)
    return best


def anchors_of(regex: str) -> frozenset[str] | None:
    """Lower-cased strings one of which must occur in any text ``regex`` matches (matching
    case-insensitively), or None when no such set could be worked out."""
    try:
        parsed = sre.parse(regex, re.IGNORECASE)
    except re.error:
        return None
    found = _required(parsed.data)
    if found is None or any(not s or not all(_plain(ch) for ch in s) for s in found):
        return None
    lowered = {s.lower() for s in found}
    # "day" already tells whether "days" may be there
    return frozenset(s for s in lowered if not any(t != s and t in s for t in lowered))


_CATEGORY_CLASS = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}


def _first_items(seq: Sequence[tuple[Any, Any]]) -> list[tuple[Any, Any]] | None:
    """Character-class items one of which matches the first character of any match of
    ``seq``, or None when that is not known."""
    if not seq:
        return None
    op, av = seq[0]
    if op is _LITERAL:
        return [(op, av)]
    if op is sre.IN:
        return None if any(o is sre.NEGATE for o, _ in av) else list(av)
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, body = av
        return None if add_flags or del_flags else _first_items(body)
    if op is sre.BRANCH:
        out: list[tuple[Any, Any]] = []
        for branch in av[1]:
            items = _first_items(branch)
            if items is None:
                return None
            out += items
        return out
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:
        return _first_items(av[2])
    return None


def first_chars(pat: re.Pattern[str]) -> re.Pattern[str] | None:
    """A one-character class that the first character of every match of ``pat`` belongs to
    (with ``pat``'s flags), or None when it cannot be worked out. Searching for it is sre's
    fast loop over a class; an alternation such as "[emoji]|\\[红包\\]" is tried at every
    position instead."""
    try:
        items = _first_items(sre.parse(pat.pattern, pat.flags).data)
    except re.error:
        return None
    if not items:
        return None
    parts: list[str] = []
    for op, av in items:
        if op is _LITERAL:
            parts.append(f"\\U{av:08x}")
        elif op is sre.RANGE:
            parts.append(f"\\U{av[0]:08x}-\\U{av[1]:08x}")
        elif op is sre.CATEGORY and av in _CATEGORY_CLASS:
            parts.append(_CATEGORY_CLASS[av])
        else:
            return None
    return re.compile(f"[{''.join(parts)}]", pat.flags)


@dataclass(frozen=True, slots=True)
class Alternative:
    index: int  # its place in the lexicon's list: the first matching alternative wins
    literal: str | None  # lower-cased, when it is a plain literal
    regex: re.Pattern[str] | None  # when it needs one (with the English word-end look-ahead)
    anchors: frozenset[str] | None  # regex only: one must be in the text; None: always run


@dataclass(slots=True)
class Side:
    """One language of one lexicon entry."""

    id: int
    english: bool
    alternatives: list[Alternative]
    always: list[Alternative] = field(default_factory=list)  # regexes without an anchor
    # some literal begins or ends with a Latin letter: only then can a literal hit continue a
    # word (a scanned text's character is a Latin letter exactly when its lower case is)
    letter_edges: bool = True


def _side(side_id: int, items: list[str], english: bool) -> Side:
    alts: list[Alternative] = []
    for i, item in enumerate(items):
        literal = literal_of(item)
        if literal is not None:
            alts.append(Alternative(i, literal, None, None))
            continue
        if english:
            regex = re.compile(f"(?:{item.lower()})(?![A-Za-z])", re.MULTILINE)
        else:
            regex = re.compile(item, FLAGS)
        alts.append(Alternative(i, None, regex, anchors_of(item)))
    always = [a for a in alts if a.regex is not None and a.anchors is None]
    edges = any(
        a.literal is not None and (_ascii_letter(a.literal[0]) or _ascii_letter(a.literal[-1]))
        for a in alts
    )
    return Side(side_id, english, alts, always, edges)


# One candidate: (start, alternative index, end) in the text (sorts as the engine decides).
Candidate = tuple[int, int, int]


class TextScan(NamedTuple):
    """What one pass of the automaton found in a text (a named tuple: one per text)."""

    text: str
    lowered: str
    literals: dict[int, list[Candidate]]  # side id -> literal hits
    triggered: dict[int, set[int]]  # side id -> regex alternatives whose anchor occurs
    active: frozenset[int]  # sides that may match: a hit, an anchor, or a regex that always runs


class LexiconIndex:
    """Every bilingual lexicon entry's sides, and the automaton over their literals."""

    def __init__(self, entries: dict[tuple[str, str], dict[str, list[str]]]) -> None:
        self.sides: dict[tuple[str, str], tuple[Side | None, Side | None]] = {}
        # word -> (literal alternatives, anchored regex alternatives), as (side id, index)
        payloads: dict[str, tuple[list[tuple[int, int]], list[tuple[int, int]]]] = {}
        next_id = 0
        for key, entry in entries.items():
            pair: list[Side | None] = []
            for lang in ("zh", "en"):
                items = list(entry.get(lang, []))
                if not items:
                    pair.append(None)
                    continue
                side = _side(next_id, items, english=lang == "en")
                next_id += 1
                pair.append(side)
                for alt in side.alternatives:
                    if alt.literal is not None:
                        payloads.setdefault(alt.literal, ([], []))[0].append((side.id, alt.index))
                    elif alt.anchors is not None:
                        for anchor in alt.anchors:
                            payloads.setdefault(anchor, ([], []))[1].append((side.id, alt.index))
            self.sides[key] = (pair[0], pair[1])
        words = list(payloads)
        self._literals = [tuple(payloads[w][0]) for w in words]
        self._anchors = [tuple(payloads[w][1]) for w in words]
        # Standard match kind with overlapping matches: every occurrence of every word.
        self._automaton = (
            ahocorasick_rs.AhoCorasick(words, matchkind=ahocorasick_rs.MatchKind.Standard)
            if words
            else None
        )
        self._always = frozenset(
            side.id for pair in self.sides.values() for side in pair if side and side.always
        )

    def scan(self, text: str, lowered: str) -> TextScan:
        literals: defaultdict[int, list[Candidate]] = defaultdict(list)
        triggered: defaultdict[int, set[int]] = defaultdict(set)
        if self._automaton is not None:
            lits, anchors = self._literals, self._anchors
            for word, start, end in self._automaton.find_matches_as_indexes(
                lowered, overlapping=True
            ):
                for side_id, alt in lits[word]:
                    literals[side_id].append((start, alt, end))
                for side_id, alt in anchors[word]:
                    triggered[side_id].add(alt)
        active = self._always.union(literals, triggered)
        return TextScan(text, lowered, literals, triggered, active)


def side_words(sides: Sequence[Side]) -> Any:
    """A small automaton over the words of ``sides`` (their literals and the anchors of their
    regexes): one of them is in a lower-cased text exactly when the whole automaton's pass
    finds one of the sides active in it. None when a side has a regex without an anchor."""
    words: set[str] = set()
    for side in sides:
        if side.always:
            return None
        for alt in side.alternatives:
            if alt.literal is not None:
                words.add(alt.literal)
            elif alt.anchors is not None:
                words |= alt.anchors
    return ahocorasick_rs.AhoCorasick(sorted(words)) if words else None


def side_matches(side: Side, scan: TextScan, limit: int = 0) -> list[tuple[int, int]]:
    """The spans the reference would find for one side of a lexicon in ``scan.text`` (the
    first ``limit`` of them when ``limit`` is set)."""
    if side.id not in scan.active:
        return []
    text, lowered = scan.text, scan.lowered
    n = len(text)
    lits = scan.literals.get(side.id) or []
    if lits:
        if side.english:  # the word-end look-ahead of every English alternative
            lits = [c for c in lits if c[2] >= n or not _ascii_letter(lowered[c[2]])]
        lits = sorted(lits)
    fired = scan.triggered.get(side.id)
    regexes = side.always
    if fired:
        regexes = sorted([side.alternatives[i] for i in fired] + side.always, key=lambda a: a.index)
    if not lits and not regexes:
        return []
    if not regexes and len(lits) == 1:  # one literal hit: the common case
        start, _alt, end = lits[0]
        return [] if side.letter_edges and inside_word(text, start, end) else [(start, end)]
    if not lits and len(regexes) == 1:  # one regex whose anchor is there: the reference's scan
        regex = regexes[0].regex
        assert regex is not None
        return regex_scan(regex, lowered if side.english else text, text, limit)
    if not regexes:  # literals only: at each start the first alternative in order wins
        out_: list[tuple[int, int]] = []
        pos_ = 0
        edges = side.letter_edges
        for start, _alt, end in lits:
            if start < pos_:
                continue
            if edges and inside_word(text, start, end):
                pos_ = start + 1
                continue
            out_.append((start, end))
            if len(out_) == limit:
                break
            pos_ = end
        return out_
    haystack = lowered if side.english else text
    # next match of each regex alternative at or after pos: (start, end) or None when done
    nexts: list[tuple[int, int] | None] = [(-1, -1)] * len(regexes)
    out: list[tuple[int, int]] = []
    pos, li = 0, 0
    while pos <= n:
        while li < len(lits) and lits[li][0] < pos:
            li += 1
        best_start, best_end, best_alt = n + 1, 0, 1 << 30
        if li < len(lits):
            best_start, best_alt, best_end = lits[li]
        for k, alt in enumerate(regexes):
            nxt = nexts[k]
            if nxt is not None and nxt[0] < pos:
                m = alt.regex.search(haystack, pos) if alt.regex is not None else None
                nxt = nexts[k] = m.span() if m is not None else None
            if nxt is None:
                continue
            if nxt[0] < best_start or (nxt[0] == best_start and alt.index < best_alt):
                best_start, best_end, best_alt = nxt[0], nxt[1], alt.index
        if best_start > n:
            break
        if best_end == best_start or inside_word(text, best_start, best_end):
            pos = best_start + 1
            continue
        out.append((best_start, best_end))
        if len(out) == limit:
            break
        pos = best_end
    return out


def _ascii_letter(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z")


_lock = threading.Lock()
_index: LexiconIndex | None = None


# Entries of the zh/en shape that are word lists a check reads itself, never matched as a
# lexicon: grounding's units make up its number pattern, compliance's exemptions are looked
# for around a medical term. In the automaton their words would only cost hits (the units
# alone were a quarter of them: "g", "天", "%" ...).
WORD_LISTS = frozenset(
    {
        ("grounding", "units"),
        ("compliance", "medical_exempt"),
        ("compliance", "child_name_call"),
        ("compliance", "child_name_not"),
    }
)


def lexicon_entries() -> dict[tuple[str, str], dict[str, list[str]]]:
    """Every bilingual entry (a mapping of ``zh``/``en`` lists) of every lexicon file, but
    the :data:`WORD_LISTS`."""
    from evals.lexicon import LEXICON_DIR, load

    out: dict[tuple[str, str], dict[str, list[str]]] = {}
    for path in sorted(LEXICON_DIR.glob("*.yaml")):
        for key, entry in load(path.stem).items():
            if (
                (path.stem, key) not in WORD_LISTS
                and isinstance(entry, dict)
                and entry
                and set(entry) <= {"zh", "en"}
                and all(
                    isinstance(v, list) and all(isinstance(s, str) for s in v)
                    for v in entry.values()
                )
            ):
                out[(path.stem, key)] = entry
    return out


def index() -> LexiconIndex:
    """The process's one index, built on first use under a lock."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = LexiconIndex(lexicon_entries())
    return _index
