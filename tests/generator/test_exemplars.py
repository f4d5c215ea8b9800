"""generator.exemplars: examples of a brand's voice — its samples in brand.yaml and the drafts
editors approved — chosen by kind and moment, ranked, trimmed of channel furniture and capped;
and, through the pipeline, the closest ones reach the prompt (and nothing else does)."""

from __future__ import annotations

import json

import pytest

from core.settings import Settings
from generator.drafts import DraftRequest
from generator.exemplars import MAX_CHARS, Exemplar, closest, from_brand, trim
from generator.pipeline import Pipeline
from knowledge.fake import FakeKnowledge
from knowledge.pack import Brand, BrandPack, Sample
from llm.fake import FakeLLM
from tests.generator.conftest import AS_OF, draft_for, scripted_check

QS_DAY3 = "用了几天了，皮肤还习惯吗？不着急回，有空的时候说一句就好，哪里不舒服我们最想听。"
QS_SILENCE = "好久没聊了，希望你最近一切都好。换季的时候皮肤要是有变化，随时来问问，我们都在。"
QS_EMAIL = (
    "一瓶用到一半，正好是看清它适不适合你的时候。"
    "慢慢来，皮肤有自己的节奏；哪里不对劲，回信告诉我就好。"
)
ST_DAY3 = (
    "Three runs in is when new shoes start to feel like yours. No rush to reply; tell me how "
    "the last one felt when you have a minute."
)
ST_SILENCE = "It has been a while, and that is fine."


def _closest(candidates: list[Exemplar], brand: Brand, **kw: object) -> list[str]:
    args: dict[str, object] = {
        "kind": "care_message",
        "trigger": "day3",
        "stage": "",
        "brand": brand,
        "lang": brand.language,
        **kw,
    }
    return closest(candidates, **args)  # type: ignore[arg-type]


# --- from the brand ---------------------------------------------------------------------------


def test_from_brand_reads_the_samples(qingshui: BrandPack, stride: BrandPack) -> None:
    assert from_brand(qingshui.brand) == [
        Exemplar(kind="care_message", text=QS_DAY3, trigger="day3"),
        Exemplar(kind="care_message", text=QS_SILENCE, trigger="long_silence"),
        Exemplar(kind="aftersale_email", text=QS_EMAIL),  # no moment: ""
    ]
    english = from_brand(stride.brand)
    assert [(e.kind, e.trigger) for e in english] == [
        ("care_message", "day3"),
        ("care_message", "long_silence"),
        ("aftersale_email", ""),
    ]
    assert english[0].text == ST_DAY3 and not any(e.edited for e in english)


def test_from_brand_keeps_the_stage(qingshui: BrandPack) -> None:
    brand = qingshui.brand.model_copy(
        update={"samples": [Sample(kind="care_message", text="慢慢来就好。", stage="repeat")]}
    )
    assert from_brand(brand) == [Exemplar(kind="care_message", text="慢慢来就好。", stage="repeat")]
    assert from_brand(brand.model_copy(update={"samples": []})) == []


# --- choosing the closest ---------------------------------------------------------------------


def test_same_kind_only(qingshui: BrandPack) -> None:
    candidates = [
        Exemplar("aftersale_email", "邮件的一句。", trigger="day3"),
        Exemplar("care_message", "关怀的一句。"),
    ]
    assert _closest(candidates, qingshui.brand) == ["关怀的一句。"]
    assert _closest(candidates, qingshui.brand, kind="tier_invitation") == []


def test_a_sample_of_another_moment_is_never_chosen(qingshui: BrandPack) -> None:
    silence = [Exemplar("care_message", "好久没聊了。", trigger="long_silence", edited=True)]
    assert _closest(silence, qingshui.brand) == []  # not even as the only one
    candidates = [*silence, Exemplar("care_message", "第三天的一句。", trigger="day3")]
    assert _closest(candidates, qingshui.brand, limit=5) == ["第三天的一句。"]


