"""Event idempotency through FlywheelService on PostgreSQL (private schema): the same batch
posted twice is stored and applied once, and so is one posted by two threads at once.

Marked ``services``: skipped when PostgreSQL is unreachable, unless ZHENXIN_TEST_SERVICES=1.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bench.synthetic import SyntheticBrand
from core.settings import Settings
from drafting.service import DraftingService
from flywheel.service import FlywheelService, IngestResult
from generator.fake import FakeDrafter
from knowledge.fake import FakeKnowledge
from knowledge.loader import load_pack
from storage.models import ContactRow, EventRow
from tests.conftest import EXAMPLES
from tests.storage.test_postgres import db, engine  # noqa: F401  (fixtures)

pytestmark = pytest.mark.services


def _flywheel(settings: Settings, sessions: sessionmaker[Session]) -> tuple[FlywheelService, Any]:
    pack = load_pack(EXAMPLES / "qingshui").model_copy(update={"customers": []})
    synth = SyntheticBrand(pack, 30)
    drafting = DraftingService(
        settings, sessions=sessions, knowledge=FakeKnowledge([pack]), drafter=FakeDrafter()
    )
    drafting.customers.import_many("qingshui", synth.customers(), brand=pack.brand, source="pack")
    return FlywheelService(drafting), synth


def _stored(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as s:
        events = s.scalar(select(func.count()).select_from(EventRow)) or 0
        contacts = s.scalar(select(func.count()).select_from(ContactRow)) or 0
    return int(events), int(contacts)


def _sends(events: list[dict[str, Any]]) -> int:
    """Sends (this database holds none of the drafts they name): each logs one contact."""
    return sum(1 for e in events if e["type"] == "sent")


def test_the_same_batch_posted_twice_is_stored_once(settings, db) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    flywheel, synth = _flywheel(settings, db)
    events = [e for batch in synth.event_batches() for e in batch]
    first = flywheel.ingest("qingshui", events)
    assert first.accepted == len(events) and not first.rejected
    again = flywheel.ingest("qingshui", events)
    assert again.accepted == 0 and again.duplicates == len(events)
    assert not again.stage_changes and not again.opted_out
    assert _stored(db) == (len(events), _sends(events))


def test_two_threads_posting_the_same_events_store_each_once(settings, db) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    flywheel, synth = _flywheel(settings, db)
    events = [e for batch in synth.event_batches() for e in batch]
    start = threading.Barrier(2)
    results: list[IngestResult] = []
    errors: list[BaseException] = []

    def post() -> None:
        start.wait()
        try:
            results.append(flywheel.ingest("qingshui", events))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sum(r.accepted for r in results) == len(events)
    assert sum(r.duplicates for r in results) == len(events)
    # each event applied once: one contact per send, no more
    assert _stored(db) == (len(events), _sends(events))
