from __future__ import annotations

from collections.abc import Sequence

from evals import CheckContext, Severity, check
from evals.checks.tone import ToneCheck, lexical_similarity
from tests.evals.conftest import make_brand, make_customer, rules, run, spans


def test_leftover_placeholders_block_both_languages() -> None:
    text = "[您的名字]你好，{{product}}用得怎么样？"
    report = run(text)
    assert spans(report, text, "tone.placeholder") == ["[您的名字]", "{{product}}"]
    assert report.verdict.value == "block"
    en = "Hi {first_name}, how is [product name] going?"
    assert spans(run(en, lang="en"), en, "tone.placeholder") == ["{first_name}", "[product name]"]
    assert "tone.placeholder" not in rules(run("【青水肌研】小林你好"))  # an SMS signature


def test_banned_words_from_the_brand_style() -> None:
    brand = make_brand("zh", style={"banned": ["亲", "宝子"]})
    text = "宝子，精华用得怎么样？"
    assert spans(run(text, brand=brand), text, "tone.banned") == ["宝子"]
    brand_en = make_brand("en", style={"banned": ["crush it"]})
    text = "Go crush it, Sam"
    assert spans(run(text, lang="en", brand=brand_en), text, "tone.banned") == ["crush it"]


def test_generic_greeting() -> None:
    text = "尊敬的客户您好，精华记得早晚用。"
    report = run(text, kind="care_message")
    f = next(f for f in report.findings if f.rule == "tone.generic_greeting")
    assert text[f.start : f.end] == "尊敬的客户" and f.severity == Severity.WARN
    assert "tone.generic_greeting" in rules(run("Dear valued customer, hello.", lang="en"))


def test_specific_mentions_customer_context() -> None:
    customer = make_customer(
        name="林小雨",
        purchases=[{"product": "修护精华", "date": "2026-11-01"}],
        tags={"skin": "敏感肌"},
    )
    generic = "你好，最近天气变冷了，注意保暖。"
    report = run(generic, customer=customer, kind="care_message")
    assert "tone.not_specific" in rules(report)
    for specific in (
        "小雨，最近天气冷，注意保暖。",
        "你的敏感肌换季要慢慢来。",
        "修护精华用得怎么样？",
    ):
        assert "tone.not_specific" not in rules(
            run(specific, customer=customer, kind="care_message")
        )
    en_customer = make_customer(name="Sam Wilson", tags={"goal": "first 10K"})
    assert "tone.not_specific" in rules(
        run("Hello, keep going!", lang="en", customer=en_customer, kind="care_message")
    )
    assert "tone.not_specific" not in rules(
        run("Hi Sam, keep going!", lang="en", customer=en_customer, kind="care_message")
    )


def test_a_purchase_recorded_by_id_is_recognised_by_its_name() -> None:
    zh = make_customer(purchases=[{"product": "repair-serum", "date": "2026-11-01"}])
    text = "舒缓修护精华液用到一半了，泛红有没有小一点？"
    assert "tone.not_specific" in rules(run(text, customer=zh, kind="care_message"))
    names = {"repair-serum": "舒缓修护精华液"}
    report = run(text, customer=zh, kind="care_message", product_names=names)
    assert "tone.not_specific" not in rules(report)
    en = make_customer(
        name="Emma Clarke", purchases=[{"product": "road-shoe", "date": "2026-11-20"}]
    )
    text = "Thank you for choosing our Cadence road shoe. Wear them around the house first."
    names = {"road-shoe": "Cadence road shoe"}
    report = run(text, lang="en", customer=en, kind="aftersale_email", product_names=names)
    assert "tone.not_specific" not in rules(report)


def test_sells_before_it_helps() -> None:
    text = "下单立减20元！精华记得早晚用两滴。"
    assert spans(run(text), text, "tone.sells_first") == ["下单"]
    helpful = "精华记得早晚用两滴；需要补货的话可以告诉我。"
    assert "tone.sells_first" not in rules(run(helpful))
    en = "Buy now and save. Remember to stretch after runs."
    assert spans(run(en, lang="en"), en, "tone.sells_first") == ["Buy"]


def test_first_contact_no_selling_no_referral() -> None:
    text = "欢迎你！推荐给朋友还能领券。"
    report = run(text, stage="初识")
    assert spans(report, text, "tone.stage_referral") == ["推荐给朋友"]
    assert spans(report, text, "tone.stage_selling") == ["券"]
    f = next(f for f in report.findings if f.rule == "tone.stage_referral")
    assert "初识" in f.message
    en = "Welcome! Refer a friend and get a coupon."
    found = run(en, lang="en", stage="first_contact")
    assert {"tone.stage_referral", "tone.stage_selling"} <= rules(found)
    assert (
        "First contact"
        in next(f for f in found.findings if f.rule == "tone.stage_referral").message
    )