def test_the_same_moment_ranks_above_no_moment(qingshui: BrandPack, stride: BrandPack) -> None:
    zh = [
        Exemplar("care_message", "通用的一句。"),
        Exemplar("care_message", "第三天的。", trigger="day3"),
    ]
    assert _closest(zh, qingshui.brand) == ["第三天的。", "通用的一句。"]
    assert _closest(zh, qingshui.brand, trigger="half_used") == ["通用的一句。"]
    en = [Exemplar("care_message", "Any time."), Exemplar("care_message", "Day 3.", trigger="day3")]
    assert _closest(en, stride.brand, limit=1) == ["Day 3."]


def test_the_same_stage_ranks_above_edited(qingshui: BrandPack) -> None:
    candidates = [
        Exemplar("care_message", "编辑过的。", edited=True),
        Exemplar("care_message", "阶段对的。", stage="repeat"),
    ]
    assert _closest(candidates, qingshui.brand, stage="repeat") == ["阶段对的。", "编辑过的。"]


def test_among_equals_edited_then_newer_first(qingshui: BrandPack) -> None:
    # Candidates come newest first (as storage.exemplars.for_kind returns them).
    newest_first = [Exemplar("care_message", "新的。"), Exemplar("care_message", "旧的。")]
    assert _closest(newest_first, qingshui.brand) == ["新的。", "旧的。"]
    edited_older = [*newest_first, Exemplar("care_message", "改过的旧的。", edited=True)]
    assert _closest(edited_older, qingshui.brand, limit=1) == ["改过的旧的。"]


def test_limit_and_no_duplicates(qingshui: BrandPack) -> None:
    candidates = [
        Exemplar("care_message", "许晴你好，一样的一句。", trigger="day3"),
        Exemplar("care_message", "周可你好，一样的一句。"),  # the same once trimmed
        Exemplar("care_message", "   "),  # nothing to show
        Exemplar("care_message", "另一句。"),
        Exemplar("care_message", "第三句。"),
    ]
    assert _closest(candidates, qingshui.brand, limit=5) == ["一样的一句。", "另一句。", "第三句。"]
    assert _closest(candidates, qingshui.brand) == ["一样的一句。", "另一句。"]  # two by default
    assert _closest(candidates, qingshui.brand, limit=1) == ["一样的一句。"]


# --- trimming ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("许晴你好，洁面用了三天，还顺手吗？", "洁面用了三天，还顺手吗？"),
        ("许晴您好！用了一周啦。", "用了一周啦。"),
        ("许晴你好：\n\n用了一周啦。", "用了一周啦。"),
        ("你最近好吗？", "你最近好吗？"),  # not a greeting
    ],
)
def test_trim_drops_a_chinese_greeting(qingshui: BrandPack, text: str, shown: str) -> None:
    assert trim(text, qingshui.brand, "zh") == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Hi Emma,\nThree runs in. How did it feel?", "Three runs in. How did it feel?"),
        ("Dear Emma Clarke, thanks for running with us.", "thanks for running with us."),
        ("Hello Tom, see you Saturday.", "see you Saturday."),
        ("High five for your first 5K!", "High five for your first 5K!"),  # not a greeting
    ],
)
def test_trim_drops_an_english_greeting(stride: BrandPack, text: str, shown: str) -> None:
    assert trim(text, stride.brand, "en") == shown


def test_trim_drops_the_sms_signature_and_opt_out(qingshui: BrandPack, stride: BrandPack) -> None:
    zh = "【青水肌研】周可你好，洁面用了三天，还顺手吗？ 回复TD退订"
    assert trim(zh, qingshui.brand, "zh") == "洁面用了三天，还顺手吗？"
    en = "[Stride & Co.] Hi Emma, three runs in. How did the last one feel? Reply STOP to opt out"
    assert trim(en, stride.brand, "en") == "three runs in. How did the last one feel?"


