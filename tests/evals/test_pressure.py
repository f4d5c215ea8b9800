from __future__ import annotations

import datetime as dt

from evals import Severity, Verdict
from tests.evals.conftest import contacts, make_customer, rules, run

TODAY = dt.date(2026, 11, 23)


def test_opted_out_blocks_everything() -> None:
    customer = make_customer(opted_out=True)
    for text, lang in (("小林，生日快乐。", "zh"), ("Happy birthday, Sam.", "en")):
        report = run(text, lang=lang, customer=customer)
        assert report.verdict == Verdict.BLOCK
        f = next(f for f in report.findings if f.rule == "pressure.opted_out")
        assert (f.start, f.end) == (0, len(text))
    assert "退订" in run("小林", customer=customer).findings[0].message
    assert "opted out" in run("Sam", lang="en", customer=customer).findings[0].message


def test_wechat_cap_per_week() -> None:
    history = contacts(
        ("2026-11-18", "wechat", "care"),
        ("2026-11-20", "wechat", "care"),
        ("2026-11-22", "wechat", "notice"),
        ("2026-11-01", "wechat", "care"),  # outside the 7-day window
        ("2026-11-21", "sms", "care"),  # other channel
    )
    report = run("小林，最近皮肤怎么样？", channel="wechat", history=history, as_of=TODAY)
    f = next(f for f in report.findings if f.rule == "pressure.frequency")
    assert f.severity == Severity.WARN and "3 条" in f.message and "上限 3" in f.message
    light = history[:2]
    assert "pressure.frequency" not in rules(
        run("小林，最近皮肤怎么样？", channel="wechat", history=light, as_of=TODAY)
    )


def test_sms_cap_per_month_english() -> None:
    history = contacts(*[(f"2026-11-{d:02d}", "sms", "care") for d in (2, 9, 16, 20)])
    report = run(
        "Stride: hi. Reply STOP to opt out", lang="en", channel="sms", history=history, as_of=TODAY
    )
    f = next(f for f in report.findings if f.rule == "pressure.frequency")
    assert "4 messages" in f.message and "30 days" in f.message


def test_selling_share_counts_the_draft() -> None:
    history = contacts(("2026-11-19", "wechat", "sales"), ("2026-11-21", "wechat", "care"))
    selling = run("小林，面霜下单满200减30哦。", channel="wechat", history=history, as_of=TODAY)
    assert "pressure.selling_share" in rules(selling)
    caring = run("小林，最近睡得好吗？", channel="wechat", history=history, as_of=TODAY)
    assert "pressure.selling_share" not in rules(caring)
    en = run(
        "Hi Sam, the gloves are $25, buy them here.",
        lang="en",
        channel="wechat",
        history=history,
        as_of=TODAY,
    )
    assert "pressure.selling_share" in rules(en)


def test_caller_purpose_overrides_the_guess() -> None:
    history = contacts(("2026-11-19", "wechat", "sales"), ("2026-11-21", "wechat", "sales"))
    report = run(
        "小林，最近睡得好吗？", channel="wechat", history=history, as_of=TODAY, purpose="sales"
    )
    assert "pressure.selling_share" in rules(report)


def test_customer_contacts_are_used_when_no_history_given() -> None:
    customer = make_customer(
        channel="wechat",
        last_contacts=[
            {"date": "2026-11-20", "channel": "wechat", "purpose": "care"},
            {"date": "2026-11-21", "channel": "wechat", "purpose": "care"},
            {"date": "2026-11-22", "channel": "wechat", "purpose": "care"},
        ],
    )
    assert "pressure.frequency" in rules(run("小林你好", customer=customer, as_of=TODAY))


def test_another_draft_for_the_same_days_is_two_messages() -> None:
    waiting = contacts(("2026-11-23", "email", "care"))
    text = "小林你好，精华用到一半了。"
    report = run(text, channel="wechat", waiting=waiting, as_of=TODAY)
    f = next(f for f in report.findings if f.rule == "pressure.waiting")
    assert f.severity == Severity.WARN and (f.start, f.end) == (0, len(text))
    assert "另外 1 条（email）" in f.message and report.verdict != Verdict.PASS
    en = run("Hi Sam, how are the shoes?", lang="en", waiting=waiting, as_of=TODAY)
    assert (
        "two messages in a day"
        in next(f for f in en.findings if f.rule == "pressure.waiting").message
    )
    days_apart = contacts(("2026-11-20", "email", "care"))
    assert "pressure.waiting" not in rules(run(text, waiting=days_apart, as_of=TODAY))


