"""knowledge.guides: a usage guide read as its operator wrote it — its items, the item for a
moment of use, its safety statements (front matter, safety headings, safety words) and how a
tip is split from the safety sentences it carries, in Chinese (qingshui) and English (stride)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.guides import (
    MOMENT_MARKS,
    GuideItem,
    fits_day,
    items,
    moment_item,
    safety_statements,
    sentences,
    split_safety,
)
from knowledge.loader import load_pack
from knowledge.pack import BrandPack, DocKind, KnowledgeDoc
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def qingshui() -> BrandPack:
    return load_pack(EXAMPLES / "qingshui")


@pytest.fixture(scope="module")
def stride() -> BrandPack:
    return load_pack(EXAMPLES / "stride")


def _guide(body: str, **kw: object) -> KnowledgeDoc:
    return KnowledgeDoc(
        id="guide-test",
        kind=DocKind.USAGE_GUIDE,
        title="guide",
        product="thing",
        body=body,
        **kw,  # type: ignore[arg-type]
    )


# --- items ------------------------------------------------------------------------------------


def test_items_of_a_chinese_guide(qingshui: BrandPack) -> None:
    found = items(qingshui.doc("guide-repair-serum"))
    assert found[0] == GuideItem(
        "舒缓修护精华液 30ml",
        "它是什么：一支水润的修护精华，主要成分是神经酰胺 NP、泛醇（维生素原 B5）和积雪草提取物，"
        " 不添加香精和酒精。它的工作是帮助皮肤留住水分、维护屏障，让换季时的紧绷和泛红慢慢缓下来。",
    )  # the bold markers are gone, the wrapped line joined
    steps = [i.text for i in found if i.heading == "用量与步骤"]
    assert steps[0] == "洁面后，脸还微微湿润时使用效果更好。"  # "1. " dropped
    assert steps[-1] == "早晚各一次。按这个用量，一瓶 30ml 大约用 30 天。"  # "**30 天**" plain
    assert len(steps) == 5
    assert len([i for i in found if i.heading == "注意事项"]) == 5
    assert {i.heading for i in found} == {
        "舒缓修护精华液 30ml",
        "用量与步骤",
        "不同时间点，可以留意什么",
        "注意事项",
        "常见问题",
    }


def test_items_of_an_english_guide(stride: BrandPack) -> None:
    found = items(stride.doc("guide-road-shoe"))
    start = [i.text for i in found if i.heading == "How to start"]
    assert len(start) == 4 and start[0].startswith("Wear them around the house for an evening")
    assert "toes should have a thumb's width of room, the heel" in start[0]  # lines joined
    day3 = next(i for i in found if i.text.startswith("Day 3:"))
    assert day3.heading == "What to look for, and when"
    assert "**" not in day3.text


def test_items_markers_paragraphs_and_headings() -> None:
    doc = _guide(
        "Before any heading.\n"
        "# Title\n\n"
        "A paragraph\nthat wraps.\n\n"
        "- a `code` bullet\n"
        "- **bold**: and a line\n  that continues\n"
        "1) one\n2. two\n* star\n+ plus\n"
        "## Safety\n"
        "- Keep away from eyes.\n"
    )
    assert items(doc) == [
        GuideItem("", "Before any heading."),
        GuideItem("Title", "A paragraph that wraps."),
        GuideItem("Title", "a code bullet"),
        GuideItem("Title", "bold: and a line that continues"),
        GuideItem("Title", "one"),
        GuideItem("Title", "two"),
        GuideItem("Title", "star"),
        GuideItem("Title", "plus"),
        GuideItem("Safety", "Keep away from eyes."),
    ]


# --- the item for a moment --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "starts"),
    [
        ("day3", "第 3 天："),
        ("half_used", "用到一半（约第 15 天）："),
        ("almost_finished", "快用完时（约第 25 天）："),
        ("welcome", "洁面后，脸还微微湿润时"),  # the first step
        ("after_purchase", "洁面后，脸还微微湿润时"),
        ("stage_up", "洁面后，脸还微微湿润时"),
    ],
)
def test_moment_item_in_chinese(qingshui: BrandPack, trigger: str, starts: str) -> None:
    item = moment_item(qingshui.doc("guide-repair-serum"), trigger)
    assert item is not None and item.text.startswith(starts)


@pytest.mark.parametrize(
    ("trigger", "starts"),
    [
        ("day3", "Day 3: how did the first runs feel?"),
        ("half_used", "Halfway (about day 90"),
        ("almost_finished", "Nearly worn (about day 150"),
        ("welcome", "Wear them around the house"),  # under "How to start"
    ],
)
def test_moment_item_in_english(stride: BrandPack, trigger: str, starts: str) -> None:
    item = moment_item(stride.doc("guide-road-shoe"), trigger)
    assert item is not None and item.text.startswith(starts)


@pytest.mark.parametrize("trigger", ["birthday", "long_silence", "question", "monthly"])
def test_moments_a_guide_says_nothing_about(qingshui: BrandPack, trigger: str) -> None:
    assert moment_item(qingshui.doc("guide-repair-serum"), trigger) is None


def test_no_start_heading_no_first_steps(stride: BrandPack) -> None:
    # The socks guide starts under "How to wear them": not a heading of first steps.
    assert moment_item(stride.doc("guide-merino-socks"), "welcome") is None
    assert moment_item(stride.doc("guide-merino-socks"), "day3") is not None


def test_a_guide_without_the_moment_gives_none() -> None:
    doc = _guide("## 用法\n- 早晚各一次。\n- 第 3 天：摸摸脸。\n")
    assert moment_item(doc, "half_used") is None
    assert moment_item(doc, "almost_finished") is None
    assert moment_item(doc, "day3") == GuideItem("用法", "第 3 天：摸摸脸。")


def test_the_most_telling_mark_wins_over_an_earlier_item() -> None:
    zh = _guide("## 留意\n- 一半的人会觉得闷。\n- 用到一半：看看两颊。\n")
    assert moment_item(zh, "half_used") == GuideItem("留意", "用到一半：看看两颊。")
    en = _guide("## Notes\n- In the first week, run short.\n- DAY 3: check your toes.\n")
    assert moment_item(en, "day3") == GuideItem("Notes", "DAY 3: check your toes.")  # any case


def test_every_moment_has_marks_in_both_languages() -> None:
    for trigger, marks in MOMENT_MARKS.items():
        assert any(not m.isascii() for m in marks), trigger
        assert any(m.isascii() for m in marks), trigger


def test_day_3_is_not_day_30() -> None:
    doc = _guide("## When\n- Halfway (about day 30): check the heel.\n")
    assert moment_item(doc, "day3") is None


def test_the_10k_plans_nearly_done_item(stride: BrandPack) -> None:
    item = moment_item(stride.doc("guide-10k-plan"), "almost_finished")
    assert item is not None and item.text.startswith("Nearly done")


# --- sentences --------------------------------------------------------------------------------


def test_sentences_in_chinese() -> None:
    assert sentences("第一句。第二句！第三句；最后一句") == [
        "第一句。",
        "第二句！",
        "第三句；",
        "最后一句",
    ]
    assert sentences("用到一半了？ 看看两颊。") == ["用到一半了？", "看看两颊。"]
    assert sentences("") == [] and sentences("   ") == []


def test_sentences_in_english() -> None:
    assert sentences("Use 2.5 ml. Then wait a minute! Visit bit.ly/x today? ok") == [
        "Use 2.5 ml.",  # a period inside a number does not end it
        "Then wait a minute!",
        "Visit bit.ly/x today?",
        "ok",
    ]
    assert sentences("Wait... then go.") == ["Wait...", "then go."]


# --- safety statements ------------------------------------------------------------------------


def test_safety_statements_of_a_chinese_guide(qingshui: BrandPack) -> None:
    assert safety_statements(qingshui.doc("guide-repair-serum")) == [
        "持续发红发烫就停用，告诉我们。",  # by its words, inside the day-3 item
        "第一次使用前，先在耳后或下颌角试用两天。",  # every item under 注意事项
        "正在用刷酸、A 醇类产品的朋友，和它错开早晚使用。",
        "皮肤有破损、正在皮肤科就诊时，先问医生再用。",
        "配方不含视黄醇类和水杨酸；孕期、哺乳期的朋友，使用前建议先问问自己的医生。",
        "开封后 6 个月内用完；放在阴凉处，不用放冰箱。",
    ]


def test_safety_statements_of_an_english_guide(stride: BrandPack) -> None:
    assert safety_statements(stride.doc("guide-road-shoe")) == [
        "Sharp pain, numb toes or rubbing on the heel are not normal: stop, tell us, and we will "
        "look at lacing or sizing with you.",
        "Shoes make running more comfortable; they are not a fix for an injury. Pain that changes "
        "how you run, or lasts more than a few days, needs a physio or a doctor.",
    ]


def test_sentences_without_safety_words_outside_a_safety_heading_are_not_safety(
    qingshui: BrandPack, stride: BrandPack
) -> None:
    zh = safety_statements(qingshui.doc("guide-repair-serum"))
    assert not any("多数人会觉得洗完脸没那么紧了" in s for s in zh)  # same item, no safety word
    assert not any("早晚各一次" in s for s in zh)
    en = safety_statements(stride.doc("guide-road-shoe"))
    assert not any("A little stiffness in the calves is normal" in s for s in en)  # "normal"


@pytest.mark.parametrize(
    "sentence",
    [
        "如果出现红疹，请停用。",
        "症状持续请及时就医。",
        "对羊毛过敏的朋友请告诉我们。",
        "孕期使用前先问问自己的医生。",
        "Stop using them if your heel blisters.",
        "Numb toes are not normal.",
        "If it hurts for days, see a doctor.",
        "Tell us if you are allergic to wool.",
    ],
)
def test_a_safety_sentence_is_found_by_its_words(sentence: str) -> None:
    lead = "Rinse well." if sentence.isascii() else "洗完摸摸脸。"
    doc = _guide(f"## Notes\n- {lead} {sentence}\n")
    assert safety_statements(doc) == [sentence]


def test_front_matter_safety_comes_first_and_once() -> None:
    doc = _guide(
        "## Steps\n- Rinse well.\n## Cautions\n- Keep away from eyes.\n- Store cool.\n",
        safety=["Patch test first.", "Keep away from eyes."],
    )
    assert safety_statements(doc) == ["Patch test first.", "Keep away from eyes.", "Store cool."]


def test_front_matter_safety_through_the_loader(tmp_path: Path) -> None:
    root = tmp_path / "qingshui"
    shutil.copytree(EXAMPLES / "qingshui", root)
    guide = root / "knowledge" / "guide-gentle-cleanser.md"
    text = guide.read_text(encoding="utf-8")
    declared = "用后如有刺痛，请用清水冲净。"
    guide.write_text(
        text.replace("usage_days: 60\n", f"usage_days: 60\nsafety:\n  - {declared}\n", 1),
        encoding="utf-8",
    )
    doc = load_pack(root).doc("guide-gentle-cleanser")
    assert doc.safety == [declared]
    found = safety_statements(doc)
    assert found[0] == declared  # declared: quoted although no safety word says so
    assert "泡沫进眼睛时用清水冲洗即可。" in found  # the 注意事项 items still count
    assert len(found) == len(set(found))


# --- splitting a tip from its safety sentences --------------------------------------------------


def test_split_safety_in_chinese(qingshui: BrandPack) -> None:
    doc = qingshui.doc("guide-repair-serum")
    item = moment_item(doc, "day3")
    assert item is not None
    tip, quoted = split_safety(item.text, safety_statements(doc))
    assert quoted == ["持续发红发烫就停用，告诉我们。"]  # verbatim
    assert tip == (
        "第 3 天：多数人会觉得洗完脸没那么紧了。如果有轻微刺痒，先减到每次 4–5 滴、只晚上用，"
        " 三天后再加回来。"
    )  # joined without spaces


def test_split_safety_in_english(stride: BrandPack) -> None:
    doc = stride.doc("guide-road-shoe")
    item = moment_item(doc, "day3")
    assert item is not None
    tip, quoted = split_safety(item.text, safety_statements(doc))
    assert quoted == [
        "Sharp pain, numb toes or rubbing on the heel are not normal: stop, tell us, and we will "
        "look at lacing or sizing with you."
    ]
    assert tip == (
        "Day 3: how did the first runs feel? A little stiffness in the calves is normal when the "
        "drop differs from your old shoe."
    )  # joined with spaces


def test_split_safety_by_the_list_or_by_words() -> None:
    assert split_safety("洗完摸摸脸。持续发红就停用。记得盖好盖子。", ["记得盖好盖子。"]) == (
        "洗完摸摸脸。",
        ["持续发红就停用。", "记得盖好盖子。"],
    )
    assert split_safety(
        "Air-dry them. Keep away from eyes. See a doctor if it hurts.",
        [
            "Keep away from eyes.",
        ],
    ) == ("Air-dry them.", ["Keep away from eyes.", "See a doctor if it hurts."])
    # A sentence that is part of a longer listed statement is quoted too.
    assert split_safety("Rinse. Patch test first.", ["Patch test first. Then wait."]) == (
        "Rinse.",
        ["Patch test first."],
    )
    assert split_safety("洗完摸摸脸。", []) == ("洗完摸摸脸。", [])
    assert split_safety("Check the heel. Even wear is good.", []) == (
        "Check the heel. Even wear is good.",
        [],
    )


@pytest.mark.parametrize(
    ("text", "days", "usage_days", "fits"),
    [
        # a plan's week-4 passage is not for week 3 (a reader's "wrong moment", day 20)
        (
            "Halfway (about day 28, end of week 4): you are running 5 minutes at a time.",
            20,
            56,
            False,
        ),
        (
            "Halfway (about day 28, end of week 4): you are running 5 minutes at a time.",
            24,
            56,
            True,
        ),
        (
            "Halfway (about day 28, end of week 4): you are running 5 minutes at a time.",
            33,
            56,
            True,
        ),
        (
            "Halfway (about day 28, end of week 4): you are running 5 minutes at a time.",
            36,
            56,
            False,
        ),
        ("训练营过半（第二周）：把晚饭的主食换成杂粮。", 9, 21, True),
        ("训练营过半（第二周）：把晚饭的主食换成杂粮。", 5, 21, False),
        # a named day: within a quarter of the guide's days, at least 5
        ("用到一半（约第 15 天）：可以对着自然光看看两颊。", 20, 30, True),
        ("用到一半（约第 15 天）：可以对着自然光看看两颊。", 23, 30, False),
        ("快用完时（约第二十五天）：回想一下这一个月。", 29, 30, True),
        ("Nearly worn (about day 300): check the outsole.", 250, 365, True),
        ("用到一半：看看两颊。", 27, 30, True),  # names no time: any day
    ],
)
def test_a_guide_item_that_names_its_time_fits_only_near_it(
    text: str, days: int, usage_days: int, fits: bool
) -> None:
    assert fits_day(text, days, usage_days) is fits
