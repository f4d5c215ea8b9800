"""Coherence checks: the moment's tip, facts on the right subject, guilt for a silence, the
same phrase twice, pasted passages, filler closings, a sentence in the other language."""

from __future__ import annotations

from typing import Any

import pytest

from evals import CheckReport, Verdict
from evals.checks.coherence import verbatim_runs
from tests.evals.conftest import make_brand, make_customer, rules, run, spans

SERUM_END = (
    "快用完时（约第 25 天）：回想一下这一个月皮肤的状态。如果已经稳定，可以改成只晚上用，"
    "一瓶能用到六周左右；如果还在换季，就按原来的节奏再用一轮。"
)
SERUM_HALF = (
    "用到一半（约第 15 天）：可以对着自然光看看两颊，泛红面积是不是小了一点。"
    "皮肤的更替大约 28 天一轮，现在看到的只是开始，不用急着加别的产品。"
)
SHOE_END = (
    "Nearly worn (about day 150, 450–550 km): press your thumb into the midsole from the side. "
    "If it has deep creases and feels flat, or your legs ache after runs that used to feel "
    "easy, it is time to think about a new pair. If the foam still springs back, keep running "
    "in them."
)
SHOE_SAFETY = "Sharp pain, numb toes or rubbing on the heel are not normal: stop and tell us."
QM = ["青苗学步车", "青苗平衡车"]


def care(text: str, **kw: Any) -> CheckReport:
    kw.setdefault("kind", "care_message")
    kw.setdefault("channel", "wechat")
    return run(text, **kw)


def found(report: CheckReport, rule: str) -> list[tuple[int, int, str]]:
    return [(f.start, f.end, f.severity.value) for f in report.findings if f.rule == rule]


# --- real replies of the local model ------------------------------------------------------
def test_real_zh_long_silence_reply() -> None:
    text = (
        "很抱歉没有联系您近来。最近孩子还好吗？孩子3岁了，坐高在30到42厘米之间调节，"
        "适合2到6岁的孩子。青苗平衡车已经99天没有联系，但很高兴知道您正在努力照顾孩子。"
        "有需要随时找我。感谢您的耐心等待！"
    )
    report = care(
        text,
        trigger="long_silence",
        products=QM,
        facts={"days_since_contact": "99", "product": "青苗平衡车"},
    )
    assert found(report, "coherence.silence_guilt") == [(0, 10, "warn")]
    assert found(report, "coherence.misattached_fact") == [(50, 64, "warn")]
    assert text[50:64] == "青苗平衡车已经99天没有联系"
    assert found(report, "coherence.repeated_phrase") == [(60, 64, "warn")]
    assert text[60:64] == "没有联系"
    assert found(report, "coherence.filler_closing") == [(89, 97, "warn")]
    assert text[89:97] == "感谢您的耐心等待"
    assert found(report, "truth.assumed_feeling") == [(66, 80, "warn")]
    assert report.verdict == Verdict.REVIEW


def test_real_zh_almost_finished_reply() -> None:
    text = "快用完的舒缓修护精华液快用完了。你用了28天，感觉怎么样？"
    report = care(
        text, trigger="almost_finished", required_tip=SERUM_END, products=["舒缓修护精华液"]
    )
    assert found(report, "coherence.tip_missing") == [(0, 29, "warn")]
    assert found(report, "coherence.repeated_phrase") == [(11, 14, "warn")]
    assert text[11:14] == "快用完"
    f = next(f for f in report.findings if f.rule == "coherence.tip_missing")
    assert "快用完时" in f.message


