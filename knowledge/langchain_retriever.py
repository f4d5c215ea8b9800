"""One brand's knowledge as a LangChain retriever, for teams that build their own chains.

    from knowledge.service import KnowledgeBase
    from knowledge.langchain_retriever import BrandRetriever

    retriever = BrandRetriever(knowledge=KnowledgeBase(settings), brand="qingshui", k=4)
    docs = retriever.invoke("精华一次用几滴")        # list[Document], best first
    chain = retriever | format_docs | prompt | chat   # any LCEL chain

It is a thin :class:`~langchain_core.retrievers.BaseRetriever` over
:meth:`knowledge.service.KnowledgeBase.search` (any :class:`knowledge.retriever.Knowledge`):
the same hybrid ranking, the same filters (kind, product, stage names such as 相知), and the
same isolation — a retriever is bound to one brand and can never return another's chunks.
Each Document carries the passage's ids, kind, title, score, product and stages as metadata.
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from knowledge.retriever import Knowledge, Passage


def passage_document(brand: str, passage: Passage) -> Document:
    """A retrieved passage as a LangChain Document (text + metadata)."""
    return Document(
        id=passage.chunk_id,
        page_content=passage.text,
        metadata={
            "brand": brand,
            "chunk_id": passage.chunk_id,
            "doc_id": passage.doc_id,
            "kind": passage.kind,
            "title": passage.title,
            "score": passage.score,
            "product": passage.product,
            "stages": list(passage.stages),
        },
    )


class BrandRetriever(BaseRetriever):
    """Retrieves from one brand's indexed knowledge; filters are optional."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    knowledge: Knowledge
    brand: str = Field(min_length=1)
    k: int = Field(default=4, ge=1, le=50)
    kind: str | None = None
    product: str | None = None
    stage: str | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        passages = self.knowledge.search(
            self.brand, query, kind=self.kind, product=self.product, stage=self.stage, k=self.k
        )
        return [passage_document(self.brand, p) for p in passages]


__all__ = ["BrandRetriever", "passage_document"]
