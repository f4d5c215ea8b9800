from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from batch.jobs import BatchKind, BatchSpec
from batch.runner import InProcessRunner, ItemExecutor, RateGate, rate_limit_delay
from batch.service import BatchService
from core.errors import ProviderError, RateLimitedError
from knowledge.pack import BrandPack, Channel
from storage.models import DraftRequestRow, DraftRow
from tests.batch.conftest import customer, make_pack

ON = dt.date(2026, 12, 1)


def care_pack():  # type: ignore[no-untyped-def]
    return make_pack(
        "zh",
        [
            customer("c-birthday", birthday="1991-12-02"),
            customer("c-day3", bought=["2026-11-28"]),
            customer(
                "c-half",
                bought=["2026-11-16"],
                channel=Channel.EMAIL,
            ),
            customer("c-out", birthday="1991-12-01", opted_out=True),
            customer("c-quiet", stage="repeat", contacts=[("2026-09-01", "care")]),
            customer("c-none", bought=["2026-11-10"], contacts=[("2026-11-25", "care")]),
        ],
    )


def draft_count(service) -> int:  # type: ignore[no-untyped-def]
    with service.repo.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(DraftRow)) or 0)


def test_care_batch_drafts_one_per_due_customer(make_service, drafter) -> None:  # type: ignore[no-untyped-def]
    service = make_service(care_pack())
    record = service.create(BatchSpec(kind=BatchKind.CARE, brand="qingshui", date=ON))
    assert record.counts["pending"] == 4 and record.counts["skipped"] == 1
    summary = service.run(record.id)
    assert summary.counts["done"] == 4 and summary.counts["skipped"] == 1
    assert summary.verdicts == {"pass": 4}
    asked = {r.customer_id: r.trigger.value for r in drafter.calls}  # type: ignore[union-attr]
    assert asked == {
        "c-birthday": "birthday",
        "c-day3": "day3",
        "c-half": "half_used",
        "c-quiet": "long_silence",
    }
    status = service.status(record.id)
    skipped = [i for i in status["items"] if i["status"] == "skipped"]
    assert skipped == [dict(skipped[0], customer_id="c-out", error="opted out")]
    assert draft_count(service) == 4
    with service.repo.sessions() as s:
        by = set(s.scalars(select(DraftRequestRow.requested_by)))
    assert by == {f"batch:{record.id}"}  # the review queue groups them by batch


def test_same_spec_resumes_same_batch_and_later_batches_skip_handled(make_service, drafter) -> None:  # type: ignore[no-untyped-def]
    service = make_service(care_pack())
    spec = BatchSpec(kind=BatchKind.CARE, brand="qingshui", date=ON)
    first = service.create(spec)
    service.run(first.id)
    assert service.create(spec).id == first.id
    assert service.run(first.id).ran == {}  # nothing left to do, nothing drafted twice
    nxt = service.create(
        BatchSpec(kind=BatchKind.CARE, brand="qingshui", date=ON + dt.timedelta(days=1))
    )
    keys = {i["customer_id"]: i for i in service.status(nxt.id)["items"]}
    # the birthday was drafted yesterday; the day-3 milestone is still in its window but done
    assert "c-birthday" not in keys and "c-day3" not in keys


def test_kill_and_resume_without_duplicates(make_service, drafter) -> None:  # type: ignore[no-untyped-def]
    service = make_service(make_pack("zh"))
    record = service.create(BatchSpec(kind=BatchKind.MONTHLY, brand="qingshui", month="2026-12"))
    total = record.counts["pending"]
    assert total == 16  # 2 tiers x (4 weeks + activity + story + Q&A + year-end thanks)
    drafter.die_after = 5
    with pytest.raises(KeyboardInterrupt):
        service.run(record.id)
    mid = service.repo.get(record.id).counts
    # Ctrl-C gives the item being drafted back at once (a SIGKILL leaves it to its lease,
    # see test_kill.py): nothing is held, so the next run starts right away.
    assert mid["done"] == 5 and mid["running"] == 0 and mid["pending"] == total - 5
    drafter.die_after = None
    summary = service.run(record.id)
    assert summary.counts["done"] == total and summary.ran == {"done": total - 5}
    assert draft_count(service) == total
    themes = Counter((r.tier, r.theme) for r in drafter.calls)
    assert len(themes) == total  # every post drafted; the killed one was simply redone


