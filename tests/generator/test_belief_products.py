"""A belief that names its products goes only with them (knowledge.pack.Belief.products)."""

from __future__ import annotations

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
