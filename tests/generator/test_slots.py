"""generator.slots on its own: the layouts per kind and moment, the fixed parts the program
writes, the slots' caps and fallbacks, assembling (with spans that index the text), tidying a
capped model's sentence, and the gates a model-written slot must pass, in Chinese and English."""

from __future__ import annotations

import re

import pytest

from generator import slots as S
from generator.drafts import Plan
from generator.slots import (
    GATE_MESSAGES,
    Assembled,
    Fixed,
    Layout,
    Slot,
    answer_sentence,
    assemble,
    drops_condition,
    first_name,
    gate,
    layout_for,
    slot_schema,
    slot_tokens,
    tidy,
    tip_sentence,
    to_second_person,
)
from knowledge.guides import moment_item
from knowledge.loader import load_pack
from tests.conftest import EXAMPLES

ZH_TIP = "第 3 天：多数人会觉得洗完脸没那么紧了。如果有轻微刺痒，先减到每次 4–5 滴、只晚上用。"
EN_TIP = "Day 3: after your first runs, check for hot spots on the toes and heel. None? Great."
ZH_SAFETY = "持续发红发烫就停用，告诉我们。"
EN_SAFETY = "Sharp pain or numb toes are not normal: stop and tell us."
ZH_BELIEF = "能少加一种成分，就少加一种。"
EN_BELIEF = "We fit shoes to how you run, not to what is new this season."


def _plan(
    kind: str = "care_message",
    trigger: str = "day3",
    *,
    lang: str = "zh",
    name: str | None = None,
    product: str | None = None,
    days: int | None = 3,
    channel: str = "wechat",
) -> Plan:
    zh = lang == "zh"
    facts: dict[str, str] = {}
    name = ("许晴" if zh else "Emma Clarke") if name is None else name
    product = ("舒缓修护精华液" if zh else "Cadence road shoe") if product is None else product
    if name:
        facts["name"] = name
    if product:
        facts["product"] = product
    return Plan(
        stage="getting_to_know",
        stage_name="相知" if zh else "Getting to know",
        trigger=trigger,
        channel=channel,
        goal="g",
        kind=kind,
        lang=lang,
        days_since_purchase=days,
        facts=facts,
    )


def _layout(plan: Plan, **kw: object) -> Layout:
    zh = plan.lang == "zh"
    args: dict[str, object] = {
        "model_words": True,  # these tests are about the model's slots; see the plain ones below
        "tip": ZH_TIP if zh else EN_TIP,
        "safety": [ZH_SAFETY if zh else EN_SAFETY],
        "belief": ZH_BELIEF if zh else EN_BELIEF,
        "brand_name": "青水肌研" if zh else "Stride & Co.",
    }
    args.update(kw)
    return layout_for(plan, **args)  # type: ignore[arg-type]


def _names(layout: Layout) -> list[str]:
    return [p.name for p in layout.parts]


def _spans_hold(assembled: Assembled) -> None:
    for part in assembled.parts:
        if part.name == "subject":  # the subject is not in the body text
            assert (part.start, part.end) == (0, 0)
            continue
        assert assembled.text[part.start : part.end] == part.text, part


def _gate(slot: Slot, text: str, lang: str = "zh", **kw: object) -> list[str]:
    args: dict[str, object] = {"names": [], "tip": None, "belief": None, **kw}
    return gate(slot, text, lang=lang, **args)  # type: ignore[arg-type]


# --- slots, caps, fallbacks ---------------------------------------------------------------------


def test_a_slot_speaks_the_language_it_is_asked_in() -> None:
    assert S.TIP.instruction("zh") == S.TIP.zh and S.TIP.instruction("en") == S.TIP.en
    assert (S.TIP.cap("zh"), S.TIP.cap("en")) == (60, 220)
    assert (S.QUESTION.cap("zh"), S.QUESTION.cap("en")) == (30, 100)
    assert S.QUESTION.question and S.INVITE.question and not S.TIP.question
    # the plain question is the moment's: "这几天" on day 3, "用到现在" later
    assert S.QUESTION.fallback("zh", {"question_line": "这几天用下来，感觉怎么样？"}) == (
        "这几天用下来，感觉怎么样？"
    )
    day3 = _layout(_plan(trigger="day3", lang="en")).values["question_line"]
    later = _layout(_plan(trigger="almost_finished")).values["question_line"]
    assert (day3, later) == ("How have the first days been?", "用到现在，感觉怎么样？")


def test_a_fallback_is_filled_from_the_values_and_unknown_ones_are_blank() -> None:
    values = {"product": "舒缓修护精华液", "brand": "青水肌研"}
    assert (
        S.WELCOME.fallback("en", {"brand": "Stride"})
        == "Welcome to Stride; we're glad to meet you."
    )
    assert S.WELCOME.fallback("zh", values) == "欢迎来到青水肌研，很高兴认识你。"
    slot = Slot("x", "", "", 10, 10, "{missing}好", "{missing}ok")
    assert slot.fallback("zh", {}) == "好" and slot.fallback("en", {}) == "ok"


def test_slot_schema_caps_every_slot_and_requires_it() -> None:
    schema = slot_schema([S.TIP, S.QUESTION], "zh")
    assert schema["required"] == ["tip", "question"]
    assert schema["properties"]["tip"] == {"type": "string", "minLength": 2, "maxLength": 60}
    en = slot_schema([S.TIP, S.QUESTION], "en")
    assert en["properties"]["tip"]["maxLength"] == 220
    assert en["properties"]["question"]["maxLength"] == 100


def test_slot_tokens_grow_with_the_caps() -> None:
    one, two = slot_tokens([S.TIP], "zh"), slot_tokens([S.TIP, S.QUESTION], "zh")
    assert one >= 60 and two > one  # at least a token per Chinese character
    assert 0 < slot_tokens([S.TIP], "en") < S.TIP.cap("en")  # ~3 English characters a token


def test_every_gate_reason_has_a_message_in_both_languages() -> None:
    reasons = {
        "empty",
        "third_person",
        "tip_unfaithful",
        "restates_belief",
        "no_question",
        "copies_prompt",
        "duplicate",
        "customer_voice",
        "not_a_wish",
        "mentions_product",
        "drops_condition",
        "stock_phrase",
        "broken",
        "asks_known",
        "wrong_moment",
        "off_subject",
        "invented_quote",
        "ungrounded",
        "not_an_answer",
    }
    assert set(GATE_MESSAGES["zh"]) == reasons == set(GATE_MESSAGES["en"])


# --- names and the tip's plain sentence ----------------------------------------------------------


def test_first_name() -> None:
    assert first_name(" 许晴 ", "zh") == "许晴"  # a Chinese name is said whole
    assert first_name("Emma Clarke", "en") == "Emma"
    assert first_name("Emma", "en") == "Emma"
    assert first_name("", "en") == ""


def test_tip_sentence_is_the_guides_advice_without_its_label() -> None:
    # what most people notice, then what to do if it is not so: both fit, both are said
    assert tip_sentence(ZH_TIP, "zh", 60) == (
        "多数人会觉得洗完脸没那么紧了。如果有轻微刺痒，先减到每次 4–5 滴、只晚上用。"
    )
    assert tip_sentence(ZH_TIP, "zh", 20) == "多数人会觉得洗完脸没那么紧了。"  # the cap decides
    assert tip_sentence(EN_TIP, "en", 220) == (
        "after your first runs, check for hot spots on the toes and heel."  # not "None?"
    )
    assert tip_sentence("用到一半（约第 15 天）：可以对着自然光看看两颊。再等等。", "zh", 60) == (
        "可以对着自然光看看两颊。再等等。"  # a short one keeps the next
    )
    assert tip_sentence("早晚各一次", "zh", 60) == "早晚各一次"  # no sentence end: the whole


@pytest.mark.parametrize(
    ("lang", "text", "said"),
    [
        # what many people notice sets up what to do: the advice with its lead-in
        (
            "zh",
            "第 3 天：很多人会觉得“蔬菜吃不完”。不用硬塞，先把蔬菜加到一捧半，第二周再加。\n"
            "如果晚上饿得睡不着，说明主食减多了，明天把主食加回一拳。",
            "很多人会觉得“蔬菜吃不完”。不用硬塞，先把蔬菜加到一捧半，第二周再加。",
        ),
        # a line wrap of the guide leaves no space behind a Chinese comma
        (
            "zh",
            "快用完时（约第 25 天）：回想一下这一个月皮肤的状态。如果已经稳定，\n"
            "  可以改成只晚上用。",
            "回想一下这一个月皮肤的状态。如果已经稳定，可以改成只晚上用。",
        ),
        # "能的话" answers the question before it: the question stays
        (
            "zh",
            "快用完时：回头看看这两个月，早上是不是已经可以只用清水？能的话，下一支会用得更久。",
            "回头看看这两个月，早上是不是已经可以只用清水？能的话，下一支会用得更久。",
        ),
        # the guide's question is not the tip; the sentence that says what is normal is
        (
            "en",
            "Day 3: how did the first runs feel? A little stiffness in the calves is normal when "
            "the drop differs from your old shoe.",
            "A little stiffness in the calves is normal when the drop differs from your old shoe.",
        ),
        # a check to make keeps the "if" sentence that says what it means ...
        (
            "en",
            "Nearly worn (about day 100): hold each pair up to the light. If the heel is "
            "see-through, retire that pair to walking duty.",
            "hold each pair up to the light. If the heel is see-through, retire that pair to "
            "walking duty.",
        ),
        # ... even past 25 words: "press your thumb into the midsole" alone says nothing to
        # look for (a reader's REWRITE); the checks let the moment's tip be quoted
        (
            "en",
            "Nearly worn (about day 150): press your thumb into the midsole from the side. If it "
            "has deep creases and feels flat, or your legs ache after runs that used to feel easy, "
            "it is time to think about a new pair.",
            "press your thumb into the midsole from the side. If it has deep creases and feels "
            "flat, or your legs ache after runs that used to feel easy, it is time to think about "
            "a new pair.",
        ),
        # the other "if" of a pair goes with the first
        (
            "zh",
            "快用完时（约第 25 天）：回想一下这一个月皮肤的状态。如果已经稳定，可以改成只晚上用，"
            "一瓶能用到六周左右；如果还在换季，就按原来的节奏再用一轮。",
            "回想一下这一个月皮肤的状态。如果已经稳定，可以改成只晚上用，一瓶能用到六周左右；"
            "如果还在换季，就按原来的节奏再用一轮。",
        ),
        # a short rhetorical question before the advice stays with it
        (
            "en",
            "Day 3: you have done one or two sessions. Sore calves? Totally normal; walk more in "
            "the next one.",
            "Sore calves? Totally normal; walk more in the next one.",
        ),
    ],
)
def test_tip_sentence_says_what_to_do(lang: str, text: str, said: str) -> None:
    assert tip_sentence(text, lang, S.TIP.cap(lang)) == said


