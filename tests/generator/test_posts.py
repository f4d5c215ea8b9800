"""Posts read their source for quoting (generator.posts), zh and en."""

from __future__ import annotations

import pytest

from generator.posts import PostSource, faq_pairs, post_layout, post_source
from generator.slots import assemble, invents_someone
from knowledge.pack import BrandPack


def test_an_activity_quotes_its_fact_lines(qingshui: BrandPack, stride: BrandPack) -> None:
    zh = post_source(qingshui.doc("activity-workshop"), None, "zh")
    assert zh.kind == "activity" and zh.topic == "皮肤屏障小课堂"
    assert zh.quoted[0] == (
        "时间：每月第二个周六 14:00–15:30。线上在新朋友群里直播，线下在杭州工作室，最多 12 人。"
    )
    assert "费用：免费。课堂上不卖货，不发优惠券。" in zh.quoted
    assert sum(len(q) for q in zh.quoted) <= 300 + len(zh.quoted[0])
    en = post_source(stride.doc("activity-saturday-run"), None, "en")
    # a fact line that runs on to the next line is one fact
    assert en.quoted[1] == (
        "Groups: run-walk (5 km), easy (5–8 km) and steady (10 km). Every group has a pacer at "
        "the front and a sweeper at the back, so nobody finishes alone."
    )
    assert en.quoted[0].startswith("When and where: every Saturday at 8:30")


def test_the_faq_gives_two_answers_a_month_and_the_next_two_the_month_after(
    qingshui: BrandPack, stride: BrandPack
) -> None:
    pairs = faq_pairs(qingshui.doc("faq-sensitive-skin"), "zh")
    assert len(pairs) == 8 and pairs[0][0] == "怎么知道自己屏障受损了？"
    assert pairs[0][1].endswith("如果伴随明显的红肿、渗出或持续瘙痒，请先去皮肤科。")
    december = post_source(qingshui.doc("faq-sensitive-skin"), None, "zh", turn=0)
    january = post_source(qingshui.doc("faq-sensitive-skin"), None, "zh", turn=1)
    assert [q for q, _ in december.pairs] == [pairs[0][0], pairs[1][0]]
    assert [q for q, _ in january.pairs] == [pairs[2][0], pairs[3][0]]
    en = faq_pairs(stride.doc("faq-new-runners"), "en")
    assert en[2] == (
        "My shins hurt. Should I push through?",
        "No. A dull ache that is gone the next day is usually fine. Sharp pain, pain that gets "
        "worse during the run, or pain that is still there after two days means stop running "
        "and see a physio.",
    )


def test_a_story_is_its_own_paragraphs_within_the_budget(qingshui: BrandPack) -> None:
    story = post_source(qingshui.doc("story-xiaolin"), None, "zh")
    assert story.who == "晓林" and story.title == "晓林：从每天换一款，到三个月只用三样"
    assert story.quoted[0].startswith("晓林是一名护士，上夜班")
    assert all(
        q in story.prompt_text("zh") or len(story.prompt_text("zh")) == 300
        for q in story.quoted[:1]
    )
    assert sum(map(len, story.quoted)) <= 360


def test_a_post_layout_quotes_and_closes(qingshui: BrandPack) -> None:
    belief = qingshui.brand.beliefs[0]
    source = post_source(None, belief, "zh")
    layout = post_layout(source, "zh")
    text = assemble(layout, {"lead": "这周想说说修护这件事。"}, lang="zh").text
    assert text == (
        "这周想说说修护这件事。\n\n我们一直相信：" + belief.text + "\n\n"
        "这周你有什么小美好？欢迎在群里分享。"
    )
    parts = assemble(layout, {}, lang="zh").parts
    assert parts[0].name == "title" and parts[0].text == "本周小美好｜" + belief.topic
    assert parts[1].text == "这周想和大家说一件小事。"  # the plain lead


def test_a_theme_with_nothing_under_it_is_its_own_title() -> None:
    source = post_source(None, None, "zh", theme="年终感谢（新朋友群）：年末，谢谢你")
    assert source == PostSource(kind="none", title="年末，谢谢你")
    plain = assemble(post_layout(source, "zh"), {}, lang="zh").parts
    assert plain[1].text == "谢谢你们在这里，不管是刚来，还是已经很久。"  # true for a new tier
    en = post_source(
        None, None, "en", theme="Year-end thanks (Rookies): At the year's end: thank you"
    )
    assert en == PostSource(kind="none", title="At the year's end: thank you")
    en_plain = assemble(post_layout(en, "en"), {}, lang="en").parts
    assert en_plain[1].text.startswith("Thank you for being here, whether you joined this month")
    layout = post_layout(source, "zh", belief="批评比夸奖有用。")
    text = assemble(layout, {"lead": "这一年，谢谢大家。"}, lang="zh").text
    assert (
        text == "这一年，谢谢大家。\n\n我们一直相信：批评比夸奖有用。\n\n欢迎在群里说说你的想法。"
    )


@pytest.mark.parametrize(
    ("text", "invents"),
    [
        ("有位朋友说，她再也不乱买了。", True),
        ("晓林说：“原来我的皮肤不需要那么多东西。”", False),  # the story's own words
        ("群里有人说“太好用了”。", True),
        ("A member told us it changed her mornings.", True),
        ("Grace picked the route and the time.", False),
        ("今天想和大家分享晓林的故事。", False),
    ],
)
def test_a_post_sentence_invents_no_one(text: str, invents: bool) -> None:
    source = (
        "晓林说：“原来我的皮肤不需要那么多东西，它需要的是我别再折腾它。” Grace picked the route"
    )
    assert invents_someone(text, source) is invents


def test_an_english_belief_post_reads_as_sentences(stride: BrandPack) -> None:
    belief = stride.brand.beliefs[0]
    text = assemble(post_layout(post_source(None, belief, "en"), "en"), {}, lang="en").text
    assert text == (
        "One small thing for this week.\n\nWe believe this: " + belief.text + "\n\n"
        "What was a small good thing in your week? Share it here."
    )


def test_a_belief_post_carries_what_the_value_doc_says_beyond_it(qingshui: BrandPack) -> None:
    from knowledge.pack import DocKind

    values = [d for d in qingshui.docs if d.kind == DocKind.VALUE]
    belief = next(b for b in qingshui.brand.beliefs if b.id == "criticism-welcome")
    source = post_source(None, belief, "zh", values=values)
    text = assemble(post_layout(source, "zh"), {}, lang="zh").text
    assert "现在的精华配方就改过三版，其中两版的改动来自用户的吐槽。" in text
    assert "慢慢来、屏障" not in text  # the style guide's word list is no explanation
