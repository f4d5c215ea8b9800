"""Traditional Chinese (繁體): read like its simplified twin, spans in the original text."""

from __future__ import annotations

import pytest

import evals.normalise as normalise_module
from evals import CheckContext, check
from evals.matching import clear_match_cache
from evals.normalise import normalise, normalise_with
from knowledge.stages import DEFAULT_STAGES
from tests.evals.conftest import make_brand

PAIRS = [
    ("限時搶購！全場五折，最後24小時，手慢無", "限时抢购！全场五折，最后24小时，手慢无"),
    (
        "這款精華能治療痘痘，效果全網第一，絕對有效。",
        "这款精华能治疗痘痘，效果全网第一，绝对有效。",
    ),
    (
        "親愛的顧客，恭喜您獲得免費領取資格，轉發到3個群即可！",
        "亲爱的顾客，恭喜您获得免费领取资格，转发到3个群即可！",
    ),
    (
        "我們不打折，也沒有優惠券，想說說怎麼用會更舒服。",
        "我们不打折，也没有优惠券，想说说怎么用会更舒服。",
    ),
]


def _rules(text: str) -> list[tuple[str, str, int, int]]:
    report = check(CheckContext(text=text, lang="zh", channel="wechat"))
    return [(f.rule, f.severity.value, f.start, f.end) for f in report.findings]


@pytest.mark.parametrize(("hant", "hans"), PAIRS)
def test_traditional_text_gets_the_verdict_of_its_simplified_twin(hant: str, hans: str) -> None:
    a = check(CheckContext(text=hant, lang="zh", channel="wechat"))
    b = check(CheckContext(text=hans, lang="zh", channel="wechat"))
    assert (a.verdict, a.score) == (b.verdict, b.score)
    assert _rules(hant) == _rules(hans)  # same rules at the same places


def test_flash_sale_in_traditional_is_no_longer_a_pass() -> None:
    report = check(CheckContext(text=PAIRS[0][0], lang="zh"))
    assert report.verdict != "pass"
    terms = [PAIRS[0][0][f.start : f.end] for f in report.findings if f.rule == "spam.urgency"]
    assert terms == ["限時", "最後24小時", "手慢無"]  # the writer's own characters


def test_spans_point_into_the_original_traditional_text() -> None:
    text = "謝謝您的回覆！這瓶精華能根治痘痘，現在下單立減50元。"
    report = check(CheckContext(text=text, lang="zh-Hant", channel="wechat"))
    by_rule = {f.rule: text[f.start : f.end] for f in report.findings}
    assert by_rule["compliance.medical"] == "根治"
    assert by_rule["spam.discount"] == "立減"
    assert report.findings[0].message  # messages in Chinese for zh-Hant