def test_tip_sentence_gives_way_to_the_if_sentence_when_both_do_not_fit() -> None:
    text = (
        "快用完时：回想一下这一个月皮肤的状态。如果已经稳定，可以改成只晚上用，一瓶能用到六周左右。"
    )
    assert tip_sentence(text, "zh", 35) == "如果已经稳定，可以改成只晚上用，一瓶能用到六周左右。"


def test_tip_sentence_longer_than_the_cap_is_cut_at_its_last_clause() -> None:
    long = "洗完后十分钟摸摸脸，不紧绷就说明清洁力刚刚好，觉得紧就把打圈时间缩短到十五秒。"
    cut = tip_sentence(long, "zh", 30)
    assert cut == "洗完后十分钟摸摸脸，不紧绷就说明清洁力刚刚好，"
    assert len(cut) <= 30
    en = "Hold each pair up to the light, look at the heel, and keep an eye on thin patches."
    assert tip_sentence(en, "en", 50) == "Hold each pair up to the light, look at the heel,"
    no_clause = "一二三四五六七八九十一二三四五六七八九十。"
    assert tip_sentence(no_clause, "zh", 8) == "一二三四五六七八"  # nowhere to cut: the cap


@pytest.mark.parametrize(
    ("guide", "trigger"),
    [("guide-road-shoe", "half_used"), ("guide-merino-socks", "almost_finished")],
)
def test_tip_sentence_drops_the_longer_english_labels_of_the_example_guides(
    guide: str, trigger: str
) -> None:
    item = moment_item(load_pack(EXAMPLES / "stride").doc(guide), trigger)
    assert item is not None
    said = tip_sentence(item.text, "en", S.TIP.cap("en"))
    assert not said.startswith(("Halfway", "Nearly worn")), said


# --- layouts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    ("trigger", "names"),
    [
        ("day3", ["greeting", "opening", "tip", "safety", "question"]),
        ("half_used", ["greeting", "opening", "tip", "safety", "question"]),
        ("almost_finished", ["greeting", "opening", "tip", "safety", "question"]),
        ("after_purchase", ["greeting", "opening", "tip", "safety", "question"]),
        ("birthday", ["greeting", "wish"]),
        ("long_silence", ["greeting", "hello", "offer"]),
        ("stage_up", ["greeting", "thanks", "next"]),
        ("question", ["greeting", "answer", "safety", "offer"]),
        ("welcome", ["greeting", "opening", "tip", "safety", "offer"]),
    ],
)
def test_care_message_layout_per_moment(lang: str, trigger: str, names: list[str]) -> None:
    layout = _layout(_plan(trigger=trigger, lang=lang))
    assert _names(layout) == names
    assert layout.paragraphs == ()
    assert all(
        p.name in ("greeting", "opening", "safety") for p in layout.parts if isinstance(p, Fixed)
    )
    if trigger == "welcome":  # a slot the model may word (ZHENXIN_WORDING=model), plain else
        assert isinstance(layout.parts[1], Slot) and layout.parts[1].plain


@pytest.mark.parametrize(
    ("trigger", "lang", "opening"),
    [
        ("day3", "zh", "舒缓修护精华液用到第3天了。"),
        ("half_used", "zh", "舒缓修护精华液差不多用到一半了。"),
        ("almost_finished", "zh", "舒缓修护精华液应该快用完了。"),
        ("after_purchase", "zh", "舒缓修护精华液到你手上有3天了。"),
        ("day3", "en", "It's day 3 with your Cadence road shoe."),
        # a shoe wears out (see test_something_worn_is_not_nearly_finished)
        (
            "half_used",
            "en",
            "It's been 3 days with your Cadence road shoe: about the halfway point.",
        ),
        (
            "almost_finished",
            "en",
            "It's been 3 days with your Cadence road shoe: around when wear shows.",
        ),
        ("after_purchase", "en", "It's been 3 days since your Cadence road shoe arrived."),
        ("monthly", "zh", "舒缓修护精华液到你手上有3天了。"),  # another moment: after purchase
    ],
)
def test_the_opening_is_written_by_the_program_from_the_facts(
    trigger: str, lang: str, opening: str
) -> None:
    layout = _layout(_plan(trigger=trigger, lang=lang))
    fixed = next(p for p in layout.parts if p.name == "opening")
    assert isinstance(fixed, Fixed) and fixed.text == opening


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("trigger", ["day3", "after_purchase"])
def test_no_opening_with_blank_facts(lang: str, trigger: str) -> None:
    layout = _layout(_plan(trigger=trigger, lang=lang, product="", days=None), tip=None)
    text = assemble(layout, {}, lang=lang).text
    assert not re.search(r"第天|有天|day with|for days", text), text


def test_greetings() -> None:
    def greeting(plan: Plan) -> str:
        part = _layout(plan).parts[0 if plan.kind != "aftersale_email" else 1]
        assert isinstance(part, Fixed) and part.name == "greeting"
        return part.text

    assert greeting(_plan()) == "许晴你好，"
    assert greeting(_plan(lang="en")) == "Hi Emma,\n"  # the first name only
    assert greeting(_plan(kind="aftersale_email")) == "许晴你好："
    assert greeting(_plan(kind="aftersale_email", lang="en")) == "Hi Emma,"
    assert greeting(_plan(name="")) == "你好，"  # nobody to name
    assert greeting(_plan(name="", lang="en")) == "Hi,\n"


