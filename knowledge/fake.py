"""In-memory brand knowledge for tests: packs held as given, chunked as ingest chunks them,
and a keyword search over the chunks. Satisfies :class:`knowledge.retriever.Knowledge`, like
``KnowledgeBase``; stories without consent are never searchable, as in the real index.

    kb = FakeKnowledge([pack])
    kb.pack("qingshui"); kb.search("qingshui", "精华 用量", kind="usage_guide")
    kb.searches[-1]   # what was asked
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from core.errors import NotFoundError
from knowledge.chunking import Chunk, chunk_docs
from knowledge.pack import BrandPack, Customer
from knowledge.retriever import Passage


def _terms(text: str) -> set[str]:
    text = text.lower()
    cjk = re.sub(r"[^\u4e00-\u9fff0-9]", "", text)
    return set(re.findall(r"[a-z]{3,}", text)) | {cjk[i : i + 2] for i in range(len(cjk) - 1)}


class FakeKnowledge:
    def __init__(self, packs: Iterable[BrandPack] = ()) -> None:
        self.packs: dict[str, BrandPack] = {}
        self._chunks: dict[str, list[Chunk]] = {}
        self.searches: list[dict[str, Any]] = []
        for pack in packs:
            self.add(pack)

    def add(self, pack: BrandPack) -> None:
        brand = pack.brand.id
        self.packs[brand] = pack
        self._chunks[brand] = chunk_docs(brand, [d for d in pack.docs if d.retrievable])

    def pack(self, brand_id: str) -> BrandPack:
        try:
            return self.packs[brand_id]
        except KeyError:
            raise NotFoundError(f"unknown brand {brand_id!r}") from None

    def customers(self, brand_id: str) -> Iterator[Customer]:
        return iter(self.pack(brand_id).customers)

    def brands(self) -> list[str]:
        return sorted(self.packs)

    def search(
        self,
        brand_id: str,
        query: str,
        *,
        kind: str | None = None,
        product: str | None = None,
        stage: str | None = None,
        k: int = 5,
    ) -> list[Passage]:
        """The ``k`` chunks of the brand sharing the most terms with ``query``."""
        self.searches.append({"brand": brand_id, "query": query, "kind": kind, "product": product})
        self.pack(brand_id)
        want = _terms(query)
        scored = []
        for c in self._chunks[brand_id]:
            if (kind and c.kind != kind) or (product and c.product != product):
                continue
            if stage and c.stages and stage not in c.stages:
                continue
            scored.append((len(want & _terms(c.title + c.text)) / (1 + len(want)), c))
        scored.sort(key=lambda t: -t[0])
        return [
            Passage(
                chunk_id=c.id,
                doc_id=c.doc_id,
                kind=c.kind,
                title=c.title,
                text=c.text,
                score=score,
                product=c.product,
                stages=list(c.stages),
            )
            for score, c in scored[:k]
        ]


__all__ = ["FakeKnowledge"]
