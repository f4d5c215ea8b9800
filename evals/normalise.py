"""Traditional Chinese (繁體) to Simplified before any lexicon match, with an offset map back.

Brands in Hong Kong and Taiwan write 繁體; the lexicons are written once, in simplified
Chinese. Every lexicon match therefore runs on :func:`normalise` ``(text).text``, and each
span it finds goes back through :meth:`Normalised.span` to the ORIGINAL text, so findings
(and the editor's highlights) point at what the writer typed.

The converter is OpenCC (offline, its dictionaries ship in the wheel) with the ``hk2s``
configuration: Hong Kong variants (衞, 綫) first, then OpenCC's standard traditional to
simplified. ``tw2s`` is not used: it rewrites correct simplified text (显著 → 显着).
Simplified text is a fixed point (tests check the labelled set and every lexicon term).

OpenCC converts phrase by phrase. Its standard dictionaries keep the length, so when the
converted text is as long as the original the positions are the same; when a conversion
changes the length, each run of Chinese characters whose length changed is converted again
character by character, and every output character remembers the original character it came
from (the offset map). A converter is created once per process, under a lock.
"""

from __future__ import annotations

import json
import re
import threading
from bisect import bisect_left
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

OPENCC_CONFIG = "hk2s"
# Every character the conversion may change (scripts/opencc_chars.py reads them from OpenCC's
# own dictionaries): a text with none of them is its own simplified form, without OpenCC.
CHANGES_FILE = Path(__file__).resolve().parent / "hk2s_chars.json"

# Runs of CJK ideographs (with the compatibility block and the supplementary planes).
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")

Convert = Callable[[str], str]


class Normalised(NamedTuple):
    """``text`` is ``original`` in simplified Chinese. ``starts[i]``/``ends[i]`` are the
    original span of ``text[i]``; both are None when every position is unchanged. (A named
    tuple: one is made for every text checked, and a tuple is the cheapest record to make.)"""

    original: str
    text: str
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None

    @property
    def identity(self) -> bool:
        return self.starts is None

    def position(self, original: int) -> int:
        """Where ``original[original]`` went in ``text`` (its first character)."""
        if self.starts is None:
            return original
        return bisect_left(self.starts, original)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of ``text[start:end]`` (a non-empty span)."""
        if self.starts is None or self.ends is None:
            return start, end
        if start >= len(self.text):
            return len(self.original), len(self.original)
        return self.starts[start], self.ends[max(start, end - 1)]


_lock = threading.Lock()
_converter: Convert | None = None


def _opencc() -> Convert:
    global _converter
    if _converter is None:
        with _lock:
            if _converter is None:
                import opencc

                _converter = opencc.OpenCC(OPENCC_CONFIG).convert
    return _converter


def normalise_with(text: str, convert: Convert) -> Normalised:
    """``text`` converted by ``convert``, with the offset map when lengths change."""
    if text.isascii():
        return Normalised(text, text)
    converted = convert(text)
    if converted == text:
        return Normalised(text, text)
    if len(converted) == len(text):
        return Normalised(text, converted)
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0

    def keep(a: int, b: int) -> None:  # unchanged characters
        pieces.append(text[a:b])
        starts.extend(range(a, b))
        ends.extend(range(a + 1, b + 1))

    for run in _CJK_RUN.finditer(text):
        keep(pos, run.start())
        whole = convert(run.group(0))
        if len(whole) == len(run.group(0)):
            pieces.append(whole)
            starts.extend(range(run.start(), run.end()))
            ends.extend(range(run.start() + 1, run.end() + 1))
        else:
            for i in range(run.start(), run.end()):
                out = convert(text[i])
                pieces.append(out)
                starts.extend([i] * len(out))
                ends.extend([i + 1] * len(out))
        pos = run.end()
    keep(pos, len(text))
    return Normalised(text, "".join(pieces), tuple(starts), tuple(ends))


@cache
def changeable_chars() -> str:
    """Every character the conversion may change (evals/hk2s_chars.json)."""
    data = json.loads(CHANGES_FILE.read_text("utf-8"))
    if data["config"] != OPENCC_CONFIG:
        raise ValueError(f"{CHANGES_FILE.name} is for {data['config']!r}, not {OPENCC_CONFIG!r}")
    return str(data["chars"])


@cache
def _changeable() -> re.Pattern[str]:
    # sre looks a class of BMP characters up in one table, but tries characters beyond the
    # BMP one by one (900 of them: a search took 170 µs): every one of those counts instead
    bmp = "".join(ch for ch in changeable_chars() if ord(ch) <= 0xFFFF)
    return re.compile(f"[{re.escape(bmp)}\U00010000-\U0010ffff]")


@lru_cache(maxsize=2048)
def normalise(text: str) -> Normalised:
    """``text`` in simplified Chinese, with the map back to ``text`` (cached). A text holding
    none of the characters the conversion may change is returned as it is, without a call
    into OpenCC (most simplified texts; the call cost more than the rest of reading one)."""
    if text.isascii() or _changeable().search(text) is None:
        return Normalised(text, text)
    return normalise_with(text, _opencc())


def simplified(text: str) -> str:
    """Just the simplified text (for comparisons that need no spans)."""
    return normalise(text).text