def test_the_safety_statement_is_quoted_after_the_tip_verbatim() -> None:
    two = ["持续发红发烫就停用，告诉我们。", "皮肤有破损时，先问医生再用。"]
    layout = _layout(_plan(), safety=two)
    assert _names(layout) == ["greeting", "opening", "tip", "safety", "safety", "question"]
    quoted = [p for p in layout.parts if p.name == "safety"]
    assert all(isinstance(p, Fixed) for p in quoted) and [p.text for p in quoted] == two  # type: ignore[union-attr]
    text = assemble(layout, {}, lang="zh").text
    assert "告诉我们。皮肤有破损时，先问医生再用。" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_without_a_tip_there_is_neither_tip_nor_safety(lang: str) -> None:
    layout = _layout(_plan(lang=lang), tip=None)
    assert _names(layout) == ["greeting", "opening", "question"]
    welcome = _layout(_plan(trigger="welcome", lang=lang), tip=None)
    assert _names(welcome) == ["greeting", "opening", "offer"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_aftersale_email_carries_its_belief_as_written(lang: str) -> None:
    layout = _layout(_plan(kind="aftersale_email", lang=lang, channel="email"))
    assert _names(layout) == [
        "subject",
        "greeting",
        "opening",
        "tip",
        "safety",
        "bridge",
        "belief",
        "feedback",
    ]
    assert layout.paragraphs == ("greeting", "safety", "tip", "belief")
    belief = next(p for p in layout.parts if p.name == "belief")
    assert isinstance(belief, Fixed) and belief.text == (ZH_BELIEF if lang == "zh" else EN_BELIEF)
    bare = _layout(_plan(kind="aftersale_email", lang=lang), tip=None, belief=None)
    assert _names(bare) == ["subject", "greeting", "opening", "feedback"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_tier_invitation_quotes_the_tiers_description(lang: str) -> None:
    tier = ("老朋友群", "一起试新配方。") if lang == "zh" else ("Old friends", "we test new shoes.")
    layout = _layout(_plan(kind="tier_invitation", trigger="tier_invite", lang=lang), tier=tier)
    assert _names(layout) == ["greeting", "why", "tier", "invite", "no_pressure"]
    fixed = next(p for p in layout.parts if p.name == "tier")
    assert isinstance(fixed, Fixed)
    assert fixed.text == (
        "我们有个小圈子叫「老朋友群」（一起试新配方）。"
        if lang == "zh"
        else "We have a small circle called Old friends (we test new shoes)."
    )


@pytest.mark.parametrize(
    ("name", "description", "lang", "said"),
    [
        (
            "新人群",
            "刚认识的朋友。群里只聊怎么用、用得怎么样。",
            "zh",
            "我们有个小圈子叫「新人群」（刚认识的朋友）。群里只聊怎么用、用得怎么样。",
        ),
        (  # "「新朋友群」（刚认识的朋友）" would say 朋友 twice: the opening phrase goes
            "新朋友群",
            "刚认识的朋友。群里只聊怎么用、用得怎么样。",
            "zh",
            "我们有个小圈子叫「新朋友群」。群里只聊怎么用、用得怎么样。",
        ),
        (  # a long opening is not a bracket: it follows the name as written
            "共创官",
            "参与试用和配方讨论的小圈子，每季度一次线上共创会。",
            "zh",
            "我们有个小圈子叫「共创官」。参与试用和配方讨论的小圈子，每季度一次线上共创会。",
        ),
        (
            "Rookie",
            "New runners and the 10K beginner plan group. Run-walk welcome.",
            "en",
            "We have a small circle called Rookie (new runners and the 10K beginner plan group). "
            "Run-walk welcome.",
        ),
        ("Pro", "", "en", "We have a small circle called Pro."),
    ],
)
def test_a_tier_is_said_as_a_sentence_not_pasted_after_a_colon(
    name: str, description: str, lang: str, said: str
) -> None:
    from generator.slots import tier_line

    assert tier_line(name, description, lang) == said


def test_layout_values_feed_the_fallbacks() -> None:
    values = _layout(_plan(trigger="question"), answer="可以每天用。敏感肌也可以。").values
    assert values["name"] == "许晴" and values["product"] == "舒缓修护精华液"
    assert values["days"] == 3 and values["brand"] == "青水肌研"
    assert values["tip_sentence"] == (
        "多数人会觉得洗完脸没那么紧了。如果有轻微刺痒，先减到每次 4–5 滴、只晚上用。"
    )
    assert values["answer_sentence"] == "可以每天用。敏感肌也可以。"
    unanswered = _layout(_plan(trigger="question", lang="en", product="")).values
    assert unanswered["answer_sentence"] == "Let me check and get back to you."
    assert unanswered["product"] == "order" and unanswered["name"] == "Emma"
    assert _layout(_plan(product="", trigger="question")).values["product"] == "产品"


# --- assembling -------------------------------------------------------------------------------


def test_assemble_a_care_message_in_chinese() -> None:
    layout = _layout(_plan())
    written = {"tip": "洗完脸看看紧不紧", "question": "最近用得怎么样"}
    got = assemble(layout, written, lang="zh")
    assert got.text == (
        "许晴你好，舒缓修护精华液用到第3天了。洗完脸看看紧不紧。"
        "持续发红发烫就停用，告诉我们。最近用得怎么样？"
    )
    assert [(p.name, p.source) for p in got.parts] == [
        ("greeting", "fixed"),
        ("opening", "fixed"),
        ("tip", "model"),
        ("safety", "fixed"),
        ("question", "model"),
    ]
    _spans_hold(got)


def test_assemble_a_care_message_in_english() -> None:
    layout = _layout(_plan(lang="en"))
    written = {"tip": "Check your toes for hot spots", "question": "how did the first run feel"}
    got = assemble(layout, written, lang="en")
    assert got.text == (
        "Hi Emma,\nIt's day 3 with your Cadence road shoe. Check your toes for hot spots. "
        "Sharp pain or numb toes are not normal: stop and tell us. How did the first run feel?"
    )
    _spans_hold(got)


def test_missing_blank_or_named_slots_take_their_fallback() -> None:
    layout = _layout(_plan())
    got = assemble(layout, {"tip": "  ", "question": "还顺手吗？"}, lang="zh")
    tip = next(p for p in got.parts if p.name == "tip")
    assert tip.source == "fallback" and tip.text.startswith("多数人会觉得洗完脸没那么紧了。如果")
    forced = assemble(
        layout, {"tip": "看看紧不紧", "question": "还顺手吗？"}, lang="zh", fallbacks={"question"}
    )
    question = next(p for p in forced.parts if p.name == "question")
    assert question.source == "fallback" and question.text == "这几天用下来，感觉怎么样？"
    assert next(p for p in forced.parts if p.name == "tip").source == "model"
    _spans_hold(got)
    _spans_hold(forced)


@pytest.mark.parametrize(
    ("slot", "written", "lang", "said"),
    [
        ("question", "最近用得怎么样", "zh", "最近用得怎么样？"),  # asks: a question mark
        ("question", "有空跟我说说", "zh", "有空跟我说说。"),  # does not ask: a full stop
        ("question", "还顺手吗，", "zh", "还顺手吗？"),  # a dangling comma goes
        ("tip", "洗完看看紧不紧；", "zh", "洗完看看紧不紧。"),
        ("tip", "洗完看看紧不紧！", "zh", "洗完看看紧不紧！"),
        ("question", "how has it been", "en", "How has it been?"),
        ("question", "Tell me how it goes", "en", "Tell me how it goes."),
        ("tip", "Check  the\nheel,", "en", "Check the heel."),
        ("tip", "Check the heel!", "en", "Check the heel!"),
    ],
)
def test_a_slot_becomes_a_finished_sentence(slot: str, written: str, lang: str, said: str) -> None:
    layout = _layout(_plan(lang=lang), tip="看看。" if lang == "zh" else "Look.")
    other = "tip" if slot == "question" else "question"
    got = assemble(layout, {slot: written, other: "好的好的"}, lang=lang)
    assert next(p for p in got.parts if p.name == slot).text == said
    _spans_hold(got)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_email_is_assembled_in_paragraphs_with_its_subject_apart(lang: str) -> None:
    zh = lang == "zh"
    layout = _layout(_plan(kind="aftersale_email", lang=lang, channel="email"))
    written = (
        {
            "subject": " 精华用到第三天了。",
            "tip": "洗完脸看看紧不紧",
            "bridge": "这也是我们一直相信的：",
            "feedback": "哪里不顺手都告诉我们",
        }
        if zh
        else {
            "subject": "Day three.",
            "tip": "Check your toes for hot spots",
            "bridge": "It comes from something we believe:",
            "feedback": "Tell us how it goes",
        }
    )
    got = assemble(layout, written, lang=lang)
    subject = got.parts[0]
    assert subject.name == "subject" and subject.text == ("精华用到第三天了" if zh else "Day three")
    assert subject.text not in got.text  # the subject is not part of the body
    if zh:
        assert got.text == (
            "许晴你好：\n\n舒缓修护精华液用到第3天了。洗完脸看看紧不紧。\n\n"
            "持续发红发烫就停用，告诉我们。\n\n"
            "这也是我们一直相信的：能少加一种成分，就少加一种。\n\n哪里不顺手都告诉我们。"
        )
    else:
        assert got.text == (
            "Hi Emma,\n\nIt's day 3 with your Cadence road shoe. Check your toes for hot spots.\n\n"
            "Sharp pain or numb toes are not normal: stop and tell us.\n\n"
            "It comes from something we believe: We fit shoes to how you run, not to what is new "
            "this season.\n\nTell us how it goes."
        )
    belief = next(p for p in got.parts if p.name == "belief")
    assert belief.source == "fixed"
    _spans_hold(got)


def test_an_english_belief_in_a_chinese_draft_is_spaced() -> None:
    layout = _layout(_plan(kind="aftersale_email"), tip=None, belief="Less is more.")
    got = assemble(
        layout, {"subject": "小提醒", "bridge": "这是我们的想法", "feedback": "告诉我们"}, lang="zh"
    )
    assert "这是我们的想法。 Less is more.\n\n告诉我们。" in got.text
    _spans_hold(got)


def test_an_empty_fixed_part_is_left_out() -> None:
    layout = Layout([Fixed("greeting", "你好，"), Fixed("safety", ""), S.QUESTION])
    got = assemble(layout, {"question": "还好吗"}, lang="zh")
    assert got.text == "你好，还好吗？" and [p.name for p in got.parts] == ["greeting", "question"]
    _spans_hold(got)


def test_part_at_finds_the_part_a_span_falls_in() -> None:
    got = assemble(_layout(_plan()), {"tip": "洗完脸看看紧不紧", "question": "还好吗"}, lang="zh")
    tip = next(p for p in got.parts if p.name == "tip")
    assert got.part_at(tip.start, tip.end) == tip
    assert got.part_at(tip.start + 1, tip.start + 2) == tip
    assert got.part_at(tip.start - 1, tip.end) is None  # across two parts
    assert got.part_at(tip.start, tip.start) is None  # an empty span
    assert got.part_at(len(got.text) + 5, len(got.text) + 6) is None


# --- tidying ----------------------------------------------------------------------------------


def test_tidy_drops_a_leading_vocative() -> None:
    assert tidy("许晴，这几天对着自然光看看两颊。", name="许晴") == "这几天对着自然光看看两颊。"
    assert tidy("Emma, check your toes for hot spots.", name="Emma") == (
        "check your toes for hot spots."
    )
    assert tidy("许晴说这几天好多了。", name="许晴") == "许晴说这几天好多了。"  # not a vocative
    assert tidy("Emmanuel, hi there.", name="Emma") == "Emmanuel, hi there."


def test_tidy_drops_a_moment_label() -> None:
    assert (
        tidy("第 3 天：多数人会觉得洗完脸没那么紧了。", name="") == "多数人会觉得洗完脸没那么紧了。"
    )
    assert (
        tidy("Day 3: check your toes for hot spots.", name="") == "check your toes for hot spots."
    )
    assert tidy("第3天：还好吗", name="") == "第3天：还好吗"  # too short to be label + sentence


def test_tidy_cuts_a_capped_sentence_back_to_its_last_end() -> None:
    zh = "对着自然光看看两颊，泛红面积是不是小了一点。可以改成只晚上用一瓶能用到六周左右如果还在"
    assert tidy(zh, name="", cap=len(zh)) == "对着自然光看看两颊，泛红面积是不是小了一点。"
    en = "Check the outsole under the ball of the foot. Even wear is good and if one side is wear"
    assert tidy(en, name="", cap=len(en) + 1) == "Check the outsole under the ball of the foot."
    clause = (
        "对着自然光看看两颊，泛红面积是不是小了一点，可以改成只晚上用一瓶能用到六周左右如果还在"
    )
    assert tidy(clause, name="", cap=len(clause)) == "对着自然光看看两颊，泛红面积是不是小了一点"
    en_clause = (
        "Check the outsole under the ball of the foot, and the outer heel, even wear is good and"
    )
    assert tidy(en_clause, name="", cap=len(en_clause)) == (
        "Check the outsole under the ball of the foot, and the outer heel"
    )
    short = "对着自然光看看两颊，泛红面积是不是小了一点"
    assert tidy(short, name="", cap=60) == short  # far from the cap: left whole


def test_tidy_keeps_one_of_a_sentence_said_twice_in_a_row() -> None:
    assert tidy("看看两颊。看看两颊。最近怎么样？", name="") == "看看两颊。最近怎么样？"
    assert tidy("Check the heel. Check the heel. How is it?", name="") == (
        "Check the heel. How is it?"
    )
    assert tidy("看看两颊。还好吗？看看两颊。", name="") == "看看两颊。还好吗？看看两颊。"
    assert tidy("  多 空格\n 换行  ", name="") == "多 空格 换行"


@pytest.mark.parametrize(
    ("text", "cap"),
    [("谢谢你一直以来的信任。有空聊聊", 50), ("Thanks for running with us. See you", 160)],
)
def test_tidy_keeps_a_short_last_sentence_below_the_cap(text: str, cap: int) -> None:
    assert tidy(text, name="", cap=cap).endswith(("有空聊聊", "See you"))


def test_tidy_keeps_a_prefix_that_is_not_a_moment_label() -> None:
    assert tidy("早晚各一次：先洁面，再用精华。", name="") == "早晚各一次：先洁面，再用精华。"


# --- gates ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "x"])
def test_gate_empty(text: str) -> None:
    assert _gate(S.TIP, text) == ["empty"]
    assert _gate(S.TIP, "好的") == []


@pytest.mark.parametrize(
    ("lang", "fires", "near_miss"),
    [
        ("zh", "客户最近用得怎么样？", "你最近用得怎么样？"),
        ("zh", "TA最近用得怎么样？", "你最近用得怎么样？"),
        ("zh", "许晴最近用得怎么样？", "晴天的时候用得怎么样？"),
        ("en", "How is she finding the shoes?", "How are you finding the shoes?"),
        ("en", "How is the customer finding them?", "Is the shoe there yet? Share the route."),
        ("en", "How is Emma finding the shoes?", "How is the theme run going?"),
    ],
)
def test_gate_third_person(lang: str, fires: str, near_miss: str) -> None:
    names = ["许晴"] if lang == "zh" else ["Emma Clarke", "Emma"]
    assert "third_person" in _gate(S.QUESTION, fires, lang, names=names)
    assert "third_person" not in _gate(S.QUESTION, near_miss, lang, names=names)


def test_gate_ta_is_third_person_in_chinese_only() -> None:
    assert _gate(S.QUESTION, "How was your TA session?", "en") == []


ZH_GUIDE = "可以对着自然光看看两颊，泛红面积是不是小了一点。 舒缓修护精华液"
EN_GUIDE = (
    "Check the outsole under the ball of the foot and the outer heel. Even wear is good. road shoe"
)


@pytest.mark.parametrize(
    ("lang", "tip", "fires", "near_miss"),
    [
        (
            "zh",
            ZH_GUIDE,
            "记得多喝水、多睡觉，再配上我们的面霜效果更好",
            "对着自然光看看两颊，泛红面积是不是小了一点",
        ),
        (
            "en",
            EN_GUIDE,
            "Stretch your calves daily and buy our recovery gel for faster results",
            "Check the outsole under the ball of your foot and the outer heel; even wear is good",
        ),
    ],
)
def test_gate_tip_unfaithful(lang: str, tip: str, fires: str, near_miss: str) -> None:
    assert "tip_unfaithful" in _gate(S.TIP, fires, lang, tip=tip)
    assert _gate(S.TIP, near_miss, lang, tip=tip) == []
    assert _gate(S.TIP, fires, lang, tip=None) == []  # nothing to be faithful to
    assert _gate(S.QUESTION, fires + "？", lang, tip=tip) == []  # only the tip slot


def test_gate_tip_may_name_the_customer_words() -> None:
    # The names are allowed words for faithfulness (the third-person gate judges them).
    said = "许晴对着自然光看看两颊"
    assert _gate(S.TIP, said, tip=ZH_GUIDE, names=["许晴"]) == ["third_person"]


@pytest.mark.parametrize(
    ("lang", "belief", "fires", "near_miss"),
    [
        (
            "zh",
            "能少加一种成分，就少加一种。皮肤需要的不多。",
            "能少加一种成分就少加一种，皮肤需要的不多",
            "不急着加别的产品，也是出于同一个想法",
        ),
        (
            "en",
            "Running should feel good for a lifetime, not just for a season.",
            "Running should feel good for a lifetime, not a season",
            "We give this tip for a simple reason",
        ),
    ],
)
def test_gate_restates_belief(lang: str, belief: str, fires: str, near_miss: str) -> None:
    assert "restates_belief" in _gate(S.BRIDGE, fires, lang, belief=belief)
    assert _gate(S.BRIDGE, near_miss, lang, belief=belief) == []
    # the belief follows as written: any slot that says it again echoes it (seen in a
    # feedback slot of an email)
    assert "restates_belief" in _gate(S.FEEDBACK, fires, lang, belief=belief)
    assert "restates_belief" not in _gate(S.FEEDBACK, near_miss, lang, belief=belief)


@pytest.mark.parametrize(
    ("lang", "fires", "near_miss"),
    [
        ("zh", "最近用得不错。", "最近用得怎么样"),  # 怎么样 asks without a question mark
        ("zh", "欢迎你来。", "你愿意来吗"),
        ("zh", "有空说说。", "有空说说？"),
        ("en", "Hope the shoes are great.", "How are the shoes"),
        ("en", "Glad you are running.", "Tell me how the shoes feel?"),
    ],
)
def test_gate_no_question(lang: str, fires: str, near_miss: str) -> None:
    for slot in (S.QUESTION, S.INVITE):
        assert "no_question" in _gate(slot, fires, lang)
        assert _gate(slot, near_miss, lang) == []
    assert _gate(S.TIP, fires, lang) == []  # a tip need not ask


@pytest.mark.parametrize(
    ("lang", "fires", "near_miss"),
    [
        ("zh", "按照使用指南，早晚各一次", "按指南说的，早晚各一次"),
        ("zh", "这个时候的建议是早晚各一次", "这个时候可以早晚各一次"),
        ("zh", "每句不超过60字", "每次不超过8滴"),
        ("en", "The guide says to air-dry them.", "Air-dry them after each run."),
        ("en", "This leads to the belief that follows.", "This comes from what we believe."),
        ("en", "Keep it at most 30 characters", "Keep it short"),
    ],
)
def test_gate_copies_prompt(lang: str, fires: str, near_miss: str) -> None:
    assert "copies_prompt" in _gate(S.TIP, fires, lang)
    assert "copies_prompt" not in _gate(S.TIP, near_miss, lang)


def test_gate_copies_prompt_not_for_an_english_limit_of_the_guide() -> None:
    said = "Keep your first runs to at most 30 minutes at an easy pace"
    assert "copies_prompt" not in _gate(S.TIP, said, "en")


@pytest.mark.parametrize(
    ("lang", "others", "fires", "near_miss"),
    [
        ("zh", ["最近用得怎么样？"], "最近用得怎么样？", "这几天还顺手吗？"),
        ("zh", ["最近用得怎么样？"], "怎么样？", "还好吗？"),  # inside another
        ("zh", ["怎么样"], "最近用得怎么样？", "最近还顺手吗？"),  # another inside it
        ("en", ["How has it been?"], "How has it been?", "How did the run feel?"),
    ],
)
def test_gate_duplicate(lang: str, others: list[str], fires: str, near_miss: str) -> None:
    assert "duplicate" in _gate(S.QUESTION, fires, lang, others=others)
    assert _gate(S.QUESTION, near_miss, lang, others=others) == []
    assert _gate(S.QUESTION, near_miss, lang, others=[""]) == []  # a blank slot repeats nothing


def test_gate_reasons_add_up() -> None:
    why = _gate(S.QUESTION, "客户觉得使用指南有用。", "zh", others=["客户觉得使用指南有用。"])
    assert why == ["copies_prompt", "duplicate", "third_person", "no_question"]


@pytest.mark.parametrize(
    ("lang", "fires", "near_miss"),
    [
        ("zh", "我最近感觉皮肤越来越干了。", "最近皮肤会不会有点干？"),
        ("zh", "我的皮肤这几天有点泛红", "你的皮肤这几天还好吗？"),
        ("zh", "我觉得有点刺痒，想问问怎么办", "如果觉得有点刺痒，随时告诉我"),
        ("en", "My calves felt tight after the first run.", "How did your calves feel?"),
        ("en", "I have noticed my knees ache.", "Tell me if your knees ache."),
        # a wish put on them (the real model's tier invitation, seed 7)
        (
            "zh",
            "你最近换季，两颊泛红，想寻找一款舒缓修护精华液来改善皮肤问题。",
            "换季的时候，两颊容易泛红。",
        ),
        ("en", "You're looking for a shoe that lasts.", "Shoes that last are worth it."),
        # a feeling or a wish put on them (the real model's tier invitations, a reader's HARMFUL)
        (
            "zh",
            "你最近在使用七谷杂粮饭包，感觉能量满满，希望和大家分享一些经验。",
            "希望你一切都好。",
        ),
        ("zh", "你最近想和老学员一起开发食谱、带新营的小组。", "你想聊的时候，随时找我。"),
        ("zh", "你也想把这份经验分享给新朋友。", "如果你想分享，随时告诉我。"),
        ("zh", "生日快乐！你最近想多做几顿饭。", "祝你生日快乐，希望新的一年每顿饭都吃得开心。"),
        ("en", "You'd love to share your story with the group.", "We hope you enjoy it."),
        ("en", "You want to lead the Saturday run.", "If you want to, tell us."),
        ("en", "You've been enjoying the long runs.", "Do you want to try a long run?"),
    ],
)
def test_gate_customer_voice(lang: str, fires: str, near_miss: str) -> None:
    """A slot written as the customer speaking: the model put words in their mouth."""
    assert "customer_voice" in _gate(S.FEEDBACK, fires, lang)
    assert "customer_voice" not in _gate(S.FEEDBACK, near_miss, lang)


@pytest.mark.parametrize(
    ("lang", "fires", "near_miss"),
    [
        ("zh", "用得开心就好。", "哪里不顺手，都请告诉我们。"),
        ("zh", "我们一直在这里。", "哪里不顺手，回复这条消息就好"),
        ("en", "We hope it goes well.", "Let us know how it goes."),
        ("en", "Enjoy the shoes.", "Reply and tell me what works."),
    ],
)
def test_gate_feedback_must_ask_or_invite_a_reply(lang: str, fires: str, near_miss: str) -> None:
    assert "no_question" in _gate(S.FEEDBACK, fires, lang)
    assert "no_question" not in _gate(S.FEEDBACK, near_miss, lang)
    # an invitation to tell is not a question anywhere else
    assert "no_question" in _gate(S.QUESTION, near_miss.rstrip("。.") + "。", lang)


@pytest.mark.parametrize(
    ("lang", "fires", "near_miss"),
    [
        ("zh", "愿你每天都轻松自在。", "生日快乐！愿你每天都轻松自在。"),
        ("en", "Wishing you a calm, good year.", "Happy birthday, and a calm, good year."),
    ],
)
def test_gate_a_wish_is_a_birthday_wish(lang: str, fires: str, near_miss: str) -> None:
    assert "not_a_wish" in _gate(S.WISH, fires, lang)
    assert _gate(S.WISH, near_miss, lang) == []
    assert "not_a_wish" not in _gate(S.HELLO, fires + "？", lang)  # only the wish


@pytest.mark.parametrize(
    ("lang", "product", "fires", "near_miss"),
    [
        (
            "zh",
            "舒缓修护精华液",
            "生日快乐！舒缓修护精华液让你的皮肤更好。",
            "生日快乐！愿你天天开心。",
        ),
        (
            "en",
            "Cloud Trainer",
            "Happy birthday! Enjoy your Cloud Trainer runs.",
            "Happy birthday!",
        ),
    ],
)
def test_gate_a_birthday_or_a_hello_names_no_product(
    lang: str, product: str, fires: str, near_miss: str
) -> None:
    for slot in (S.WISH, S.OFFER):
        assert "mentions_product" in _gate(slot, fires, lang, products=[product])
        assert "mentions_product" not in _gate(slot, near_miss, lang, products=[product])
    assert "mentions_product" not in _gate(S.TIP, fires, lang, products=[product])
    assert "mentions_product" not in _gate(S.WISH, fires, lang, products=[""])  # blank name


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("你好，最近过得怎么样？", "最近过得怎么样？"),
        ("您好！天冷了，照顾好自己。", "天冷了，照顾好自己。"),
        ("Hi there, how have you been?", "how have you been?"),
        ("你好，好", "你好，好"),  # nothing left worth keeping: left as written
        ("你好像还没试过？", "你好像还没试过？"),  # 你好像 is not a greeting
    ],
)
def test_tidy_drops_a_second_greeting(text: str, cleaned: str) -> None:
    assert tidy(text, name="") == cleaned