def test_trim_drops_the_signature_and_the_email_footer(
    qingshui: BrandPack, stride: BrandPack
) -> None:
    zh = (
        "许晴你好：\n\n洁面用了三天，还顺手吗？\n\n—— 阿青（青水肌研配方师）\n\n"
        "不想再收到这类邮件？直接回复“退订”，或点击页尾的退订链接，我们会在 24 小时内停止发送。\n"
        "阿青 · 青水肌研 <care@qingshui.example.cn>"
    )
    assert trim(zh, qingshui.brand, "zh") == "洁面用了三天，还顺手吗？"
    en = (
        "Hi Emma,\n\nThree runs in. How did it feel?\n\n— Maya, Stride & Co.\n\n"
        "Don't want these emails? Reply \"unsubscribe\" or use the link below and we'll stop "
        "within a day.\nMaya at Stride & Co. <hello@stride.example.com>"
    )
    assert trim(en, stride.brand, "en") == "Three runs in. How did it feel?"


def test_trim_without_channel_rules(qingshui: BrandPack) -> None:
    brand = qingshui.brand.model_copy(update={"sms": None, "email": None})
    assert trim("许晴你好，用了一周啦。 —— 阿青（青水肌研配方师）", brand, "zh") == "用了一周啦。"


def test_trim_caps_the_length_at_a_sentence_end(qingshui: BrandPack, stride: BrandPack) -> None:
    zh = "一二三四五六七八九十。" * 12  # 132 characters
    shown = trim(zh, qingshui.brand, "zh")
    assert len(shown) <= MAX_CHARS["zh"] and shown.endswith("。") and len(shown) == 88
    en = "This is a sentence that is long enough. " * 10
    shown = trim(en, stride.brand, "en")
    assert len(shown) <= MAX_CHARS["en"] and shown.endswith("enough.")
    assert trim(QS_DAY3, qingshui.brand, "zh") == QS_DAY3  # short ones whole


def test_trim_without_a_sentence_end_cuts_at_the_cap(qingshui: BrandPack) -> None:
    long = "这是一个很长的句子没有任何标点" * 10
    shown = trim(long, qingshui.brand, "zh")
    assert shown == long[: MAX_CHARS["zh"]] + "…"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_trim_an_approved_email(qingshui: BrandPack, stride: BrandPack, lang: str) -> None:
    # the service keeps an approved email without its subject (drafting.service.decide)
    if lang == "zh":
        brand, name, subject = qingshui.brand, "许晴", "舒缓修护精华液的一个小提醒"
        text = (
            "许晴你好：\n\n舒缓修护精华液差不多用到一半了。可以对着自然光看看两颊。"
            "\n\n—— 阿青（青水肌研配方师）"
        )
    else:
        brand, name, subject = stride.brand, "Emma", "One small tip for your Cadence road shoe"
        text = (
            "Hi Emma,\n\nIt's day 3 with your Cadence road shoe. Check your toes."
            "\n\n— Maya, Stride & Co."
        )
    shown = trim(text, brand, lang)
    assert name not in shown and subject not in shown, shown


@pytest.mark.parametrize(
    ("lang", "text"), [("zh", "你好，用了一周啦。"), ("en", "Hi,\nHow was it?")]
)
def test_trim_a_nameless_greeting(
    qingshui: BrandPack, stride: BrandPack, lang: str, text: str
) -> None:
    brand = qingshui.brand if lang == "zh" else stride.brand
    assert trim(text, brand, lang) == ("用了一周啦。" if lang == "zh" else "How was it?")


# --- through the pipeline ---------------------------------------------------------------------


def _pipeline(settings: Settings, pack: BrandPack, reply: dict[str, str]) -> Pipeline:
    llm = FakeLLM(reply_fn=lambda _m, _s: json.dumps(reply, ensure_ascii=False))
    return Pipeline(settings, llm=llm, knowledge=FakeKnowledge([pack]), checker=scripted_check)