# qingshui qs-016 (a reader: "a 4th message in 6 days, the day after the last, 2 of the 3
# before it selling"): every channel's window held, the person's did not
QS_016 = contacts(
    ("2026-11-18", "sms", "sales"),
    ("2026-11-20", "wechat", "sales"),
    ("2026-11-22", "sms", "notice"),
)


def test_the_person_is_counted_across_channels() -> None:
    text = "【青水肌研】韩雪你好，舒缓修护精华液差不多用到一半了。用到现在，感觉怎么样？ 回复TD退订"
    for channel in ("sms", "email"):
        report = run(text, channel=channel, history=QS_016, as_of=TODAY, trigger="half_used")
        found = {f.rule: f for f in report.findings}
        assert "pressure.frequency" not in found  # per channel: 2 sms in 30 days, 0 email
        person = found["pressure.person_frequency"]
        assert person.severity == Severity.WARN and (person.start, person.end) == (0, len(text))
        assert "7 天内" in person.message and "3 条" in person.message
        assert "sms、wechat" in person.message
        soon = found["pressure.too_soon"]
        assert soon.severity == Severity.WARN and "1 天前" in soon.message
        assert report.verdict == Verdict.REVIEW
    en = run("Hi Sam, how are the shoes?", lang="en", channel="email", history=QS_016, as_of=TODAY)
    messages = {f.rule: f.message for f in en.findings}
    assert "across channels (sms、wechat" in messages["pressure.person_frequency"]
    assert "1 day(s) ago" in messages["pressure.too_soon"]
    # a week apart from the last one and two messages before: nothing for the person
    calm = contacts(("2026-11-10", "sms", "sales"), ("2026-11-16", "wechat", "care"))
    assert not {"pressure.person_frequency", "pressure.too_soon"} & rules(
        run(text, channel="sms", history=calm, as_of=TODAY)
    )


def test_a_message_the_day_after_or_the_same_day() -> None:
    yesterday = contacts(("2026-11-22", "wechat", "care"))
    report = run("小林你好，最近皮肤怎么样？", channel="wechat", history=yesterday, as_of=TODAY)
    assert "pressure.too_soon" in rules(report) and report.verdict == Verdict.REVIEW
    today = contacts(("2026-11-23", "email", "notice"))
    same = run("小林你好。", channel="wechat", history=today, as_of=TODAY)
    assert "今天已经通过 email" in next(f.message for f in same.findings)
    en = run("Hi Sam.", lang="en", channel="wechat", history=today, as_of=TODAY)
    assert "already heard from us today (email)" in en.findings[0].message
    two_days = contacts(("2026-11-21", "wechat", "care"))
    assert "pressure.too_soon" not in rules(run("小林。", history=two_days, as_of=TODAY))
    later = contacts(("2026-11-25", "wechat", "care"))  # after the draft's day: not before it
    assert "pressure.too_soon" not in rules(run("小林。", history=later, as_of=TODAY))
    # an answer to their question, the welcome after the order's notice, a post: not pressure
    for trigger in ("question", "welcome"):
        assert "pressure.too_soon" not in rules(
            run("小林你好。", history=yesterday, as_of=TODAY, trigger=trigger)
        )
    post = run("本周小事：早睡。", kind="community_post", history=QS_016, as_of=TODAY)
    assert not {"pressure.too_soon", "pressure.person_frequency"} & rules(post)


def test_selling_share_across_channels() -> None:
    sold = contacts(
        ("2026-11-02", "sms", "sales"),
        ("2026-11-09", "email", "sales"),
        ("2026-11-16", "wechat", "care"),
    )
    care = "小林你好，最近皮肤怎么样？"
    caring = run(care, channel="wechat", history=sold, as_of=TODAY)  # 2 of 4: not above half
    assert "pressure.person_selling_share" not in rules(caring)
    selling = run("小林，面霜下单满200减30哦。", channel="wechat", history=sold, as_of=TODAY)
    f = next(f for f in selling.findings if f.rule == "pressure.person_selling_share")
    assert "30 天内" in f.message and "4 条" in f.message and "3 条" in f.message
    assert "pressure.selling_share" not in rules(selling)  # on wechat: 1 of 2
    en = run("Hi Sam, the gloves are $25, buy them here.", lang="en", history=sold, as_of=TODAY)
    assert "3 of 4 messages" in next(
        f.message for f in en.findings if f.rule == "pressure.person_selling_share"
    )
    # the channel's own finding says it already: not said twice
    same = contacts(("2026-11-19", "wechat", "sales"), ("2026-11-21", "wechat", "care"))
    both = rules(run("小林，面霜下单满200减30哦。", channel="wechat", history=same, as_of=TODAY))
    assert "pressure.selling_share" in both and "pressure.person_selling_share" not in both
