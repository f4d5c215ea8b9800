"""The vector store opens a brand's collection once, counts it once per search, and opens it
again when it was deleted behind its back (another process, a wiped index)."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import EmptyIndexError
from core.settings import Settings
from knowledge.service import KnowledgeBase
from tests.knowledge.helpers import FIXTURES, CountingEmbedder


@pytest.fixture
def kb(settings: Settings) -> KnowledgeBase:
    kb = KnowledgeBase(settings, embedder=CountingEmbedder())
    kb.ingest(FIXTURES / "cha")
    return kb


def _count_calls(obj: Any, name: str, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = getattr(obj, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(obj, name, counted)
    return calls


def test_a_search_opens_nothing_and_counts_once(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = kb.search("cha", "白茶", k=2)
    opened = _count_calls(kb.store.client, "get_or_create_collection", monkeypatch)
    counted = _count_calls(kb.store.collection("cha"), "count", monkeypatch)
    for _ in range(3):
        assert kb.search("cha", "白茶", k=2) == expected
    assert opened == [] and len(counted) == 3


def test_a_collection_deleted_elsewhere_is_opened_again(kb: KnowledgeBase) -> None:
    expected = kb.search("cha", "白茶", k=2)
    # What another process would do: the handle this store holds now names nothing.
    kb.store.client.delete_collection(kb.store.collection_name("cha"))
    with pytest.raises(EmptyIndexError):
        kb.search("cha", "白茶", k=2)
    kb.ingest(FIXTURES / "cha")
    assert kb.search("cha", "白茶", k=2) == expected
