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
from flywheel.events import Rejected
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


def _outcome(flywheel: FlywheelService, result: IngestResult) -> dict[str, Any]:
    """What an ingest did, in an order of its own (two processes report their changes in
    the order of the events that made them, one process chunk by chunk)."""
    people = flywheel.drafting.customers.iter_all("qingshui")
    return {
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "rejected": [r.as_dict() for r in result.rejected],
        "changes": sorted((c["customer_id"], c["to"], c["at"]) for c in result.stage_changes),
        "opted_out": sorted(result.opted_out),
        "stages": {c.id: (c.stage, len(c.purchases), c.opted_out) for c in people},
    }


def test_an_ingest_in_two_processes_ends_as_one_process_does(settings, db) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from flywheel.parallel import worker_of
    from storage.db import open_database

    flywheel, synth = _flywheel(settings, db)
    events = [e for batch in synth.event_batches() for e in batch]
    events[5] = {**events[5], "type": "teleported"}  # rejected, by its place in the whole
    events.insert(40, dict(events[39]))  # a repeat: counted once
    events.append({**events[0], "id": "stranger-1", "customer_id": "nobody"})  # unknown
    # opt-outs of customers the two workers share out, reported in the order of their events
    assert worker_of(synth.customer_id(3), 2) != worker_of(synth.customer_id(18), 2)
    for n in (18, 3):
        cid = synth.customer_id(n)
        events.insert(60, {"id": f"out-{n}", "customer_id": cid, "type": "unsubscribed"})
        events[60]["at"] = "2026-11-30T10:00:00"
    # a line of the file that was no event, as the file reader gives it
    events.insert(7, Rejected(7, None, "line 8 is not JSON: Expecting value"))
    batches = [events[:120], events[120:]]
    parallel = flywheel.ingest_batches("qingshui", batches, workers=2)
    one, _ = _flywheel(settings, open_database(settings)[1])  # the same brand on SQLite
    single = one.ingest_batches("qingshui", batches, workers=1)
    assert parallel.accepted == len(events) - 4 and parallel.duplicates == 1
    assert [r.index for r in parallel.rejected] == [5, 7, len(events) - 1]
    assert parallel.rejected[1].error == "line 8 is not JSON: Expecting value"
    assert parallel.stage_changes and parallel.opted_out == sorted(
        parallel.opted_out,
        key=lambda cid: min(
            n for n, e in enumerate(events) if isinstance(e, dict) and e["customer_id"] == cid
        ),
    )
    assert _outcome(flywheel, parallel) == _outcome(one, single)
    assert _stored(db)[0] == len(events) - 4


def test_an_ingest_in_several_processes_needs_postgresql(settings) -> None:  # type: ignore[no-untyped-def]
    from core.errors import ZhenxinError
    from storage.db import open_database

    flywheel, synth = _flywheel(settings, open_database(settings)[1])
    with pytest.raises(ZhenxinError, match="PostgreSQL"):
        flywheel.ingest_batches("qingshui", synth.event_batches(), workers=2)
