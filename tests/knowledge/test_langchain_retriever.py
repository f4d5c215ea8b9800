"""A brand's knowledge as a LangChain retriever: the KnowledgeBase ranking and filters,
Documents with metadata, one brand only, usable in an LCEL chain. Chinese first."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda
from pydantic import ValidationError

from core.errors import NotFoundError
from core.settings import Settings
from knowledge.langchain_retriever import BrandRetriever
from knowledge.service import KnowledgeBase
from tests.knowledge.helpers import FIXTURES


@pytest.fixture
def kb(settings: Settings) -> KnowledgeBase:
    kb = KnowledgeBase(settings)
    kb.ingest(FIXTURES / "cha")
    kb.ingest(FIXTURES / "trail")
    return kb


def test_zh_documents_match_the_knowledge_base_search(kb: KnowledgeBase) -> None:
    retriever = BrandRetriever(knowledge=kb, brand="cha", k=3)
    docs = retriever.invoke("熟普洱怎么醒茶")
    passages = kb.search("cha", "熟普洱怎么醒茶", k=3)
    assert [d.id for d in docs] == [p.chunk_id for p in passages]
    assert [d.page_content for d in docs] == [p.text for p in passages]
    first = docs[0].metadata
    assert (first["brand"], first["doc_id"], first["kind"]) == (
        "cha",
        "pu-erh-guide",
        "usage_guide",
    )
    assert first["product"] == "ripe-puerh" and first["stages"] == ["getting_to_know", "repeat"]
    assert first["score"] == passages[0].score


def test_zh_filters_and_stage_names(kb: KnowledgeBase) -> None:
    retriever = BrandRetriever(knowledge=kb, brand="cha", kind="usage_guide", stage="相恋", k=5)
    docs = retriever.invoke("怎么保存")
    assert docs and {d.metadata["kind"] for d in docs} == {"usage_guide"}
    assert all("repeat" in d.metadata["stages"] for d in docs)


def test_en_one_brand_only_and_in_a_chain(kb: KnowledgeBase) -> None:
    retriever = BrandRetriever(knowledge=kb, brand="trail", k=2)
    docs = retriever.invoke("一杯茶 tea kettle warranty")
    assert docs and {d.metadata["brand"] for d in docs} == {"trail"}
    assert all(not d.metadata["chunk_id"].startswith("cha") for d in docs)

    def join(found: list[Document]) -> str:
        return "\n".join(d.page_content for d in found)

    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer from this knowledge:\n{context}"), ("human", "{question}")]
    )
    chat = FakeListChatModel(responses=["Ten years."])
    chain = (
        {
            "context": retriever | RunnableLambda(join),
            "question": RunnableLambda(lambda q: q),
        }
        | prompt
        | chat
    )
    assert chain.invoke("How long is the warranty?").content == "Ten years."


def test_en_unknown_brand_and_bad_k(kb: KnowledgeBase) -> None:
    with pytest.raises(NotFoundError):
        BrandRetriever(knowledge=kb, brand="nope").invoke("anything")
    with pytest.raises(ValidationError):
        BrandRetriever(knowledge=kb, brand="trail", k=0)
