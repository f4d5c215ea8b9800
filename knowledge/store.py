"""The vector store: Chroma, embedded (``data_dir/chroma``) or a server (``ZHENXIN_CHROMA_URL``).

One collection per brand *and* embedder (``zx-<brand>-<embedder>-<dim>``), cosine space, so
switching embedders never mixes vectors and a query can only ever see one brand. Syncing a
brand's chunks embeds only chunks that are new or whose content hash changed, and deletes
chunks that are gone (removed documents, shorter documents). Chroma never embeds anything
itself: every collection is opened with ``embedding_function=None`` and we pass vectors.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError as ChromaNotFound

from core.errors import ConfigError, ProviderError
from core.settings import Settings
from knowledge.chunking import Chunk
from knowledge.embedder import Embedder

T = TypeVar("T")
ALL_STAGES = "all_stages"  # metadata flag: the doc names no stages, so it fits every stage


def stage_key(stage_id: str) -> str:
    """The boolean metadata key that marks a chunk as fitting ``stage_id``."""
    return f"stage_{stage_id}"


@dataclass(frozen=True)
class SyncReport:
    added: int
    updated: int
    unchanged: int
    deleted: int


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity, higher is better


def chunk_metadata(chunk: Chunk) -> dict[str, str | int | bool]:
    meta: dict[str, str | int | bool] = {
        "brand": chunk.brand,
        "doc_id": chunk.doc_id,
        "n": chunk.n,
        "kind": chunk.kind,
        "title": chunk.title,
        "product": chunk.product or "",
        "stages": ",".join(chunk.stages),
        "hash": chunk.hash,
        ALL_STAGES: not chunk.stages,
    }
    for stage in chunk.stages:
        meta[stage_key(stage)] = True
    return meta


_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def client_key(settings: Settings) -> str:
    """What a Chroma client is shared by: the server URL, or the embedded store's folder."""
    if settings.chroma_url:
        return f"url:{settings.chroma_url}"
    return f"dir:{settings.chroma_dir.resolve()}"


def make_client(settings: Settings) -> Any:
    """The process's Chroma client for ``settings``: a server when ``chroma_url`` is set, else
    embedded in ``data_dir/chroma``. One per URL or folder, created once under a lock and
    shared by every thread, VectorStore and KnowledgeBase: the embedded client failed with
    "Could not connect to tenant default_tenant" when several threads opened it at once."""
    key = client_key(settings)
    client = _clients.get(key)
    if client is not None:
        return client
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = _new_client(settings)
    return client


def forget_clients() -> None:
    """Drop the shared clients (tests that delete a data dir; a process that forks)."""
    with _clients_lock:
        _clients.clear()


def _new_client(settings: Settings) -> Any:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(
                f"bad ZHENXIN_CHROMA_URL {settings.chroma_url!r}", hint="e.g. http://localhost:8000"
            )
        ssl = url.scheme == "https"
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if ssl else 8000),
                ssl=ssl,
                settings=chroma_settings,
            )
        except Exception as exc:
            raise ProviderError(
                f"cannot reach the Chroma server at {settings.chroma_url}: {exc}",
                hint="start it or unset ZHENXIN_CHROMA_URL to use the embedded store",
            ) from exc
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


