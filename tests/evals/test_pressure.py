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
