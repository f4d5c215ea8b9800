from __future__ import annotations

import datetime as dt

import pytest

from batch.monthly import Slot, mondays, plan_month
from core.errors import NotFoundError, ZhenxinError
from tests.batch.conftest import make_pack


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_plan_has_every_slot_per_tier(lang: str) -> None:
    pack = make_pack(lang)
    plan = plan_month(pack, "2026-11")
    for tier in ("new-friends", "old-friends"):
        slots = [p.slot for p in plan if p.tier == tier]
        assert slots.count(Slot.SMALL_GOOD_THING) == len(mondays(2026, 11)) == 5
        assert slots.count(Slot.ACTIVITY) == 1
        assert slots.count(Slot.MEMBER_STORY) == 1
        assert slots.count(Slot.QA_RECAP) == 1
        assert Slot.YEAR_END_THANKS not in slots
    assert all(p.publish_on.month == 11 for p in plan)
    label = "本周小美好" if lang == "zh" else "Small good thing"
    assert any(p.theme.startswith(label) for p in plan)


def test_december_adds_year_end_thanks_on_a_weekday() -> None:
    plan = plan_month(make_pack("zh"), "2026-12")
    thanks = [p for p in plan if p.slot == Slot.YEAR_END_THANKS]
    assert {p.tier for p in thanks} == {"new-friends", "old-friends"}
    assert all(p.publish_on.month == 12 and p.publish_on.weekday() < 5 for p in thanks)
    assert "谢谢" in thanks[0].theme
    # said to the newest tier too: no "一年同行" to people who came last week (a reader)
    assert all("一年" not in p.theme for p in thanks)
    en = [p for p in plan_month(make_pack("en"), "2026-12") if p.slot == Slot.YEAR_END_THANKS]
    assert "thank you" in en[0].theme and "A year together" not in en[0].theme


def test_only_consented_stories_and_tier_fitting_activities() -> None:
    pack = make_pack("zh")
    for month in ("2026-01", "2026-02", "2026-03", "2026-04"):
        plan = plan_month(pack, month)
        stories = [p for p in plan if p.slot == Slot.MEMBER_STORY]
        assert stories and all(p.story_doc in {"story-a", "story-b"} for p in stories)
        new_acts = [p for p in plan if p.slot == Slot.ACTIVITY and p.tier == "new-friends"]
        assert [p.source_id for p in new_acts] == ["workshop"]  # the trial is for repeat+


def test_deterministic_and_keys_unique() -> None:
    pack = make_pack("zh")
    a, b = plan_month(pack, "2026-12"), plan_month(pack, "2026-12")
    assert a == b
    assert len({p.key for p in a}) == len(a)


def test_themes_do_not_repeat_previous_months() -> None:
    pack = make_pack("zh")
    nov = plan_month(pack, "2026-11", tiers=["old-friends"])
    history = {"old-friends": [("2026-11", p.theme_key) for p in nov]}
    dec = plan_month(pack, "2026-12", tiers=["old-friends"], history=history)
    by_slot = {
        slot: (
            {p.theme_key for p in nov if p.slot == slot},
            {p.theme_key for p in dec if p.slot == slot},
        )
        for slot in (Slot.ACTIVITY, Slot.MEMBER_STORY, Slot.QA_RECAP)
    }
    for slot, (before, after) in by_slot.items():
        assert before and after and not before & after, slot
    # 4 weekly sources (2 beliefs, a value doc, a guide) for 5 weeks in November: the
    # leftover one opens December, then the longest-unused ones follow
    nov_weekly = [p.theme_key for p in nov if p.slot == Slot.SMALL_GOOD_THING]
    assert len(nov_weekly) == 5 and len(set(nov_weekly[:4])) == 4
    assert nov_weekly[4] == nov_weekly[0]
    weekly = [p.theme_key for p in dec if p.slot == Slot.SMALL_GOOD_THING]
    assert len(weekly) == len(mondays(2026, 12)) == 4 == len(set(weekly))
    assert weekly[0] == nov_weekly[1]


def test_when_all_used_the_least_recent_comes_back() -> None:
    pack = make_pack("zh")
    history = {"new-friends": [("2026-09", "doc:faq-season"), ("2026-10", "doc:faq-sensitive")]}
    plan = plan_month(pack, "2026-11", tiers=["new-friends"], history=history)
    (qa,) = [p for p in plan if p.slot == Slot.QA_RECAP]
    assert qa.source_id == "faq-season"
    # a later month in the history does not count against an earlier plan
    future = {"new-friends": [("2027-01", "doc:faq-season")]}
    (qa,) = [
        p
        for p in plan_month(pack, "2026-11", tiers=["new-friends"], history=future)
        if p.slot == Slot.QA_RECAP
    ]
    assert qa.source_id == "faq-season"


def test_bad_month_and_unknown_tier() -> None:
    with pytest.raises(ZhenxinError):
        plan_month(make_pack(), "2026-13")
    with pytest.raises(NotFoundError):
        plan_month(make_pack(), "2026-12", tiers=["nope"])
    assert mondays(2026, 2)[0] == dt.date(2026, 2, 2)
