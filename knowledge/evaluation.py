"""Retrieval quality on a labelled query set: top-1 / top-3 accuracy by document.

The set is YAML: ``{brand_id: [{q: question, expected: [doc_id, ...]}, ...]}``; a hit is any
expected doc among the first results (several chunks of one doc count once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, TypeAdapter

from knowledge.retriever import Knowledge


class LabelledQuery(BaseModel):
    q: str = Field(min_length=1)
    expected: list[str] = Field(min_length=1)


QuerySet = dict[str, list[LabelledQuery]]


def load_queries(path: str | Path) -> QuerySet:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return TypeAdapter(QuerySet).validate_python(data)


@dataclass
class Accuracy:
    total: int = 0
    top1: int = 0
    top3: int = 0
    misses: list[tuple[str, str, list[str], list[str]]] = field(default_factory=list)

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.total if self.total else 0.0

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.total if self.total else 0.0

    def add(self, other: Accuracy) -> None:
        self.total += other.total
        self.top1 += other.top1
        self.top3 += other.top3
        self.misses.extend(other.misses)

    def summary(self) -> str:
        return (
            f"top-1 {self.top1_rate:.3f} ({self.top1}/{self.total}), "
            f"top-3 {self.top3_rate:.3f} ({self.top3}/{self.total})"
        )


def ranked_docs(retriever: Knowledge, brand: str, query: str, n: int = 3) -> list[str]:
    """The first ``n`` distinct doc ids for ``query`` (chunks of one doc count once)."""
    docs: list[str] = []
    for passage in retriever.search(brand, query, k=4 * n):
        if passage.doc_id not in docs:
            docs.append(passage.doc_id)
    return docs[:n]


def evaluate(retriever: Knowledge, queries: QuerySet) -> dict[str, Accuracy]:
    """Accuracy per brand, plus ``"all"``."""
    out: dict[str, Accuracy] = {}
    overall = Accuracy()
    for brand, items in queries.items():
        acc = Accuracy()
        for item in items:
            docs = ranked_docs(retriever, brand, item.q)
            acc.total += 1
            acc.top1 += bool(docs[:1]) and docs[0] in item.expected
            acc.top3 += any(d in item.expected for d in docs[:3])
            if not docs or docs[0] not in item.expected:
                acc.misses.append((brand, item.q, item.expected, docs))
        out[brand] = acc
        overall.add(acc)
    out["all"] = overall
    return out
