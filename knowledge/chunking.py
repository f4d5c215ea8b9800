"""Split knowledge documents into retrieval chunks along their Markdown structure.

Sections follow the headings; each chunk keeps its heading path as title context
("白牡丹冲泡指南 > 水温与时间"). A long section is split on paragraphs, then lines, then
sentence ends (。！？ and . ! ?), and only a single over-long sentence is cut mid-way.
Length is weighted so that ~300 Chinese characters and ~800 English characters both make
one full chunk. Every chunk has a stable id ``brand:doc:n`` and a content hash, so that
re-ingesting a pack only re-embeds what changed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from knowledge.pack import KnowledgeDoc

# One full chunk: 800 "units"; a CJK character weighs 800/300 units, anything else 1.
TARGET_UNITS = 800
CJK_WEIGHT = TARGET_UNITS / 300
TITLE_SEPARATOR = " > "

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
# A sentence ends after 。！？ (English . ! ? only before a space or the end), with any
# closing quotes or brackets that follow.
_SENTENCE_END = re.compile(r"[。！？]+[”’」』）)]*|[.!?]+[\"'”’)]*(?=\s|$)")


def weight(text: str) -> float:
    """The length of ``text`` in chunk units (CJK characters count more)."""
    cjk = len(_CJK.findall(text))
    return cjk * CJK_WEIGHT + (len(text) - cjk)


@dataclass(frozen=True)
class Chunk:
    """One piece of a knowledge document, ready to embed."""

    brand: str
    doc_id: str
    n: int
    title: str  # the heading path, doc title first
    text: str
    kind: str
    product: str | None = None
    stages: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    hash: str = field(default="", compare=False)

    @property
    def id(self) -> str:
        return f"{self.brand}:{self.doc_id}:{self.n}"

    @property
    def embed_text(self) -> str:
        """What the embedder sees: the heading path gives a short section its context."""
        return f"{self.title}\n{self.text}"


def content_hash(
    *,
    title: str,
    text: str,
    kind: str,
    product: str | None,
    stages: Iterable[str],
    tags: Iterable[str],
) -> str:
    """sha256 of everything that changes a chunk's vector or its filter metadata."""
    payload = json.dumps(
        {
            "title": title,
            "text": text,
            "kind": kind,
            "product": product,
            "stages": sorted(stages),
            "tags": sorted(tags),
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def sections(markdown: str) -> list[tuple[list[str], str]]:
    """``(heading path, body)`` pairs in order; headings inside code fences are text."""
    out: list[tuple[list[str], str]] = []
    path: list[tuple[int, str]] = []
    lines: list[str] = []
    in_fence = False

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body:
            out.append(([h for _, h in path], body))
        lines.clear()

    for line in markdown.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            lines.append(line)
            continue
        flush()
        level = len(match.group(1))
        path = [(lv, h) for lv, h in path if lv < level]
        path.append((level, match.group(2).strip()))
    flush()
    return out


def split_sentences(text: str) -> list[str]:
    """Split after Chinese (。！？) and English (. ! ?) sentence ends; keep the punctuation."""
    out: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        out.append(text[start : match.end()])
        start = match.end()
    out.append(text[start:])
    return [s.strip() for s in out if s.strip()]


def _joiner(a: str, b: str) -> str:
    """No space between Chinese sentences, one between English ones."""
    return "" if _CJK.match(a[-1:]) or _CJK.match(b[:1]) else " "


def _pack(pieces: list[str], join: Callable[[str, str], str], limit: float) -> list[str]:
    """Greedily join consecutive pieces while the result stays within ``limit``."""
    out: list[str] = []
    current = ""
    for piece in pieces:
        if not current:
            current = piece
            continue
        candidate = current + join(current, piece) + piece
        if weight(candidate) <= limit:
            current = candidate
        else:
            out.append(current)
            current = piece
    if current:
        out.append(current)
    return out


def _hard_cut(sentence: str, limit: float) -> list[str]:
    """Cut one over-long sentence into pieces of at most ``limit`` units."""
    out: list[str] = []
    current = ""
    for ch in sentence:
        if current and weight(current + ch) > limit:
            out.append(current)
            current = ""
        current += ch
    if current:
        out.append(current)
    return out


def split_text(text: str, limit: float = TARGET_UNITS) -> list[str]:
    """Split a section body into pieces of at most ``limit`` units, at the coarsest boundary
    that works: paragraphs, then lines, then sentences, then (one long sentence) characters."""
    if weight(text) <= limit:
        return [text]
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    units: list[str] = []
    for para in paragraphs:
        if weight(para) <= limit:
            units.append(para)
            continue
        for line in (ln.strip() for ln in para.splitlines() if ln.strip()):
            if weight(line) <= limit:
                units.append(line)
                continue
            sentences: list[str] = []
            for sentence in split_sentences(line):
                sentences.extend(
                    [sentence] if weight(sentence) <= limit else _hard_cut(sentence, limit)
                )
            units.extend(_pack(sentences, _joiner, limit))
    return _pack(units, lambda a, b: "\n\n", limit)


def chunk_doc(brand_id: str, doc: KnowledgeDoc, *, limit: float = TARGET_UNITS) -> list[Chunk]:
    """All chunks of one document, numbered from 0 in reading order."""
    chunks: list[Chunk] = []
    for headings, body in sections(doc.body):
        if headings and headings[0].strip() == doc.title.strip():
            headings = headings[1:]
        title = TITLE_SEPARATOR.join([doc.title, *headings])
        for piece in split_text(body, limit):
            meta = {
                "title": title,
                "text": piece,
                "kind": doc.kind.value,
                "product": doc.product,
                "stages": tuple(doc.stages),
                "tags": tuple(doc.tags),
            }
            chunks.append(
                Chunk(
                    brand=brand_id,
                    doc_id=doc.id,
                    n=len(chunks),
                    hash=content_hash(**meta),  # type: ignore[arg-type]
                    **meta,  # type: ignore[arg-type]
                )
            )
    return chunks


def chunk_docs(brand_id: str, docs: Iterable[KnowledgeDoc]) -> list[Chunk]:
    return [chunk for doc in docs for chunk in chunk_doc(brand_id, doc)]
