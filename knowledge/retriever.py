"""What the knowledge layer offers its callers: a brand's pack and ranked passages of its
knowledge. :class:`Knowledge` is the one protocol for it; ``knowledge.service.KnowledgeBase``
is the real one (Chroma + BM25), ``knowledge.fake.FakeKnowledge`` the in-memory one for tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field

from knowledge.pack import BrandPack, Customer


class Passage(BaseModel):
    """One retrieved chunk of a knowledge document, with its score (higher is better)."""

    chunk_id: str
    doc_id: str
    kind: str
    title: str
    text: str
    score: float
    product: str | None = None
    stages: list[str] = Field(default_factory=list)


@runtime_checkable
class Knowledge(Protocol):
    """One brand's knowledge at a time: its pack and a search that never returns another
    brand's chunks."""

    def pack(self, brand_id: str) -> BrandPack: ...

    def customers(self, brand_id: str) -> Iterator[Customer]:
        """The customers of the brand's pack as ingested, streamed (a pack as :meth:`pack`
        gives it may hold only their kinds: the customer store is their home)."""
        ...

    def brands(self) -> list[str]: ...

    def search(
        self,
        brand_id: str,
        query: str,
        *,
        kind: str | None = None,
        product: str | None = None,
        stage: str | None = None,
        k: int = 5,
    ) -> list[Passage]: ...
