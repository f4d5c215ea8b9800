"""The combined automaton finds exactly what the plain-regex engine finds.

The regex engine (every lexicon one alternation, as before the automaton) is the reference.
Compared on every labelled text (whole reports, then each lexicon's spans) and on texts made
from the lexicons' own words, pieces of labelled texts and awkward characters (mixed case,
letters glued to words, digits, punctuation, newlines, characters whose case folds oddly).
"""

from __future__ import annotations

import random
import re

import pytest

from evals import check
from evals.automaton import (
    FOLD_TRAPS,
    WORD_LISTS,
    anchors_of,
    first_chars,
    lexicon_entries,
    literal_of,
)
from evals.dataset import load_labelled
from evals.lexicon import Pattern, load, pattern, words_pattern
from evals.matching import matches, use_engine
from evals.normalise import normalise


def _all_patterns() -> list[tuple[str, Pattern]]:
    pats: list[tuple[str, Pattern]] = [
        (f"{name}.{key}", pattern(name, key)) for name, key in lexicon_entries()
    ]
    pats.append(("spam.url", pattern("spam", "url")))
    brand_words = words_pattern(["闭眼入", "林小雨", "Emma", "Glow Serum", "tea"])
    assert brand_words is not None
    pats.append(("brand words", brand_words))
    return pats


def _spans(pat: Pattern, text: str) -> list[tuple[int, int, str]]:
    return [(h.start(), h.end(), h.group(0)) for h in matches(pat, text)]


def _compare(texts: list[str]) -> list[tuple[str, str, object, object]]:
    pats = _all_patterns()
    fast = {(t, name): _spans(p, t) for t in texts for name, p in pats}
    with use_engine("regex"):
        slow = {(t, name): _spans(p, t) for t in texts for name, p in pats}
    return [(t, n, fast[t, n], slow[t, n]) for t, n in fast if fast[t, n] != slow[t, n]]


def _report(r: object) -> object:
    return r.model_dump()  # type: ignore[attr-defined]


def test_labelled_set_reports_are_identical_under_both_engines() -> None:
    examples = load_labelled()
    fast = [_report(check(e.context())) for e in examples]
    with use_engine("regex"):
        slow = [_report(check(e.context())) for e in examples]
    differing = [e.id for e, a, b in zip(examples, fast, slow, strict=True) if a != b]
    agreement = 1 - len(differing) / len(examples)
    print(f"\nlabelled-set agreement: {agreement:.0%} of {len(examples)} reports")
    assert differing == []


def test_labelled_texts_every_lexicon_same_spans() -> None:
    texts = [e.text for e in load_labelled()]
    assert all(normalise(t).identity for t in texts)  # simplified texts: nothing to convert
    mismatches = _compare(texts)
    assert mismatches == [], mismatches[:3]


def _pieces() -> list[str]:
    words: list[str] = []
    for entry in lexicon_entries().values():
        for items in entry.values():
            words += [w for w in (literal_of(i) for i in items) if w]
    for e in load_labelled():
        words += [e.text[i : i + 12] for i in range(0, len(e.text), 12)]
    odd = [
        *"abcXYZ sS-'’!！？?，,。.\n0123456789%$¥￥[]{}<>@#",
        "在吗",
        "不用",
        "don't ",
        "最后",
        "小时",
        "今天",
        "折",
        "ſ",
        "\u212a",
        "İ",
        "ΣΑΣ",
        "SALE",
        "Wholesale",
        "after-sale",
        "NO.1",
        "XX先生",
        "{{name}}",
        "http://t.cn/abc",
        "www.Example.com",
        "  ",
    ]
    return words + odd * 20


def _generated(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    pieces = _pieces()
    out = []
    for _ in range(n):
        parts = [rng.choice(pieces) for _ in range(rng.randint(2, 12))]
        parts = [p.upper() if rng.random() < 0.15 else p for p in parts]
        text = parts[0]
        for part in parts[1:]:
            text += rng.choice(["", " ", " ", " ", "，", "x", "-", "\n", "!"]) + part
        out.append(text)
    return [t for t in out if normalise(t).identity]


def test_generated_texts_every_lexicon_same_spans() -> None:
    texts = _generated(500, seed=20261203)
    assert len(texts) > 400
    mismatches = _compare(texts)
    assert mismatches == [], mismatches[:3]


def test_generated_texts_whole_reports_identical() -> None:
    from evals import CheckContext

    texts = _generated(150, seed=7)
    contexts = [
        CheckContext(text=t, lang=lang, channel=channel, kind="care_message")
        for t in texts
        for lang, channel in (("zh", "wechat"), ("en", "sms"))
    ]
    fast = [_report(check(c)) for c in contexts]
    with use_engine("regex"):
        slow = [_report(check(c)) for c in contexts]
    assert fast == slow


def test_fold_traps_are_every_character_that_folds_to_an_ascii_letter() -> None:
    everything = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000)
    folding = set(re.findall(r"(?i)[a-z]", everything))
    assert folding == set(FOLD_TRAPS)


@pytest.mark.parametrize(
    ("regex", "anchors"),
    [
        ("最(?:佳|优)", {"最佳", "最优"}),
        (r"\d+\s*天(?:见效|瘦)", {"天见效", "天瘦"}),
        (r"[¥￥]\s*\d+", {"¥", "￥"}),
        (r"days?", {"day"}),
        (r"\d+\s*%\s*off", {"off"}),
        (r"NO\.?\s?1", {"no"}),
        (r"\d+", None),
        (r"(?:好|\w+)的", {"的"}),
    ],
)
def test_anchors_are_what_every_match_contains(regex: str, anchors: set[str] | None) -> None:
    found = anchors_of(regex)
    assert (set(found) if found is not None else None) == anchors