# --- the moment's tip ----------------------------------------------------------------------
def test_tip_carried_in_other_words_passes() -> None:
    text = (
        "小林，精华快用完了吧？回想一下这一个月皮肤的状态：如果已经稳定，可以改成只晚上用，"
        "还能用六周左右；如果还在换季，就按原来的节奏再用一轮。"
    )
    assert "coherence.tip_missing" not in rules(care(text, required_tip=SERUM_END))
    en = (
        "Hi Jordan, your Cadence shoes are near the end. Press your thumb into the midsole from "
        "the side: deep creases and a flat feel mean it's time to think about a new pair."
    )
    assert "coherence.tip_missing" not in rules(care(en, lang="en", required_tip=SHOE_END))
    missing = "Hi Jordan, your road shoes are almost finished! How have they been?"
    assert "coherence.tip_missing" in rules(care(missing, lang="en", required_tip=SHOE_END))


def test_no_required_tip_no_tip_finding() -> None:
    assert "coherence.tip_missing" not in rules(care("快用完了，感觉怎么样？"))


# --- misattached facts ---------------------------------------------------------------------
def test_silence_on_the_relationship_is_fine() -> None:
    text = "周女士，我们有99天没有联系了，孩子骑青苗平衡车还顺手吗？"
    assert "coherence.misattached_fact" not in rules(care(text, products=QM))
    en = "Hi Tom, your Cadence road shoe hasn't heard from us in 99 days."
    report = care(en, lang="en", products=["Cadence road shoe"])
    assert spans(report, en, "coherence.misattached_fact") == [
        "Cadence road shoe hasn't heard from us in 99 days"
    ]


def test_days_since_contact_told_as_days_of_use() -> None:
    facts = {"days_since_contact": "40", "days_since_purchase": "25"}
    text = "小林，屏障修护面霜已经用了40天了，晚上可以厚涂一层。"
    report = care(text, products=["屏障修护面霜"], facts=facts)
    assert spans(report, text, "coherence.misattached_fact") == ["屏障修护面霜已经用了40天了"]
    right = "小林，屏障修护面霜已经用了25天了，晚上可以厚涂一层。"
    assert "coherence.misattached_fact" not in rules(
        care(right, products=["屏障修护面霜"], facts=facts)
    )
    en = "Hi Sam, your Cadence road shoe has been with you for 45 days now."
    en_facts = {"days_since_contact": "45", "days_since_purchase": "90"}
    assert "coherence.misattached_fact" in rules(
        care(en, lang="en", products=["Cadence road shoe"], facts=en_facts)
    )


def test_days_since_contact_from_the_customer_record() -> None:
    customer = make_customer(
        purchases=[{"product": "barrier-cream", "date": "2026-10-01"}],
        last_contacts=[{"date": "2026-10-14", "channel": "wechat", "purpose": "care"}],
    )
    import datetime as dt

    text = "小林，屏障修护面霜已经用了40天了。"
    report = care(
        text,
        customer=customer,
        products=["屏障修护面霜"],
        product_names={"barrier-cream": "屏障修护面霜"},
        as_of=dt.date(2026, 11, 23),
    )
    assert "coherence.misattached_fact" in rules(report)


# --- silence guilt ----------------------------------------------------------------------
def test_silence_guilt_only_in_a_long_silence_message() -> None:
    text = "小周，好久没关心您了，真的很抱歉。最近天气干，洁面后记得用温水。"
    report = care(text, trigger="long_silence")
    assert spans(report, text, "coherence.silence_guilt") == ["好久没关心您了", "真的很抱歉"]
    assert "coherence.silence_guilt" not in rules(care(text, trigger="day3"))
    light = "小周，好久没联系了，最近天气转凉，洁面记得用温水。"
    assert "coherence.silence_guilt" not in rules(care(light, trigger="long_silence"))
    en = "Hi Lee, sorry we haven't been in touch for so long, we miss you!"
    assert spans(care(en, lang="en", trigger="long_silence"), en, "coherence.silence_guilt") == [
        "sorry we haven't been in touch for so long",
        "we miss you",
    ]
    ok = "Hi Lee, it's been a while! No pressure at all."
    assert "coherence.silence_guilt" not in rules(care(ok, lang="en", trigger="long_silence"))