def test_core_member_not_discount_led() -> None:
    text = "专属8折！小张，新品试用会下周开始，想请你先用。"
    report = run(text, stage="core_member")
    assert spans(report, text, "tone.stage_discount_led") == ["8折"]
    calm = "小张，新品试用会下周开始，想请你先用、先提意见。"
    assert "tone.stage_discount_led" not in rules(run(calm, stage="携手"))
    en = "20% off for you! Also, the early trial starts next week."
    assert "tone.stage_discount_led" in rules(run(en, lang="en", stage="core_member"))


def test_repeat_stage_allows_a_gentle_note() -> None:
    text = "阿芳，天气转凉，晚上可以多抹一层。需要补货的话告诉我。"
    assert not {"tone.stage_selling", "tone.stage_discount_led"} & rules(run(text, stage="repeat"))


def test_belief_present_and_faithful_lexical() -> None:
    brand = make_brand("zh")
    good = "小林你好：早晚两滴。我们相信，皮肤本来就会自己修复，我们能做的是少打扰它。\n——阿青"
    report = run(good, kind="aftersale_email", brand=brand)
    assert not {"tone.belief_missing", "tone.belief_unfaithful"} & rules(report)
    missing = "小林你好：早晚两滴，用完告诉我。\n——阿青"
    assert "tone.belief_missing" in rules(run(missing, kind="aftersale_email", brand=brand))
    drifted = "小林你好：皮肤需要一点时间，我们一直相信猛药才能修复。\n——阿青"
    report = run(drifted, kind="aftersale_email", brand=brand)
    f = next(f for f in report.findings if f.rule == "tone.belief_unfaithful")
    assert drifted[f.start : f.end].startswith("皮肤需要一点时间")


def test_belief_english() -> None:
    brand = make_brand("en")
    good = (
        "Hi Jordan, keep it easy. "
        "We believe consistency beats intensity: the runs you repeat change you."
    )
    assert not {"tone.belief_missing", "tone.belief_unfaithful"} & rules(
        run(good, lang="en", kind="aftersale_email", brand=brand)
    )
    missing = "Hi Jordan, keep it easy this week and tell me how it goes."
    f = next(
        f
        for f in run(missing, lang="en", kind="aftersale_email", brand=brand).findings
        if f.rule == "tone.belief_missing"
    )
    assert "Consistency beats intensity" in f.suggestion


def test_belief_given_by_the_caller_must_show_up() -> None:
    belief = "能少加一种成分，就少加一种。"
    assert "tone.belief_missing" in rules(run("小林你好，早晚两滴。", belief=belief))
    assert not rules(run("小林你好，早晚两滴。我们能少加一种成分，就少加一种。", belief=belief)) & {
        "tone.belief_missing",
        "tone.belief_unfaithful",
    }


def test_lexical_similarity_bounds() -> None:
    assert lexical_similarity("皮肤会自己修复", "皮肤会自己修复") == 1.0
    assert lexical_similarity("今天下雨", "皮肤会自己修复") == 0.0
    assert lexical_similarity("anything", "") == 0.0


class _KeywordEmbedder:
    """A two-dimensional toy embedder: [talks about repair, talks about price]."""

    name = "toy"
    dim = 2

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return [
            1.0 if "修复" in text or "repair" in text else 0.05,
            1.0 if "价" in text or "price" in text else 0.05,
        ]


def test_belief_semantic_with_an_embedder() -> None:
    brand = make_brand("zh")
    emb = _KeywordEmbedder()
    text = "小林你好。皮肤自己会修复的，给它时间。"
    ctx = CheckContext(text=text, kind="aftersale_email", brand=brand)
    assert not {"tone.belief_missing", "tone.belief_unfaithful"} & rules(check(ctx, embedder=emb))
    off = CheckContext(text="小林你好。我们的价格一直很稳。", kind="aftersale_email", brand=brand)
    assert "tone.belief_missing" in rules(check(off, embedder=emb))
    assert ToneCheck(emb).embedder is emb


def test_cold_care_message_is_info_only() -> None:
    report = run("精华早晚两滴。", kind="care_message")
    f = next(f for f in report.findings if f.rule == "tone.cold")
    assert f.severity == Severity.INFO and report.verdict.value == "pass"
    assert "tone.cold" not in rules(
        run("Two drops morning and evening, you'll like it.", lang="en", kind="care_message")
    )