@pytest.mark.parametrize(
    ("regex", "flags", "first"),
    [
        (r"\d{3}", 0, "[\\d]"),
        (r"(?:ab|[xy])c", 0, "[\\U00000061\\U00000078\\U00000079]"),
        (r"K", re.IGNORECASE, "[\\U0000004b]"),
        (r"x?y", 0, None),  # may start with y or x
        (r"[^a]b", 0, None),  # a negated class is left alone
        (r"(?i:a)b", 0, None),  # scoped flags are left alone
    ],
)
def test_first_chars_is_the_class_every_match_starts_with(
    regex: str, flags: int, first: str | None
) -> None:
    found = first_chars(re.compile(regex, flags))
    assert (found.pattern if found is not None else None) == first


def test_first_chars_of_every_single_regex_entry_holds_on_generated_texts() -> None:
    """The class a match must start with never rules out a text the pattern matches."""
    regexes = [p for _, p in _all_patterns() if isinstance(p, re.Pattern)]
    regexes.append(re.compile(load("spam")["emoji"]))
    texts = [*_generated(200, seed=13), "[OK]", "[666]", "\u2600", "\U0001f600"]
    checked = 0
    for pat in regexes:
        start = first_chars(pat)
        if start is None:
            continue
        checked += 1
        for text in texts:
            if pat.search(text) is not None:
                assert start.search(text) is not None, (pat.pattern, text)
    assert checked >= 2


def test_word_lists_left_out_of_the_automaton_are_never_matched_as_lexicons() -> None:
    """The automaton leaves WORD_LISTS out: no check may ask the matcher for one of them."""
    from pathlib import Path

    import evals

    sources = "".join(p.read_text("utf-8") for p in Path(evals.__file__).parent.rglob("*.py"))
    for name, key in WORD_LISTS:
        assert key in load(name)
        assert f'pattern("{name}", "{key}")' not in sources
        assert (name, key) not in lexicon_entries()


def test_literal_alternatives_are_recognised() -> None:
    assert literal_of("限时") == "限时"
    assert literal_of("Hurry") == "hurry"
    assert literal_of(r"\$") == "$"
    assert literal_of("最后\\s*") is None
    assert literal_of("ＡＢ") is None  # full-width letters fold outside ASCII: regex


def test_lexicon_words_are_already_simplified() -> None:
    """Texts are converted to simplified Chinese before matching, so a lexicon word written
    in traditional characters could never match."""
    bad = []
    for name in ("spam", "compliance", "channel", "tone", "grounding", "injection"):
        for key, entry in load(name).items():
            items = entry.get("zh", []) if isinstance(entry, dict) else entry
            if not isinstance(items, list):
                continue
            for item in items:
                if isinstance(item, str) and normalise(item).text != item:
                    bad.append((name, key, item, normalise(item).text))
    assert bad == []


def test_repetition_hint_finds_every_repeat_the_full_pattern_finds() -> None:
    """Spam's repetition rule tries its pattern only where a cheaper hint says a repeat may
    start: the same repeats as running the pattern over the whole text."""
    from evals.checks.spam import SpamCheck, _repetition

    texts = [e.text for e in load_labelled()] + _generated(300, seed=11)
    texts += ["快快快", "SALE SALE sale ", "好的呀好的呀好的呀", "abcdabcdabcd", "Buy! buy! BUY! "]
    texts += ["哈哈哈哈", "ab\nab\nab", "ΣΣΣ σσς", "İİİ", "x.x.x.", "买买买", "一二三四五" * 3]
    for text in texts:
        expected = [m.span() for m in _repetition().finditer(text)]
        assert [m.span() for m in SpamCheck._repeats(text)] == expected, text


def test_may_match_is_never_wrong_about_a_match() -> None:
    """``may_match`` lets a rule skip a lexicon: it may say yes in vain, never no in vain."""
    from evals.matching import may_match

    texts = [e.text for e in load_labelled()] + _generated(200, seed=5)
    said_no = 0
    for text in texts:
        for name, pat in _all_patterns():
            if not may_match(pat, text):
                said_no += 1
                assert matches(pat, text) == (), (name, text)
    assert said_no > len(texts)  # it does rule lexicons out


def test_first_is_the_first_of_all_matches() -> None:
    """``first`` stops at the first match: it must be the one ``matches`` lists first."""
    from evals.matching import clear_match_cache, first

    texts = [e.text for e in load_labelled()] + _generated(200, seed=3)
    for text in texts:
        clear_match_cache()  # first() must not lean on a cached matches()
        got = [(name, first(pat, text)) for name, pat in _all_patterns()]
        for name, hit in got:
            everything = matches(dict(_all_patterns())[name], text)
            assert hit == (everything[0] if everything else None), (name, text)


def test_checks_from_many_threads_agree_with_one_thread() -> None:
    """The engine's caches are shared by threads (the API checks drafts concurrently)."""
    import threading

    from evals.matching import clear_match_cache

    examples = load_labelled()
    serial = [_report(check(e.context())) for e in examples]
    clear_match_cache()
    results: dict[int, list[object]] = {}
    start = threading.Barrier(8)

    def work(i: int) -> None:
        start.wait(timeout=30)
        order = examples[i:] + examples[:i]  # every thread starts elsewhere
        got = {e.id: _report(check(e.context())) for e in order}
        results[i] = [got[e.id] for e in examples]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 8
    assert all(r == serial for r in results.values())
