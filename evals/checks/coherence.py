"""Coherence: a fluent draft that does not hang together.

- ``coherence.tip_missing`` (warn): the plan asked for the moment's tip (``required_tip``)
  and the draft carries too little of it (lexical overlap below a threshold).
- ``coherence.nothing_to_say`` (warn): a message for a moment of use (day 3, halfway, nearly
  done, after the purchase) with no tip, because the guide has nothing for this customer now,
  and none of the guide's safety statements in the text either: only a greeting and a day
  count ("屏障修护面霜到你手上有37天了。用到现在，感觉怎么样？"), in an e-mail perhaps with the
  belief and the feedback line around them. The cautions the plan carries (``safety``) count
  only when the draft says one.
- ``coherence.misattached_fact`` (warn): the silence ("99天没有联系") pinned on a product
  instead of the relationship, or the days since contact told as days of use.
- ``coherence.silence_guilt`` (warn): apology or guilt in a long-silence message.
- ``coherence.repeated_phrase`` (warn): the same phrase (3+ Chinese characters / 3+ words)
  twice in a short message; names and product names do not count; span on the second one.
- ``coherence.pasted_passage`` (warn): a long verbatim run copied from a source (safety
  statements and the belief are meant to be quoted and do not count).
- ``coherence.filler_closing`` (warn closing a care message, info elsewhere): a closing
  that says nothing ("感谢您的耐心等待", "Have a nice day").
- ``coherence.mixed_language`` (warn): an English sentence in a Chinese draft or a Chinese
  sentence in an English one (names and short tokens aside).

Thresholds in thresholds.yaml (coherence:), lexicons in coherence.yaml.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache, lru_cache

from evals.checks.base import finding, found, matches
from evals.checks.context import (
    brand_line_spans,
    nameless,
    names,
    product_names,
    without_brand_lines,
)
from evals.checks.injection import contacts
from evals.checks.overlap import content_units, coverage, stop_chars, stopwords, units_of
from evals.checks.segments import clause_at, sentences
from evals.lexicon import pattern, threshold, words, words_pattern
from evals.types import CheckContext, Finding, Severity

_VISIBLE = re.compile(r"[A-Za-z0-9\u4e00-\u9fff]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CJK_CHARS = re.compile(r"[\u4e00-\u9fff]+")
_DAYS = re.compile(r"(\d+)\s*(?:天|日|days?)", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ \t]*[,.;:!?]?[ \t]+[A-Za-z][A-Za-z'’-]*)+")
_CJK_RUN = re.compile(
    r"[\u4e00-\u9fff][\u4e00-\u9fff，。！？、；：“”‘’（）《》\s\d]*[\u4e00-\u9fff]"
)
_RELATIONSHIP = re.compile(r"我们|咱们|我(?!的)|\b(?:we|us|i)\b", re.IGNORECASE)
_PERSONAL_KINDS = ("care_message",)
_LONG_KINDS = ("aftersale_email", "user_story_post", "community_post")
_LONG_CHANNELS = ("email", "community")


@cache
def _cjk_grams(n: int) -> re.Pattern[str]:
    """Every run of ``n`` Chinese characters, overlapping (findall gives them all in one call)."""
    return re.compile(rf"(?=([\u4e00-\u9fff]{{{n}}}))")


@cache
def _latin_allow() -> frozenset[str]:
    return frozenset(w.lower() for w in words("coherence", "latin_allow"))


def _protected(ctx: CheckContext) -> list[tuple[int, int]]:
    """Spans of names (products, brand, persona, customer) and the brand's fixed lines."""
    if nameless(ctx):
        return []
    out = list(brand_line_spans(ctx))
    given = []
    if ctx.customer is not None:
        name = ctx.customer.name.strip()
        if len(name) >= 3 and _CJK.search(name):
            given.append(name[1:])  # 林小雨 -> 小雨
        elif " " in name:
            given.append(name.split()[0])
    pat = _names_pattern((*names(ctx), *given), tuple(product_names(ctx)))
    if pat is not None:
        out += [m.span() for m in matches(pat, ctx.text)]
    return out


