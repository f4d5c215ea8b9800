"""The kind registry: every kind is described once and has what it needs everywhere; the tier
invitation is added through it alone (spec, layout), zh and en."""

from __future__ import annotations

import pytest

from api.web_i18n import t
from core.errors import NotFoundError, RefusedError
from evals import check
from generator.basis import CheckBasis
from generator.drafts import ContentKind, DraftRequest
from generator.kinds import KINDS, Trigger, kind_spec
from generator.pipeline import Pipeline
from generator.planner import invitation_tier
from generator.render import PROMPTS_DIR
from knowledge.fake import FakeKnowledge
from knowledge.pack import BrandPack
from llm.fake import FakeLLM
from tests.generator.conftest import AS_OF, draft_for


def test_every_kind_has_a_spec_labels_and_the_composed_templates() -> None:
    assert set(KINDS) == set(ContentKind)
    for kind in ContentKind:
        spec = kind_spec(kind)
        assert spec.label("zh") and spec.label("en")
        for lang in ("zh", "en"):
            assert t(f"kind_{kind.value}", lang) == spec.label(lang)
    # every kind is composed from the same templates; none has one of its own
    for lang in ("zh", "en"):
        names = {p.name for p in (PROMPTS_DIR / lang).glob("*.j2")}
        assert names == {"brand.j2", "slots.j2", "slot_revise.j2"}


def test_tier_invitation_goes_only_to_customers_who_qualify(qingshui: BrandPack) -> None:
    brand = qingshui.brand
    repeat = qingshui.customer("qs-015")  # 相恋 (repeat)
    assert invitation_tier(brand, "old-friends", repeat).id == "old-friends"  # their circle
    assert invitation_tier(brand, "co-creators", repeat).id == "co-creators"  # one step up
    newcomer = next(c for c in qingshui.customers if c.stage == "first_contact")
    with pytest.raises(RefusedError, match="does not qualify"):
        invitation_tier(brand, "co-creators", newcomer)
    with pytest.raises(NotFoundError, match="no tier 'vip'"):
        invitation_tier(brand, "vip", repeat)


def test_no_invitation_into_a_tier_bought_already() -> None:
    """A reader: 李敏 bought the 21-day camp three days ago and was invited to 训练营, "加入我们
    这个训练营吧？" — the camp she is in. A tier's ``products`` are a place in it."""
    from pathlib import Path

    from flywheel.members import score
    from knowledge.loader import load_pack

    shanshi = load_pack(Path(__file__).resolve().parents[2] / "examples" / "shanshi")
    brand = shanshi.brand
    camper = shanshi.customer("ss-001")  # camp-21 on 2026-11-20
    with pytest.raises(RefusedError, match="in tier 'camp' already: they bought camp-21"):
        invitation_tier(brand, "camp", camper)
    other = next(
        c
        for c in shanshi.customers
        if c.stage == "first_contact" and all(p.product != "camp-21" for p in c.purchases)
    )
    assert invitation_tier(brand, "camp", other).id == "camp"
    on = AS_OF
    assert "camp" not in score(brand, camper, None, on).tiers
    assert "camp" in score(brand, other, None, on).tiers
    assert "camp" not in score(brand, camper, None, on, tiers={camper.stage: ("camp",)}).tiers


def test_a_tier_s_products_must_be_the_pack_s(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil
    from pathlib import Path

    from core.errors import PackError
    from knowledge.loader import load_pack

    src = Path(__file__).resolve().parents[2] / "examples" / "stride"
    pack = tmp_path / "stride"
    shutil.copytree(src, pack)
    text = (pack / "brand.yaml").read_text(encoding="utf-8")
    first_tier = text.index("tiers:")
    stages_at = text.index("stages:", first_tier)
    text = text[:stages_at] + "products: [no-such-thing]\n    " + text[stages_at:]
    (pack / "brand.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PackError, match="no-such-thing"):
        load_pack(pack)


@pytest.mark.parametrize(
    ("brand", "cid", "tier", "reply", "words"),
    [
        (
            "qingshui",
            "qs-015",
            "co-creators",
            {
                "why": "你用修护精华和面霜的这两个多月，认真记下了每次换季的变化",
                "invite": "想邀请你来一起聊聊新配方，你愿意吗",
            },
            ("共创官", "不是推销", "每季度一次线上共创会"),
        ),
        (
            "stride",
            "st-001",
            "rookie",
            {
                "why": "You have been out running three times a week since you got the Cadence",
                "invite": "Would you like to run the 10K plan with us",
            },
            ("Rookie", "not a sale", "Run-walk welcome"),
        ),
    ],
)
def test_tier_invitation_drafts_in_both_languages(
    settings,  # type: ignore[no-untyped-def]
    qingshui: BrandPack,
    brand: str,
    cid: str,
    tier: str,
    reply: dict[str, str],
    words: tuple[str, ...],
) -> None:
    from knowledge.loader import load_pack
    from tests.generator.conftest import EXAMPLES

    pack = qingshui if brand == "qingshui" else load_pack(EXAMPLES / "stride")
    llm = FakeLLM(replies=[reply])
    pipeline = Pipeline(settings, llm=llm, knowledge=FakeKnowledge([pack]), checker=check)
    request = DraftRequest(brand=brand, kind="tier_invitation", customer_id=cid, tier=tier)
    draft = draft_for(pipeline, request, as_of=AS_OF)
    assert draft.trigger == Trigger.TIER_INVITE.value and draft.plan.selling == "never"
    prompt = llm.calls[0].user
    name, rule, description = words
    assert name in prompt and rule in prompt and description in prompt  # the tier, explained
    assert reply["why"] in draft.text and draft.verdict.value in ("pass", "review")
    tier_part = next(p for p in draft.parts if p.name == "tier")
    assert tier_part.source == "fixed" and description in tier_part.text  # quoted, not made up
    assert [p.name for p in draft.parts][-1] == "no_pressure"
    assert not [f for f in draft.findings if f.rule == "tone.kind_selling"]
    # the tier's own words are the brand's facts, not unsupported ones ("10K beginner plan")
    assert not [
        f
        for f in draft.findings
        if f.rule == "grounding.unsupported_fact"
        and f.start >= tier_part.start
        and f.end <= tier_part.end
    ]
    assert draft.basis is not None and any(description in s for s in draft.basis.sources)


@pytest.mark.parametrize(
    ("lang", "text", "term"),
    [
        ("zh", "谢婷你好，邀请你加入共创官，现在加入立减50元，名额有限。", "立减"),
        ("en", "Hi Emma, join the Inner Circle today and get 20% off your next pair.", "20% off"),
    ],
)
def test_an_invitation_that_sells_is_flagged(lang: str, text: str, term: str) -> None:
    basis = CheckBasis.for_text(None, lang=lang, kind="tier_invitation", channel="wechat")
    report = check(basis.context(text, None))
    hits = [f for f in report.findings if f.rule == "tone.kind_selling"]
    assert hits and term in text[hits[0].start : hits[0].end] and report.verdict != "pass"
    # the same words in a care message are not this rule's business
    care = CheckBasis.for_text(None, lang=lang, kind="care_message", channel="wechat")
    assert not [
        f for f in check(care.context(text, None)).findings if f.rule == "tone.kind_selling"
    ]
