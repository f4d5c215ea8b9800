"""Truth checks: words put in the customer's mouth, assumed feelings, phantom images and
links, reversed safety statements, effects the sources never claim. The first tests replay
real replies of the local 1.5B model that passed the older checks, with exact offsets."""

from __future__ import annotations

from typing import Any

import pytest

from evals import CheckReport, Severity, Verdict
from evals.lexicon import load
from tests.evals.conftest import make_brand, make_customer, rules, run, spans

SERUM_STEPS = (
    "洁面后，脸还微微湿润时使用效果更好。每次约半管滴管（约 0.5 ml，8–10 滴），先滴在掌心。"
)
SERUM_DAY3 = (
    "第 3 天：多数人会觉得洗完脸没那么紧了。如果有轻微刺痒，先减到每次 4–5 滴、只晚上用，"
    "三天后再加回来。持续发红发烫就停用，告诉我们。"
)
SERUM_WHAT = (
    "它的工作是帮助皮肤留住水分、维护屏障，让换季时的紧绷和泛红慢慢缓下来。"
    "主要成分是神经酰胺 NP、泛醇和积雪草提取物。"
)
SERUM_SAFETY = "持续发红发烫就停用，告诉我们。"
CREAM_SAFETY = "如果出现持续的刺痛、红疹，请停用并告诉我们。"
SHOE_DAY3 = (
    "Day 3: how did the first runs feel? A little stiffness in the calves is normal when the "
    "drop differs from your old shoe. Sharp pain, numb toes or rubbing on the heel are not: "
    "tell us, and we will look at lacing or sizing with you."
)
SHOE_SAFETY = "Sharp pain, numb toes or rubbing on the heel are not normal: stop and tell us."
SHOE_WHAT = "A neutral, well-cushioned daily trainer. The midsole foam is built for easy miles."


def found(report: CheckReport, rule: str) -> list[tuple[int, int, str]]:
    return [(f.start, f.end, f.severity.value) for f in report.findings if f.rule == rule]


def care(text: str, **kw: Any) -> CheckReport:
    kw.setdefault("kind", "care_message")
    kw.setdefault("channel", "wechat")
    return run(text, **kw)


# --- real replies of the local model ------------------------------------------------------
def test_real_zh_email_invents_feedback_and_points_at_a_missing_image() -> None:
    text = (
        "主题：青苗学步车怎么调高度\n\n周女士您好：\n我们收到了您的反馈和使用指南，谢谢您。"
        "学步车的高度有三档，请看下图：\n[使用指南中的图片]\n孩子双脚能平踩地面就是合适的高度。"
    )
    report = run(text, kind="aftersale_email", channel="email", trigger="after_purchase")
    assert found(report, "truth.invented_statement") == [(24, 36, "error")]
    assert text[24:36] == "收到了您的反馈和使用指南"
    assert found(report, "truth.phantom_reference") == [(51, 55, "warn"), (57, 67, "error")]
    assert [text[51:55], text[57:67]] == ["请看下图", "[使用指南中的图片]"]
    assert report.verdict == Verdict.BLOCK
    f = next(f for f in report.findings if f.rule == "truth.invented_statement")
    assert "客户" in f.message and f.suggestion


def test_real_zh_day3_assumes_an_observation_and_an_effect() -> None:
    text = "小林你好，你开始使用第3天时，发现脸还微微湿润。这是舒缓修护精华液的初期效果。"
    report = care(
        text,
        trigger="day3",
        sources=[SERUM_STEPS, SERUM_DAY3],
        products=["舒缓修护精华液"],
    )
    assert found(report, "truth.assumed_feeling") == [(5, 23, "warn")]
    assert text[5:23] == "你开始使用第3天时，发现脸还微微湿润"
    assert found(report, "truth.unsupported_effect") == [(24, 38, "warn")]
    assert text[24:38] == "这是舒缓修护精华液的初期效果"


def test_real_en_reply_puts_words_in_the_customers_mouth() -> None:
    text = (
        "Hi Sam, you mentioned feeling stiffness in the calves after your first runs. "
        "The first day of using it was challenging, but it will get easier."
    )
    report = care(text, lang="en", trigger="day3", sources=[SHOE_DAY3])
    assert found(report, "truth.invented_statement") == [(8, 75, "error")]
    assert text[8:75] == "you mentioned feeling stiffness in the calves after your first runs"
    assert found(report, "truth.assumed_feeling") == [(77, 118, "warn")]
    assert text[77:118] == "The first day of using it was challenging"
    assert report.verdict == Verdict.BLOCK


