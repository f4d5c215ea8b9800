from __future__ import annotations

import datetime as dt

from batch.due import DueRules, PressureCaps, find_due, milestones
from generator.drafts import Trigger
from knowledge.pack import Channel, Contact
from tests.batch.conftest import customer, make_pack

ON = dt.date(2026, 12, 1)


def one(c, **kw):  # type: ignore[no-untyped-def]
    due = find_due(make_pack("zh", [c]), ON, **kw)
    return due[0] if due else None


def test_milestones_of_a_30_day_product() -> None:
    assert milestones(30) == [
        (Trigger.DAY3, 3),
        (Trigger.HALF_USED, 15),
        (Trigger.ALMOST_FINISHED, 25),
    ]
    assert milestones(3) == []


def test_usage_milestones() -> None:
    for offset, trig in ((3, Trigger.DAY3), (15, Trigger.HALF_USED), (25, Trigger.ALMOST_FINISHED)):
        bought = (ON - dt.timedelta(days=offset)).isoformat()
        due = one(customer("c1", bought=[bought]))
        assert due is not None and due.trigger == trig and not due.skipped
        assert due.product == "serum" and due.occurrence == f"{trig.value}:serum@{bought}"
    assert one(customer("c1", bought=[(ON - dt.timedelta(days=9)).isoformat()])) is None


def test_milestone_window_and_care_since() -> None:
    bought = (ON - dt.timedelta(days=17)).isoformat()  # half-used was 2 days ago
    assert one(customer("c1", bought=[bought])).trigger == Trigger.HALF_USED  # type: ignore[union-attr]
    assert one(customer("c1", bought=[bought]), rules=DueRules(window_days=1)) is None
    cared = customer(
        "c1", bought=[bought], contacts=[((ON - dt.timedelta(days=1)).isoformat(), "care")]
    )
    assert one(cared, rules=DueRules(caps=PressureCaps(min_gap_days=0))) is None


def test_birthday_within_days_and_leap_day() -> None:
    due = one(customer("c1", birthday="1990-12-03"))
    assert due is not None and due.trigger == Trigger.BIRTHDAY
    assert due.occurrence == "birthday:2026-12-03"
    assert one(customer("c1", birthday="1990-12-05")) is None
    leap = find_due(make_pack("zh", [customer("c1", birthday="2000-02-29")]), dt.date(2027, 2, 27))
    assert leap[0].occurrence == "birthday:2027-02-28"


def test_stage_up_from_tag_and_from_second_purchase() -> None:
    tagged = one(customer("c1", stage="repeat", tags={"stage_since": "2026-11-28"}))
    assert tagged is not None and tagged.trigger == Trigger.STAGE_UP and tagged.new_stage is None
    second = one(customer("c1", stage="getting_to_know", bought=["2026-10-01", "2026-11-29"]))
    assert second is not None and second.trigger == Trigger.STAGE_UP
    assert second.new_stage == "repeat"
    # already recorded as repeat: no inferred change
    assert one(customer("c1", stage="repeat", bought=["2026-10-01", "2026-11-29"])) is None


def test_long_silence() -> None:
    quiet = customer("c1", stage="repeat", contacts=[("2026-10-10", "care")], bought=["2026-06-01"])
    due = one(quiet)
    assert due is not None and due.trigger == Trigger.LONG_SILENCE
    assert due.occurrence == "long_silence:2026-10-10"
    recent = customer("c1", stage="repeat", contacts=[("2026-10-20", "care")])
    assert one(recent) is None
    log = {"c1": [Contact(date=dt.date(2026, 11, 20), channel=Channel.SMS, purpose="notice")]}
    assert one(quiet, contact_log=log) is None  # the stored log counts too


def test_priority_one_trigger_per_customer() -> None:
    c = customer("c1", birthday="1990-12-02", bought=[(ON - dt.timedelta(days=3)).isoformat()])
    due = find_due(make_pack("zh", [c]), ON)
    assert len(due) == 1 and due[0].trigger == Trigger.BIRTHDAY
    # handled by an earlier batch: the next trigger takes its place
    again = find_due(make_pack("zh", [c]), ON, handled={"birthday:2026-12-02"})
    assert again[0].trigger == Trigger.DAY3


def test_opt_out_and_pressure_caps_skip_with_reason() -> None:
    out = one(customer("c1", birthday="1990-12-01", opted_out=True))
    assert out is not None and out.skip == "opted out"
    close = one(customer("c1", birthday="1990-12-01", contacts=[("2026-11-30", "care")]))
    assert close is not None and "last contact" in (close.skip or "")
    # wechat: the eval suite's cap is 3 messages in 7 days, the draft included
    week = [("2026-11-25", "notice"), ("2026-11-27", "sales"), ("2026-11-28", "care")]
    capped = one(customer("c1", birthday="1990-12-01", contacts=week))
    assert capped is not None and capped.skipped
    assert "3 wechat message(s) in 7 days (cap 3)" in (capped.skip or "")
    fine = one(customer("c1", birthday="1990-12-01", contacts=week[1:]))
    assert fine is not None and not fine.skipped
    # other channels' contacts do not fill the wechat window
    sms = one(customer("c1", birthday="1990-12-01", channel=Channel.SMS, contacts=week))
    assert sms is not None and not sms.skipped
    # explicit caps override the contact policy's
    strict = DueRules(caps=PressureCaps(windows={"wechat": (30, 1)}))
    assert one(customer("c1", birthday="1990-12-01", contacts=week[2:]), rules=strict).skipped  # type: ignore[union-attr]


def test_caps_follow_the_contact_policy_the_pressure_check_uses() -> None:
    from knowledge.contact_policy import window

    sms = window("sms")
    assert sms is not None
    days, cap = sms.days, sms.max
    contacts = [
        Contact(date=ON - dt.timedelta(days=3 + i), channel=Channel.SMS, purpose="care")
        for i in range(cap)
    ]
    assert PressureCaps().blocked(contacts, ON, "sms") is not None
    assert PressureCaps().blocked(contacts[1:], ON, "sms") is None
    old = [c.model_copy(update={"date": ON - dt.timedelta(days=days + 1)}) for c in contacts]
    assert PressureCaps().blocked(old, ON, "sms") is None
