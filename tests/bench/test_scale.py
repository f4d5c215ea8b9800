"""The scale bench's code path at a tiny size (no timing asserts), and its synthetic brand."""

from __future__ import annotations

from pathlib import Path

from bench import bench_scale
from bench.synthetic import SyntheticBrand


def test_the_scale_bench_runs_every_operation_at_a_tiny_size(tmp_path: Path) -> None:
    with bench_scale.sqlite_database(tmp_path) as sessions:
        # run_size itself fails if the ingest rejected anything or the re-ingest stored any
        results = bench_scale.run_size(sessions, "sqlite", 50, data_dir=tmp_path / "data")
    assert [r.operation for r in results] == list(bench_scale.OPERATIONS)
    by = {r.operation: r for r in results}
    assert by["import customers"].rows == 50
    assert 300 <= by["ingest events"].rows <= 700  # ~10 events a customer
    assert by["re-ingest"].rows == by["ingest events"].rows
    assert "due" in by["due customers"].note and "pending" in by["review queue"].note
    assert 0 < by["a day's events"].rows < by["ingest events"].rows / 3
    assert "new" in by["a day's events"].note
    text = bench_scale.table(results)
    assert "| outcomes report | 50 |" in text


def test_the_synthetic_brand_is_the_same_at_every_size() -> None:
    pack = bench_scale.bench_pack()
    small, large = SyntheticBrand(pack, 20), SyntheticBrand(pack, 40)
    assert list(small.customers()) == list(large.customers())[:20]
    assert small.events_of(7) == large.events_of(7)
    events = [e for batch in small.event_batches(64) for e in batch]
    assert len({e["id"] for e in events}) == len(events)
    assert {e["customer_id"] for e in events} == {c.id for c in small.customers()}
    stages = {s.id for s in pack.brand.stages}
    assert {c.stage for c in large.customers()} <= stages
    products = set(small.products)
    assert {e["product"] for e in events if e["type"] == "purchased"} <= products


def test_a_day_of_a_running_brand_is_new_events_of_a_tenth_of_its_customers() -> None:
    from bench.synthetic import TODAY

    brand = SyntheticBrand(bench_scale.bench_pack(), 400)
    day = list(brand.day_events(TODAY))
    assert day == list(brand.day_events(TODAY))  # the same every run
    people = {e["customer_id"] for e in day}
    assert 20 <= len(people) <= 60 and len(people) <= len(day) <= 3 * len(people)
    assert all(e["at"].startswith(TODAY.isoformat()) for e in day)
    history = {e["id"] for batch in brand.event_batches(1000) for e in batch}
    assert len({e["id"] for e in day}) == len(day) and not history & {e["id"] for e in day}