def test_real_en_reply_reverses_the_safety_statement() -> None:
    text = (
        "Hi Sam, your first runs felt a little stiff in the calves. Sharp pain, numb toes, or "
        "rubbing on the heel are normal when the drop differs from your old shoe."
    )
    report = care(text, lang="en", trigger="day3", safety=[SHOE_SAFETY], sources=[SHOE_DAY3])
    assert found(report, "truth.assumed_feeling") == [(8, 57, "warn")]
    assert found(report, "truth.safety_reversed") == [(59, 156, "error")]
    assert text[59:156].startswith("Sharp pain") and text[59:156].endswith("old shoe")
    f = next(f for f in report.findings if f.rule == "truth.safety_reversed")
    assert SHOE_SAFETY in f.message
    assert report.verdict == Verdict.BLOCK


# --- invented statements --------------------------------------------------------------------
def test_attribution_supported_by_what_the_customer_said_passes() -> None:
    said = ["这两天晚上饿得睡不着，是不是吃太少了？"]
    text = "李敏你好，你提到这两天晚上饿得睡不着，多半是主食减多了。"
    assert "truth.invented_statement" not in rules(
        care(text, trigger="question", customer_said=said)
    )
    invented = "李敏你好，你提到最近总是头疼，多半是主食减多了。"
    report = care(invented, trigger="question", customer_said=said)
    assert spans(report, invented, "truth.invented_statement") == ["你提到最近总是头疼"]


def test_attribution_en_supported_and_not() -> None:
    said = ["My calves are a bit stiff after two runs, is that normal?"]
    ok = "Hi Sam, you mentioned your calves feel a bit stiff after two runs."
    assert "truth.invented_statement" not in rules(
        care(ok, lang="en", trigger="question", customer_said=said)
    )
    bad = "Hi Emma, thanks for your feedback on the socks! We passed it on."
    report = care(bad, lang="en", trigger="day3")
    assert spans(report, bad, "truth.invented_statement") == [
        "thanks for your feedback on the socks"
    ]


def test_customer_tags_support_what_they_told_the_brand() -> None:
    customer = make_customer(tags={"concern": "换季两颊泛红"})
    text = "小雨，你之前说过换季时两颊容易泛红，这几天先停一下去角质。"
    assert "truth.invented_statement" not in rules(care(text, trigger="day3", customer=customer))
    assert "truth.invented_statement" in rules(care(text, trigger="day3"))


def test_without_a_plan_an_attribution_is_only_a_note() -> None:
    # A text checked on its own: nobody told the check what the customer said.
    text = "小雨，你上次反馈说乳液有点黏，谢谢你说出来。"
    report = care(text)
    assert found(report, "truth.invented_statement") == [(3, 14, "info")]
    assert report.verdict == Verdict.PASS
    en = "Happy birthday, Priya! A year ago you told us you couldn't run to the end of your street."
    assert found(care(en, lang="en"), "truth.invented_statement")[0][2] == "info"


def test_requests_and_conditions_are_not_attributions() -> None:
    for text in ("小林，欢迎你告诉我们哪里不好用。", "如果你提到的症状持续，请停用。"):
        assert "truth.invented_statement" not in rules(care(text, trigger="day3")), text
    for text in (
        "Hi Sam, please let us know how it went.",
        "If you told us before, sorry to ask again.",
    ):
        assert "truth.invented_statement" not in rules(care(text, lang="en", trigger="day3"))


