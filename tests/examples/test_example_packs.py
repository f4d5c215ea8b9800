"""The sample brand packs under ``examples/``: every demo, test and benchmark uses them, and
operators copy them. They must load cleanly, cover the whole lifecycle and every kind of
knowledge, carry sendable belief statements, and hold customers whose dates exercise every
care trigger on the demo dates (2026-11-23 and 2026-12-01).
"""

from __future__ import annotations

import csv
import datetime as dt
import re

import pytest

from batch.due import find_due
from evals import CheckContext, Severity, Verdict, check
from generator.basis import product_name
from generator.drafts import Trigger
from generator.planner import milestone
from knowledge.loader import CUSTOMER_COLUMNS, load_pack
from knowledge.pack import BrandPack, Channel, DocKind
from knowledge.stages import BaseStage
from tests.conftest import EXAMPLES

LANGUAGES = {"qingshui": "zh", "shanshi": "zh", "stride": "en"}
DEMO_DATES = (dt.date(2026, 11, 23), dt.date(2026, 12, 1))
CARE_TRIGGERS = {
    Trigger.DAY3,
    Trigger.HALF_USED,
    Trigger.ALMOST_FINISHED,
    Trigger.BIRTHDAY,
    Trigger.LONG_SILENCE,
    Trigger.STAGE_UP,
}
MILESTONES = {Trigger.DAY3, Trigger.HALF_USED, Trigger.ALMOST_FINISHED}
# A tag that tries to talk to the model (the injection check's test case), zh or en.
INJECTION = re.compile(r"忽略.{0,6}(指令|规则)|ignore (all )?previous instructions", re.IGNORECASE)


@pytest.fixture(scope="module", params=sorted(LANGUAGES))
def pack(request: pytest.FixtureRequest) -> BrandPack:
    return load_pack(EXAMPLES / request.param)


def _base(pack: BrandPack, stage_id: str) -> BaseStage:
    return pack.brand.stage(stage_id).base


def _is_style_guide(doc_tags: list[str]) -> bool:
    return "style" in doc_tags


def test_every_pack_folder_is_covered() -> None:
    folders = {p.name for p in EXAMPLES.iterdir() if (p / "brand.yaml").is_file()}
    assert folders == set(LANGUAGES)


def test_brand_matches_folder_and_language(pack: BrandPack) -> None:
    assert pack.brand.id == pack.root.name
    assert pack.brand.language == LANGUAGES[pack.brand.id]


def test_customers_csv_has_the_shared_header(pack: BrandPack) -> None:
    with (pack.root / "customers.csv").open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert tuple(header) == CUSTOMER_COLUMNS


def test_doc_and_customer_counts(pack: BrandPack) -> None:
    assert 8 <= len(pack.docs) <= 20
    assert 20 <= len(pack.customers) <= 30


def test_every_kind_of_knowledge_is_present(pack: BrandPack) -> None:
    assert {d.kind for d in pack.docs} == set(DocKind)


def test_customers_cover_all_five_stages(pack: BrandPack) -> None:
    assert {_base(pack, c.stage) for c in pack.customers} == set(BaseStage)


def test_every_stage_has_a_community_tier(pack: BrandPack) -> None:
    in_tiers = {s for tier in pack.brand.tiers for s in tier.stages}
    assert in_tiers == {s.id for s in pack.brand.stages}


def test_stories_consent_and_customers(pack: BrandPack) -> None:
    stories = [d for d in pack.docs if d.kind == DocKind.STORY]
    assert sum(1 for s in stories if s.consent) >= 3
    assert any(s.consent is False for s in stories)
    ids = {c.id for c in pack.customers}
    for story in stories:
        assert story.customer in ids, f"{story.id} names no customer of the pack"
        assert story.stages, f"{story.id} has no stage"


def test_every_purchase_has_a_usage_guide_with_usage_days(pack: BrandPack) -> None:
    for customer in pack.customers:
        for purchase in customer.purchases:
            guide = pack.usage_guide(purchase.product)
            assert guide is not None, f"{customer.id}: no guide for {purchase.product}"
            assert guide.usage_days, f"{guide.id} has no usage_days"


def test_usage_guides_state_their_usage_days_and_moments(pack: BrandPack) -> None:
    """The draft's "about N days" must be traceable to the guide's own text."""
    moments = {
        "zh": (r"第 ?3 ?天", r"一半|过半", r"快(用完|结)"),
        "en": (r"Day 3", r"Halfway", r"Nearly (worn|done)"),
    }[pack.brand.language]
    guides = [d for d in pack.docs if d.kind == DocKind.USAGE_GUIDE]
    assert len(guides) >= 3
    for guide in guides:
        assert str(guide.usage_days) in guide.body, guide.id
        for moment in moments:
            assert re.search(moment, guide.body), f"{guide.id} has no tip for {moment!r}"


