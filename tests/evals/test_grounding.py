from __future__ import annotations

import datetime as dt

from evals.checks.grounding import facts
from tests.evals.conftest import make_customer, rules, run, spans

SOURCE_ZH = "修护精华使用指南：每次2滴，早晚各一次，一瓶约用30天。敏感期先在耳后试用三天。"
SOURCE_EN = "Road shoe guide: most pairs last 500 to 800 km. Replace them after about 6 months."


def test_facts_normalise_chinese_numbers_and_units() -> None:
    found = {
        (v, u)
        for v, u, _, _ in facts("每次两滴，早晚各一次，连续用28天，十五分钟，3 drops, 4 weeks")
    }
    assert {
        (2.0, "drop"),
        (28.0, "天"),
        (15.0, "minute"),
        (3.0, "drop"),
        (4.0, "周"),
    } <= found


def test_unsupported_amount_is_flagged_with_its_span() -> None:
    text = "小林，精华每次两滴就够，一瓶大概能用45天。"
    report = run(text, sources=[SOURCE_ZH])
    assert spans(report, text, "grounding.unsupported_fact") == ["45天"]
    ok = "小林，精华每次两滴就够，一瓶大概能用30天，先在耳后试用3天。"
    assert "grounding.unsupported_fact" not in rules(run(ok, sources=[SOURCE_ZH]))


def test_english_facts() -> None:
    text = "Hi Sam, most pairs last 500 km; replace them after 12 months."
    report = run(text, lang="en", sources=[SOURCE_EN])
    assert spans(report, text, "grounding.unsupported_fact") == ["12 months"]
    found = spans(report, text, "grounding.unsupported_fact")
    assert "500 km" not in found


def test_customer_context_explains_days_since_purchase() -> None:
    customer = make_customer(purchases=[{"product": "repair-serum", "date": "2026-11-01"}])
    text = "小雨，精华你已经用了22天了，每次两滴。"
    report = run(text, sources=[SOURCE_ZH], customer=customer, as_of=dt.date(2026, 11, 23))
    assert "grounding.unsupported_fact" not in rules(report)


def test_proof_claims_need_a_source() -> None:
    text = "这款精华经过临床验证，放心用。"
    assert spans(run(text), text, "grounding.unsupported_claim") == ["临床验证"]
    assert "grounding.unsupported_claim" not in rules(
        run(text, sources=["第三方机构临床验证：28天泛红改善。"])
    )
    en = "It is dermatologist tested and clinically proven."
    assert len(spans(run(en, lang="en"), en, "grounding.unsupported_claim")) == 2


def test_product_names_must_come_from_sources() -> None:
    text = "小林，修护精华和焕亮面膜可以一起用。"
    report = run(text, sources=[SOURCE_ZH], products=["修护精华", "焕亮面膜"])
    assert spans(report, text, "grounding.unsupported_fact") == ["焕亮面膜"]


def test_naming_what_the_customer_bought_is_grounded() -> None:
    # purchases are recorded by product id; the draft uses the display name
    zh = make_customer(purchases=[{"product": "mask", "date": "2026-10-01"}])
    text = "小林，焕亮面膜用得还顺手吗？修护精华也可以一起用。"
    names = {"mask": "焕亮面膜", "repair-serum": "修护精华"}
    report = run(
        text,
        sources=[SOURCE_ZH],
        products=["修护精华", "焕亮面膜"],
        customer=zh,
        product_names=names,
    )
    assert "grounding.unsupported_fact" not in rules(report)
    en = make_customer(purchases=[{"product": "road-shoe", "date": "2026-06-01"}])
    text = "Sam, how are the Cadence road shoe miles going? The Tempo trail shoe is new."
    report = run(
        text,
        lang="en",
        sources=[SOURCE_EN],
        products=["Cadence road shoe", "Tempo trail shoe"],
        customer=en,
        product_names={"road-shoe": "Cadence road shoe", "trail-shoe": "Tempo trail shoe"},
    )
    assert spans(report, text, "grounding.unsupported_fact") == ["Tempo trail shoe"]


def test_no_sources_no_number_findings() -> None:
    assert "grounding.unsupported_fact" not in rules(run("每次两滴，一瓶用45天。"))


def test_ranges_give_both_ends_the_unit() -> None:
    assert {(v, u) for v, u, _, _ in facts("每次2-3滴，500 to 800 km")} == {
        (2.0, "drop"),
        (3.0, "drop"),
        (500.0, "km"),
        (800.0, "km"),
    }


def test_brand_fixed_lines_are_not_product_facts() -> None:
    from tests.evals.conftest import make_brand

    brand = make_brand(
        "zh",
        email={
            "sender": "阿青 <care@example.com>",
            "unsubscribe": "回复退订，我们会在 24 小时内停止发送。",
        },
    )
    text = "小林你好：每次两滴。\n回复退订，我们会在 24 小时内停止发送。"
    assert "grounding.unsupported_fact" not in rules(run(text, sources=[SOURCE_ZH], brand=brand))
    assert "grounding.unsupported_fact" in rules(run(text, sources=[SOURCE_ZH]))


def test_generic_yi_is_not_an_amount() -> None:
    text = "如果需要进一步的帮助，一天里随时找我；每天2次。"
    report = run(text, sources=["每天2次"])
    assert "grounding.unsupported_fact" not in rules(report)
    assert {(v, u) for v, u, _, _ in facts("一天一次，两滴")} == {(2.0, "drop")}


def test_the_customers_own_words_and_the_plans_days_are_context() -> None:
    said = ["这两天晚上饿得睡不着，是不是吃太少了？"]
    text = "李敏，你提到这两天晚上饿得睡不着，多半是主食减多了。"
    assert "grounding.unsupported_fact" in rules(run(text, sources=[SOURCE_ZH]))
    assert "grounding.unsupported_fact" not in rules(
        run(text, sources=[SOURCE_ZH], customer_said=said)
    )
    silence = "周女士，我们已经99天没聊了，孩子还好吗？"
    report = run(silence, sources=[SOURCE_ZH], facts={"days_since_contact": "99"})
    assert "grounding.unsupported_fact" not in rules(report)
    en = "Hi Sam, you said your calves ached for 3 days after the long run."
    assert "grounding.unsupported_fact" not in rules(
        run(en, lang="en", sources=[SOURCE_EN], customer_said=["My calves ached for 3 days."])
    )
