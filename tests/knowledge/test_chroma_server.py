"""The same ingest and search against a Chroma server (``ZHENXIN_CHROMA_URL``).

Marked slow: it starts ``chroma run`` in a subprocess on a free local port.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from knowledge.service import KnowledgeBase
from tests.knowledge.helpers import FIXTURES, CountingEmbedder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the Chroma server did not start")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


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
