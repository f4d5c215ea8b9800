"""What a killed worker leaves behind: its claim is taken over once the lease ran out (the
dead holder can no longer store anything), and the following runner's sweep sends again what
it held."""

from __future__ import annotations

import datetime as dt

import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import update

from batch import queue
from batch.jobs import BatchKind, BatchSpec
from batch.runner import ItemExecutor
from core.errors import ConflictError
from generator.drafts import Draft, DraftRequest
from storage.models import BatchItemRow, utcnow
from tests.batch.conftest import make_pack


@pytest.fixture
def service_and_record(make_service):  # type: ignore[no-untyped-def]
    service = make_service(make_pack("en"))
    spec = BatchSpec(kind=BatchKind.MONTHLY, brand="slowbrew", month="2026-11")
    return service, service.create(spec)


def _draft(brand: str = "slowbrew") -> dict[str, str]:
    return {"brand": brand, "kind": "community_post", "text": "hello", "verdict": "pass"}


def test_an_expired_claim_is_taken_over_once_and_the_old_holder_stores_nothing(
    service_and_record,  # type: ignore[no-untyped-def]
) -> None:
    service, record = service_and_record
    repo = service.repo
    key = repo.items(record.id)[0].key
    live = repo.claim(record.id, key, lease_seconds=60)
    assert live is not None
    assert repo.claim(record.id, key) is None  # a live lease is never taken over
    repo.release(record.id, key, live)
    dead = repo.claim(record.id, key, lease_seconds=-1)  # its lease has run out already
    assert dead is not None
    new = repo.claim(record.id, key, lease_seconds=60)
    assert new is not None and new != dead
    assert repo.claim(record.id, key, lease_seconds=60) is None  # only one takeover wins
    assert not repo.renew(record.id, key, dead, lease_seconds=60)
    with pytest.raises(ConflictError):
        repo.complete(record.id, key, _draft(), request={}, token=dead)
    with pytest.raises(ConflictError):
        repo.fail(record.id, key, "late", token=dead)
    item = repo.item(record.id, key)
    assert (item.status, item.attempts, item.draft_id) == ("running", 3, None)


def test_the_sweep_sends_again_expired_claims_and_lost_pending_items(service_and_record) -> None:  # type: ignore[no-untyped-def]
    service, record = service_and_record
    repo = service.repo
    keys = [it.key for it in repo.items(record.id, ["pending"])]
    assert len(keys) >= 3
    broker = StubBroker()
    runner = queue.DramatiqRunner(broker, repo, sweep_seconds=0.01)
    sent: list[str] = []
    runner.actor.send = lambda batch_id, key, day: sent.append(key)  # type: ignore[method-assign]
    repo.claim(record.id, keys[0], lease_seconds=-1)  # a dead worker's item
    repo.claim(record.id, keys[1], lease_seconds=60)  # a live worker's item
    waiting = set(keys)
    broker.declare_queue(queue.QUEUE_NAME)
    broker.queues[queue.QUEUE_NAME].put(b"a message still waits for a worker")
    before = runner._sweep(record.id, "2026-11-01", waiting, set())
    assert sent == [keys[0]]  # messages still wait: pending items are not sent again
    assert before == set(keys[2:])
    broker.flush_all()  # nothing waits any more: the pending items' messages were lost
    sent.clear()
    runner._sweep(record.id, "2026-11-01", waiting, before)
    assert sent == [keys[0], *sorted(keys[2:])]
    assert runner.resent == 1 + 1 + len(keys[2:])
    broker.close()


def test_a_run_whose_item_was_taken_over_meanwhile_stores_nothing(service_and_record) -> None:  # type: ignore[no-untyped-def]
    service, record = service_and_record
    repo = service.repo
    key = repo.items(record.id)[0].key
    taken: list[str | None] = []

    def draft(request: DraftRequest, as_of: dt.date) -> Draft:
        with repo.sessions.begin() as s:  # our lease runs out (a long stall) ...
            s.execute(
                update(BatchItemRow)
                .where(BatchItemRow.batch_id == record.id, BatchItemRow.key == key)
                .values(lease_until=utcnow() - dt.timedelta(seconds=1))
            )
        taken.append(repo.claim(record.id, key))  # ... and another worker takes the item over
        return service.draft_item(request, as_of)

    as_of = dt.date.fromisoformat(record.params["as_of"])
    outcome = ItemExecutor(repo, draft).execute(record.id, key, repo.spec(record.id, key), as_of)
    assert outcome.status == "claimed" and taken[0] is not None
    item = repo.item(record.id, key)
    assert (item.status, item.draft_id, item.error) == ("running", None, None)
