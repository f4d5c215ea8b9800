"""Lifecycle kept: each default stage rule, a brand's own rules, never down, the saved
history, and the stage-up care trigger reading the saved change."""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from batch.due import find_due
from flywheel.events import CO_CREATION, Event
from flywheel.ingest import Ingest, IngestResult
from flywheel.lifecycle import History, Ladder, facts, promotion
from flywheel.service import FlywheelService
from generator.drafts import Trigger
from knowledge.pack import Customer, Purchase
from knowledge.stages import StageRule
from storage.events import Activity, StageMove
from tests.flywheel.conftest import customer, ev, make_pack

Make = Callable[..., FlywheelService]


def _replies(*days: str) -> list[Activity]:
    return [Activity("c", "replied", dt.datetime.fromisoformat(d), None) for d in days]


def test_a_second_order_makes_a_repeat_customer() -> None:
    brand = make_pack("zh").brand
    on = dt.date(2026, 11, 1)
    assert promotion(brand, "first_contact", facts(on, 1, [])) is None
    up = promotion(brand, "first_contact", facts(on, 2, []))
    assert up is not None and up.to.id == "repeat" and up.why == "累计购买2次"
    en = promotion(make_pack("en").brand, "getting_to_know", facts(on, 2, []))
    assert en is not None and en.why == "2 orders"


def test_sustained_repurchase_and_replies_make_a_core_member() -> None:
    brand = make_pack("zh").brand
    on = dt.date(2026, 11, 1)
    up = promotion(brand, "repeat", facts(on, 3, _replies("2026-06-01", "2026-10-01")))
    assert up is not None and up.to.id == "core_member"
    assert up.why == "累计购买3次，365天内回复2次"
    # replies older than a year do not count; three orders alone are not enough
    old = facts(on, 3, _replies("2025-06-01", "2025-07-01"))
    assert promotion(brand, "repeat", old) is None
    # from first contact the highest stage that holds wins
    jump = promotion(brand, "first_contact", facts(on, 3, _replies("2026-09-01", "2026-10-01")))
    assert jump is not None and jump.to.id == "core_member"


def test_co_creation_makes_a_co_builder() -> None:
    brand = make_pack("en").brand
    act = [Activity("c", "replied", dt.datetime(2026, 10, 1), "co_creation")]
    up = promotion(brand, "core_member", facts(dt.date(2026, 11, 1), 1, act))
    assert up is not None and up.to.id == "co_builder" and up.why == "1 co-creation"


def test_rules_never_move_a_customer_down() -> None:
    brand = make_pack("zh").brand
    assert promotion(brand, "co_builder", facts(dt.date(2026, 11, 1), 5, [])) is None
    ladder = Ladder(brand)
    assert not ladder.can_rise("co_builder")  # the top: an ingest skips its walk
    assert ladder.can_rise("core_member") and ladder.can_rise("first_contact")
    assert ladder.can_rise("no-such-stage")  # an unknown stage is below every rule


def test_a_brand_writes_its_own_rules() -> None:
    pack = make_pack("zh")
    brand = pack.brand.model_copy(
        update={
            "lifecycle": [
                StageRule(to="getting_to_know", replies=1),
                StageRule(to="repeat", purchases=3),
            ]
        }
    )
    on = dt.date(2026, 11, 1)
    assert promotion(brand, "first_contact", facts(on, 2, [])) is None  # 2 orders: not here
    up = promotion(brand, "first_contact", facts(on, 1, _replies("2026-10-30")))
    assert up is not None and up.to.id == "getting_to_know"


def test_a_rule_to_an_unknown_stage_is_a_pack_error() -> None:
    data = make_pack("zh").brand.model_dump()
    data["lifecycle"] = [{"to": "vip", "purchases": 5}]
    with pytest.raises(ValidationError, match="no such stage"):
        type(make_pack("zh").brand).model_validate(data)


def test_events_save_the_change_with_why_and_the_stage_up_trigger_reads_it(
    make_flywheel: Make,
) -> None:
    pack = make_pack("zh", [customer("qs-1", stage="first_contact", bought=["2026-10-01"])])
    fw = make_flywheel(pack)
    result = fw.ingest(
        "qingshui",
        [
            ev("r1", "qs-1", "replied", "2026-11-20", text="好用"),
            ev("p2", "qs-1", "purchased", "2026-11-28", product="serum"),
        ],
    )
    assert result.stage_changes == [
        {
            "customer_id": "qs-1",
            "from": "first_contact",
            "to": "repeat",
            "at": "2026-11-28",
            "why": "累计购买2次",
            "event_id": "p2",
        }
    ]
    stored = fw.drafting.customers.get("qingshui", "qs-1")
    assert stored.stage == "repeat" and stored.tags["stage_since"] == "2026-11-28"
    history = fw.stage_history("qingshui", "qs-1")
    assert [(h.from_stage, h.to_stage, h.at, h.event_id) for h in history] == [
        ("first_contact", "repeat", dt.date(2026, 11, 28), "p2")
    ]
    due = find_due(pack, dt.date(2026, 11, 30), people=[stored])
    assert [d.trigger for d in due] == [Trigger.STAGE_UP]
    assert due[0].occurrence == "stage_up:repeat:2026-11-28"
    # the same events again: no second change
    assert (
        fw.ingest(
            "qingshui", [ev("p2", "qs-1", "purchased", "2026-11-28", product="serum")]
        ).stage_changes
        == []
    )