def test_tidy_cuts_at_the_cap_measured_before_the_name_is_dropped() -> None:
    written = "小林，生日快乐！愿新的一岁轻松自在。让你的皮肤在"
    assert tidy(written, name="小林", cap=len(written)) == "生日快乐！愿新的一岁轻松自在。"


_SERUM_DAY3 = (
    "多数人会觉得洗完脸没那么紧了。如果有轻微刺痒，先减到每次 4–5 滴、只晚上用，三天后再加回来。"
)
_SHOE_WORN = (
    "Most pairs last 500 km. If your legs ache after easy runs, take 2 rest days and run "
    "10 minutes less."
)


@pytest.mark.parametrize(
    ("tip", "fires", "near_miss"),
    [
        (_SERUM_DAY3, "每次4-5滴，只晚上用，三天后再加回来。", "如果有点刺痒，先减到每次4-5滴。"),
        (_SERUM_DAY3, "先减到每次 4 滴", "洗完脸应该没那么紧了，感觉怎么样都可以说"),
        (_SHOE_WORN, "Take 2 rest days, then run 10 minutes less.", "When legs ache, rest 2 days."),
        (_SHOE_WORN, "Take 2 rest days.", "Most pairs last 500 km."),
    ],
)
def test_gate_drops_condition(tip: str, fires: str, near_miss: str) -> None:
    """Seen on the real model: the guide's "if it stings, cut to 4-5 drops" became "4-5 drops
    each time" for everyone."""
    lang = "en" if tip.isascii() else "zh"
    assert drops_condition(tip, fires)
    assert not drops_condition(tip, near_miss)
    assert "drops_condition" in _gate(S.TIP, fires, lang, tip=tip)
    assert "drops_condition" not in _gate(S.TIP, near_miss, lang, tip=tip)


