"""Stores under threads (issue "scale"): one Chroma client per process and data dir, shared by
every thread and KnowledgeBase; the embedded client once failed with "Could not connect to
tenant default_tenant" when several threads opened it at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from core.settings import Settings
from knowledge.embedders import HashEmbedder
from knowledge.service import KnowledgeBase
from knowledge.store import VectorStore, make_client
from tests.knowledge.helpers import FIXTURES, copy_pack

THREADS = 16


def _all_at_once(work: Callable[[int], object], n: int = THREADS) -> list[BaseException]:
    """Run ``work(i)`` in ``n`` threads released together; the errors they raised."""
    start = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait(timeout=30)
            work(i)
        except BaseException as exc:  # collected and reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def test_sixteen_knowledge_bases_search_and_ingest_one_data_dir_at_once(
    settings: Settings, tmp_path: Path
) -> None:
    trail = copy_pack(tmp_path, "trail")
    ingested = threading.Barrier(THREADS)

    def work(i: int) -> None:
        kb = KnowledgeBase(settings, embedder=HashEmbedder())  # its own objects, one data dir
        kb.store.count("cha")  # every thread opens the fresh store at the same moment
        if i % 4 == 0:
            kb.ingest(FIXTURES / "cha")
        ingested.wait(timeout=20)
        if i % 8 == 1:
            kb.ingest(trail)  # ingesting one brand while the others search another
        for _ in range(3):
            assert kb.search("cha", "白茶怎么泡", k=3)

    errors = _all_at_once(work)
    assert errors == [], errors[:3]
    kb = KnowledgeBase(settings, embedder=HashEmbedder())
    assert kb.search("trail", "running shoes", k=2)


def test_one_client_per_data_dir_shared_by_every_store(settings: Settings, tmp_path: Path) -> None:
    clients: list[object] = []
    lock = threading.Lock()

    def work(_i: int) -> None:
        store = VectorStore(settings, HashEmbedder())
        with lock:
            clients.append(store.client)

    assert _all_at_once(work) == []
    assert len({id(c) for c in clients}) == 1
    assert make_client(settings) is clients[0]
    other = settings.model_copy(update={"data_dir": tmp_path / "elsewhere"})
    assert make_client(other) is not clients[0]  # another data dir, another client
