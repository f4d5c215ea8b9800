"""The knowledge facade: ingest brand packs, load them back, search one brand's knowledge.

``KnowledgeBase`` satisfies :class:`knowledge.retriever.Knowledge`. A brand's vectors live
in its own Chroma collection and every query is also filtered on the brand id, so a search
can never return another brand's chunks.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from core.errors import EmptyIndexError, NotFoundError
from core.settings import Settings
from knowledge.chunking import Chunk, chunk_docs
from knowledge.embedder import Embedder
from knowledge.embedders import make_embedder
from knowledge.loader import read_pack, resolve_stage
from knowledge.pack import BrandPack, Customer, DocKind
from knowledge.registry import PackRegistry
from knowledge.retriever import Passage
from knowledge.search import BM25, RRF_K, Filters, rrf
from knowledge.store import Hit, VectorStore

SearchMode = Literal["dense", "hybrid"]


class IngestReport(BaseModel):
    brand: str
    docs: int
    chunks: int
    added: int
    updated: int
    unchanged: int
    deleted: int
    customers: int
    seconds: float
    # Accepted but worth a look: an unknown customer column kept as a tag, a second sheet...
    warnings: list[str] = Field(default_factory=list)


@dataclass
class _Snapshot:
    """A brand's pack and chunks as last ingested (cached, keyed on the file's mtime)."""

    mtime: float
    pack: BrandPack
    chunks: list[Chunk]
    _bm25: BM25 | None = field(default=None, repr=False)

    @property
    def bm25(self) -> BM25:
        if self._bm25 is None:
            self._bm25 = BM25([c.embed_text for c in self.chunks])
        return self._bm25


class KnowledgeBase:
    """Ingest, load and search brand knowledge. ``mode`` (default: ``settings.retrieval_mode``)
    is ``"hybrid"`` (dense and BM25 rankings fused by reciprocal rank; it measured better on
    the labelled set, see bench/bench_retrieval.py) or ``"dense"`` (vectors only)."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        *,
        mode: SearchMode | None = None,
    ) -> None:
        self.settings = settings
        self.mode: SearchMode = mode or settings.retrieval_mode
        self._embedder = embedder
        self._store: VectorStore | None = None
        self.registry = PackRegistry(settings)
        self._snapshots: dict[str, _Snapshot] = {}

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.settings)
        return self._embedder

    @property
    def store(self) -> VectorStore:
        if self._store is None:
            self._store = VectorStore(self.settings, self.embedder)
        return self._store

    # --- packs -------------------------------------------------------------------------------

    def ingest(self, path: str | Path) -> IngestReport:
        """Validate the pack at ``path`` (nothing is written if it is invalid), index its
        changed chunks, drop removed ones, and save the pack snapshot."""
        start = time.perf_counter()
        reading = read_pack(path)
        pack = reading.raise_for_problems()
        brand_id = pack.brand.id
        # A story without consent is never indexed: no search and no prompt can reach it.
        chunks = chunk_docs(brand_id, [d for d in pack.docs if d.retrievable])
        self.settings.ensure_data_dir()
        with self.registry.lock(brand_id):
            report = self.store.sync(brand_id, chunks)
            self.registry.save(pack)
        self._snapshots.pop(brand_id, None)
        return IngestReport(
            brand=brand_id,
            docs=len(pack.docs),
            chunks=len(chunks),
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
            deleted=report.deleted,
            customers=len(pack.customers),
            seconds=round(time.perf_counter() - start, 3),
            warnings=[str(w) for w in reading.warnings],
        )

    def brands(self) -> list[str]:
        return self.registry.brands()

    def pack(self, brand_id: str) -> BrandPack:
        return self._snapshot(brand_id).pack

    def customers(self, brand_id: str) -> Iterator[Customer]:
        """The customers of the brand's pack as last ingested, streamed (the snapshot
        :meth:`pack` gives holds only their kinds; the customer store is their home)."""
        return self.registry.customers(brand_id)

    def _snapshot(self, brand_id: str) -> _Snapshot:
        path = self.registry.path(brand_id)
        mtime = path.stat().st_mtime if self.registry.exists(brand_id) else -1.0
        cached = self._snapshots.get(brand_id)
        if cached is not None and cached.mtime == mtime:
            return cached
        pack = self.registry.load(brand_id)  # NotFoundError for an unknown brand
        retrievable = [d for d in pack.docs if d.retrievable]
        snap = _Snapshot(mtime=mtime, pack=pack, chunks=chunk_docs(brand_id, retrievable))
        self._snapshots[brand_id] = snap
        return snap

    # --- search ------------------------------------------------------------------------------

    def filters(
        self, brand_id: str, *, kind: str | None, product: str | None, stage: str | None
    ) -> Filters:
        """Check and resolve search filters (stage names such as 相知 become stage ids)."""
        pack = self.pack(brand_id)
        if kind is not None and kind not in {k.value for k in DocKind}:
            raise NotFoundError(
                f"unknown document kind {kind!r}",
                hint=f"use one of: {', '.join(k.value for k in DocKind)}",
            )
        stage_id = None
        if stage is not None:
            stage_id = resolve_stage(pack.brand, stage)
            if stage_id is None:
                raise NotFoundError(
                    f"unknown stage {stage!r} for brand {brand_id!r}",
                    hint=f"use one of: {', '.join(s.id for s in pack.brand.stages)}",
                )
        return Filters(kind=kind, product=product or None, stage=stage_id)

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
        """The ``k`` best passages of this brand's knowledge for ``query``, best first."""
        snap = self._snapshot(brand_id)
        filters = self.filters(brand_id, kind=kind, product=product, stage=stage)
        total = self.store.count(brand_id) if snap.chunks else 0
        if total == 0:
            raise EmptyIndexError(
                f"brand {brand_id!r} has no indexed knowledge",
                hint=f"run: zhenxin ingest <pack folder of {brand_id}>",
            )
        if k < 1 or not query.strip():
            return []
        vector = self.embedder.embed_query(query)
        if self.mode == "dense":
            hits = self.store.query(brand_id, vector, where=filters.where(), k=k, total=total)
            return [_passage(h, h.score) for h in hits]
        return self._hybrid(snap, brand_id, query, vector, filters, k, total)

    def _hybrid(
        self,
        snap: _Snapshot,
        brand_id: str,
        query: str,
        vector: list[float],
        filters: Filters,
        k: int,
        total: int,
    ) -> list[Passage]:
        depth = max(4 * k, 20)
        hits = self.store.query(brand_id, vector, where=filters.where(), k=depth, total=total)
        allowed = [i for i, c in enumerate(snap.chunks) if filters.accepts(c)]
        keyword = snap.bm25.scores(query, allowed)
        keyword_ranking = [
            snap.chunks[i].id for i in sorted(keyword, key=lambda i: -keyword[i])[:depth]
        ]
        rankings = [[h.chunk_id for h in hits], keyword_ranking]
        # Scaled so that 1.0 means "first in both rankings"; the order is plain RRF.
        fused = {c: v * (RRF_K + 1) / 2 for c, v in rrf(rankings).items()}
        by_id = {h.chunk_id: h for h in hits}
        chunk_by_id = {c.id: c for c in snap.chunks}
        out: list[Passage] = []
        for cid in sorted(fused, key=lambda c: -fused[c])[:k]:
            hit = by_id.get(cid)
            if hit is not None:
                out.append(_passage(hit, fused[cid]))
            elif cid in chunk_by_id:
                out.append(_chunk_passage(chunk_by_id[cid], fused[cid]))
        return out


def _passage(hit: Hit, score: float) -> Passage:
    meta = hit.metadata
    stages = str(meta.get("stages") or "")
    return Passage(
        chunk_id=hit.chunk_id,
        doc_id=str(meta.get("doc_id", "")),
        kind=str(meta.get("kind", "")),
        title=str(meta.get("title", "")),
        text=hit.text,
        score=round(score, 6),
        product=str(meta["product"]) if meta.get("product") else None,
        stages=[s for s in stages.split(",") if s],
    )


def _chunk_passage(chunk: Chunk, score: float) -> Passage:
    return Passage(
        chunk_id=chunk.id,
        doc_id=chunk.doc_id,
        kind=chunk.kind,
        title=chunk.title,
        text=chunk.text,
        score=round(score, 6),
        product=chunk.product,
        stages=list(chunk.stages),
    )
