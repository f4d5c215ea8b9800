"""The embedder protocol. Implementations live in ``knowledge.embedders``; settings pick one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class Embedder(Protocol):
    """Turns text into vectors. Queries and passages may be embedded differently (e5 prefixes)."""

    @property
    def name(self) -> str:
        """Identifies the model (part of the vector collection's name)."""
        ...

    @property
    def dim(self) -> int:
        """Vector size (may be probed lazily, e.g. for an unknown remote model)."""
        ...

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...
