"""KnowledgeBase: ingest (incremental, idempotent, never half), brand isolation, filters."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from chromadb.utils.embedding_functions import DefaultEmbeddingFunction

from core.errors import (
    ConfigError,
    ConflictError,
    EmptyIndexError,
    NotFoundError,
    PackError,
    ProviderError,
)
from core.settings import Settings
from knowledge.loader import load_pack
from knowledge.pack import customer_kinds
from knowledge.service import KnowledgeBase, SearchMode
from knowledge.store import VectorStore
from tests.knowledge.helpers import FIXTURES, CountingEmbedder, copy_pack


@pytest.fixture
def embedder() -> CountingEmbedder:
    return CountingEmbedder()


@pytest.fixture
def kb(settings: Settings, embedder: CountingEmbedder) -> KnowledgeBase:
    return KnowledgeBase(settings, embedder=embedder)


def test_ingest_report_and_idempotent_reingest(
    kb: KnowledgeBase, embedder: CountingEmbedder
) -> None:
    first = kb.ingest(FIXTURES / "cha")
    assert (first.brand, first.docs, first.customers) == ("cha", 6, 3)
    assert first.added == first.chunks == len(embedder.passages) > 6
    assert (first.updated, first.unchanged, first.deleted) == (0, 0, 0)

    again = kb.ingest(FIXTURES / "cha")
    assert (again.added, again.updated, again.deleted) == (0, 0, 0)
    assert again.unchanged == first.chunks
    assert len(embedder.passages) == first.chunks  # nothing re-embedded
    assert kb.store.count("cha") == first.chunks


def test_only_changed_chunks_are_reembedded(
    tmp_path: Path, kb: KnowledgeBase, embedder: CountingEmbedder
) -> None:
    root = copy_pack(tmp_path, "cha")
    first = kb.ingest(root)
    guide = root / "knowledge" / "white-tea-guide.md"
    guide.write_text(
        guide.read_text(encoding="utf-8").replace("水温控制在90度左右", "水温控制在85度左右"),
        encoding="utf-8",
    )
    embedder.passages.clear()
    report = kb.ingest(root)
    assert (report.added, report.updated, report.deleted) == (0, 1, 0)
    assert report.unchanged == first.chunks - 1
    assert len(embedder.passages) == 1 and "85度" in embedder.passages[0]
    stored = {p.chunk_id: p.text for p in kb.search("cha", "水温", k=20)}
    assert "85度" in stored["cha:white-tea-guide:1"]


def test_removed_docs_and_tail_chunks_are_deleted(tmp_path: Path, kb: KnowledgeBase) -> None:
    root = copy_pack(tmp_path, "cha")
    first = kb.ingest(root)
    (root / "knowledge" / "tea-party.md").unlink()
    guide = root / "knowledge" / "pu-erh-guide.md"
    text = guide.read_text(encoding="utf-8")
    guide.write_text(text[: text.index("## 存放")], encoding="utf-8")  # drop the last section
    report = kb.ingest(root)
    assert report.deleted == 2
    assert report.chunks == first.chunks - 2 == kb.store.count("cha")
    ids = {p.chunk_id for p in kb.search("cha", "茶会 存放 普洱", k=20)}
    assert "cha:tea-party:0" not in ids
    assert "cha:pu-erh-guide:2" not in ids
    assert kb.pack("cha").docs and all(d.id != "tea-party" for d in kb.pack("cha").docs)


def test_invalid_pack_never_half_imports(tmp_path: Path, kb: KnowledgeBase) -> None:
    root = copy_pack(tmp_path, "cha")
    kb.ingest(root)
    before = kb.pack("cha")
    (root / "knowledge" / "new.md").write_text(
        "---\nkind: faq\ntitle: 新问题\n---\n新的内容。\n", encoding="utf-8"
    )
    (root / "customers.csv").write_text(
        (root / "customers.csv").read_text(encoding="utf-8") + "c9,小九,熟客,,,,wechat,false,\n",
        encoding="utf-8",
    )
    with pytest.raises(PackError):
        kb.ingest(root)
    assert kb.pack("cha") == before
    assert all(p.doc_id != "new" for p in kb.search("cha", "新的内容", k=20))

    fresh = copy_pack(tmp_path / "other", "trail")
    (fresh / "brand.yaml").write_text("id: trail\n", encoding="utf-8")
    with pytest.raises(PackError):
        kb.ingest(fresh)
    assert kb.brands() == ["cha"]


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_brand_isolation_even_with_filters(settings: Settings, mode: SearchMode) -> None:
    kb = KnowledgeBase(settings, embedder=CountingEmbedder(), mode=mode)
    kb.ingest(FIXTURES / "cha")
    kb.ingest(FIXTURES / "trail")
    assert kb.brands() == ["cha", "trail"]
    cha_docs = {d.id for d in kb.pack("cha").docs}
    trail_docs = {d.id for d in kb.pack("trail").docs}
    queries = ["How do I clean the kettle?", "ten-year warranty", "白茶怎么泡", "退货"]
    for query in queries:
        for filters in ({}, {"kind": "policy"}, {"kind": "story"}, {"stage": "repeat"}):
            for p in kb.search("cha", query, k=20, **filters):  # type: ignore[arg-type]
                assert p.doc_id in cha_docs and p.chunk_id.startswith("cha:")
            for p in kb.search("trail", query, k=20, **filters):  # type: ignore[arg-type]
                assert p.doc_id in trail_docs and p.chunk_id.startswith("trail:")
    # The product of one brand is unknown to the other: no results, not a leak.
    assert kb.search("trail", "白牡丹", product="white-peony") == []


def test_mode_comes_from_settings(settings: Settings) -> None:
    assert KnowledgeBase(settings).mode == "hybrid"
    dense = settings.model_copy(update={"retrieval_mode": "dense"})
    assert KnowledgeBase(dense).mode == "dense"


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_kind_product_stage_filters(settings: Settings, mode: SearchMode) -> None:
    kb = KnowledgeBase(settings, embedder=CountingEmbedder(), mode=mode)
    kb.ingest(FIXTURES / "cha")
    guides = kb.search("cha", "怎么保存", kind="usage_guide", k=20)
    assert guides and {p.kind for p in guides} == {"usage_guide"}
    puerh = kb.search("cha", "怎么保存", product="ripe-puerh", k=20)
    assert puerh and {p.doc_id for p in puerh} == {"pu-erh-guide"}
    # 初识 = first_contact: docs tagged for it, plus docs that name no stage (returns policy).
    first = kb.search("cha", "茶", stage="初识", k=20)
    assert {p.doc_id for p in first} == {"white-tea-guide", "values", "returns"}
    assert all(not p.stages or "first_contact" in p.stages for p in first)
    both = kb.search("cha", "茶", stage="repeat", kind="story", k=20)
    assert {p.doc_id for p in both} == {"story-lin"}


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_results_ranked_and_relevant(settings: Settings, mode: SearchMode) -> None:
    kb = KnowledgeBase(settings, embedder=CountingEmbedder(), mode=mode)
    kb.ingest(FIXTURES / "trail")
    results = kb.search("trail", "warranty for a leaking seam", k=3)
    assert results[0].doc_id == "warranty"
    assert [p.score for p in results] == sorted((p.score for p in results), reverse=True)


def test_errors_unknown_brand_kind_stage_and_empty_index(
    settings: Settings, kb: KnowledgeBase
) -> None:
    with pytest.raises(NotFoundError):
        kb.search("cha", "茶")
    with pytest.raises(NotFoundError):
        kb.pack("cha")
    kb.ingest(FIXTURES / "cha")
    with pytest.raises(NotFoundError, match="kind"):
        kb.search("cha", "茶", kind="recipe")
    with pytest.raises(NotFoundError, match="stage"):
        kb.search("cha", "茶", stage="熟客")
    # The same data dir with another embedder has no vectors yet: empty index, not a mix.
    other = KnowledgeBase(settings, embedder=_Wide())
    with pytest.raises(EmptyIndexError):
        other.search("cha", "茶")


class _Wide(CountingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.dim = 64


def test_collection_per_brand_and_embedder(settings: Settings) -> None:
    a = VectorStore(settings, CountingEmbedder())
    b = VectorStore(settings, _Wide())
    assert a.collection_name("cha") != b.collection_name("cha")
    assert a.collection_name("cha") != a.collection_name("trail")


def test_chroma_default_embedding_function_is_never_used(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("Chroma's default embedding function was called")

    monkeypatch.setattr(DefaultEmbeddingFunction, "__call__", boom)
    monkeypatch.setattr(DefaultEmbeddingFunction, "embed_query", boom, raising=False)
    kb.ingest(FIXTURES / "cha")
    assert kb.search("cha", "白茶", k=2)
    collection = kb.store.collection("cha")
    assert collection._embedding_function is None
    assert collection.configuration.get("embedding_function") is None


def test_pack_snapshot_survives_without_the_folder(
    tmp_path: Path, settings: Settings, kb: KnowledgeBase
) -> None:
    root = copy_pack(tmp_path, "cha")
    kb.ingest(root)
    for path in sorted(root.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    fresh = KnowledgeBase(settings, embedder=CountingEmbedder())
    pack = fresh.pack("cha")
    assert {c.id: c.name for c in fresh.customers("cha")}["c001"] == "小林"
    assert pack.usage_guide("white-peony") is not None
    assert fresh.search("cha", "白茶", k=1)
    assert not list((settings.data_dir / "brands" / "cha").glob(".pack-*"))  # no temp left


def test_writes_to_one_brand_wait_for_each_other(kb: KnowledgeBase) -> None:
    kb.ingest(FIXTURES / "cha")
    done = threading.Event()

    def ingest() -> None:
        kb.ingest(FIXTURES / "cha")
        done.set()

    with kb.registry.lock("cha"):  # e.g. an ingest in another process
        worker = threading.Thread(target=ingest)
        worker.start()
        assert not done.wait(0.3)  # blocked behind the lock, not racing it
        with (
            pytest.raises(ConflictError, match="being changed"),
            kb.registry.lock("cha", timeout=0.05),
        ):
            pass
    worker.join(10)
    assert done.is_set()
    with pytest.raises(NotFoundError), kb.registry.lock("../etc"):
        pass


def test_hybrid_mode_respects_filters_and_brand(settings: Settings) -> None:
    kb = KnowledgeBase(settings, embedder=CountingEmbedder(), mode="hybrid")
    kb.ingest(FIXTURES / "cha")
    kb.ingest(FIXTURES / "trail")
    results = kb.search("cha", "茶汤发苦怎么办", k=3)
    assert results[0].doc_id == "white-tea-guide"
    assert 0 < results[-1].score <= results[0].score <= 1.0
    for p in kb.search("cha", "kettle warranty 茶", kind="policy", k=10):
        assert (p.doc_id, p.kind) == ("returns", "policy")
    assert all(p.chunk_id.startswith("trail:") for p in kb.search("trail", "白茶 tea", k=10))


def test_chroma_url_errors(settings: Settings) -> None:
    bad = settings.model_copy(update={"chroma_url": "ftp://example"})
    with pytest.raises(ConfigError):
        KnowledgeBase(bad, embedder=CountingEmbedder()).store.count("cha")
    down = settings.model_copy(update={"chroma_url": "http://127.0.0.1:9"})
    kb = KnowledgeBase(down, embedder=CountingEmbedder())
    with pytest.raises(ProviderError, match="Chroma server"):
        kb.ingest(FIXTURES / "cha")
    assert kb.brands() == []  # nothing saved when the store is unreachable


def test_a_snapshot_keeps_its_customers_beside_it_and_their_kinds_in_it(
    settings: Settings, kb: KnowledgeBase
) -> None:
    """What a drafting process loads holds no customer (a brand of 100,000 made each one
    hold them all): the customer list streams from its own file for whoever imports it, and
    the snapshot keeps only the kinds a tip is told apart by."""
    kb.ingest(FIXTURES / "cha")
    folder = settings.data_dir / "brands" / "cha"
    snapshot = json.loads((folder / "pack.json").read_text(encoding="utf-8"))
    assert snapshot["customers"] == []
    listed = [c.id for c in kb.customers("cha")]
    assert listed == ["c001", "c002", "c003"]
    pack = kb.pack("cha")
    assert pack.customers == [] and pack.kinds() == snapshot["customer_kinds"]
    assert pack.kinds() == customer_kinds(kb.customers("cha"))
    with pytest.raises(NotFoundError):
        kb.customers("nope")


def test_a_snapshot_written_before_keeps_working(settings: Settings, kb: KnowledgeBase) -> None:
    """pack.json with the customers in it, as earlier versions wrote it."""
    pack = load_pack(FIXTURES / "cha")
    folder = settings.data_dir / "brands" / "cha"
    folder.mkdir(parents=True)
    (folder / "pack.json").write_text(pack.model_dump_json(), encoding="utf-8")
    assert [c.id for c in kb.customers("cha")] == [c.id for c in pack.customers]
    loaded = kb.pack("cha")
    assert loaded.customers == [] and loaded.kinds() == pack.kinds()