# --- assumed feelings ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "lang", "span"),
    [
        ("小美，你一定很开心吧！蔬菜终于吃得完了。", "zh", "你一定很开心吧"),
        ("很高兴知道您正在努力照顾孩子。", "zh", "很高兴知道您正在努力照顾孩子"),
        ("Hi Grace, you must have felt great finishing your first 10K!", "en", None),
    ],
)
def test_assumed_feelings(text: str, lang: str, span: str | None) -> None:
    report = care(text, lang=lang, trigger="stage_up")
    got = spans(report, text, "truth.assumed_feeling")
    assert got and (span is None or got[0] == span)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("小林，精华用了三天，感觉怎么样？", "zh"),
        ("小林，你觉得脸还紧吗？", "zh"),
        ("如果你觉得紧，晚上多按一会儿。", "zh"),
        ("用到一半你会发现泛红小了一点。", "zh"),
        ("Hi Sam, how did the first runs feel?", "en"),
        ("If you felt any rubbing, loosen the laces.", "en"),
        ("Did you find the runner's loop?", "en"),
    ],
)
def test_asking_or_supposing_is_not_assuming(text: str, lang: str) -> None:
    assert "truth.assumed_feeling" not in rules(care(text, lang=lang, trigger="day3"))


def test_a_feeling_the_customer_reported_is_fine() -> None:
    said = ["用了三天，感觉脸没那么紧了"]
    text = "小林，听到你觉得脸没那么紧了，真为你高兴。"
    assert "truth.assumed_feeling" not in rules(care(text, trigger="question", customer_said=said))
    assert "truth.assumed_feeling" in rules(care(text, trigger="day3"))
    en_said = ["The first week was hard, my legs were sore every morning."]
    en = "Hi Priya, thanks for telling us the first week was hard."
    assert "truth.assumed_feeling" not in rules(
        care(en, lang="en", trigger="question", customer_said=en_said)
    )


# The program turned the model's "徐晨最近…" into 你 (two tier invitations a reader read): a
# wish, a plan or a feeling the customer's record does not hold, stated as fact.
WISHES = [
    (
        "zh",
        "徐晨你好，你最近在使用七谷杂粮饭包，感觉能量满满，希望和大家分享一些经验。",
        "你最近在使用七谷杂粮饭包，感觉能量满满",
    ),
    (
        "zh",
        "罗晓你好，你最近想和老学员一起开发食谱、带新营的小组，每月一次线下厨房日。",
        "你最近想和老学员一起开发食谱",
    ),
    ("zh", "小林，你一直打算换季前调整护肤步骤。", "你一直打算换季前调整护肤步骤"),
    ("en", "Hi Ben, you've been feeling stronger on your runs lately.", None),
    ("en", "Hi Ben, you want to run a 10K next spring, so here is a plan.", None),
    ("en", "Hi Ben, you'd love to lead a group for the new runners.", None),
    ("en", "Hi Ben, you're hoping to finish in under an hour.", None),
]


@pytest.mark.parametrize(("lang", "text", "span"), WISHES)
def test_wishes_and_plans_given_to_the_customer(lang: str, text: str, span: str | None) -> None:
    report = care(text, lang=lang, trigger="tier_invite")
    got = found(report, "truth.assumed_feeling")
    assert got and got[0][2] == "warn" and report.verdict == Verdict.REVIEW
    if span is not None:
        assert text[got[0][0] : got[0][1]] == span
    # the customer's own words hold it: no finding
    said = [text.split("，", 1)[-1] if lang == "zh" else text.split(", ", 1)[-1]]
    assert "truth.assumed_feeling" not in rules(
        care(text, lang=lang, trigger="question", customer_said=said)
    )


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("zh", "你觉得怎么样？"),
        ("zh", "小林，你感觉怎么样？"),
        ("zh", "你想试试吗？"),
        ("zh", "如果你想加入，回复我就好。"),
        ("zh", "想加入的话，你想什么时候来都行。"),
        ("zh", "你的感觉最重要。"),
        ("zh", "我们给你准备了一份菜单，帮你想想办法。"),
        ("zh", "慢慢来，就能得到你想要的结果。"),
        ("en", "Do you want to join us?"),
        ("en", "If you'd like, join us on Sunday."),
        ("en", "If you want to, reply YES."),
        ("en", "Come whenever you want to."),
        ("en", "Start slower than you want to."),
    ],
)
def test_asking_offering_or_supposing_a_wish_is_not_assuming(lang: str, text: str) -> None:
    assert "truth.assumed_feeling" not in rules(care(text, lang=lang, trigger="tier_invite"))


