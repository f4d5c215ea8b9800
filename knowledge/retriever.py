"""What the retrieval layer hands to its callers: ranked passages of one brand's knowledge."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field


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
class Retriever(Protocol):
    """Searches one brand's knowledge. Never returns another brand's chunks."""

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