# --- repeated phrases ---------------------------------------------------------------------
def test_repeated_phrase_spans_the_second_one() -> None:
    en = (
        "Hi Nina, check the tread under the ball of the foot. "
        "If the tread under the ball of the foot is smooth, get new ones."
    )
    report = care(en, lang="en")
    assert spans(report, en, "coherence.repeated_phrase") == [
        "the tread under the ball of the foot"
    ]
    f = next(f for f in report.findings if f.rule == "coherence.repeated_phrase")
    assert f.start == en.rindex("the tread under")


def test_names_grammar_and_long_texts_are_not_repeats() -> None:
    names = "小林，舒缓修护精华液用了三天，舒缓修护精华液要早晚各用一次。"
    assert "coherence.repeated_phrase" not in rules(care(names, products=["舒缓修护精华液"]))
    grammar = "下周三晚上8点，我们在群里做一次问答，有问题可以先在群里留言。"
    assert "coherence.repeated_phrase" not in rules(care(grammar))
    email = "主题：第一周怎么用\n\n小林你好：精华到手一周了，第一周怎么用？早晚各一次。"
    assert "coherence.repeated_phrase" not in rules(
        run(email, kind="aftersale_email", channel="email")
    )


# --- pasted passages -----------------------------------------------------------------------
def test_pasted_passage_zh_and_en() -> None:
    text = "小林，" + SERUM_HALF
    report = care(text, sources=[SERUM_HALF])
    assert found(report, "coherence.pasted_passage") == [(3, len(text), "warn")]
    en = "Hi Jordan, " + SHOE_END[:230]
    report = care(en, lang="en", sources=[SHOE_END])
    assert spans(report, en, "coherence.pasted_passage") == [SHOE_END[:230].rstrip()]


def test_quoted_safety_statements_are_not_pasted() -> None:
    guide = (
        "Day 3: A little stiffness in the calves is normal when the drop differs from your old "
        "shoe. Sharp pain, numb toes or rubbing on the heel are not normal: stop and tell us."
    )
    text = (
        "Hi Sam, how did the first runs feel? A little stiffness in the calves is normal when the "
        "drop differs from your old shoe. " + SHOE_SAFETY
    )
    assert "coherence.pasted_passage" not in rules(
        care(text, lang="en", sources=[guide], safety=[SHOE_SAFETY])
    )
    assert "coherence.pasted_passage" in rules(care(text, lang="en", sources=[guide]))


def test_verbatim_runs_finds_every_long_run() -> None:
    source = "abcdefghij0123456789KLMNOPQRST"
    text = "xx" + source[:12] + "yy" + source[15:] + "zz"
    assert verbatim_runs(text, source, 10) == [(2, 14), (16, 31)]
    assert verbatim_runs("nothing in common here", source, 10) == []


# --- filler closings -------------------------------------------------------------------
def test_filler_closing_warns_in_a_care_message_only_at_the_end() -> None:
    text = "小林，精华用到一半了，对着自然光看看两颊。祝您生活愉快！"
    assert found(care(text), "coherence.filler_closing") == [(21, 27, "warn")]
    middle = "小林，感谢您的耐心等待，精华已经寄出，到了先在耳后试用两天，有不舒服就告诉我们。"
    assert found(care(middle), "coherence.filler_closing")[0][2] == "info"
    post = "This month 40 of you joined the Saturday run. Thank you for your support!"
    assert (
        found(run(post, lang="en", kind="community_post"), "coherence.filler_closing")[0][2]
        == "info"
    )


def test_filler_before_a_signature_or_opt_out_still_closes() -> None:
    brand = make_brand("zh")
    text = "【青水肌研】小周，洁面用得还顺手吗？如有任何问题请随时联系我们。回复TD退订"
    report = run(text, kind="care_message", channel="sms", brand=brand)
    assert found(report, "coherence.filler_closing")[0][2] == "warn"
    en = "Stride: Hi Alex, good luck on Sunday! Don't hesitate to contact us. Reply STOP to opt out"
    assert (
        found(run(en, lang="en", kind="care_message", channel="sms"), "coherence.filler_closing")[
            0
        ][2]
        == "warn"
    )


