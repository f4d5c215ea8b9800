from __future__ import annotations

from evals import Severity, Verdict
from evals.checks.compliance import ComplianceCheck
from evals.types import CheckContext
from tests.evals.conftest import make_brand, rules, run, spans


def test_absolute_terms_chinese_with_offsets() -> None:
    text = "这是国家级配方，全网第一，最有效的精华，100%纯天然。"
    report = run(text)
    assert spans(report, text, "compliance.absolute") == ["国家级", "全网第一", "最有效", "100%"]
    assert report.verdict == Verdict.BLOCK
    f = next(f for f in report.findings if f.rule == "compliance.absolute")
    assert "广告法" in f.message and "allowed_claims" in f.suggestion


def test_ordinary_words_with_zui_and_diyi_are_not_claims() -> None:
    text = "最近天气干，第一步先洁面，第一次用可以少一点，最后抹面霜，最好晚上用。"
    assert "compliance.absolute" not in rules(run(text))


def test_absolute_terms_english() -> None:
    text = "The #1 serum, the best product on the market, 100% guaranteed. All the best, Maya"
    found = spans(run(text, lang="en"), text, "compliance.absolute")
    assert found == ["#1", "the best product", "100%", "guaranteed"]


def test_brand_allowed_claim_lets_a_provable_claim_pass() -> None:
    brand = make_brand("zh", compliance={"allowed_claims": ["2023年天猫敏感肌类目销量第一"]})
    text = "谢谢你，我们去年是2023年天猫敏感肌类目销量第一，但更在乎你用得好不好。"
    assert ComplianceCheck().run(CheckContext(text=text, brand=brand)) == []
    assert "compliance.absolute" in rules(ComplianceCheck().run(CheckContext(text=text)))
    brand_en = make_brand("en", compliance={"allowed_claims": ["#1 in Runner's Choice 2024"]})
    text = "Voted #1 in Runner's Choice 2024, but your comfort matters more."
    assert ComplianceCheck().run(CheckContext(text=text, lang="en", brand=brand_en)) == []


def test_medical_claims_both_languages() -> None:
    text = "这款精华能根治痘痘，还能消炎。"
    assert spans(run(text), text, "compliance.medical") == ["根治", "消炎"]
    text = "This cream cures acne and treats eczema."
    assert spans(run(text, lang="en"), text, "compliance.medical") == ["cures", "treats eczema"]


def test_medical_words_in_advice_to_see_a_doctor_are_fine() -> None:
    assert "compliance.medical" not in rules(run("如果红肿一直不退，请及时就医治疗。"))
    text = "If the pain persists, see a doctor for treatment of the injury."
    assert "compliance.medical" not in rules(run(text, lang="en"))
    assert "compliance.medical" not in rules(run("Treat yourself to a rest day.", lang="en"))


def test_efficacy_promises_are_warnings() -> None:
    text = "跟着练，一个月瘦10斤，永不反弹。"
    findings = [f for f in run(text).findings if f.rule == "compliance.efficacy"]
    assert [text[f.start : f.end] for f in findings] == ["一个月瘦10斤", "永不反弹"]
    assert {f.severity for f in findings} == {Severity.WARN}
    text = "Lose 10 pounds in a week, results guaranteed."
    assert "compliance.efficacy" in rules(run(text, lang="en"))


def test_injury_prevention_is_a_promise_to_prove_not_a_disease_claim() -> None:
    text = "Fit them well first: this will help prevent injury on longer runs."
    report = run(text, lang="en")
    assert spans(report, text, "compliance.efficacy") == ["prevent injury"]
    assert "compliance.medical" not in rules(report) and report.verdict != Verdict.BLOCK
    text = "这双跑鞋能预防运动损伤。"
    assert spans(run(text), text, "compliance.efficacy") == ["预防运动损伤"]
    advice = "加量慢一点，给身体适应的时间，避免受伤。"
    assert "compliance.efficacy" not in rules(run(advice))


def test_brand_medical_words() -> None:
    brand = make_brand("zh", lexicon={"medical": ["修复激素脸"]})
    text = "可以修复激素脸"
    found = ComplianceCheck().run(CheckContext(text=text, brand=brand))
    assert [text[f.start : f.end] for f in found] == ["修复激素脸"]