ZH_REPLY = {"tip": "洗完后十分钟摸摸脸，不紧绷就说明清洁力刚刚好", "question": "还顺手吗"}
EN_REPLY = {"tip": "After your first runs, think about how they felt", "question": "How was it"}


def test_a_day_3_care_message_carries_the_day_3_sample(
    settings: Settings, qingshui: BrandPack
) -> None:
    pipeline = _pipeline(settings, qingshui, ZH_REPLY)
    req = DraftRequest(brand="qingshui", customer_id="qs-002", kind="care_message", trigger="day3")
    draft_for(pipeline, req, as_of=AS_OF)
    prompt = pipeline.llm.calls[0].user  # type: ignore[attr-defined]
    assert "【我们写过的话】" in prompt and f"- {QS_DAY3}" in prompt
    assert QS_SILENCE not in prompt and QS_EMAIL not in prompt


def test_an_english_day_3_care_message_carries_the_day_3_sample(
    settings: Settings, stride: BrandPack
) -> None:
    pipeline = _pipeline(settings, stride, EN_REPLY)
    req = DraftRequest(brand="stride", customer_id="st-001", kind="care_message", trigger="day3")
    draft_for(pipeline, req, as_of=AS_OF)
    prompt = pipeline.llm.calls[0].user  # type: ignore[attr-defined]
    assert "[How we have written before]" in prompt and f"- {ST_DAY3}" in prompt
    assert "It has been a while" not in prompt and "Halfway through is a good time" not in prompt


def test_an_aftersale_email_carries_the_email_sample(
    settings: Settings, qingshui: BrandPack
) -> None:
    reply = {
        "subject": "精华用到一半了",
        "tip": "可以对着自然光看看两颊，泛红面积是不是小了一点",
        "bridge": "这也是出于同一个想法",
        "feedback": "用得不舒服的地方，也请告诉我们",
    }
    # the model words an email only with ZHENXIN_WORDING=model; in plain wording every part
    # of it is the program's and no model is called (so no sample is needed)
    by_model = settings.model_copy(update={"wording": "model"})
    pipeline = _pipeline(by_model, qingshui, reply)
    request = DraftRequest(brand="qingshui", customer_id="qs-006", kind="aftersale_email")
    draft_for(pipeline, request)
    prompt = pipeline.llm.calls[0].user  # type: ignore[attr-defined]
    assert QS_EMAIL in prompt and QS_DAY3 not in prompt and QS_SILENCE not in prompt
    plain = _pipeline(settings.model_copy(update={"wording": "plain"}), qingshui, reply)
    draft = draft_for(plain, request)
    assert plain.llm.calls == [] and draft.attempts == []  # type: ignore[attr-defined]
    assert {p.source for p in draft.parts} == {"fixed"} and draft.belief in draft.text


def test_approved_exemplars_passed_to_the_pipeline_reach_the_prompt(
    settings: Settings, qingshui: BrandPack
) -> None:
    pipeline = _pipeline(settings, qingshui, ZH_REPLY)
    req = DraftRequest(brand="qingshui", customer_id="qs-002", kind="care_message", trigger="day3")
    approved = [
        Exemplar(
            "care_message",
            "周可你好，编辑改过的一句：慢慢来，不着急。",
            trigger="day3",
            edited=True,
        ),
        Exemplar("aftersale_email", "邮件里通过的一句。", trigger="day3"),  # another kind
        Exemplar("care_message", "生日那天通过的一句。", trigger="birthday"),  # another moment
    ]
    pipeline.draft(req, customer=qingshui.customer("qs-002"), as_of=AS_OF, exemplars=approved)
    prompt = pipeline.llm.calls[0].user  # type: ignore[attr-defined]
    assert "- 编辑改过的一句：慢慢来，不着急。" in prompt  # trimmed of its greeting
    assert "周可你好，编辑改过" not in prompt
    assert f"- {QS_DAY3}" in prompt  # the brand's sample is the second
    assert "邮件里通过的一句" not in prompt and "生日那天通过的一句" not in prompt