# --- mixed language -----------------------------------------------------------------------
def test_mixed_language() -> None:
    text = (
        "小林你好，精华用了三天了。Please remember to apply it on damp skin every morning. "
        "有不舒服随时告诉我。"
    )
    assert spans(care(text), text, "coherence.mixed_language") == [
        "Please remember to apply it on damp skin every morning"
    ]
    en = "Hi Priya, check the outsole. 如果鞋底磨损不均匀，请告诉我们。 Have a good run."
    assert spans(care(en, lang="en"), en, "coherence.mixed_language") == [
        "如果鞋底磨损不均匀，请告诉我们"
    ]


def test_names_units_and_links_are_not_another_language() -> None:
    product = "小林，你买的 Cadence Road Running Shoe 穿着还合脚吗？每次 0.5 ml SPF 50 PA。"
    assert "coherence.mixed_language" not in rules(
        care(product, products=["Cadence Road Running Shoe"])
    )
    short = "小林，Consistency beats intensity，慢慢来。"
    assert "coherence.mixed_language" not in rules(care(short))
    brand = make_brand("en", name="青水 Lab")
    en = "Hi Sam, greetings from 青水 Lab. How are the shoes?"
    assert "coherence.mixed_language" not in rules(care(en, lang="en", brand=brand))


def test_a_moment_of_use_with_nothing_to_say_is_not_a_pass() -> None:
    """A reader: "屏障修护面霜到你手上有37天了。用到现在，感觉怎么样？" is not worth a text."""
    thin = "孙悦你好，屏障修护面霜到你手上有37天了。用到现在，感觉怎么样？"
    planned = {"facts": {"days_since_purchase": "37"}}
    report = care(thin, trigger="after_purchase", **planned)
    assert found(report, "coherence.nothing_to_say") == [(0, len(thin), "warn")]
    assert report.verdict != Verdict.PASS and "指南里没有" in report.findings[0].message
    en = "Hi Tom, it's been 25 days since your Merino running socks arrived. How is it going?"
    en_report = care(en, lang="en", trigger="after_purchase", **planned)
    assert "only a greeting" in en_report.findings[0].message
    # the moment's tip, a safety statement, another moment or a text checked alone: no finding
    with_tip = "吴佳你好，快用完了。回想一下这一个月皮肤的状态。用到现在，感觉怎么样？"
    assert "coherence.nothing_to_say" not in rules(
        care(with_tip, trigger="almost_finished", required_tip=SERUM_END, **planned)
    )
    assert "coherence.nothing_to_say" not in rules(
        care(
            f"Hi Emma, day 3. {SHOE_SAFETY}",
            lang="en",
            trigger="day3",
            safety=[SHOE_SAFETY],
            **planned,
        )
    )
    assert "coherence.nothing_to_say" not in rules(
        care("生日快乐！", trigger="birthday", **planned)
    )
    assert "coherence.nothing_to_say" not in rules(care(thin, trigger="after_purchase"))  # no plan
    assert "coherence.nothing_to_say" not in rules(run(thin))


CREAM_SAFETY = [
    "油皮、容易长闭口的部位薄涂或跳过。",
    "用挖勺取用，不要直接用手指挖，开封后 6 个月内用完。",
    "如果出现持续的刺痛、红疹，请停用并告诉我们。",
]
SERUM_SAFETY = ["持续发红发烫就停用，告诉我们。", "第一次使用前，先在耳后或下颌角试用两天。"]
PLAN_SAFETY = [
    "If you have a heart condition, are pregnant, or are coming back from an injury, check "
    "with your doctor first.",
    "Missed a week? Repeat the last week you completed. Do not try to catch up.",
]


def nothing_in_email(text: str, **kw: Any) -> list[tuple[int, int, str]]:
    report = run(text, kind="aftersale_email", channel="email", **kw)
    return found(report, "coherence.nothing_to_say")