def test_failures_are_recorded_and_retried(make_service, drafter) -> None:  # type: ignore[no-untyped-def]
    service = make_service(make_pack("en"))
    spec = BatchSpec(
        kind=BatchKind.MONTHLY, brand="slowbrew", month="2026-11", tiers=["new-friends"]
    )
    record = service.create(spec)
    drafter.fail_when = lambda r: "Q&A" in (r.theme or "")
    summary = service.run(record.id)
    assert summary.counts["failed"] == 1
    assert summary.failures[0]["error"].startswith("ProviderError: the model timed out")
    assert service.repo.get(record.id).status == "has_failures"
    assert service.run(record.id).ran == {}  # a plain re-run leaves failures alone
    drafter.fail_when = lambda r: False
    again = service.run(record.id, retry_failed=True)
    assert again.ran == {"done": 1} and again.counts["failed"] == 0
    assert service.repo.get(record.id).status == "finished"
    assert draft_count(service) == record.total


def test_concurrent_run_drafts_each_item_once(make_service, drafter) -> None:  # type: ignore[no-untyped-def]
    service = make_service(make_pack("zh"))
    record = service.create(BatchSpec(kind=BatchKind.MONTHLY, brand="qingshui", month="2026-11"))
    summary = service.run(record.id, concurrency=4)
    assert summary.counts["done"] == record.total == len(drafter.calls) == draft_count(service)


def test_monthly_history_comes_from_earlier_batches(make_service) -> None:  # type: ignore[no-untyped-def]
    service = make_service(make_pack("zh"))
    nov = service.status(
        service.create(BatchSpec(kind=BatchKind.MONTHLY, brand="qingshui", month="2026-11")).id
    )
    dec = service.status(
        service.create(BatchSpec(kind=BatchKind.MONTHLY, brand="qingshui", month="2026-12")).id
    )

    def story(items):  # type: ignore[no-untyped-def]
        return {i["tier"]: i["note"] for i in items if "member_story" in i["key"]}

    for tier, note in story(dec["items"]).items():
        assert note != story(nov["items"])[tier]


def test_rate_limit_backs_off_and_retries(settings, make_service) -> None:  # type: ignore[no-untyped-def]
    calls = {"n": 0}
    service = make_service(make_pack("zh"))

    def flaky(request, as_of):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] <= 2:
            raise ProviderError("the provider said no") from RateLimitedError(
                "too many requests", retry_after=None
            )
        return service.draft_item(request, as_of)

    record = service.create(
        BatchSpec(kind=BatchKind.MONTHLY, brand="qingshui", month="2026-11", tiers=["new-friends"])
    )
    gate = RateGate(base=0.01)
    runner = InProcessRunner(ItemExecutor(service.repo, flaky, gate=gate), concurrency=2)
    summary = service.run(record.id, runner=runner)
    assert summary.counts["failed"] == 0 and gate.hits == 2
    assert rate_limit_delay(RuntimeError("boom")) is None
    assert rate_limit_delay(RateLimitedError("slow down")) == -1.0
    assert rate_limit_delay(RateLimitedError("slow down", retry_after=3)) == 3
    # a message that merely says "rate limit" is not a rate limit: only the typed error is
    assert rate_limit_delay(ProviderError("rate limit exceeded")) is None


def test_sequential_order_keeps_prompt_prefixes_together(make_service, drafter) -> None:  # type: ignore[no-untyped-def]
    service = make_service(care_pack())
    record = service.create(BatchSpec(kind=BatchKind.CARE, brand="qingshui", date=ON))
    service.run(record.id)
    order = [(str(r.channel), str(r.trigger)) for r in drafter.calls]
    assert order == sorted(order)  # grouped by channel, then trigger
    assert [c for c, _ in order].count("email") == 1


def test_local_model_always_runs_sequentially(settings, make_service) -> None:  # type: ignore[no-untyped-def]
    service = make_service(make_pack("zh"))
    service.settings = settings.model_copy(update={"llm": "local"})
    runner = service.make_runner(concurrency=8)
    assert isinstance(runner, InProcessRunner) and runner.concurrency == 1
    service.settings = settings.model_copy(update={"llm": "openai:gpt-x"})
    assert service.make_runner(concurrency=8).concurrency == 8  # type: ignore[attr-defined]


