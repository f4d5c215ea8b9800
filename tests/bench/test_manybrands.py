"""The many-brands bench's packs load and differ, and its shared-collection layout keeps
each brand's chunks apart (hash embedder, embedded Chroma, no timing asserts)."""

from __future__ import annotations

from pathlib import Path

from bench.bench_manybrands import CachedEmbedder, SharedVectorStore, brand_queries
from bench.packs import write_packs
from core.settings import Settings
from knowledge.embedders import HashEmbedder
from knowledge.loader import read_pack
from knowledge.service import KnowledgeBase
from knowledge.store import forget_clients


def test_the_synthetic_packs_load_and_each_holds_its_own_text(tmp_path: Path) -> None:
    folders = write_packs(tmp_path / "packs", 7)
    packs = []
    for folder in folders:
        reading = read_pack(folder)
        assert reading.problems == [] and reading.warnings == []
        packs.append(reading.raise_for_problems())
    assert [p.brand.id for p in packs] == [f.name for f in folders]
    assert len({p.brand.id for p in packs}) == len({p.brand.name for p in packs}) == 7
    assert {p.brand.language for p in packs} == {"zh", "en"}
    bodies = [doc.body for p in packs for doc in p.docs]
    assert len(set(bodies)) == len(bodies)  # no two packs share a document's text
    assert all(len(p.docs) == 3 for p in packs)
    queries = brand_queries(7)
    assert set(queries) == {p.brand.id for p in packs}


def test_the_shared_layout_syncs_and_searches_one_brand_at_a_time(
    settings: Settings, tmp_path: Path
) -> None:
    forget_clients()
    embedder = CachedEmbedder(HashEmbedder(), tmp_path / "vectors.sqlite")
    kb = KnowledgeBase(settings, embedder=embedder)
    kb._store = SharedVectorStore(settings, embedder)
    first, second = write_packs(tmp_path / "packs", 2)
    a = kb.ingest(first)
    b = kb.ingest(second)
    again = kb.ingest(first)  # a brand's sync leaves the other brand's chunks alone
    assert again.unchanged == a.chunks and again.deleted == 0
    assert kb.store.count(a.brand) == a.chunks and kb.store.count(b.brand) == b.chunks
    hits = kb.search(b.brand, "refund", k=5)
    assert hits and all(h.chunk_id.startswith(f"{b.brand}:") for h in hits)
    assert embedder.embedded == a.chunks + b.chunks + 1  # every text embedded once
    forget_clients()