THIN = [
    (
        "zh",
        "孙悦你好，屏障修护面霜到你手上有37天了。用到现在，感觉怎么样？",
        "孙悦你好：\n\n屏障修护面霜到你手上有37天了。\n\n也想和你说说我们一直相信的一件事："
        "你用得不舒服的地方，比一句夸奖更能帮我们把下一瓶做好。\n\n"
        "用得好不好、哪里不顺手，都请直接告诉我们。\n\n—— 阿青",
        CREAM_SAFETY,
        "你用得不舒服的地方，比一句夸奖更能帮我们把下一瓶做好。",
    ),
    (
        "en",
        "Hi Ben,\nIt's day 20 of your 10K beginner plan. How is your run going?\n\n— Maya",
        "Hi Ben,\n\nIt's day 20 of your 10K beginner plan.\n\nAnd one thing we believe: There "
        "is no wrong pace. The right one is the pace you can still talk at.\n\nTell us how it "
        "goes, and if anything doesn't work for you, say so plainly.\n\n— Maya, Stride & Co.",
        PLAN_SAFETY,
        "There is no wrong pace. The right one is the pace you can still talk at.",
    ),
]


@pytest.mark.parametrize(("lang", "thin", "email", "safety", "belief"), THIN)
def test_the_guides_cautions_in_the_plan_are_not_something_said(
    lang: str, thin: str, email: str, safety: list[str], belief: str
) -> None:
    """Read on 126 drafts of the local model: the guide's cautions are in ``safety`` for nearly
    every moment, so a greeting and a day count passed whenever the guide had any (these are
    real drafts, with their check basis). Only a caution the draft says counts."""
    planned: dict[str, Any] = {"trigger": "after_purchase", "facts": {"days_since_purchase": "9"}}
    report = care(thin, lang=lang, safety=safety, **planned)
    assert found(report, "coherence.nothing_to_say") == [(0, len(thin), "warn")]
    assert report.verdict == Verdict.REVIEW
    flagged = nothing_in_email(email, lang=lang, safety=safety, belief=belief, **planned)
    assert flagged == [(0, len(email), "warn")]
    # the same draft saying one of the cautions (the last, as written) has something to say
    said = f"{thin} {safety[-1]}"
    assert "coherence.nothing_to_say" not in rules(care(said, lang=lang, safety=safety, **planned))


def test_a_draft_with_the_tip_and_a_caution_still_passes() -> None:
    tip = (
        "林小雨你好，舒缓修护精华液用到第3天了。多数人会觉得洗完脸没那么紧了。如果有轻微刺痒，"
        "先减到每次 4–5 滴、只晚上用，三天后再加回来。持续发红发烫就停用，告诉我们。"
        "这几天用下来，感觉怎么样？"
    )
    day3: dict[str, Any] = {"trigger": "day3", "facts": {"days_since_purchase": "3"}}
    tip_report = care(
        tip,
        safety=SERUM_SAFETY,
        required_tip="第 3 天：多数人会觉得洗完脸没那么紧了。如果有轻微刺痒，先减到每次 4–5 滴、"
        "只晚上用， 三天后再加回来。",
        products=["舒缓修护精华液"],
        **day3,
    )
    assert tip_report.verdict == Verdict.PASS, tip_report.findings
    # without the tip in the plan, the caution the draft passes on is something to say
    assert "coherence.nothing_to_say" not in rules(care(tip, safety=SERUM_SAFETY, **day3))
    en = (
        "Hi Ben, it's day 20 of your 10K beginner plan. Missed a week? Repeat the last week you "
        "completed. Do not try to catch up. How is your run going?"
    )
    en_plan: dict[str, Any] = {"trigger": "after_purchase", "facts": {"days_since_purchase": "20"}}
    en_report = care(en, lang="en", safety=PLAN_SAFETY, products=["10K beginner plan"], **en_plan)
    assert en_report.verdict == Verdict.PASS, en_report.findings
