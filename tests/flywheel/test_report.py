"""The outcomes report on synthetic event streams: its numbers, its windows and its
intervals, for sends imported from another tool and for drafts made here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from flywheel.report import difference, rate, wilson
from flywheel.service import FlywheelService
from generator.drafts import ContentKind, DraftRequest, Trigger
from tests.flywheel.conftest import customer, ev, make_pack

Make = Callable[..., FlywheelService]


def test_wilson_interval_known_values() -> None:
    assert wilson(0, 0) == (0.0, 0.0)
    low, high = wilson(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson(5, 10)
    assert (low, high) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    assert wilson(10, 10)[1] == pytest.approx(1.0)


def test_a_rate_says_when_it_is_too_few_to_tell() -> None:
    assert rate(1, 5)["few"] and not rate(10, 40)["few"]
    assert rate(0, 0)["rate"] is None


def test_difference_interval_contains_the_difference() -> None:
    d = difference((30, 100), (15, 100))
    assert d["diff"] == 0.15 and d["low"] < 0.15 < d["high"]
    assert d["low"] > 0  # 30 % vs 15 % on 100 each: the interval excludes zero
    small = difference((3, 10), (1, 10))
    assert small["low"] < 0 < small["high"]  # 5 times smaller samples: it does not
    assert difference((1, 0), (1, 10))["diff"] is None


def _stream() -> list[dict[str, Any]]:
    care = {"kind": "care_message", "trigger": "day3", "stage": "getting_to_know"}
    return [
        *(ev(f"s{i}", f"qs-{i}", "sent", "2026-06-01", **care) for i in range(1, 5)),
        ev("r1", "qs-1", "replied", "2026-06-03", text="谢谢提醒"),
        ev("p1", "qs-1", "purchased", "2026-06-10", product="serum"),  # within 30 days
        ev("p2", "qs-2", "purchased", "2026-07-15", product="serum"),  # 44 days: within 60
        ev("p4", "qs-4", "purchased", "2026-05-01", product="serum"),  # before the send
        ev("u3", "qs-3", "unsubscribed", "2026-06-20"),
        ev("h5", "qs-5", "held_out", "2026-06-01", kind="care_message", trigger="day3"),
        ev("h6", "qs-6", "held_out", "2026-06-01", kind="care_message", trigger="day3"),
        ev("p5", "qs-5", "purchased", "2026-06-20", product="serum"),
        # a send too recent for its 30-day window on the as-of day
        ev("s7", "qs-7", "sent", "2026-11-20", kind="care_message", trigger="birthday"),
    ]


def test_report_numbers_on_a_synthetic_stream(make_flywheel: Make) -> None:
    pack = make_pack("zh", [customer(f"qs-{i}") for i in range(1, 8)])
    fw = make_flywheel(pack)
    assert fw.ingest("qingshui", _stream()).rejected == []
    report = fw.outcomes(
        "qingshui",
        since=dt.date(2026, 1, 1),
        until=dt.date(2026, 11, 30),
        as_of=dt.date(2026, 11, 30),
    )
    june, november = report["groups"]
    assert (june["kind"], june["trigger"], june["stage"], june["month"]) == (
        "care_message",
        "day3",
        "getting_to_know",
        "2026-06",
    )
    assert (june["sent"], june["replied"], june["purchased_30d"], june["purchased_60d"]) == (
        4,
        1,
        1,
        2,
    )
    assert june["unsubscribed"] == 1 and june["drafted"] == 0
    assert june["reply_rate"]["rate"] == 0.25 and june["reply_rate"]["few"]
    assert june["purchase_rate_60d"]["k"] == 2 and june["purchase_rate_60d"]["n"] == 4
    assert november["trigger"] == "birthday" and november["sent"] == 1
    assert november["purchase_rate_30d"]["n"] == 0  # its window has not closed yet
    hold = report["holdout"]
    assert hold["contacted"]["customers"] == 5 and hold["held_out"]["customers"] == 2
    assert hold["contacted"]["purchase_rate_30d"]["k"] == 1
    assert hold["contacted"]["purchase_rate_30d"]["n"] == 4
    assert hold["held_out"]["purchase_rate_30d"]["rate"] == 0.5
    assert hold["lift_30d"]["diff"] == -0.25
    assert hold["lift_30d"]["low"] < -0.25 < hold["lift_30d"]["high"]
    assert set(hold["by_trigger"]) == {"day3", "birthday"}
    # outside the period: nothing
    empty = fw.outcomes("qingshui", since=dt.date(2025, 1, 1), until=dt.date(2025, 12, 31))
    assert empty["groups"] == [] and empty["holdout"]["contacted"]["customers"] == 0


def test_drafts_made_here_group_by_their_own_kind_trigger_and_stage(make_flywheel: Make) -> None:
    pack = make_pack("en", [customer("sb-1", bought=["2026-11-01"])])
    fw = make_flywheel(pack)
    request = DraftRequest(
        brand="slowbrew", kind=ContentKind.CARE_MESSAGE, customer_id="sb-1", trigger=Trigger.DAY3
    )
    record = fw.drafting.generate(
        "slowbrew", request, requested_by="test", as_of=dt.date(2026, 11, 4)
    )
    today = dt.date.today()
    fw.ingest(
        "slowbrew",
        [
            ev("s1", "sb-1", "sent", today.isoformat(), draft_id=record.id),
            ev("r1", "sb-1", "replied", today.isoformat(), draft_id=record.id, text="Thanks Sam!"),
        ],
    )
    report = fw.outcomes("slowbrew", since=today - dt.timedelta(days=1), until=today)
    (group,) = report["groups"]
    assert (group["kind"], group["trigger"], group["stage"]) == (
        "care_message",
        "day3",
        "getting_to_know",
    )
    assert (group["drafted"], group["approved"], group["sent"], group["replied"]) == (1, 0, 1, 1)
    assert [r.text for r in fw.replies("slowbrew", record.id)] == ["Thanks Sam!"]


def test_orders_on_the_customer_record_count_and_groups_can_be_coarser(make_flywheel: Make) -> None:
    # qs-2's order is on the record only (a shop's list), 20 days after the send
    people = [customer("qs-1"), customer("qs-2", bought=["2026-06-21"])]
    fw = make_flywheel(make_pack("zh", people))
    care = {"kind": "care_message", "stage": "getting_to_know"}
    fw.ingest(
        "qingshui",
        [
            ev("s1", "qs-1", "sent", "2026-06-01", trigger="day3", **care),
            ev("s2", "qs-2", "sent", "2026-06-01", trigger="day3", **care),
            ev("s3", "qs-2", "sent", "2026-07-01", trigger="half_used", **care),
        ],
    )
    since, until = dt.date(2026, 1, 1), dt.date(2026, 11, 30)
    full = fw.outcomes("qingshui", since=since, until=until, as_of=until)
    june = next(g for g in full["groups"] if g["month"] == "2026-06")
    assert june["purchased_30d"] == 1 and june["sent"] == 2
    coarse = fw.outcomes("qingshui", since=since, until=until, as_of=until, by=("kind",))
    (only,) = coarse["groups"]
    assert (only["kind"], only["trigger"], only["month"], only["sent"]) == (
        "care_message",
        "",
        "",
        3,
    )
    assert coarse["by"] == ["kind"]
    from core.errors import ZhenxinError

    with pytest.raises(ZhenxinError, match="cannot group by"):
        fw.outcomes("qingshui", since=since, until=until, by=("colour",))


def test_the_report_is_the_same_read_a_customer_at_a_time(
    make_flywheel: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flywheel import report

    pack = make_pack("zh", [customer(f"qs-{i}", bought=["2026-06-21"]) for i in range(1, 8)])
    fw = make_flywheel(pack)
    assert fw.ingest("qingshui", _stream()).rejected == []
    window = {"since": dt.date(2026, 1, 1), "until": dt.date(2026, 11, 30)}
    whole = fw.outcomes("qingshui", **window, as_of=dt.date(2026, 11, 30))
    monkeypatch.setattr(report, "CUSTOMERS", 1)  # one customer a chunk, one id a page
    assert fw.outcomes("qingshui", **window, as_of=dt.date(2026, 11, 30)) == whole
    monkeypatch.setattr(report, "CUSTOMERS", 3)  # pages that end mid-brand
    assert fw.outcomes("qingshui", **window, as_of=dt.date(2026, 11, 30)) == whole
    assert whole["holdout"]["held_out"]["customers"] == 2
