"""Ingesting a brand pack: its knowledge into the knowledge base, its customers into the one
customer store (opt-outs recorded since are kept). The CLI and ``POST /v1/knowledge/ingest``
both call :func:`ingest_pack`."""

from __future__ import annotations

from pathlib import Path

from drafting.customers import CustomerStore
from knowledge.service import IngestReport, KnowledgeBase


def ingest_pack(kb: KnowledgeBase, customers: CustomerStore, path: str | Path) -> IngestReport:
    report = kb.ingest(path)
    brand = kb.pack(report.brand).brand
    customers.import_many(report.brand, kb.customers(report.brand), brand=brand, source="pack")
    return report


__all__ = ["ingest_pack"]