def test_guide_titles_give_short_product_names(pack: BrandPack) -> None:
    """Drafts name the product by its guide title: "舒缓修护精华液 使用指南" -> 舒缓修护精华液."""
    for guide in (d for d in pack.docs if d.kind == DocKind.USAGE_GUIDE):
        name = product_name(guide)
        assert name != guide.title and len(name) <= 24, guide.title
        assert not re.search(r"[:：(（]", name), name


def test_brand_voice_and_channel_rules(pack: BrandPack) -> None:
    brand = pack.brand
    assert len(brand.beliefs) >= 3
    assert brand.founder_story and brand.persona.signature
    assert brand.style.preferred and brand.style.banned
    if Channel.SMS in brand.channels:
        assert brand.sms is not None and brand.sms.signature and brand.sms.opt_out
    if Channel.EMAIL in brand.channels:
        assert brand.email is not None and "<" in brand.email.sender


def test_customer_edge_cases_are_present(pack: BrandPack) -> None:
    customers = pack.customers
    assert sum(c.opted_out for c in customers) >= 2
    assert len({c.channel for c in customers}) >= 3
    assert any(not c.purchases for c in customers), "a customer with no purchases"
    assert any(INJECTION.search(v) for c in customers for v in c.tags.values()), (
        "a customer whose tag carries an instruction (for the injection check)"
    )
    assert any(
        _base(pack, c.stage) == BaseStage.REPEAT and len(c.purchases) >= 2 for c in customers
    )
    assert any(
        c.birthday is not None and (c.birthday.month, c.birthday.day) >= (11, 20) for c in customers
    ), "a birthday in late November or December"


def test_every_care_trigger_fires_on_the_demo_dates(pack: BrandPack) -> None:
    fired: set[Trigger] = set()
    skips: list[str] = []
    for on in DEMO_DATES:
        for due in find_due(pack, on):
            if due.skip is None:
                fired.add(due.trigger)
            else:
                skips.append(due.skip)
    assert fired >= CARE_TRIGGERS, f"never due: {sorted(CARE_TRIGGERS - fired)}"
    assert "opted out" in skips, "an opted-out customer who would otherwise be due"
    assert any(s.startswith("pressure") for s in skips), "a customer capped by contact pressure"


def test_planner_and_batch_agree_on_usage_moments(pack: BrandPack) -> None:
    """The purchase dates sit on unambiguous moments: the planner names the same one."""
    checked = 0
    for on in DEMO_DATES:
        for due in find_due(pack, on):
            if due.trigger not in MILESTONES or due.product is None:
                continue
            last = due.customer.last_purchase
            assert last is not None
            guide = pack.usage_guide(due.product)
            assert guide is not None
            assert milestone((on - last.date).days, guide.usage_days) == due.trigger, due.reason
            checked += 1
    assert checked >= 5


def test_belief_statements_are_sendable(pack: BrandPack) -> None:
    """Drafts weave beliefs in verbatim, even at first contact, so each must pass the suite."""
    brand = pack.brand
    first = brand.stages[0].id
    channel = "community" if Channel.COMMUNITY in brand.channels else brand.channels[0].value
    for belief in brand.beliefs:
        report = check(
            CheckContext(
                text=belief.text,
                lang=brand.language,
                channel=channel,
                kind="care_message",
                brand=brand,
                stage=first,
            )
        )
        problems = [f"{f.rule}: {belief.text[f.start : f.end]}" for f in report.findings]
        assert report.verdict == Verdict.PASS, f"{belief.id}: {problems}"


def test_prompt_notes_carry_no_unlawful_wording(pack: BrandPack) -> None:
    """Persona voice and style notes go into every prompt: say "no medical wording" without
    quoting the medical or absolute words themselves, so a small model cannot echo them."""
    brand = pack.brand
    for text in [brand.persona.voice, *brand.style.notes]:
        report = check(CheckContext(text=text, lang=brand.language, brand=brand))
        bad = [f.rule for f in report.findings if f.rule.startswith("compliance.")]
        assert not bad, f"{text}: {bad}"


def test_knowledge_docs_carry_no_banned_or_unlawful_wording(pack: BrandPack) -> None:
    """Retrieved passages become the draft's sources: no absolute, medical, urgency or
    banned words in them (the style guide points to ``style.banned`` instead of listing it).
    Saying "we never discount" is allowed: customers ask exactly that."""
    for doc in pack.docs:
        report = check(
            CheckContext(
                text=doc.body,
                lang=pack.brand.language,
                channel="community",
                kind="community_post",
                brand=pack.brand,
            )
        )
        bad = [
            f"{f.rule}: {doc.body[f.start : f.end]}"
            for f in report.findings
            if f.severity != Severity.INFO
            and (f.rule.startswith(("compliance.", "spam.urgency")) or f.rule == "tone.banned")
        ]
        assert not bad, f"{doc.id}: {bad}"
    assert any(_is_style_guide(d.tags) for d in pack.docs), "a style guide document"
