"""A guide's tip keeps only what is written for this kind of customer (retrieve.for_them)."""

from __future__ import annotations

from generator.retrieve import for_them
from knowledge.pack import Customer, customer_kinds


def _c(cid: str, **tags: str) -> Customer:
    return Customer(id=cid, name=cid, stage="first_contact", tags=tags)


EVERYONE = [_c("a", skin="干皮"), _c("b", skin="油皮"), _c("c", skin="混合皮", city="上海")]
TIP = "早上起床摸摸两颊，干皮会觉得不那么粗糙了。如果觉得闷，晚上用量减半。"


def test_a_sentence_for_another_skin_type_is_left_out() -> None:
    assert for_them(TIP, EVERYONE[1], customer_kinds(EVERYONE)) == "如果觉得闷，晚上用量减半。"
    assert for_them(TIP, EVERYONE[0], customer_kinds(EVERYONE)) == TIP  # their own type: kept
    only_other = "天气回暖后，混合皮可以只在晚上用。"
    assert (
        for_them(only_other, EVERYONE[0], customer_kinds(EVERYONE)) == ""
    )  # nothing for them: no tip


def test_english_and_customers_without_the_tag_keep_everything() -> None:
    runners = [_c("r1", foot="wide feet"), _c("r2", foot="narrow feet")]
    tip = "Lace loosely over the top. With wide feet, skip the top eyelet."
    assert for_them(tip, runners[1], customer_kinds(runners)) == "Lace loosely over the top."
    assert for_them(tip, _c("r3"), customer_kinds(runners)) == tip  # no tag: nothing to tell apart


def test_a_number_is_no_kind_and_an_english_kind_is_a_whole_word() -> None:
    """bench quality: weekly_km=15 beside another runner's 10 dropped the socks' whole
    "Nearly worn (about day 100)" tip, since "10" is in "100"."""
    runners = [_c("a", weekly_km="15", goal="run"), _c("b", weekly_km="10", goal="get fit")]
    tip = (
        "If the heel is see-through after about day 100, retire that pair; "
        "running in thin socks is how blisters start."
    )
    assert for_them(tip, runners[0], customer_kinds(runners)) == tip
    other = [_c("c", goal="run"), _c("d", goal="running")]  # "run" is not in "running"
    assert for_them(tip, other[0], customer_kinds(other)) == tip