def test_public_api_is_complete() -> None:
    import pkgutil

    import batch

    exported = {name for name in dir(batch) if not name.startswith("_")}
    modules = {m.name for m in pkgutil.iter_modules(batch.__path__)}
    assert set(batch.__all__) == exported - modules


def test_interrupt_with_concurrency_stops_early_and_resumes(make_service, drafter) -> None:  # type: ignore[no-untyped-def]
    service = make_service(make_pack("zh"))
    record = service.create(BatchSpec(kind=BatchKind.MONTHLY, brand="qingshui", month="2026-12"))
    drafter.die_after = 3
    with pytest.raises(KeyboardInterrupt):
        service.run(record.id, concurrency=2)
    mid = service.repo.get(record.id).counts
    assert mid["done"] == 3 and mid["pending"] > 0  # queued items were not run
    drafter.die_after = None
    summary = service.run(record.id, concurrency=2)
    assert summary.counts["done"] == record.total == draft_count(service)


def test_care_planning_reads_customers_a_chunk_at_a_time(
    make_service: Callable[[BrandPack], BatchService], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A brand of any size plans in bounded memory: customers and their contact logs are read
    PLAN_CHUNK at a time, and the items are the same as in one go."""
    import batch.service as batch_service
    from batch.jobs import care_items

    people = [
        customer(
            f"qs-{i:03d}",
            bought=["2026-11-01"],
            contacts=[("2026-11-03", "care")] if i % 4 == 0 else [],
        )
        for i in range(11)
    ]
    pack = make_pack("zh", people)
    service = make_service(pack)
    spec = BatchSpec(kind=BatchKind.CARE, brand="qingshui", date=dt.date(2026, 11, 4))
    one_go = care_items(
        spec,
        pack,
        contact_log=service.repo.contact_log("qingshui"),
        handled=set(),
        people=service.drafting.customers.iter_all("qingshui"),
    )
    expected = [(i["key"], "skipped" if i.get("skip") else "pending") for i in one_go]
    monkeypatch.setattr(batch_service, "PLAN_CHUNK", 3)
    asked: list[int] = []
    real = service.repo.contact_log

    def counted(brand: str, ids: list[str] | None = None) -> dict[str, Any]:
        asked.append(len(ids or []))
        return real(brand, ids)

    monkeypatch.setattr(service.repo, "contact_log", counted)
    got = [(i.key, i.status) for i in service.repo.items(service.create(spec).id)]
    assert got == expected and len(got) == 11
    assert {s for _, s in got} == {"pending", "skipped"}
    assert asked == [3, 3, 3, 2]


def test_the_contact_log_of_some_customers_holds_theirs_only(
    make_service: Callable[[BrandPack], BatchService],
) -> None:
    """Read by the range of the ids asked for: a customer inside the range who was not
    asked for is left out; one contact value may be shared, and is frozen."""
    from storage import contacts

    service = make_service(make_pack("zh", [customer(f"qs-{i:03d}") for i in range(4)]))
    day = dt.date(2026, 11, 3)
    with service.drafting.sessions.begin() as s:
        contacts.record_contacts(
            s,
            "qingshui",
            [
                {"customer_id": f"qs-{i:03d}", "channel": "wechat", "purpose": p, "date": day}
                for i in range(4)
                for p in ("care", "sales")
            ],
        )
    log = service.repo.contact_log("qingshui", ["qs-000", "qs-002"])
    assert sorted(log) == ["qs-000", "qs-002"]
    assert [(c.date, c.channel, c.purpose) for c in log["qs-002"]] == [
        (day, Channel.WECHAT, "care"),
        (day, Channel.WECHAT, "sales"),
    ]
    assert log["qs-000"] == log["qs-002"]
    with pytest.raises(ValueError):
        log["qs-000"][0].purpose = "notice"  # type: ignore[misc]
    assert sorted(service.repo.contact_log("qingshui")) == [f"qs-{i:03d}" for i in range(4)]
    assert service.repo.contact_log("qingshui", []) == {}