def test_an_amount_said_also_without_a_condition_may_be_kept() -> None:
    tip = "每次 3 滴，早晚各一次。如果觉得闷，晚上每次 3 滴就够了。"
    assert not drops_condition(tip, "每次3滴，早晚各一次。")


@pytest.mark.parametrize(
    ("lang", "names", "written", "said"),
    [
        ("zh", ["林小雨", "小雨"], "希望林小雨用得开心", "希望你用得开心"),
        ("zh", ["林小雨", "小雨"], "小雨的皮肤这几天还好吗？", "你的皮肤这几天还好吗？"),
        ("zh", [], "TA的皮肤这几天还好吗？", "你的皮肤这几天还好吗？"),
        ("zh", ["林小雨", "小雨"], "小雨，你最近怎么样？", "你最近怎么样？"),
        ("zh", [], "客户最近怎么样？", "客户最近怎么样？"),  # not safe to guess: asked again
        ("zh", [], "DATA 里没有", "DATA 里没有"),
        ("en", ["Emma Li", "Emma"], "How was Emma's first run?", "How was your first run?"),
        ("en", ["Emma Li", "Emma"], "Emma ran well.", "Emma ran well."),  # verbs would not agree
    ],
)
def test_to_second_person(lang: str, names: list[str], written: str, said: str) -> None:
    assert to_second_person(written, lang=lang, names=names) == said
    if written != said:
        assert "third_person" not in _gate(S.QUESTION, said + "？", lang, names=names)


@pytest.mark.parametrize(
    "written",
    [
        "徐晨最近在使用七谷杂粮饭包，感觉能量满满，希望和大家分享一些经验。",
        "罗晓最近想和老学员一起开发食谱、带新营的小组，每月一次线下厨房日。",
        "这个圈子很适合你，罗晓一直想认识更多会做饭的人。",
    ],
)
def test_a_name_that_makes_a_claim_is_not_said_to_them(written: str) -> None:
    """Written about the customer for someone else, "徐晨最近想…" said as "你最近想…" is a
    claim to her face that her record does not hold (a reader's HARMFUL: it passed every check).
    The name stays and the gate sends the slot back as third person."""
    assert to_second_person(written, lang="zh", names=["徐晨", "罗晓"]) == written
    assert "third_person" in _gate(S.QUESTION, written, "zh", names=["徐晨", "罗晓"])


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("这几天用下来，徐晨觉得怎么样？", "这几天用下来，你觉得怎么样？"),  # a question asks her
        ("徐晨最近好吗？", "你最近好吗？"),
        ("亲爱的徐晨，生日快乐！", "生日快乐！"),  # never "亲爱的你"
        ("亲爱的徐晨生日快乐", "生日快乐"),
    ],
)
def test_a_question_or_a_dear_is_said_to_them(written: str, said: str) -> None:
    assert to_second_person(written, lang="zh", names=["徐晨"]) == said


def test_gate_restates_one_sentence_of_a_longer_belief() -> None:
    """Seen in an email: the bridge said the belief's first sentence, then the belief followed."""
    belief = "能少加一种成分，就少加一种。温和不是没效果，而是不让皮肤为效果付出额外的代价。"
    fires = "舒缓修护精华液能少加一种成分，就少加一种。"
    assert "restates_belief" in _gate(S.BRIDGE, fires, "zh", belief=belief)
    near_miss = "所以我们不急着让你加别的产品"
    assert "restates_belief" not in _gate(S.BRIDGE, near_miss, "zh", belief=belief)
    en = "Running should feel good for a lifetime. Progress you can keep beats progress you chase."
    assert "restates_belief" in _gate(
        S.BRIDGE, "Progress you can keep beats chasing it.", "en", belief=en
    )
    assert "restates_belief" not in _gate(S.BRIDGE, "That is why we suggest it.", "en", belief=en)


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("罗曼！最近怎么样？", "最近怎么样？"),
        ("罗曼。最近怎么样？", "最近怎么样？"),
    ],
)
def test_a_vocative_with_any_mark_is_dropped(written: str, said: str) -> None:
    assert tidy(written, name="罗曼") == said
    assert to_second_person(written, lang="zh", names=["罗曼"]) == said


