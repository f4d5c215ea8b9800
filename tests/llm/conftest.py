from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from llm.guard import ALLOW_MODEL_REQUESTS_ENV
from llm.model_files import ModelSpec


@pytest.fixture
def allow_model_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests whose "real" provider talks to an in-process fake (no model, no network)."""
    monkeypatch.setenv(ALLOW_MODEL_REQUESTS_ENV, "1")


@pytest.fixture
def tiny_parts(tmp_path: Path) -> tuple[ModelSpec, list[Path]]:
    """Three small part files and the spec of the file they join into."""
    chunks = [b"GGUF" + bytes(range(256)) * 40, "真心 zhenxin".encode() * 500, b"\x00\xff" * 777]
    folder = tmp_path / "parts"
    folder.mkdir()
    paths = []
    for i, chunk in enumerate(chunks, start=1):
        path = folder / f"part{i:02d}.bin"
        path.write_bytes(chunk)
        paths.append(path)
    whole = b"".join(chunks)
    spec = ModelSpec(
        key="tiny",
        filename="tiny-q4.gguf",
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        dist_prefix="zhenxin-test-absent-part",
        parts=3,
        version="0.0.1",
    )
    return spec, paths
