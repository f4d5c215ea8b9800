from __future__ import annotations

import pytest

from evals import Severity, Verdict
from evals.checks.spam import SpamCheck
from evals.types import CheckContext
from tests.evals.conftest import make_brand, rules, run, spans


def test_urgency_spans_are_character_offsets_in_chinese() -> None:
    text = "小林你好～这款精华仅限今天特价，最后3小时！"
    report = run(text)
    assert spans(report, text, "spam.urgency") == ["仅限今天", "最后3小时"]
    assert (
        text.index("仅限今天") == next(f for f in report.findings if f.rule == "spam.urgency").start
    )


def test_urgency_english() -> None:
    text = "Hi Sam, last chance: the offer ends tonight."
    report = run(text, lang="en")
    assert spans(report, text, "spam.urgency") == ["last chance", "ends tonight"]
    f = next(f for f in report.findings if f.rule == "spam.urgency")
    assert "urgency" in f.message and f.suggestion


def test_english_words_need_letter_boundaries() -> None:
    # "sale" inside "wholesale" and "deal" in "deal with" are not discount words
    report = run("We deal with wholesale orders by email.", lang="en")
    assert "spam.discount" not in rules(report)


@pytest.mark.parametrize(
    ("text", "lang", "severity"),
    [
        ("生日快乐，送你一张生日券。", "zh", Severity.INFO),
        ("全场5折，再送优惠券！", "zh", Severity.WARN),
        ("全场5折，满200减50，再送优惠券，还有返现", "zh", Severity.ERROR),
        ("A small birthday coupon is in your account.", "en", Severity.INFO),
        ("20% off everything plus a coupon and cashback on this sale", "en", Severity.ERROR),
    ],
)
def test_discount_density_grades_severity(text: str, lang: str, severity: Severity) -> None:
    findings = [f for f in run(text, lang=lang).findings if f.rule == "spam.discount"]
    assert [f.severity for f in findings] == [severity]


def test_single_offer_message_reads_as_passing_mention() -> None:
    f = next(f for f in run("送你一张生日券。").findings if f.rule == "spam.discount")
    assert "提到了优惠" in f.message
    f = next(
        f for f in run("A coupon is waiting.", lang="en").findings if f.rule == "spam.discount"
    )
    assert f.message.startswith("Mentions an offer")


def test_prize_forward_and_chasing_both_languages() -> None:
    zh = "恭喜您获得免费领取资格！转发到3个群即可。在吗？在吗？"
    r = run(zh)
    assert spans(r, zh, "spam.prize") == ["恭喜您获得", "免费领取"]
    assert spans(r, zh, "spam.forward") == ["转发到3个群"]
    assert spans(r, zh, "spam.chasing") == ["在吗？在吗？"]
    en = "Congratulations, you won a prize! Forward this to your friends. Why haven't you replied?"
    r = run(en, lang="en")
    assert {"spam.prize", "spam.forward", "spam.chasing"} <= rules(r)


def test_exclamation_and_emoji_floods() -> None:
    text = "好消息！！新品到了🎉🎉🎉"
    r = run(text)
    assert spans(r, text, "spam.exclamation") == ["！！"]
    assert spans(r, text, "spam.emoji") == ["🎉🎉🎉"]
    calm = "生日快乐🎂 祝你一切都好！"
    assert not {"spam.exclamation", "spam.emoji"} & rules(run(calm))
    en = "Great news! New shoes! Come see! Really!"
    assert "spam.exclamation" in rules(run(en, lang="en"))


def test_wechat_bracket_emoticons_count_as_emoji() -> None:
    text = "新品上市[红包][红包][红包]"
    assert spans(run(text), text, "spam.emoji") == ["[红包][红包][红包]"]


def test_repetition_but_not_laughter() -> None:
    text = "快快快！抢抢抢"
    r = run(text)
    assert spans(r, text, "spam.repetition") == ["快快快", "抢抢抢"]
    assert "spam.repetition" not in rules(run("哈哈哈，你说得对。"))
    en = "SALE SALE SALE this weekend"
    assert spans(run(en, lang="en"), en, "spam.repetition") == ["SALE SALE SALE"]


def test_links_many_and_shortened() -> None:
    text = "看这里 https://t.cn/A6x 还有 https://a.com/1 和 https://a.com/2 https://a.com/3"
    r = run(text)
    assert spans(r, text, "spam.short_link") == ["https://t.cn/A6x"]
    assert spans(r, text, "spam.links") == ["https://a.com/2"]  # the third link, over 2
    en = "Details: bit.ly/x and www.example.com/guide"
    assert spans(run(en, lang="en"), en, "spam.short_link") == ["bit.ly/x"]
    assert "spam.links" not in rules(run(en, lang="en"))
    assert "spam.short_link" not in rules(run("See https://stride.run/guide", lang="en"))


def test_all_caps_but_not_acronyms() -> None:
    text = "This is AMAZING, see you"
    assert spans(run(text, lang="en"), text, "spam.all_caps") == ["AMAZING"]
    assert "spam.all_caps" not in rules(run("Reply STOP to opt out. VIP FAQ.", lang="en"))
    text = "新品 BIG SALE 来了"
    assert spans(run(text), text, "spam.all_caps") == ["BIG SALE"]


def test_many_signals_blocks() -> None:
    text = "限时秒杀！！！仅限今天，全场5折，马上抢购🔥🔥🔥 转发到3个群"
    report = run(text)
    assert report.verdict == Verdict.BLOCK
    f = next(f for f in report.findings if f.rule == "spam.many_signals")
    assert (f.start, f.end) == (0, len(text))