@pytest.mark.parametrize(
    ("written", "said"),
    [
        (
            "回想一下这一个月皮肤的状态。如果已经稳定，可以改成只晚上用，一瓶能用到六周左右；如果还在换季。",
            "回想一下这一个月皮肤的状态。如果已经稳定，可以改成只晚上用，一瓶能用到六周左右",
        ),
        ("早晚各一次，如果觉得闷", "早晚各一次"),
        (
            "如果觉得闷，晚上用量减半。",
            "如果觉得闷，晚上用量减半。",
        ),  # the condition has its "then"
        ("Slow down, if you cannot talk.", "Slow down, if you cannot talk."),  # English: whole
    ],
)
def test_tidy_drops_a_chinese_condition_left_without_its_then(written: str, said: str) -> None:
    assert tidy(written, name="") == said


@pytest.mark.parametrize(
    ("fires", "near_miss"),
    [
        ("你最近换季两颊泛红，她一直在找适合的精华。", "其他产品先停一停。"),
        ("他最近跑得很多。", "他们都说第三周最难。"),
    ],
)
def test_gate_third_person_pronouns_in_chinese(fires: str, near_miss: str) -> None:
    assert "third_person" in _gate(S.WHY, fires, "zh")
    assert "third_person" not in _gate(S.WHY, near_miss, "zh")


def test_gate_customer_voice_with_a_time_word_between() -> None:
    fires = "我最近用到一半的时候，发现泛红面积小了一点。"
    assert "customer_voice" in _gate(S.TIP, fires, "zh")
    assert "customer_voice" not in _gate(
        S.TIP, "用到一半时，可以看看泛红面积是不是小了一点。", "zh"
    )


@pytest.mark.parametrize(
    ("passage", "said"),
    [
        (
            "**6. 刷酸、用 A 醇的时候能用吗？**\n能用，和它错开早晚使用。",
            "能用，和它错开早晚使用。",
        ),
        (
            "- **一天洗几次合适？** 两次足够。油皮夏天中午出油，用清水冲一冲就好。",
            "两次足够。油皮夏天中午出油，用清水冲一冲就好。",  # a short answer keeps the next
        ),
        ("**Can I run in them on day one?** Yes, keep it short.", "Yes, keep it short."),
    ],
)
def test_an_answer_fallback_is_never_the_question(passage: str, said: str) -> None:
    lang = "en" if passage.isascii() else "zh"
    assert answer_sentence(passage, lang, 80) == said


def test_an_answer_fallback_without_an_answer_says_it_will_check() -> None:
    plan = _plan(trigger="question")
    layout = layout_for(plan, tip=None, safety=[], belief=None, answer="**怎么用？**")
    assert layout.values["answer_sentence"] == "这个问题我确认一下，稍后回复你。"


@pytest.mark.parametrize(
    ("lang", "fires", "near_miss"),
    [
        ("zh", "如有任何问题请随时联系我们。", "换季的时候皮肤要是有变化，随时来问我。"),
        ("zh", "有什么可以帮您的吗？", "最近过得怎么样？"),
        ("en", "How can I assist you today?", "How have you been?"),
        (
            "en",
            "Feel free to reach out if you need further assistance.",
            "I'm here if the shoes pinch.",
        ),
    ],
)
def test_gate_stock_phrase(lang: str, fires: str, near_miss: str) -> None:
    """Seen on the real model after a long silence: "How can I assist you today?"."""
    for slot in (S.HELLO, S.OFFER):
        assert "stock_phrase" in _gate(slot, fires, lang)
        assert "stock_phrase" not in _gate(slot, near_miss, lang)
    assert "stock_phrase" not in _gate(S.TIP, fires, lang)  # a tip is held to other rules


def test_an_english_slot_starts_with_a_capital() -> None:
    layout = Layout(parts=[S.TIP], values={"tip_sentence": "press your thumb into the midsole"})
    assert assemble(layout, {}, lang="en", fallbacks={"tip"}).text == (
        "Press your thumb into the midsole."
    )
    assert assemble(layout, {"tip": "iPhone photos help"}, lang="en").text == "iPhone photos help."


@pytest.mark.parametrize(
    ("lang", "fires", "near_miss"),
    [
        (
            "en",
            "Would you like to know more about our Merino running socks or any other product "
            "we offer?",
            "Is there a race you'd like to run together next?",
        ),
        ("en", "Want to see our new products?", "Want to pace a Saturday run with us?"),
        ("zh", "要不要看看我们的其他产品？", "接下来想一起试试什么？"),
    ],
)
def test_gate_what_comes_next_and_an_invitation_sell_nothing(
    lang: str, fires: str, near_miss: str
) -> None:
    for slot in (S.NEXT, S.INVITE):
        assert "mentions_product" in _gate(slot, fires, lang, products=["Merino running socks"])
        assert "mentions_product" not in _gate(
            slot, near_miss, lang, products=["Merino running socks"]
        )


@pytest.mark.parametrize(
    ("lang", "fires", "near_miss"),
    [
        ("zh", "最近用着怎么样？”} **注意：** 1. 在重。", "最近用着怎么样？"),
        ("en", "Keep up the great work, and may all.", "Keep up the good work."),
        ("en", "Enjoy the run with your", "Enjoy the run with your sister."),
    ],
)
def test_gate_broken(lang: str, fires: str, near_miss: str) -> None:
    assert "broken" in _gate(S.WISH, fires, lang)
    assert "broken" not in _gate(S.WISH, near_miss, lang)


@pytest.mark.parametrize(
    ("lang", "fires", "near_miss"),
    [
        ("zh", "你用了多少天？", "这几天用下来，脸颊还紧吗？"),
        ("zh", "你对这个产品满意吗？", "早上起来两颊还干吗？"),
        ("en", "How is your experience with Cadence road shoes?", "How did the last run feel?"),
    ],
)
def test_gate_asks_what_we_know_or_a_survey(lang: str, fires: str, near_miss: str) -> None:
    assert "asks_known" in _gate(S.QUESTION, fires, lang)
    assert _gate(S.QUESTION, near_miss, lang) == []


@pytest.mark.parametrize(
    ("lang", "fires", "near_miss"),
    [
        ("zh", "你最近皮肤敏感，经常感到疲劳和不适。", "如果你觉得闷，晚上用量减半。"),
        ("zh", "你一直觉得两颊很干。", "你是不是也觉得两颊有点干？"),
        ("en", "You've been feeling stiff after runs.", "If you have felt stiff, walk a minute."),
        ("en", "You mentioned sore calves.", "Have you noticed any sore spots?"),
    ],
)
def test_gate_a_statement_of_how_they_feel_is_their_voice(
    lang: str, fires: str, near_miss: str
) -> None:
    assert "customer_voice" in _gate(S.WHY, fires, lang)
    assert "customer_voice" not in _gate(S.WHY, near_miss, lang)


@pytest.mark.parametrize(
    ("lang", "rules", "fires", "near_miss"),
    [
        (
            "en",
            ["Finding a rhythm", "using the gear and the plan", "hard replenishment pushes"],
            "Using the gear and plan, avoid hard replenishment pushes; look back at week 1.",
            "Look back at week 1: you were running 1 minute.",
        ),
        ("en", ["Finding a rhythm"], "How to Find Your Rhythm", "One small tip for your plan"),
        (
            "zh",
            ["相知", "刚用上一段时间", "催复购"],
            "刚用上一段时间，不要催复购",
            "这几天用得怎么样",
        ),
    ],
)
def test_gate_a_stage_line_of_the_prompt_said_back(
    lang: str, rules: list[str], fires: str, near_miss: str
) -> None:
    """Seen on the real model: the brand's own stage rule came back in the tip."""
    assert "copies_prompt" in _gate(S.TIP, fires, lang, stage_words=rules)
    assert "copies_prompt" not in _gate(S.TIP, near_miss, lang, stage_words=rules)
    assert "copies_prompt" not in _gate(S.TIP, fires, lang)  # no stage rules written: no gate


