"""The holdout: stable per batch and customer, about the share asked for, recorded as
held_out events, and never drafted later by another batch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from batch.jobs import BatchKind, BatchSpec
from batch.service import BatchService
from flywheel.holdout import held_out
from knowledge.pack import BrandPack
from storage import events as event_rows
from tests.flywheel.conftest import customer, make_pack


def test_assignment_is_stable_and_about_the_share() -> None:
    ids = [f"c{i}" for i in range(4000)]
    first = [held_out("care-2026-11-01-abc", c, 0.1) for c in ids]
    assert first == [held_out("care-2026-11-01-abc", c, 0.1) for c in ids]
    assert 320 <= sum(first) <= 480
    other = [held_out("care-2026-11-02-abc", c, 0.1) for c in ids]
    assert other != first  # a new batch draws anew
    assert not any(held_out("b", c, 0.0) for c in ids[:50])
    assert all(held_out("b", c, 1.0) for c in ids[:50])


def test_a_care_batch_holds_out_and_records_it(
    make_service: Callable[[BrandPack], BatchService],
) -> None:
    people = [customer(f"qs-{i:03d}", bought=["2026-11-01"]) for i in range(40)]
    service = make_service(make_pack("zh", people))
    spec = BatchSpec(kind=BatchKind.CARE, brand="qingshui", date=dt.date(2026, 11, 4), holdout=0.25)
    record = service.create(spec)
    items = service.repo.items(record.id)
    held = [i for i in items if i.spec.get("holdout")]
    expected = {p.id for p in people if held_out(record.id, p.id, 0.25)}
    assert {i.spec["customer_id"] for i in held} == expected and expected
    assert all(i.status == "skipped" and "holdout" in (i.error or "") for i in held)
    with service.drafting.sessions() as s:
        rows = list(event_rows.stream(s, "qingshui", types=("held_out",)))
    assert {r.customer_id for r in rows} == expected
    assert {(r.trigger, r.kind) for r in rows} == {("day3", "care_message")}
    # planning the same batch again finds it; a later batch does not draft them either
    assert service.create(spec).id == record.id
    later = BatchSpec(kind=BatchKind.CARE, brand="qingshui", date=dt.date(2026, 11, 5))
    later_ids = {i.spec["customer_id"] for i in service.repo.items(service.create(later).id)}
    assert not later_ids & expected


def test_no_holdout_by_default(make_service: Callable[[BrandPack], BatchService]) -> None:
    people = [customer(f"qs-{i:03d}", bought=["2026-11-01"]) for i in range(10)]
    service = make_service(make_pack("zh", people))
    record = service.create(
        BatchSpec(kind=BatchKind.CARE, brand="qingshui", date=dt.date(2026, 11, 4))
    )
    assert not [i for i in service.repo.items(record.id) if i.spec.get("holdout")]