def test_stage_by_the_brands_own_names() -> None:
    brand = make_brand(
        "en",
        stages=[
            {
                "id": "rookie",
                "base": "first_contact",
                "name_zh": "新手",
                "name_en": "First steps",
                "selling": "never",
            },
            {"id": "pro", "base": "core_member", "name_zh": "老手", "name_en": "Club member"},
        ],
    )
    text = "Welcome! Refer a friend for a coupon."
    for stage in ("rookie", "First steps", "first steps", "新手", "first_contact"):
        found = rules(run(text, lang="en", brand=brand, stage=stage))
        assert "tone.stage_referral" in found, stage
    assert "tone.stage_referral" not in rules(run(text, lang="en", brand=brand, stage="pro"))


def test_text_that_stops_mid_sentence() -> None:
    story = "晓林的故事\n晓林是一名护士，上夜班。她第一次来问我们的时候，梳妆台上有十四瓶护肤品，"
    f = next(f for f in run(story, kind="user_story_post").findings if f.rule == "tone.unfinished")
    assert (story[f.start : f.end], f.severity) == ("，", Severity.WARN)
    en = "Emma, the first runs in new shoes often feel stiff in the calves, and"
    assert "tone.unfinished" not in rules(run(en, lang="en"))  # a word, not a mark, at the end
    cut = "Emma, the first runs in new shoes often feel stiff in the calves,"
    assert spans(run(cut, lang="en", kind="care_message"), cut, "tone.unfinished") == [","]
    # an SMS is judged before its fixed tail (signature and opt-out)
    sms = "【青水肌研】小林，精华用到一半了，晚上薄涂就好， 回复TD退订"
    report = run(sms, channel="sms", brand=make_brand("zh"))
    assert spans(report, sms, "tone.unfinished") == ["，"]
    done = "【青水肌研】小林，精华用到一半了，晚上薄涂就好。 回复TD退订"
    assert "tone.unfinished" not in rules(run(done, channel="sms", brand=make_brand("zh")))
    # emails end with a sign-off and the unsubscribe line: not judged by this rule
    assert "tone.unfinished" not in rules(run("Hi Emma,", lang="en", channel="email"))


def _own_stages(lang: str, avoid: list[str]) -> list[dict[str, object]]:
    return [
        {
            "id": "first_contact",
            "base": "first_contact",
            "name_zh": "初见",
            "name_en": "First steps",
            "who": "刚下第一单" if lang == "zh" else "first order",
            "avoid": avoid,
            "selling": "gentle",  # so only the brand's own rules speak here
        }
    ]


def test_a_brand_s_own_stage_rules_hold_the_draft_zh() -> None:
    brand = make_brand("zh", stages=_own_stages("zh", ["请对方转介绍", "提到会员日"]))
    text = "欢迎你！可以先少量试用。也欢迎推荐给朋友，会员日见。"
    report = run(text, brand=brand, stage="first_contact", kind="care_message")
    found = [f for f in report.findings if f.rule == "tone.stage_avoid"]
    # a rule naming a concept (referrals) uses its pattern; another, its own words
    assert [text[f.start : f.end] for f in found] == ["推荐给朋友"]
    assert "初见" in found[0].message and "请对方转介绍" in found[0].message
    assert "tone.stage_referral" not in rules(report)  # the brand's rules replace ours
    literal = "欢迎你！下周三是我们的提到会员日。"
    hit = [
        f
        for f in run(literal, brand=brand, stage="first_contact").findings
        if f.rule == "tone.stage_avoid"
    ]
    assert [literal[f.start : f.end] for f in hit] == ["提到会员日"]
    fine = "欢迎你！先少量试用，有不舒服随时告诉我。"
    assert "tone.stage_avoid" not in rules(run(fine, brand=brand, stage="first_contact"))


def test_a_brand_s_own_stage_rules_hold_the_draft_en() -> None:
    brand = make_brand("en", stages=_own_stages("en", ["coupons", "asking for referrals"]))
    text = "Welcome! Here is a coupon: 10% discount on your next pair. Tell your friends too."
    report = run(text, lang="en", brand=brand, stage="first_contact", kind="care_message")
    found = {text[f.start : f.end] for f in report.findings if f.rule == "tone.stage_avoid"}
    assert found == {"coupon", "Tell your friends"}
    assert all("First steps" in f.message for f in report.findings if f.rule == "tone.stage_avoid")
    fine = "Welcome! Two easy runs this week, then tell me how they felt."
    assert "tone.stage_avoid" not in rules(run(fine, lang="en", brand=brand, stage="first_contact"))