@pytest.mark.parametrize(
    ("lang", "product", "trigger", "days", "usage", "opening"),
    [
        ("zh", "21 天好好吃饭训练营", "day3", 3, 21, "21 天好好吃饭训练营第3天了。"),
        ("zh", "21 天好好吃饭训练营", "half_used", 10, 21, "21 天好好吃饭训练营过半了。"),
        (
            "zh",
            "21 天好好吃饭训练营",
            "after_purchase",
            56,
            21,
            "21 天好好吃饭训练营结束有一阵子了。",
        ),
        ("zh", "舒缓修护精华液", "day3", 3, 30, "舒缓修护精华液用到第3天了。"),
        ("zh", "滋润营养霜", "day3", 3, 30, "滋润营养霜用到第3天了。"),  # 营养 is not a camp
        ("en", "10K beginner plan", "day3", 3, 56, "It's day 3 of your 10K beginner plan."),
        (
            "en",
            "10K beginner plan",
            "after_purchase",
            70,
            56,
            "It's been a little while since your 10K beginner plan ended.",
        ),
        (
            "en",
            "Cadence road shoe",
            "after_purchase",
            20,
            180,
            "It's been 20 days since your Cadence road shoe arrived.",
        ),
    ],
)
def test_a_programme_runs_it_is_not_used_up_or_delivered(
    lang: str, product: str, trigger: str, days: int, usage: int, opening: str
) -> None:
    plan = _plan(trigger=trigger, lang=lang, product=product, days=days)
    plan = plan.model_copy(update={"usage_days": usage})
    layout = _layout(plan)
    said = next(p for p in layout.parts if getattr(p, "name", "") == "opening")
    assert isinstance(said, S.Fixed) and said.text == opening


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("这几天洗完脸还紧吗？有轻微刺痒就先减到每次4–5滴。", "有轻微刺痒就先减到每次4–5滴。"),
        ("How did the first runs feel? Keep them short and easy.", "Keep them short and easy."),
        ("这几天感觉怎么样？", "这几天感觉怎么样？"),  # nothing would be left: kept whole
        ("Keep them short and easy.", "Keep them short and easy."),
    ],
)
def test_a_slot_before_the_question_drops_its_own_question(text: str, kept: str) -> None:
    assert S.drop_questions(text) == kept


@pytest.mark.parametrize(
    ("lang", "base", "thanks"),
    [
        ("zh", "first_contact", "谢谢你愿意给我们一次机会。"),
        ("zh", "core_member", "谢谢你一直以来的信任。"),
        ("en", "getting_to_know", "Thank you for giving us a try."),
        ("en", "repeat", "Thank you for trusting us all this time."),
    ],
)
def test_the_plain_thank_you_is_earned_by_the_stage(lang: str, base: str, thanks: str) -> None:
    plan = _plan(trigger="stage_up", lang=lang).model_copy(update={"base_stage": base})
    layout = _layout(plan)
    assert layout.values["thanks_line"] == thanks
    assert S.THANKS.fallback(lang, layout.values) == thanks


@pytest.mark.parametrize(
    ("lang", "moment", "text", "fires"),
    [
        ("zh", "half_used", "你用完舒缓修护精华液后，感觉怎么样？", True),
        ("zh", "almost_finished", "这一瓶用完以后，皮肤感觉怎么样？", False),
        ("zh", "half_used", "用到现在，两颊感觉怎么样？", False),
        ("en", "day3", "How did it feel after you finished them?", True),
        ("en", "day3", "How have the first runs felt?", False),
    ],
)
def test_a_question_about_finishing_before_they_have(
    lang: str, moment: str, text: str, fires: bool
) -> None:
    said = S.gate(S.QUESTION, text, lang=lang, names=[], tip=None, belief=None, moment=moment)
    assert ("wrong_moment" in said) is fires


@pytest.mark.parametrize(
    ("lang", "text", "fires"),
    [
        ("zh", "你用到一半的时候，泛红面积变小了。这是为什么？", True),
        ("zh", "用到一半时，可以看看泛红面积是不是变小了。", False),
        ("zh", "如果你觉得泛红变少了，就按原来的节奏用。", False),
        ("en", "I understand that you would like to know how often to use the shoes.", True),
        ("en", "Your calves feel better after the first week.", True),
        ("en", "If your calves feel better, add five minutes.", False),
    ],
)
def test_a_result_or_a_wish_put_on_the_customer_is_their_voice(
    lang: str, text: str, fires: bool
) -> None:
    said = S.gate(S.FEEDBACK, text, lang=lang, names=[], tip=None, belief=None)
    assert ("customer_voice" in said) is fires


@pytest.mark.parametrize(
    ("lang", "text", "fires"),
    [
        ("en", "How to Improve Your Run", True),
        ("en", "Your Merino running socks at halfway", False),
        ("zh", "一个小提醒", True),
        ("zh", "舒缓修护精华液用到一半了", False),
    ],
)
def test_a_subject_names_the_product_it_is_about(lang: str, text: str, fires: bool) -> None:
    products = ["Merino running socks", "Cadence road shoe", "舒缓修护精华液"]
    said = S.gate(S.SUBJECT, text, lang=lang, names=[], tip=None, belief=None, products=products)
    assert ("off_subject" in said) is fires


@pytest.mark.parametrize(
    ("lang", "fires", "near_miss"),
    [
        ("zh", "你是不是也对这个产品感兴趣？", "想邀请你一起来，你愿意吗？"),
        ("en", "Would you like to try this product with us?", "Would you like to join us?"),
    ],
)
def test_gate_an_invitation_asks_about_no_product(lang: str, fires: str, near_miss: str) -> None:
    # seen on the real model: "你是不是也对这个产品感兴趣？我们可以一起聊聊怎么使用它呢？"
    assert "mentions_product" in _gate(S.INVITE, fires, lang, products=["舒缓修护精华液"])
    assert "mentions_product" not in _gate(S.INVITE, near_miss, lang, products=["舒缓修护精华液"])


@pytest.mark.parametrize(
    ("lang", "trigger", "tier", "subject"),
    [
        ("zh", "tier_invite", ("新朋友群", "群里只聊怎么用。"), "邀请你来「新朋友群」"),
        ("en", "tier_invite", ("Rookie", "Run-walk welcome."), "An invitation to Rookie"),
        ("zh", "day3", None, "舒缓修护精华液的一个小提醒"),
        ("en", "birthday", None, "Happy birthday, Emma"),
    ],
)
def test_a_message_by_email_always_has_a_subject(
    lang: str, trigger: str, tier: tuple[str, str] | None, subject: str
) -> None:
    kind = "tier_invitation" if tier else "care_message"
    plan = _plan(kind=kind, trigger=trigger, lang=lang, channel="email")
    layout = _layout(plan, tier=tier)
    first = layout.parts[0]
    assert isinstance(first, Fixed) and (first.name, first.text) == ("subject", subject)
    if trigger == "day3":  # no tip: no tip promised (a reader: "A small tip for your 10K
        # beginner plan" above "It's day 20 of your 10K beginner plan. How is it going?")
        untipped = _layout(plan, tier=tier, tip=None).parts[0]
        assert isinstance(untipped, Fixed) and untipped.text == "舒缓修护精华液用得怎么样？"
    wechat = _layout(_plan(kind=kind, trigger=trigger, lang=lang), tier=tier)
    assert "subject" not in _names(wechat)  # a chat message has none


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_email_subject_promises_a_tip_only_when_there_is_one(lang: str) -> None:
    plan = _plan(kind="aftersale_email", lang=lang, channel="email")
    with_tip = S.SUBJECT.fallback(lang, _layout(plan, tip="每次 4–5 滴。").values)
    without = S.SUBJECT.fallback(lang, _layout(plan, tip=None).values)
    assert with_tip == (
        "舒缓修护精华液的一个小提醒" if lang == "zh" else "One small tip for your Cadence road shoe"
    )
    assert without == (
        "舒缓修护精华液用得怎么样？"
        if lang == "zh"
        else "How is it going with your Cadence road shoe?"
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_by_default_the_tip_is_the_guides_own_words(lang: str) -> None:
    plan = _plan(lang=lang)
    layout = _layout(plan, model_words=False)
    tip = next(p for p in layout.parts if p.name == "tip")
    assert isinstance(tip, Fixed) and tip.text == layout.values["tip_sentence"]
    assert "tip" not in [s.name for s in layout.slots]  # the model is not asked for it
    none = _layout(plan, tip=None, model_words=False)
    assert "tip" not in _names(none)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_by_default_an_emails_subject_and_bridge_are_the_programs(lang: str) -> None:
    """On the embedded model a reader found model bridges that claimed effects ("Merino
    socks help you find your own pace") and subjects the body did not deliver: by default
    the program says them, and the ask for feedback ("Thank you for sharing your experience"
    from the model thanked them for what they never said)."""
    layout = _layout(_plan("aftersale_email", lang=lang), model_words=False)
    fixed = {p.name: p.text for p in layout.parts if isinstance(p, Fixed)}
    assert fixed["subject"] == layout.values["subject_line"]
    assert fixed["bridge"] == (
        "也想和你说说我们一直相信的一件事：" if lang == "zh" else "And one thing we believe:"
    )
    assert layout.slots == []  # the feedback line too: the model is not called at all
    text = assemble(layout, {}, lang=lang).text
    assert (ZH_BELIEF if lang == "zh" else EN_BELIEF) in text
    no_belief = _layout(_plan("aftersale_email", lang=lang), belief=None, model_words=False)
    assert "bridge" not in _names(no_belief)


@pytest.mark.parametrize(
    ("text", "keep_first", "expected"),
    [
        # the reader's "same thing twice": a long-silence offer that offered twice
        ("随时来问问，我们都在。如果你需要帮助，随时找我。", True, "随时来问问，我们都在。"),
        ("最近过得怎么样？有事随时找我。", False, "最近过得怎么样？"),
        ("有事随时找我。", False, "有事随时找我。"),  # nothing else would be left
        ("最近过得怎么样？天冷了，多穿点。", False, "最近过得怎么样？天冷了，多穿点。"),
        (
            "I'm here whenever you need me. Just ask if anything comes up.",
            True,
            "I'm here whenever you need me.",
        ),
        ("How have you been? Reach out any time.", False, "How have you been?"),
        ("How have you been? The autumn runs are lovely.", False, None),
    ],
)
def test_an_offer_to_be_there_is_said_once(
    text: str, keep_first: bool, expected: str | None
) -> None:
    assert S.drop_offers(text, keep_first=keep_first) == (expected or text)


@pytest.mark.parametrize(
    ("lang", "product", "tip", "expected"),
    [
        (
            "en",
            "Cadence road shoe",
            "Nearly worn (about day 150): press your thumb into the midsole from the side.",
            "It's been 150 days with your Cadence road shoe: around when wear shows.",
        ),
        (
            "zh",
            "青苗平衡车",
            "快用完时：检查轮胎的纹路。",
            "青苗平衡车到你手上有150天了，可能开始有磨损了。",
        ),
        (
            "zh",
            "舒缓修护精华液",
            "快用完时（约第 25 天）：回想一下。",
            "舒缓修护精华液应该快用完了。",
        ),
    ],
)
def test_something_worn_is_not_nearly_finished(
    lang: str, product: str, tip: str, expected: str
) -> None:
    """A reader: "Your Cadence road shoe must be nearly finished by now." A shoe wears out."""
    plan = _plan(trigger="almost_finished", lang=lang, product=product, days=150)
    layout = _layout(plan, tip=tip, safety=[])
    opening = next(p for p in layout.parts if p.name == "opening")
    assert isinstance(opening, Fixed) and opening.text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # bench quality, a welcome opening: the tip nearly word for word before the quoted tip
        (
            "非常感谢你信任我们的产品，欢迎尝试。洁面后脸还微微湿润时使用效果更好。",
            "非常感谢你信任我们的产品，欢迎尝试。",
        ),
        ("洁面后，脸还微微湿润时使用效果更好。", ""),  # only the tip: nothing left
        ("欢迎你！用之前先洗脸。", "欢迎你！用之前先洗脸。"),  # shares a word, says another thing
        (
            "Welcome aboard. Hold each pair up to the light to check for thin patches.",
            "Welcome aboard.",
        ),
    ],
)
def test_a_model_sentence_that_is_mostly_a_quoted_one_is_dropped(text: str, expected: str) -> None:
    said = [
        "洁面后，脸还微微湿润时使用效果更好。",
        "Hold each pair up to the light and check for thin patches.",
    ]
    assert S.drop_said(text, said) == expected