# --- phantom references ----------------------------------------------------------------------
def test_phantom_images_attachments_links_and_below() -> None:
    text = "小林，面霜的用法我整理成了一张图，详见附件。"
    assert spans(care(text), text, "truth.phantom_reference") == ["见附件"]
    link = "小林，小课堂回放整理好了，点击链接就能看。"
    assert spans(care(link), link, "truth.phantom_reference") == ["点击链接"]
    below = "小周，洁面后记得用温水，具体方法如下："
    assert spans(care(below), below, "truth.phantom_reference") == ["如下"]
    en = "Hi Tom, welcome! Click here to book your gait check. I've attached the guide."
    assert spans(care(en, lang="en"), en, "truth.phantom_reference") == [
        "Click here",
        "I've attached",
    ]


def test_real_links_and_real_lists_are_not_phantoms() -> None:
    link = "小林，回放在这里：https://qingshui.example.cn/class ，点击链接就能看。"
    assert "truth.phantom_reference" not in rules(care(link))
    steps = "小周，洁面的三个步骤如下：先用温水打湿脸，再取一颗黄豆大小的量揉开，最后冲干净。"
    assert "truth.phantom_reference" not in rules(care(steps))
    en = "Hi Jamal, this week's plan is as follows: Tue 30 min easy, Thu 5 x 3 min steady."
    assert "truth.phantom_reference" not in rules(care(en, lang="en"))


def test_the_brands_own_unsubscribe_line_is_not_a_phantom() -> None:
    brand = make_brand(
        "en",
        email={
            "sender": "Maya <m@x.io>",
            "unsubscribe": "Don't want these emails? Use the link below.",
        },
    )
    text = "Hi Emma, how are the shoes?\nMaya\nDon't want these emails? Use the link below."
    report = run(text, lang="en", kind="aftersale_email", channel="email", brand=brand)
    assert "truth.phantom_reference" not in rules(report)


def test_bracketed_placeholders_block() -> None:
    text = "小林，用法看这里：[图片] 还有 [视频链接]。"
    report = care(text)
    assert found(report, "truth.phantom_reference") == [(9, 13, "error"), (17, 23, "error")]
    assert report.verdict == Verdict.BLOCK
    en = "Hi Sam, here is how to lace them: [image of the runner's loop]"
    assert found(care(en, lang="en"), "truth.phantom_reference")[0][2] == "error"


# --- safety statements -----------------------------------------------------------------------
def test_safety_reversed_in_chinese() -> None:
    text = "小雨，精华用了三天，脸有点发红发烫是正常的，说明成分在起作用，坚持用就好。"
    report = care(text, trigger="day3", safety=[SERUM_SAFETY], sources=[SERUM_DAY3, SERUM_WHAT])
    assert spans(report, text, "truth.safety_reversed") == [
        "脸有点发红发烫是正常的，说明成分在起作用，坚持用就好"
    ]
    assert spans(report, text, "truth.unsupported_effect") == ["说明成分在起作用"]
    assert report.verdict == Verdict.BLOCK
    cream = "小林，面霜刚开始用有点刺痛很常见，过几天会慢慢消失的。"
    assert "truth.safety_reversed" in rules(care(cream, trigger="day3", safety=[CREAM_SAFETY]))


def test_safety_quoted_verbatim_or_faithfully_passes() -> None:
    verbatim = "小林，面霜早晚各用一次。如果出现持续的刺痛、红疹，请停用并告诉我们。"
    faithful = "小林，如果持续发红发烫，就先停用，然后告诉我们。"
    negated = "小林，持续发红发烫是不正常的，请停用并告诉我们。"
    for text, safety in (
        (verbatim, CREAM_SAFETY),
        (faithful, SERUM_SAFETY),
        (negated, SERUM_SAFETY),
    ):
        report = care(text, trigger="day3", safety=[safety])
        assert not {"truth.safety_reversed", "truth.safety_paraphrased"} & rules(report), text
    en = "Hi Sam, a little calf stiffness is normal. " + SHOE_SAFETY
    assert not {"truth.safety_reversed", "truth.safety_paraphrased"} & rules(
        care(en, lang="en", trigger="day3", safety=[SHOE_SAFETY])
    )