def test_a_third_order_with_replies_moves_on_to_core_member(make_flywheel: Make) -> None:
    pack = make_pack("en", [customer("sb-1", stage="repeat", bought=["2026-03-01", "2026-06-01"])])
    fw = make_flywheel(pack)
    fw.ingest(
        "slowbrew",
        [
            ev("r1", "sb-1", "replied", "2026-07-01"),
            ev("r2", "sb-1", "replied", "2026-08-01"),
            ev("p3", "sb-1", "purchased", "2026-09-01", product="serum"),
        ],
    )
    assert fw.drafting.customers.get("slowbrew", "sb-1").stage == "core_member"
    (change,) = fw.stage_history("slowbrew", "sb-1")
    assert change.why == "3 orders, 2 replies in 365 days"


def test_members_are_the_top_scores_ties_by_id(make_flywheel: Make) -> None:
    people = [
        customer(f"qs-{i}", stage="repeat", bought=["2026-10-01", "2026-11-01"][: 1 + i % 2])
        for i in range(7)
    ]
    fw = make_flywheel(make_pack("zh", people))
    everyone = fw.members("qingshui", on=dt.date(2026, 11, 30), limit=50)
    assert [(m.score, m.customer_id) for m in everyone] == sorted(
        ((m.score, m.customer_id) for m in everyone), key=lambda t: (-t[0], t[1])
    )
    assert fw.members("qingshui", on=dt.date(2026, 11, 30), limit=3) == everyone[:3]
    assert len({m.score for m in everyone}) == 2  # ties, decided by id


def _every_day_walked(
    ladder: Ladder, cust: Customer, evs: list[Event], activity: list[Activity]
) -> list[tuple[str, str, dt.date, str | None]]:
    """The walk without the skip of days on which nothing counted came: every event's day
    (once per stage), then the newest day known."""
    ordered = sorted(evs, key=lambda e: e.at)
    newest = max([ordered[-1].day, *(p.date for p in cust.purchases)])
    history = History(activity)
    bought_on = sorted(p.date for p in cust.purchases)
    stage, walked, moves = cust.stage, set(), []
    for on, event in [(e.day, e) for e in ordered] + [(newest, ordered[-1])]:
        if (on, stage) in walked:
            continue
        walked.add((on, stage))
        up = ladder.promotion(stage, history.facts(on, bisect.bisect_right(bought_on, on)))
        if up is not None:
            moves.append((up.from_stage, up.to.id, on, event.id))
            stage = up.to.id
    return moves


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_walk_skips_only_days_on_which_no_rule_can_begin_to_hold(lang: str) -> None:
    """Random histories (orders on the record and as events, replies near and far apart,
    co-creation, sends): the same moves, on the same days, from the same events, as walking
    every day."""
    pack = make_pack(lang)
    ladder = Ladder(pack.brand)
    stages = [s.id for s in pack.brand.stages]
    rng = random.Random(20261206)
    start = dt.date(2025, 1, 1)
    moved = 0

    def day() -> dt.date:
        return start + dt.timedelta(days=rng.randrange(700))

    for n in range(400):
        cust = customer(
            f"c{n}",
            stage=rng.choice(stages[:3]),
            bought=sorted(day().isoformat() for _ in range(rng.randrange(3))),
        )
        evs = []
        for k in range(rng.randrange(1, 14)):
            kind = rng.choice(["sent", "sent", "delivered", "replied", "purchased", "co"])
            at = dt.datetime.combine(day(), dt.time(rng.randrange(24)))
            evs.append(
                Event(
                    id=f"e{n}-{k}",
                    customer_id=cust.id,
                    type="replied" if kind == "co" else kind,
                    at=at,
                    product="serum" if kind == "purchased" else None,
                    topic=CO_CREATION if kind == "co" else None,
                )
            )
        bought = cust.purchases + [Purchase(product="serum", date=e.day) for e in evs if e.product]
        cust = cust.model_copy(update={"purchases": sorted(bought, key=lambda p: p.date)})
        activity = sorted(
            (Activity(cust.id, e.type.value, e.at, e.topic) for e in evs if e.type != "sent"),
            key=lambda a: a.at,
        )
        moves: list[StageMove] = []
        Ingest._promote(ladder, cust, evs, activity, moves, IngestResult())
        got = [(m.from_stage, m.to_stage, m.at, m.event_id) for m in moves]
        assert got == _every_day_walked(ladder, cust, evs, activity), cust.id
        moved += len(got)
    assert moved > 100  # the histories move people: the comparison is not of empty lists