@lru_cache(maxsize=512)
def _names_pattern(names: tuple[str, ...], products: tuple[str, ...]) -> re.Pattern[str] | None:
    """The names, and every piece of 3+ characters of a Chinese product name (青苗学步车 is
    also "学步车" in a draft). Made once per set of names, not per draft."""
    pieces = list(names)
    for name in products:
        if _CJK.search(name) and len(name) <= 12:
            pieces += [name[i:j] for i in range(len(name)) for j in range(i + 3, len(name) + 1)]
    return words_pattern(pieces)


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the protected spans blanked out (same length, so offsets hold)."""
    if not spans:
        return text
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            chars[i] = "\0"
    return "".join(chars)


def _contact_spans(text: str) -> list[tuple[int, int]]:
    return [(start, end) for _, start, end, _ in contacts(text)]


def verbatim_runs(text: str, source: str, least: int) -> list[tuple[int, int]]:
    """Maximal runs of ``text`` (spans) found verbatim in ``source``, at least ``least``
    characters long. Any such run holds one of the windows of ``least // 2`` characters that
    start at multiples of ``least // 2``; each window found in the source is grown both ways.
    Substring search and a character loop over the hits: much faster than difflib."""
    step = max(least // 2, 1)
    out: list[tuple[int, int]] = []
    n, k = len(text), 0
    while k + step <= n:
        pos = source.find(text[k : k + step])
        best: tuple[int, int] | None = None
        while pos >= 0:
            a, b = k, pos
            while a > 0 and b > 0 and text[a - 1] == source[b - 1]:
                a, b = a - 1, b - 1
            e, f = k + step, pos + step
            while e < n and f < len(source) and text[e] == source[f]:
                e, f = e + 1, f + 1
            if best is None or e - a > best[1] - best[0]:
                best = (a, e)
            pos = source.find(text[k : k + step], pos + 1)
        if best is not None and best[1] - best[0] >= least:
            if not out or best[0] >= out[-1][1]:
                out.append(best)
            k = max(best[1], k + step)
        else:
            k += step
    return out


def _copies(text: str, sources: list[str], least: int) -> bool:
    """Whether the draft may hold a verbatim run from a source, before any sentence is left
    out: blanking sentences out (with "\\0", in no source) only shortens runs, so when the
    whole draft has none (compared as the masked draft is, lower-cased) the masked one has
    none either. True when that cannot be told this way."""
    low = text.lower()
    if len(low) != len(text) or "Σ" in text or any("\0" in src for src in sources):
        return True  # lower-casing a Σ depends on its neighbours, which masking changes
    return any(verbatim_runs(low, src.lower(), least) for src in sources)


def _days_since_contact(ctx: CheckContext) -> int | None:
    raw = ctx.facts.get("days_since_contact")
    if raw is not None and str(raw).isdigit():
        return int(raw)
    c = ctx.customer
    if c is None:
        return None
    dates = [x.date for x in c.last_contacts] or ([c.last_purchase.date] if c.last_purchase else [])
    if not dates:
        return None
    return ((ctx.as_of or dt.date.today()) - max(dates)).days


def _days_since_purchase(ctx: CheckContext) -> int | None:
    raw = ctx.facts.get("days_since_purchase")
    if raw is not None and str(raw).isdigit():
        return int(raw)
    c = ctx.customer
    if c is None or c.last_purchase is None:
        return None
    return ((ctx.as_of or dt.date.today()) - c.last_purchase.date).days


_USE_MOMENTS = ("day3", "half_used", "almost_finished", "after_purchase")


def _quotes_safety(ctx: CheckContext) -> bool:
    """Whether the draft carries one of the guide's safety statements (verbatim, or
    ``truth.safety_faithful_min`` of its content). The guide's cautions are in ``ctx.safety``
    for nearly every moment; only one the draft actually says is something to say."""
    if not ctx.safety:
        return False
    text = ctx.text.lower()
    units: frozenset[str] | None = None
    least = float(threshold("truth", "safety_faithful_min"))
    for line in ctx.safety:
        line = line.strip()
        if not line:
            continue
        if line.lower() in text:
            return True
        ref = content_units(line)
        if not ref:
            continue
        if units is None:
            units = content_units(ctx.text)
        if coverage(ref, units) >= least:
            return True
    return False


class CoherenceCheck:
    """Does the draft hang together: the moment's tip, facts on the right subject, said once,
    in its own words, in one language, closing on something that means something?"""

    family = "coherence"

    def run(self, ctx: CheckContext) -> list[Finding]:
        out: list[Finding] = []
        out += self._tip_missing(ctx)
        out += self._nothing_to_say(ctx)
        out += self._misattached(ctx)
        if ctx.trigger == "long_silence":
            out += self._silence_guilt(ctx)
        # names, the brand's lines and contacts blanked out: neither repeats nor language
        masked = _mask(ctx.text, _protected(ctx) + _contact_spans(ctx.text))
        out += self._repeated(ctx, masked)
        out += self._pasted(ctx)
        out += self._filler(ctx)
        out += self._mixed(ctx, masked)
        return out

    # --- what the plan asked for ---------------------------------------------------------
    def _nothing_to_say(self, ctx: CheckContext) -> list[Finding]:
        """A moment of use the plan found no tip for: a reader called these "not worth a
        text". Only for drafts planned by the generator (a trigger and a kind)."""
        if ctx.trigger not in _USE_MOMENTS or ctx.kind not in ("care_message", "aftersale_email"):
            return []
        if not ctx.facts.get("days_since_purchase"):  # not planned from a purchase on record
            return []
        if (ctx.required_tip or "").strip():
            return []  # the moment has a tip: tip_missing says whether the draft carries it
        if _quotes_safety(ctx):
            return []
        return [finding(ctx, "coherence.nothing_to_say", Severity.WARN, 0, len(ctx.text))]

    def _tip_missing(self, ctx: CheckContext) -> list[Finding]:
        tip = (ctx.required_tip or "").strip()
        if not tip:
            return []
        drop = units_of(product_names(ctx))
        tip_units = content_units(tip) - drop
        if not tip_units:
            return []
        share = coverage(tip_units, content_units(ctx.text) - drop)
        key = "tip_min_overlap_zh" if _CJK.search(tip) else "tip_min_overlap_en"
        if share >= float(threshold("coherence", key)):
            return []
        excerpt = tip if len(tip) <= 40 else tip[:40] + "…"
        return [
            finding(
                ctx,
                "coherence.tip_missing",
                Severity.WARN,
                0,
                len(ctx.text),
                tip=excerpt,
                share=f"{share:.0%}",
            )
        ]

    def _silence_guilt(self, ctx: CheckContext) -> list[Finding]:
        """Apology or guilt in a long-silence message, up to the end of its clause."""
        text = ctx.text
        out: list[Finding] = []
        for m in matches(pattern("coherence", "silence_guilt"), text):
            if out and m.start() < out[-1].end:
                continue
            end = max(m.end(), clause_at(text, m.start())[1])
            term = text[m.start() : end]
            out.append(
                finding(ctx, "coherence.silence_guilt", Severity.WARN, m.start(), end, term=term)
            )
        return out[:3]

    def _misattached(self, ctx: CheckContext) -> list[Finding]:
        text = ctx.text
        products = words_pattern(product_names(ctx))
        if products is None:
            return []
        named = matches(products, text)
        if not named:
            return []
        out: list[Finding] = []
        silence = _days_since_contact(ctx)
        usage = _days_since_purchase(ctx)
        for hit in matches(pattern("coherence", "silence_words"), text):
            cs, ce = clause_at(text, hit.start())
            days = [m for m in _DAYS.finditer(text, cs, ce)]
            if not days:
                continue
            before = [p for p in named if cs <= p.start() < hit.start()]
            if not before:
                continue
            subject = before[-1]
            if _RELATIONSHIP.search(text, subject.end(), hit.start()):
                continue  # "青苗平衡车到了以后我们99天没联系": the silence is ours
            end = max(hit.end(), days[-1].end())
            out.append(
                finding(
                    ctx,
                    "coherence.misattached_fact",
                    Severity.WARN,
                    subject.start(),
                    end,
                    term=text[subject.start() : end],
                    product=subject.group(0),
                    days=days[0].group(1),
                )
            )
        if silence is not None and silence != usage:
            usage_pat = pattern("coherence", "usage_words")
            for m in _DAYS.finditer(text):
                if int(m.group(1)) != silence or any(f.start <= m.start() < f.end for f in out):
                    continue
                cs, ce = clause_at(text, m.start())
                clause = text[cs:ce]
                if found(pattern("coherence", "silence_words"), clause):
                    continue
                if not found(usage_pat, clause) or not any(cs <= p.start() < ce for p in named):
                    continue
                out.append(
                    finding(
                        ctx,
                        "coherence.misattached_fact",
                        Severity.WARN,
                        cs,
                        ce,
                        variant="usage",
                        term=clause,
                        days=m.group(1),
                        usage=usage if usage is not None else "?",
                    )
                )
        return out

    # --- said once, in its own words ------------------------------------------------------
    def _repeated(self, ctx: CheckContext, masked: str) -> list[Finding]:
        """Short messages only: an e-mail's body may well repeat its subject line, and a post
        or a story may name its topic twice. Phrases are runs of Chinese characters."""
        if ctx.channel in _LONG_CHANNELS or ctx.kind in _LONG_KINDS:
            return []
        if ctx.lang == "en":
            return self._repeated_en(ctx, masked)
        if len(ctx.text) > int(threshold("coherence", "repeated_max_chars_zh")):
            return []
        n = int(threshold("coherence", "repeated_min_cjk"))
        grams = _cjk_grams(n).findall(masked)
        if len(set(grams)) == len(grams):
            return []  # nothing occurs twice: the common case, decided without a loop
        runs = [m.span() for m in _CJK_CHARS.finditer(masked) if m.end() - m.start() >= n]
        stop = stop_chars()
        seen: dict[str, int] = {}
        reported: set[str] = set()
        out: list[Finding] = []
        for a, b in runs:
            i = a
            while i <= b - n:
                gram = masked[i : i + n]
                j = seen.get(gram)
                if j is None or j + n > i:
                    seen.setdefault(gram, i)
                    i += 1
                    continue
                k = n  # grow the phrase while both copies go on alike (within the run)
                while i + k < b and j + k < i and masked[i + k] == masked[j + k]:
                    k += 1
                phrase = masked[i : i + k]
                # a phrase of grammar ("在群里", "谢谢你") is how people talk; content repeats
                if phrase not in reported and sum(ch not in stop for ch in phrase) >= n:
                    reported.add(phrase)
                    out.append(
                        finding(
                            ctx, "coherence.repeated_phrase", Severity.WARN, i, i + k, term=phrase
                        )
                    )
                i += k
        return out[:3]

    def _repeated_en(self, ctx: CheckContext, masked: str) -> list[Finding]:
        words_ = _WORD.findall(masked.lower())
        if len(words_) > int(threshold("coherence", "repeated_max_words_en")):
            return []
        n = int(threshold("coherence", "repeated_min_words_en"))
        grams_en = list(zip(*(words_[k:] for k in range(n)), strict=False))  # the n-grams
        if len(set(grams_en)) == len(grams_en):
            return []  # nothing occurs twice: the common case
        tokens = [(m.start(), m.end(), m.group(0).lower()) for m in _WORD.finditer(masked)]
        stop = stopwords()
        seen: dict[tuple[str, ...], int] = {}
        reported: set[tuple[str, ...]] = set()
        out: list[Finding] = []
        i = 0
        while i <= len(tokens) - n:
            gram = tuple(t[2] for t in tokens[i : i + n])
            j = seen.get(gram)
            if j is None or j + n > i:
                seen.setdefault(gram, i)
                i += 1
                continue
            k = n
            while i + k < len(tokens) and j + k < i and tokens[i + k][2] == tokens[j + k][2]:
                k += 1
            phrase = tuple(t[2] for t in tokens[i : i + k])
            if phrase not in reported and sum(w not in stop for w in phrase) >= 2:
                reported.add(phrase)
                start, end = tokens[i][0], tokens[i + k - 1][1]
                out.append(
                    finding(
                        ctx,
                        "coherence.repeated_phrase",
                        Severity.WARN,
                        start,
                        end,
                        term=ctx.text[start:end],
                    )
                )
            i += k
        return out[:3]

    def _pasted(self, ctx: CheckContext) -> list[Finding]:
        """Verbatim runs from a source. Sentences that quote a safety statement or a belief
        (meant to be quoted) are left out before the run is measured."""
        if not ctx.sources:
            return []
        text = ctx.text
        min_cjk = int(threshold("coherence", "pasted_min_cjk"))
        min_words = int(threshold("coherence", "pasted_min_words_en"))
        least = min(min_cjk, 2 * min_words)  # characters a run needs at the very least
        if not _copies(text, ctx.sources, least):
            return []  # most drafts: nothing that long is copied, quoted or not
        masked = _mask(text, self._quoted(ctx))
        if len(masked.lower()) == len(masked):  # compare case-blind where offsets allow
            masked = masked.lower()
        runs: list[tuple[int, int, int]] = []
        for src in ctx.sources:
            for a, b in verbatim_runs(masked, src.lower(), least):
                piece = masked[a:b]
                cjk, n_words = len(_CJK.findall(piece)), len(_WORD.findall(piece))
                if cjk >= min_cjk:
                    runs.append((a, b, cjk))
                elif n_words >= min_words:
                    runs.append((a, b, n_words))
        out: list[Finding] = []
        for a, b, count in sorted(runs):
            if out and a < out[-1].end:
                continue
            out.append(finding(ctx, "coherence.pasted_passage", Severity.WARN, a, b, count=count))
        return out

    @staticmethod
    def _quoted(ctx: CheckContext) -> list[tuple[int, int]]:
        quoted = [s for s in [*ctx.safety, ctx.belief or ""] if s.strip()]
        # the guide's advice for the moment, which a draft may say in the guide's words —
        # unless it came with the guide's own label ("用到一半（约第 15 天）："): pasted whole
        tip = ctx.required_tip or ""
        label = re.match(r"^([^：:\n]{1,40})[：:]", tip)
        if not label or label.group(1).strip().lower() not in ctx.text.lower():
            quoted += [tip[a:b] for a, b in sentences(tip)]
        # a post's quoted passages, sentence by sentence (a sentence covers little of a paragraph)
        quoted += [q[a:b] for q in ctx.quoted for a, b in sentences(q)]
        if ctx.brand is not None:
            quoted += [b.text for b in ctx.brand.beliefs]
        if not quoted:
            return []
        refs = [r for r in (content_units(q) for q in quoted) if r]
        least = float(threshold("truth", "safety_faithful_min"))
        out: list[tuple[int, int]] = []
        for a, b in sentences(ctx.text):
            units = content_units(ctx.text[a:b])
            if any(coverage(r, units) >= least for r in refs):
                out.append((a, b))
        return out

    # --- the closing and the language ----------------------------------------------------
    def _filler(self, ctx: CheckContext) -> list[Finding]:
        text = ctx.text
        hits = matches(pattern("coherence", "filler_closing"), text)
        if not hits:
            return []
        tail_max = int(threshold("coherence", "filler_tail_chars"))
        personal = ctx.kind in _PERSONAL_KINDS
        out: list[Finding] = []
        for m in hits:
            rest = without_brand_lines(ctx, text[m.end() :])
            closing = len(_VISIBLE.findall(rest)) <= tail_max
            severity = Severity.WARN if closing and personal else Severity.INFO
            out.append(
                finding(
                    ctx,
                    "coherence.filler_closing",
                    severity,
                    m.start(),
                    m.end(),
                    term=m.group(0),
                )
            )
        return out

    def _mixed(self, ctx: CheckContext, masked: str) -> list[Finding]:
        out: list[Finding] = []
        if ctx.lang == "en":
            least = int(threshold("coherence", "mixed_min_cjk"))
            for m in _CJK_RUN.finditer(masked):
                if len(_CJK.findall(m.group(0))) >= least:
                    out.append(
                        finding(
                            ctx,
                            "coherence.mixed_language",
                            Severity.WARN,
                            m.start(),
                            m.end(),
                            variant="zh_in_en",
                            term=m.group(0),
                        )
                    )
            return out[:3]
        least = int(threshold("coherence", "mixed_min_words"))
        allow = _latin_allow()
        for m in _LATIN_RUN.finditer(masked):
            counted = [w for w in _WORD.findall(m.group(0)) if w.lower() not in allow]
            if len(counted) >= least:
                out.append(
                    finding(
                        ctx,
                        "coherence.mixed_language",
                        Severity.WARN,
                        m.start(),
                        m.end(),
                        variant="en_in_zh",
                        term=m.group(0),
                    )
                )
        return out[:3]
