"""Search building blocks: metadata filters (as a Chroma ``where`` and as a Python predicate),
a small BM25 keyword scorer (CJK character bigrams + words, so it works for Chinese and
English without a tokenizer) and reciprocal-rank fusion of dense and keyword rankings.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from knowledge.chunking import Chunk
from knowledge.embedders import hash_features
from knowledge.store import ALL_STAGES, stage_key

RRF_K = 60


@dataclass(frozen=True)
class Filters:
    """Resolved filters: a doc kind, a product, a stage id (None means any)."""

    kind: str | None = None
    product: str | None = None
    stage: str | None = None

    def where(self) -> dict[str, Any] | None:
        """The Chroma 1.x ``where`` clause for these filters."""
        clauses: list[dict[str, Any]] = []
        if self.kind:
            clauses.append({"kind": self.kind})
        if self.product:
            clauses.append({"product": self.product})
        if self.stage:
            # Docs that name no stages fit every stage.
            clauses.append({"$or": [{stage_key(self.stage): True}, {ALL_STAGES: True}]})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def accepts(self, chunk: Chunk) -> bool:
        return (
            (not self.kind or chunk.kind == self.kind)
            and (not self.product or chunk.product == self.product)
            and (not self.stage or not chunk.stages or self.stage in chunk.stages)
        )


def keyword_terms(text: str) -> list[str]:
    """Terms for keyword scoring: CJK character bigrams (and single characters of one-char
    runs) plus lower-cased words."""
    return [t for t in hash_features(text) if len(t) > 1 or not t.isascii()]


class BM25:
    """Okapi BM25 over a fixed list of texts."""

    def __init__(self, texts: Sequence[str], *, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.docs = [Counter(keyword_terms(t)) for t in texts]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0
        df: Counter[str] = Counter()
        for d in self.docs:
            df.update(d.keys())
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def scores(self, query: str, indices: Iterable[int] | None = None) -> dict[int, float]:
        terms = set(keyword_terms(query))
        out: dict[int, float] = {}
        for i in indices if indices is not None else range(len(self.docs)):
            doc, length = self.docs[i], self.lengths[i]
            score = 0.0
            for t in terms:
                tf = doc.get(t, 0)
                if tf:
                    norm = self.k1 * (1 - self.b + self.b * length / (self.avg or 1))
                    score += self.idf[t] * tf * (self.k1 + 1) / (tf + norm)
            if score > 0:
                out[i] = score
        return out


def rrf(rankings: Sequence[Sequence[str]], *, k: int = RRF_K) -> dict[str, float]:
    """Reciprocal-rank fusion: each ranking adds 1 / (k + rank) to an id's score."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused
