"""The same ingest and search against a Chroma server (``ZHENXIN_CHROMA_URL``).

Marked slow: it starts ``chroma run`` in a subprocess on a free local port.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.bench_manybrands import chroma_server
from core.settings import Settings
from knowledge.service import KnowledgeBase
from tests.knowledge.helpers import FIXTURES, CountingEmbedder


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    # started (or RuntimeError) and stopped as the many-brands bench does it
    with chroma_server(tmp_path / "server") as (url, _pid):
        yield url


@pytest.mark.slow
def test_ingest_and_search_through_a_chroma_server(settings: Settings, chroma_url: str) -> None:
    remote = settings.model_copy(update={"chroma_url": chroma_url})
    embedder = CountingEmbedder()
    kb = KnowledgeBase(remote, embedder=embedder)
    first = kb.ingest(FIXTURES / "cha")
    kb.ingest(FIXTURES / "trail")
    again = kb.ingest(FIXTURES / "cha")
    assert again.unchanged == first.chunks and again.added == 0
    assert not (settings.data_dir / "chroma").exists()  # nothing embedded locally
    results = kb.search("trail", "warranty seam leaks", k=3)
    assert results[0].doc_id == "warranty"
    assert all(p.chunk_id.startswith("cha:") for p in kb.search("cha", "kettle 茶", k=10))