def test_brand_spam_words_extend_the_lexicon() -> None:
    brand = make_brand("zh", lexicon={"spam": ["闭眼入"]})
    text = "这款面霜闭眼入"
    findings = SpamCheck().run(CheckContext(text=text, brand=brand))
    assert [text[f.start : f.end] for f in findings] == ["闭眼入"]
    assert SpamCheck().run(CheckContext(text=text)) == []


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("小林，不用急着下单，等精华用完再说。", "zh"),
        ("我们不打折，也不限时，一年四季一个价。", "zh"),
        ("No need to hurry, Sam: finish the pair you have first.", "en"),
        ("We don't do sales or discounts. One fair price, all year.", "en"),
    ],
)
def test_negated_selling_words_are_not_pressure(text: str, lang: str) -> None:
    report = run(text, lang=lang, channel="wechat")
    assert report.verdict == Verdict.PASS, [
        (f.rule, text[f.start : f.end]) for f in report.findings
    ]


@pytest.mark.parametrize(
    ("text", "lang"),
    [("别错过今天的限时秒杀！", "zh"), ("Not a drill: 50% off today only!", "en")],
)
def test_negation_does_not_hide_real_pressure(text: str, lang: str) -> None:
    assert {"spam.urgency", "spam.discount"} <= rules(run(text, lang=lang))


def test_hyphenated_compounds_are_one_word() -> None:
    text = "After-Sale: how is your 10K plan going?"
    assert not {"spam.discount", "tone.sells_first"} & rules(run(text, lang="en"))
    assert "spam.discount" in rules(run("Big sale - 20% off", lang="en"))


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("限时抢购！全场五折，最后24小时，手慢无！！", "zh"),
        ("限時搶購！全場五折，最後24小時，手慢無！！", "zh"),  # 繁體
        ("限時搶購！全場五折，最後24小時，手慢無", "zh-Hant"),
        ("FLASH SALE! 50% off everything, last 24 hours, only 3 left!!", "en"),
        ("Flash sale: 50% off everything, last 24 hours, only 3 left.", "en"),
    ],
)
def test_stacked_pressure_is_block(text: str, lang: str) -> None:
    report = run(text, lang=lang)
    assert report.verdict == Verdict.BLOCK
    stacked = next(f for f in report.findings if f.rule == "spam.stacked_pressure")
    assert stacked.severity == Severity.ERROR
    assert (stacked.start, stacked.end) == (0, len(text))
    assert "flash sale" in stacked.message or "限时抢购" in stacked.message


def test_stacked_pressure_names_the_tactics_in_the_texts_language() -> None:
    zh = run("限时抢购！全场五折，最后24小时，手慢无！！")
    f = next(f for f in zh.findings if f.rule == "spam.stacked_pressure")
    assert "5 种施压手法（限时抢购、截止倒计时、稀缺名额、折扣、感叹号）" in f.message
    en = run("FLASH SALE! 50% off everything, last 24 hours, only 3 left!!", lang="en")
    f = next(f for f in en.findings if f.rule == "spam.stacked_pressure")
    assert "5 pressure tactics (flash sale, deadline, scarcity, discount, exclamation marks)" in (
        f.message
    )


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # one tactic or two is an offer an editor looks at, not a block
        ("下周六线下烘焙课开放报名，名额有限，会员报名立减30元。", "zh"),
        ("小林，你的优惠券周日到期，需要的话记得用。", "zh"),
        ("Your coupon ends tonight if you still want the refill.", "en"),
        # negated tactics do not count
        ("我们不做限时抢购，没有倒计时，也不打折，慢慢挑就好。", "zh"),
    ],
)
def test_few_or_negated_tactics_are_not_stacked(text: str, lang: str) -> None:
    report = run(text, lang=lang)
    assert "spam.stacked_pressure" not in rules(report)
    assert report.verdict != Verdict.BLOCK


def test_stacked_pressure_threshold_comes_from_the_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    from evals import lexicon

    thresholds = lexicon.load("thresholds")
    monkeypatch.setitem(thresholds["spam"], "stacked_pressure", 6)
    report = run("限时抢购！全场五折，最后24小时，手慢无！！")
    assert "spam.stacked_pressure" not in rules(report)


def test_giveaway_bait_zh_and_en() -> None:
    text = "小林你好，精华用得怎么样？回复1领取专属福利。"
    report = run(text, kind="care_message")
    assert spans(report, text, "spam.giveaway") == ["回复1领取", "专属福利"]
    en = "Hi Emma, reply YES to claim your free sample of our new trail socks!"
    assert spans(run(en, lang="en"), en, "spam.giveaway") == ["reply YES to claim", "free sample"]
    calm = "小林，回复TD退订。用完再说，不着急。"
    assert "spam.giveaway" not in rules(run(calm, kind="care_message"))


def test_one_offer_in_a_care_message_is_a_warning() -> None:
    text = "陈姐，生日快乐！给你准备了一张生日券，不用也没关系。"
    care = [f for f in run(text, kind="care_message").findings if f.rule == "spam.discount"]
    assert care[0].severity == Severity.WARN
    assert "关怀消息" in care[0].message
    post = [f for f in run(text, kind="community_post").findings if f.rule == "spam.discount"]
    assert post[0].severity == Severity.INFO
    en = "Happy birthday, Priya! There's a small birthday coupon in your account."
    en_care = [
        f for f in run(en, lang="en", kind="care_message").findings if f.rule == "spam.discount"
    ]
    assert en_care[0].severity == Severity.WARN and "care message" in en_care[0].message
