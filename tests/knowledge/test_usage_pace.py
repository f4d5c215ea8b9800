"""A product that wears by use, not by days (a shoe's kilometres): a customer whose record
gives their use per week has their own usage days, and their moments come when they are
there. A reader saw "about the halfway point" told to a runner at 35 km a week, ~450 km
into a 500-700 km shoe: at that pace the shoe is nearly worn."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from batch.due import find_due
from generator.drafts import Trigger
from knowledge.guides import usage_days_for
from knowledge.loader import load_pack
from knowledge.pack import Customer, KnowledgeDoc, Purchase

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _shoe(**extra: object) -> KnowledgeDoc:
    fields: dict[str, object] = {
        "id": "guide-road-shoe",
        "kind": "usage_guide",
        "title": "Road shoe",
        "body": "x",
        "product": "road-shoe",
        "usage_days": 180,
        "usage_total": 600,
        "usage_rate_tag": "weekly_km",
    }
    return KnowledgeDoc.model_validate({**fields, **extra})


def _runner(km: str | None, bought: dt.date = dt.date(2026, 8, 25)) -> Customer:
    tags = {"weekly_km": km} if km is not None else {}
    return Customer(
        id="st-x",
        name="Kate",
        stage="getting_to_know",
        purchases=[Purchase(product="road-shoe", date=bought)],
        tags=tags,
    )


@pytest.mark.parametrize(
    ("km", "days"),
    [
        ("35", 120),  # 600 km at 35 a week
        ("22.5", 187),
        ("35 km", 120),  # the unit written after the number
        ("1", 540),  # three times the guide's days at most
        ("500", 60),  # a third at least
        (None, 180),  # no tag: the guide's days
        ("不清楚", 180),  # not a number
        ("0", 180),
    ],
)
def test_a_customer_s_own_pace_gives_their_usage_days(km: str | None, days: int) -> None:
    assert usage_days_for(_shoe(), _runner(km)) == days


def test_a_guide_by_days_alone_is_what_it_was() -> None:
    serum = KnowledgeDoc(
        id="guide-serum", kind="usage_guide", title="精华", body="x", product="serum", usage_days=30
    )
    assert usage_days_for(serum, _runner("35")) == 30
    assert usage_days_for(serum, None) == 30


def test_the_pace_fields_go_together_with_usage_days() -> None:
    with pytest.raises(ValidationError, match="go together"):
        _shoe(usage_rate_tag=None)
    with pytest.raises(ValidationError, match="needs 'usage_days'"):
        _shoe(usage_days=None)


def test_a_fast_runner_is_due_nearly_worn_and_a_slow_one_not_halfway() -> None:
    pack = load_pack(EXAMPLES / "stride")
    kate = next(c for c in pack.customers if c.id == "st-018")  # weekly_km=35, shoes 2026-08-25
    assert kate.tags["weekly_km"] == "35"

    def trigger(on: dt.date, who: Customer) -> Trigger | None:
        due = find_due(pack, on, people=[who])
        return due[0].trigger if due else None

    bought = kate.purchases[-1].date
    # at her pace the shoe lasts 120 days: halfway on day 60, nearly worn on day 102
    assert trigger(bought + dt.timedelta(days=60), kate) == Trigger.HALF_USED
    assert trigger(bought + dt.timedelta(days=90), kate) is None  # not "about the halfway point"
    assert trigger(bought + dt.timedelta(days=102), kate) == Trigger.ALMOST_FINISHED
    slow = kate.model_copy(update={"tags": {"weekly_km": "10"}})  # 420 days
    assert trigger(bought + dt.timedelta(days=90), slow) is None
    assert trigger(bought + dt.timedelta(days=210), slow) == Trigger.HALF_USED