class VectorStore:
    """Per-brand Chroma collections holding one embedder's vectors."""

    def __init__(self, settings: Settings, embedder: Embedder, client: Any = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self._client = client
        # Collection handles by name: opening one (get_or_create) cost as much as the search
        # itself. Only the handle is kept, never what the collection holds.
        self._collections: dict[str, Any] = {}

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    def collection_name(self, brand_id: str) -> str:
        slug = re.sub(r"[^a-zA-Z0-9]+", "-", self.embedder.name).strip("-").lower()
        return f"zx-{brand_id}-{slug}-{self.embedder.dim}"[:512]

    def collection(self, brand_id: str) -> Any:
        """The brand's collection, opened once per store."""
        name = self.collection_name(brand_id)
        handle = self._collections.get(name)
        if handle is None:
            handle = self.client.get_or_create_collection(
                name,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"brand": brand_id, "embedder": self.embedder.name},
                embedding_function=None,  # never let Chroma embed (its default downloads a model)
            )
            self._collections[name] = handle
        return handle

    def _using(self, brand_id: str, use: Callable[[Any], T]) -> T:
        """``use(collection)``; a handle whose collection was deleted meanwhile (here or by
        another process) is opened again, once."""
        try:
            return use(self.collection(brand_id))
        except ChromaNotFound:
            self._collections.pop(self.collection_name(brand_id), None)
            return use(self.collection(brand_id))

    def count(self, brand_id: str) -> int:
        return int(self._using(brand_id, lambda c: c.count()))

    def sync(self, brand_id: str, chunks: Sequence[Chunk]) -> SyncReport:
        """Make the brand's collection hold exactly ``chunks``, embedding only what changed."""
        return self._using(brand_id, lambda collection: self._sync(collection, chunks))

    def _sync(self, collection: Any, chunks: Sequence[Chunk]) -> SyncReport:
        existing = collection.get(include=["metadatas"])
        old_hash = {
            cid: (meta or {}).get("hash")
            for cid, meta in zip(existing["ids"], existing["metadatas"] or [], strict=False)
        }
        wanted = {c.id for c in chunks}
        changed = [c for c in chunks if old_hash.get(c.id) != c.hash]
        gone = [cid for cid in old_hash if cid not in wanted]
        if changed:
            # Embed everything first: if the embedder fails, the collection is untouched.
            vectors = self.embedder.embed_passages([c.embed_text for c in changed])
            for start in range(0, len(changed), 1000):
                part = changed[start : start + 1000]
                collection.upsert(
                    ids=[c.id for c in part],
                    embeddings=vectors[start : start + 1000],
                    documents=[c.text for c in part],
                    metadatas=[chunk_metadata(c) for c in part],
                )
        if gone:
            collection.delete(ids=gone)
        added = sum(1 for c in changed if c.id not in old_hash)
        return SyncReport(
            added=added,
            updated=len(changed) - added,
            unchanged=len(chunks) - len(changed),
            deleted=len(gone),
        )

    def query(
        self,
        brand_id: str,
        vector: Sequence[float],
        *,
        where: dict[str, Any] | None = None,
        k: int = 5,
        total: int | None = None,
    ) -> list[Hit]:
        """The ``k`` nearest chunks; ``total`` is the collection's count when the caller has
        just read it (one count per search, not two)."""
        return self._using(
            brand_id, lambda collection: self._query(collection, brand_id, vector, where, k, total)
        )

    def _query(
        self,
        collection: Any,
        brand_id: str,
        vector: Sequence[float],
        where: dict[str, Any] | None,
        k: int,
        total: int | None,
    ) -> list[Hit]:
        if total is None:
            total = int(collection.count())
        if total == 0:
            return []
        conditions: list[dict[str, Any]] = [{"brand": brand_id}]
        if where:
            conditions.append(where)
        result = collection.query(
            query_embeddings=[list(vector)],
            n_results=min(k, total),
            where={"$and": conditions} if len(conditions) > 1 else conditions[0],
            include=["documents", "metadatas", "distances"],
        )
        return [
            Hit(chunk_id=cid, text=doc or "", metadata=dict(meta or {}), score=1.0 - float(dist))
            for cid, doc, meta, dist in zip(
                result["ids"][0],
                (result["documents"] or [[]])[0],
                (result["metadatas"] or [[]])[0],
                (result["distances"] or [[]])[0],
                strict=True,
            )
        ]

    def drop(self, brand_id: str) -> None:
        name = self.collection_name(brand_id)
        self._collections.pop(name, None)
        if any(c.name == name for c in self.client.list_collections()):
            self.client.delete_collection(name)
