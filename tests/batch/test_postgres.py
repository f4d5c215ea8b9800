"""The batch repository on PostgreSQL (private schema): a concurrent run, retries, resume.

Marked ``services``: skipped when PostgreSQL is unreachable, unless ZHENXIN_TEST_SERVICES=1.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from batch.jobs import BatchKind, BatchSpec
from batch.service import BatchService
from drafting.service import DraftingService
from knowledge.fake import FakeKnowledge
from storage.models import DraftRow
from tests.batch.conftest import customer, make_pack
from tests.storage.test_postgres import db, engine  # noqa: F401  (fixtures)

pytestmark = pytest.mark.services


def test_batch_on_postgres(settings, db, drafter) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    pack = make_pack("zh", [customer(f"c{i}", bought=["2026-11-28"]) for i in range(12)])
    drafting = DraftingService(
        settings, sessions=db, knowledge=FakeKnowledge([pack]), drafter=drafter
    )
    drafting.customers.import_many("qingshui", pack.customers, brand=pack.brand, source="pack")
    service = BatchService(drafting)
    record = service.create(
        BatchSpec(kind=BatchKind.CARE, brand="qingshui", date=dt.date(2026, 12, 1))
    )
    drafter.fail_when = lambda r: r.customer_id == "c3"
    summary = service.run(record.id, concurrency=4)
    assert summary.counts["done"] == 11 and summary.counts["failed"] == 1
    drafter.fail_when = lambda r: False
    again = service.run(record.id, retry_failed=True)
    assert again.ran == {"done": 1} and again.counts["done"] == 12
    with db() as s:
        assert s.scalar(select(func.count()).select_from(DraftRow)) == 12
    assert service.repo.get(record.id).status == "finished"