STORY_ZH = (
    "陈婧：从追着孩子喂饭，到一家人一起做饭团\n\n今天想和大家分享陈婧的故事。\n\n"
    "陈婧来训练营，本来不是为了自己。她的儿子乐乐那年五岁，只吃白米饭和肉松，"
    "每顿饭都是一场“追着喂”的战斗。\n\n第一周，助教没有给乐乐的菜单提任何建议，只请陈婧先调整"
    "自己的盘子，并且每天和乐乐一起吃饭，不催、不哄。她半信半疑。\n\n第二周，乐乐开始好奇妈妈碗里"
    "的“彩色米饭”，要了一口。\n\n她说：“我最大的变化，是不再把吃饭当成任务。孩子看着我怎么吃，"
    "比我说什么都管用。”"
)
STORY_EN = (
    "Dana's story\n\nDana did not come for herself. Her son Leo was five and ate only white "
    "rice. In the first week the coach asked Dana to change her own plate and eat with Leo. "
    "In the second week Leo asked for a bite of the 'colourful rice'. \"The kids watch how I "
    'eat," she says.'
)


def test_a_childs_name_in_a_public_post_is_blocked() -> None:
    """A consented story post quoted the pack's story: "她的儿子乐乐那年五岁…" (a reader; the
    shanshi pack's policy: children's photos and names are never used in public content)."""
    for kind in ("community_post", "user_story_post"):
        report = run(STORY_ZH, kind=kind, channel="community")
        assert spans(report, STORY_ZH, "compliance.child_name") == ["乐乐"]
        f = next(f for f in report.findings if f.rule == "compliance.child_name")
        assert f.severity == Severity.ERROR and "4 次" in f.message
        assert report.verdict == Verdict.BLOCK
    en = run(STORY_EN, lang="en", kind="community_post", channel="community")
    assert spans(en, STORY_EN, "compliance.child_name") == ["Leo"]
    f = next(f for f in en.findings if f.rule == "compliance.child_name")
    assert f.severity == Severity.ERROR and "used 3 times" in f.message
    # the plan says so when the kind does not: a post is not personal
    assert "compliance.child_name" in rules(run(STORY_ZH, personal=False))


def test_child_name_shapes() -> None:
    def named(text: str, lang: str = "zh") -> list[str]:
        return spans(run(text, lang=lang, kind="community_post"), text, "compliance.child_name")

    assert named("她女儿叫小雨，今年五岁。小雨最爱捏饭团。") == ["小雨"]
    assert named("陈婧的闺女豆豆三岁。豆豆不吃青菜，后来豆豆自己要。") == ["豆豆"]
    assert named("他的孩子名叫王一鸣。王一鸣现在每天带饭。") == ["王一鸣"]
    assert named("A girl named Mia joined in June. Mia now packs her own lunch.", "en") == ["Mia"]
    assert named("My son, Sam, is six. Sam runs with me.", "en") == ["Sam"]
    assert named("Her daughter Ava Li came too. Ava asked for seconds.", "en") == ["Ava"]


def test_child_words_without_a_name_are_fine() -> None:
    def named(text: str, lang: str = "zh") -> set[str]:
        return rules(run(text, lang=lang, kind="community_post"))

    for text in (
        "孩子看着我怎么吃，比我说什么都管用。孩子看着我，也就学会了。",
        "孩子天天吃白米饭，天天如此；宝宝慢慢会自己吃，慢慢来。",
        "孩子小时候挑食，小时候的事别着急。",
        "孩子叫了一声，叫了一声就跑开了。",
        "她的儿子乐乐那年五岁。",  # named once: nothing repeats it
    ):
        assert "compliance.child_name" not in named(text), text
    for en in (
        "The kids watched me eat. The kids ate the same.",
        "Her son. Leo was five, and Leo ran.",  # the name is not right after the child word
        "My daughter and I run on Sunday. And on Sunday we rest.",
        "Her daughter named the dog Rex. Rex barked.",
    ):
        assert "compliance.child_name" not in named(en, "en"), en


def test_a_childs_name_in_a_message_to_the_parent_is_fine() -> None:
    text = "陈婧你好，乐乐这周愿意吃杂粮饭了吗？你的儿子乐乐上次说想自己捏饭团。"
    assert "compliance.child_name" not in rules(run(text, kind="care_message", personal=True))
    assert "compliance.child_name" not in rules(run(text))  # checked alone: not known public
    en = "Hi Dana, how is Leo doing? Your son Leo wanted to make his own rice ball."
    assert "compliance.child_name" not in rules(run(en, lang="en", kind="aftersale_email"))