def test_safety_paraphrased_warns() -> None:
    text = "小林，面霜用着要是有点刺痛，先少抹一点，再观察几天。"
    report = care(text, trigger="day3", safety=[CREAM_SAFETY])
    assert found(report, "truth.safety_paraphrased") == [(3, 25, "warn")]
    assert text[3:25] == "面霜用着要是有点刺痛，先少抹一点，再观察几天"
    en = "Hi Sam, if you get any sharp pain on the heel, try loosening the laces a little."
    report = care(en, lang="en", trigger="day3", safety=[SHOE_SAFETY])
    assert spans(report, en, "truth.safety_paraphrased") == [
        "if you get any sharp pain on the heel, try loosening the laces a little"
    ]


def test_no_safety_statements_no_safety_findings() -> None:
    text = "小雨，脸有点发红发烫是正常的。"
    assert not {"truth.safety_reversed", "truth.safety_paraphrased"} & rules(care(text))


# --- effects -------------------------------------------------------------------------------
def test_effect_in_the_sources_passes_and_one_not_in_them_warns() -> None:
    ok = "小林，精华早晚各用一次，坚持用，能改善换季时的紧绷和泛红。"
    assert "truth.unsupported_effect" not in rules(care(ok, sources=[SERUM_WHAT]))
    bad = "小林，这款精华会让你的皮肤变得白皙透亮。"
    assert spans(care(bad, sources=[SERUM_WHAT]), bad, "truth.unsupported_effect") == [
        "这款精华会让你的皮肤变得白皙透亮"
    ]
    en = (
        "Hi Sam, tired legs? That means the shoes are working. "
        "The cushioning will make your knees stronger."
    )
    assert spans(care(en, lang="en", sources=[SHOE_WHAT]), en, "truth.unsupported_effect") == [
        "That means the shoes are working",
        "The cushioning will make your knees stronger",
    ]


def test_effects_are_not_judged_without_sources() -> None:
    assert "truth.unsupported_effect" not in rules(care("这是精华的初期效果。"))


def test_findings_speak_the_texts_language() -> None:
    en = care("Click here for the video.", lang="en").findings
    zh = care("点击链接看视频。").findings
    assert all(f.severity != Severity.ERROR for f in en + zh)
    assert "link" in next(f for f in en if f.rule == "truth.phantom_reference").message
    assert "链接" in next(f for f in zh if f.rule == "truth.phantom_reference").message


def test_an_sms_signature_is_not_a_placeholder() -> None:
    text = "【图图童装】小周，孩子的新外套穿着合身吗？回复TD退订"
    assert "truth.phantom_reference" not in rules(run(text, kind="care_message", channel="sms"))
    inside = "小周，尺码表在这里【尺码表图片】，有问题问我。"
    assert "truth.phantom_reference" in rules(run(inside, kind="care_message"))


def test_every_phantom_entry_holds_a_cue() -> None:
    """A text without any cue word skips the phantom scans: every entry must hold one."""
    truth = load("truth")
    cues = truth["phantom_cue"].split("|")
    for key in ("phantom_image", "phantom_link", "phantom_below"):
        for lang in ("zh", "en"):
            for entry in truth[key][lang]:
                assert any(c in entry.lower() for c in cues), (key, entry)


@pytest.mark.parametrize(
    ("lang", "text", "word"),
    [
        ("zh", "林小雨你好，生日快乐！最近吃饭怎么样？", "生日"),
        ("en", "Hi Kate, happy birthday! How are the runs going?", "birthday"),
    ],
)
def test_a_birthday_wish_with_no_birthday_on_record_goes_to_an_editor(
    lang: str, text: str, word: str
) -> None:
    """A reader: 唐果 had no birthday on record and was wished 生日快乐 on an arbitrary day."""
    unknown = run(text, lang=lang, trigger="birthday", customer=make_customer())
    found = [f for f in unknown.findings if f.rule == "truth.unknown_birthday"]
    assert len(found) == 1 and found[0].severity == Severity.WARN
    assert text[found[0].start : found[0].end].lower() == word
    assert unknown.verdict == Verdict.REVIEW
    known = make_customer(birthday="1995-06-18")
    assert "truth.unknown_birthday" not in rules(
        run(text, lang=lang, trigger="birthday", customer=known)
    )
    assert "truth.unknown_birthday" not in rules(
        run(text, lang=lang, trigger="long_silence", customer=make_customer())
    )