@pytest.mark.parametrize(
    ("lang", "fires", "passes"),
    [
        ("zh", "你用舒缓修护精华液的效果怎么样？", "这几天用下来，感觉怎么样？"),
        ("en", "How are you finding the Cadence road shoe?", "How have the first runs felt?"),
    ],
)
def test_gate_the_question_does_not_name_the_product_again(
    lang: str, fires: str, passes: str
) -> None:
    """The opening names it; a reader marked 7 of 60 questions that said it again."""
    products = ["舒缓修护精华液", "Cadence road shoe"]
    assert "mentions_product" in _gate(S.QUESTION, fires, lang, products=products)
    assert _gate(S.QUESTION, passes, lang, products=products) == []


@pytest.mark.parametrize(
    ("lang", "answer", "invented", "grounded"),
    [
        (
            "en",
            "Rotate with your old pair if you have one. Start with short, easy runs at a "
            "conversational pace for the first two weeks.",
            "You should use the Cadence road shoe for at least one run per week to get the "
            "most out of its features and benefits.",
            "For the first two weeks, keep to short, easy runs at a conversational pace.",
        ),
        (
            "zh",
            "早晚各一次，洁面后用 4–6 滴，轻按到吸收。",
            "建议每天用三次，坚持一个月就能看到明显效果。",
            "早晚各一次就好，洁面后用 4–6 滴。",
        ),
    ],
)
def test_gate_an_answer_says_only_what_the_knowledge_says(
    lang: str, answer: str, invented: str, grounded: str
) -> None:
    """bench quality: "How often should I use it?" answered with a rule the guide never gave."""
    assert "ungrounded" in _gate(S.ANSWER, invented, lang, answer=answer)
    assert "ungrounded" not in _gate(S.ANSWER, grounded, lang, answer=answer)


@pytest.mark.parametrize(
    ("purchases", "line"), [("1", "谢谢你愿意给我们一次机会。"), ("2", "谢谢你一直以来的信任。")]
)
def test_a_second_purchase_is_not_thanked_as_a_first_chance(purchases: str, line: str) -> None:
    """A reader: "谢谢你愿意给我们一次机会" to a customer on her second purchase."""
    plan = _plan("care_message", "stage_up")
    plan = plan.model_copy(update={"facts": {**plan.facts, "purchases": purchases}})
    assert _layout(plan).values["thanks_line"] == line


@pytest.mark.parametrize(
    ("lang", "lead", "source", "fires"),
    [
        ("zh", "批评比夸奖有用。这周聊聊反馈。", "我们一直相信：批评比夸奖有用。", True),
        ("zh", "不节食。先吃饱。", "我们不节食。吃饱、吃对，身体才愿意慢慢改变。", True),
        ("zh", "这周想和大家聊聊反馈这件事。", "批评比夸奖有用。", False),
        ("en", "Rest counts. Here is why.", "Rest counts. A rest day is not a day off.", True),
        ("en", "This week, a word about rest.", "Rest counts. A rest day is not a day off.", False),
    ],
)
def test_a_post_lead_saying_a_sentence_of_its_source_is_a_duplicate(
    lang: str, lead: str, source: str, fires: bool
) -> None:
    """A reader: belief posts said "批评比夸奖有用。" twice, the lead and then the belief
    (shorter than the 10-character run the copy rule looked for)."""
    from generator.posts import LEAD

    assert ("duplicate" in _gate(LEAD, lead, lang, source=source)) is fires


@pytest.mark.parametrize(
    ("lang", "fires", "near_miss"),
    [
        ("zh", "这个一天用几次？", "每天选一餐打卡就好。"),
        ("zh", "一天用几次？早晚吗？", "早晚各一次。还有问题吗？"),
        ("en", "How often should you use it?", "Three runs a week is plenty to start."),
    ],
)
def test_an_answer_that_only_asks_back_is_not_an_answer(
    lang: str, fires: str, near_miss: str
) -> None:
    """A reader: "李敏你好，这个一天用几次？有什么不清楚的，随时问我。" — the model's answer was
    the question, and it passed."""
    assert "not_an_answer" in _gate(S.ANSWER, fires, lang)
    assert "not_an_answer" not in _gate(S.ANSWER, near_miss, lang)


def test_an_invitation_naming_a_product_as_a_possessive_or_plural_is_caught() -> None:
    """A reader: Sam's Pro invitation said "Why not try Cadence's road shoes? They're designed
    with more cushioning for longer runs." (shoes he had bought twice) and passed."""
    products = ["Cadence road shoe", "Merino running socks", "舒缓修护精华液"]
    fires = "Why not try Cadence's road shoes? They're designed with more cushioning."
    assert "mentions_product" in _gate(S.INVITE, fires, "en", products=products)
    near_miss = "Would you like to join us on the Sunday long runs?"
    assert "mentions_product" not in _gate(S.INVITE, near_miss, "en", products=products)
    assert "mentions_product" in _gate(
        S.INVITE, "要不要试试舒缓修护精华液？", "zh", products=products
    )


@pytest.mark.parametrize(
    ("lang", "product", "line"),
    [
        ("zh", "21 天好好吃饭训练营", "跟下来顺不顺、哪里卡住了，都请直接告诉我们。"),
        ("zh", "舒缓修护精华液", "用得好不好、哪里不顺手，都请直接告诉我们。"),
        ("en", "10K beginner plan", "Tell us how the plan is going, and if any part of it"),
        ("en", "Cadence road shoe", "Tell us how it goes, and if anything doesn't work"),
    ],
)
def test_an_email_about_a_programme_asks_how_it_is_going_not_how_it_is_used(
    lang: str, product: str, line: str
) -> None:
    """A reader: "用得好不好" to a member of a 21-day camp."""
    plan = _plan("aftersale_email", "half_used", lang=lang, product=product, channel="email")
    layout = layout_for(plan, tip=None, safety=[], belief=None)
    feedback = next(p for p in layout.parts if p.name == "feedback")
    assert isinstance(feedback, Fixed) and feedback.text.startswith(line)


@pytest.mark.parametrize(
    ("lang", "wish", "days", "said"),
    [
        ("zh", "生日快乐！愿新的一岁轻松自在。", 3, "提前祝你生日快乐！愿新的一岁轻松自在。"),
        ("zh", "祝你生日快乐！", -1, "迟到的生日快乐！"),
        ("zh", "生日快乐！", 0, "生日快乐！"),  # on the day
        ("zh", "愿你这一岁轻松自在，生日快乐。", 2, "愿你这一岁轻松自在，生日快乐。"),
        ("en", "Happy birthday! Wishing you an easy year.", 4, "An early happy birthday! Wishing"),
        ("en", "Happy birthday, Chloe!", -1, "A belated happy birthday, Chloe!"),
        ("en", "Happy birthday!", None, "Happy birthday!"),
    ],
)
def test_a_wish_on_another_day_says_so(lang: str, wish: str, days: int | None, said: str) -> None:
    """A reader: wishes two to four days early read as if we had the date wrong."""
    from generator.slots import on_the_day

    assert on_the_day(wish, days, lang).startswith(said)


def test_an_early_birthday_draft_says_early_whoever_wrote_the_wish() -> None:
    plan = _plan("care_message", "birthday", days=None).model_copy(update={"birthday_in_days": 3})
    layout = layout_for(plan, tip=None, safety=[], belief=None)
    written = assemble(layout, {"wish": "生日快乐！最近好吗"}, lang="zh").text
    assert "提前祝你生日快乐！最近好吗" in written
    fallback = assemble(layout, {}, lang="zh").text
    assert "提前祝你生日快乐！愿新的一岁轻松自在。" in fallback