def test_offset_map_when_conversion_changes_the_length(monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenCC's dictionaries keep the length; a converter that does not (here 卅 → 30) still
    gets spans in the original text, through the offset map."""
    real = normalise_module._opencc()
    monkeypatch.setattr(normalise_module, "_converter", lambda s: real(s).replace("卅", "30"))
    clear_match_cache()
    try:
        text = "好久不見。最後卅小時，手慢無"
        norm = normalise(text)
        assert norm.text == "好久不见。最后30小时，手慢无"
        assert not norm.identity
        assert norm.span(5, 11) == (5, 10)  # 最后30小时 -> 最後卅小時
        assert norm.position(12) == 13  # 手 moved one place right
        report = check(CheckContext(text=text, lang="zh"))
        urgency = [text[f.start : f.end] for f in report.findings if f.rule == "spam.urgency"]
        assert urgency == ["最後卅小時", "手慢無"]
    finally:
        clear_match_cache()


def test_normalise_with_maps_every_character() -> None:
    def widen(s: str) -> str:
        return s.replace("卅", "三十")

    norm = normalise_with("a卅b卅", widen)
    assert norm.text == "a三十b三十"
    assert [norm.span(i, i + 1) for i in range(len(norm.text))] == [
        (0, 1),
        (1, 2),
        (1, 2),
        (2, 3),
        (3, 4),
        (3, 4),
    ]
    assert normalise_with("plain ascii", widen).identity
    assert normalise_with("没有变化", widen).identity


def test_brand_words_match_in_either_script() -> None:
    brand = make_brand("zh", lexicon={"spam": ["閉眼入"]}, style={"banned": ["亲"]})
    for text in ("這款閉眼入就對了", "这款闭眼入就对了"):
        report = check(CheckContext(text=text, lang="zh", brand=brand))
        assert "spam.urgency" in {f.rule for f in report.findings}, text
        hit = next(f for f in report.findings if f.rule == "spam.urgency")
        assert text[hit.start : hit.end] in ("閉眼入", "闭眼入")


def test_traditional_units_are_grounded_like_simplified_ones() -> None:
    sources = ["每天早晚各用2滴，連續使用三周。"]
    ok = check(CheckContext(text="每天用2滴，連續三週就好。", lang="zh", sources=sources))
    assert "grounding.unsupported_fact" not in {f.rule for f in ok.findings}
    text = "每天用2滴，連續用五週、每次10分鐘。"
    bad = check(CheckContext(text=text, lang="zh", sources=sources))
    facts = [text[f.start : f.end] for f in bad.findings if f.rule == "grounding.unsupported_fact"]
    assert facts == ["五週", "10分鐘"]  # traditional units are read, spans are the original


def test_zh_hant_is_a_brand_language_read_as_zh() -> None:
    brand = make_brand("zh", language="zh-Hant", name="青水肌研")
    assert brand.language == "zh-Hant"
    stage = DEFAULT_STAGES[0]
    assert stage.name("zh-Hant") == stage.name_zh
    hant = check(CheckContext(text="限時搶購，手慢無", lang="zh-Hant", brand=brand))
    zh = check(CheckContext(text="限時搶購，手慢無", lang="zh", brand=brand))
    assert hant.findings
    assert [f.message for f in hant.findings] == [f.message for f in zh.findings]


def test_unknown_brand_language_is_still_refused() -> None:
    with pytest.raises(ValueError):
        make_brand("zh", language="zh-TW")


def test_the_characters_hk2s_may_change_are_read_from_opencc_itself() -> None:
    """evals/hk2s_chars.json is what scripts/opencc_chars.py reads from the installed OpenCC's
    dictionaries (it fails when OpenCC changes them: run the script)."""
    from scripts.opencc_chars import expected

    assert normalise_module.CHANGES_FILE.read_text("utf-8") == expected()


def test_a_text_without_a_changeable_character_is_what_opencc_makes_of_it() -> None:
    """The shortcut past OpenCC: texts built from characters outside the set (common Chinese,
    punctuation, Latin) come out of OpenCC unchanged; texts with one go through OpenCC."""
    import random

    changeable = set(normalise_module.changeable_chars())
    convert = normalise_module._opencc()
    pool = [chr(c) for c in range(0x4E00, 0x9FA6) if chr(c) not in changeable]
    pool += list("，。！？、：；“”（）【】《》…—~ 0123456789abcXYZ\n")
    assert len(pool) > 15000
    rng = random.Random(20261205)
    for _ in range(3000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 12)))
        assert convert(text) == text, text
    for ch in "麼溫說與們":
        assert ch in changeable
        assert normalise(f"我{ch}你").text != f"我{ch}你"


def test_a_traditional_phantom_link_is_reported_like_its_simplified_twin() -> None:
    """The phantom-reference cue once read the text as written: "點擊鏈接" (no link in the
    message) passed while "点击链接" was flagged."""
    hant = "小林，小課堂回放整理好了，點擊鏈接就能看。"
    hans = "小林，小课堂回放整理好了，点击链接就能看。"
    assert _rules(hant) == _rules(hans)
    assert ("truth.phantom_reference", "warn", 13, 17) in _rules(hant)
