"""Test helpers for the knowledge tests: fixture packs and an embedder that counts calls."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from knowledge.embedders import HashEmbedder

FIXTURES = Path(__file__).parent / "fixtures"


def copy_pack(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / "packs" / name
    shutil.copytree(FIXTURES / name, dest)
    return dest


class CountingEmbedder(HashEmbedder):
    """The hash embedder, counting how many passages and queries it embedded."""

    def __init__(self) -> None:
        super().__init__()
        self.passages: list[str] = []
        self.queries: list[str] = []

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        self.passages.extend(texts)
        return super().embed_passages(texts)

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return super().embed_query(text)
