"""A belief that names its products goes only with them (knowledge.pack.Belief.products)."""

from __future__ import annotations

import pytest

from generator.retrieve import choose_belief
from knowledge.pack import Belief

SHOES = Belief(id="fit", text="We fit shoes to how you run.", topic="gear", products=["road-shoe"])
PACE = Belief(id="pace", text="There is no wrong pace.", topic="pace")


def test_a_product_belief_goes_only_with_its_product() -> None:
    situation = "fit shoes run"  # every word of the shoe belief
    for key in ("a", "b", "c", "d", "e"):
        assert choose_belief([SHOES, PACE], situation, key, product="merino-socks") == PACE
        assert choose_belief([SHOES, PACE], situation, key, product=None) == PACE
    assert choose_belief([SHOES, PACE], situation, "a", product="road-shoe") == SHOES


def test_with_only_product_beliefs_one_is_still_chosen() -> None:
    assert choose_belief([SHOES], "socks", "a", product="merino-socks") == SHOES


def test_a_belief_names_only_moments_a_draft_is_written_for() -> None:
    from generator.kinds import Trigger
    from knowledge.pack import BELIEF_MOMENTS

    assert {t.value for t in Trigger} - {"monthly", "tier_invite"} == BELIEF_MOMENTS
    assert Belief(id="enough", text="用完再买就好。", moments=["almost_finished"]).moments
    with pytest.raises(ValueError, match="unknown moments"):
        Belief(id="enough", text="用完再买就好。", moments=["almost_finish"])


def test_a_message_to_one_customer_never_falls_back_to_the_price_belief() -> None:
    """bench quality: socks at day 25 — the only belief left for the product at that moment
    was the price one, and it went into the email."""
    wear = Belief(
        id="wear",
        text="Good kit is made to wear out.",
        products=["socks"],
        moments=["half_used", "almost_finished"],
    )
    price = Belief(id="price", text="Our prices stay the same all year.", topic="price")
    for i in range(10):
        chosen = choose_belief(
            [wear, price], "x", f"k{i}", care=True, product="socks", moment="after_purchase"
        )
        assert chosen == wear
    post = choose_belief([wear, price], "x", "k", product="socks", moment="monthly")
    assert post is not None  # a post may still carry either
