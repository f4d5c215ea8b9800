"""The brand's product ladder (a usage guide's ``next``), the ``milestone`` care trigger and
the computed timeline facts in the prompt, zh (stroller -> walker) and en (road -> trail)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from batch.due import DueRules, find_due
from core.errors import PackError, RefusedError
from core.settings import Settings
from generator.drafts import Draft, DraftRequest, Trigger
from generator.pipeline import Pipeline
from knowledge.fake import FakeKnowledge
from knowledge.loader import load_pack
from knowledge.pack import BrandPack, Purchase
from llm.fake import FakeLLM
from tests.generator.conftest import scripted_check

FIXTURES = Path(__file__).parent / "fixtures"
ON = dt.date(2026, 12, 3)  # 孩子12个月是12月1日 / the child turned 12 months on 12-01


@pytest.fixture(scope="module")
def xiaobu() -> BrandPack:
    return load_pack(FIXTURES / "xiaobu")


@pytest.fixture(scope="module")
def trailhead() -> BrandPack:
    return load_pack(FIXTURES / "trailhead")


# --- the pack format -----------------------------------------------------------------------


def test_the_ladder_loads(xiaobu: BrandPack, trailhead: BrandPack) -> None:
    stroller = xiaobu.doc("stroller-guide")
    assert (stroller.next, stroller.from_months, stroller.timeline) == ("walker-guide", 12, None)
    road = trailhead.doc("road-shoe-guide")
    assert (road.next, road.from_months, road.timeline) == ("trail-shoe-guide", 6, "running_since")


def _problems(root: Path) -> list[tuple[str, str, str]]:
    with pytest.raises(PackError) as info:
        load_pack(root)
    return [(p.file, p.location, p.message) for p in info.value.problems]


def _edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / "knowledge" / name
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_next_must_name_a_usage_guide(tmp_path: Path) -> None:
    """next 指向不存在的指南或不是使用指南：清楚的问题 / next naming no usage guide."""
    root = tmp_path / "xiaobu"
    shutil.copytree(FIXTURES / "xiaobu", root)
    _edit(root, "stroller-guide.md", "next: walker-guide", "next: scooter-guide")
    problems = _problems(root)
    assert problems == [
        (
            "knowledge/stroller-guide.md",
            "next",
            "'next: scooter-guide' is not a usage guide of this pack",
        )
    ]
    _edit(root, "stroller-guide.md", "next: scooter-guide", "next: values")
    assert _problems(root)[0][2] == "'next: values' is not a usage guide of this pack"


def test_next_and_from_months_go_together(tmp_path: Path) -> None:
    root = tmp_path / "xiaobu"
    shutil.copytree(FIXTURES / "xiaobu", root)
    _edit(root, "stroller-guide.md", "from_months: 12\n", "")
    problem = _problems(root)[0]  # (then the customers' stroller has no guide either)
    assert problem[0] == "knowledge/stroller-guide.md" and "go together" in problem[2]
    _edit(root, "stroller-guide.md", "next: walker-guide\n", "")
    _edit(root, "values.md", "kind: value\n", "kind: value\nnext: walker-guide\nfrom_months: 3\n")
    (problem,) = _problems(root)
    assert problem[0] == "knowledge/values.md" and "belong to a usage_guide" in problem[2]


# --- the care trigger ------------------------------------------------------------------------


def test_milestone_is_due_once_when_the_timeline_crosses_the_window(xiaobu: BrandPack) -> None:
    due = {d.customer.id: d for d in find_due(xiaobu, ON)}
    first = due["xb-001"]
    assert first.trigger == Trigger.MILESTONE and not first.skipped
    assert first.occurrence == "milestone:walker-guide:xb-001" and first.product == "walker"
    assert "xb-002" not in due  # 已经买了学步推车 / already has the walker
    assert "xb-003" not in due  # 孩子才5个月 / the child is 5 months old
    assert "xb-004" not in due  # 买推车时孩子已过12个月 / bought after the window opened
    # 第二天：同一个 occurrence 已经处理过，不会再来 / handled: never drafted twice
    later = find_due(xiaobu, ON + dt.timedelta(days=1), handled={first.occurrence})
    assert all(d.trigger != Trigger.MILESTONE for d in later)
    # 窗口开了两周以上不再补 / more than milestone_days after the window opened
    assert not [d for d in find_due(xiaobu, dt.date(2026, 12, 15)) if d.customer.id == "xb-001"]
    assert find_due(xiaobu, dt.date(2026, 12, 14))[0].trigger == Trigger.MILESTONE
    # 前一天还没到 / the day before the window opens
    assert not [d for d in find_due(xiaobu, dt.date(2026, 11, 30)) if d.customer.id == "xb-001"]
    assert not find_due(xiaobu, ON, rules=DueRules(milestone_days=2))


def test_a_usage_moment_goes_before_a_milestone(xiaobu: BrandPack) -> None:
    """用量时刻的日子过得快，先发它；成长节点第二天还在 / the usage moment first."""
    guide = xiaobu.doc("stroller-guide").model_copy(update={"usage_days": 30})
    customer = xiaobu.customer("xb-001")
    bought = [*customer.purchases, Purchase(product="stroller", date=ON - dt.timedelta(days=3))]
    customer = customer.model_copy(update={"purchases": bought, "last_contacts": []})
    pack = xiaobu.model_copy(
        update={
            "docs": [guide if d.id == guide.id else d for d in xiaobu.docs],
            "customers": [customer],
        }
    )
    assert find_due(pack, ON)[0].trigger == Trigger.DAY3
    assert find_due(pack, ON + dt.timedelta(days=3))[0].trigger == Trigger.MILESTONE


def test_english_timeline_from_running_since(trailhead: BrandPack) -> None:
    due = {d.customer.id: d for d in find_due(trailhead, ON)}
    assert due["th-001"].trigger == Trigger.MILESTONE
    assert due["th-001"].occurrence == "milestone:trail-shoe-guide:th-001"
    assert "th-002" not in due  # running for 4 months / 才跑了4个月


# --- the draft ---------------------------------------------------------------------------------


def _draft(settings: Settings, pack: BrandPack, cid: str, reply: str) -> tuple[Draft, FakeLLM]:
    llm = FakeLLM(reply_fn=lambda messages, schema: reply)
    pipeline = Pipeline(settings, llm=llm, knowledge=FakeKnowledge([pack]), checker=scripted_check)
    request = DraftRequest(
        brand=pack.brand.id, kind="care_message", customer_id=cid, trigger=Trigger.MILESTONE
    )
    return pipeline.draft(request, customer=pack.customer(cid), as_of=ON), llm


def test_zh_milestone_draft_names_the_next_product_from_the_ladder(
    settings: Settings, xiaobu: BrandPack
) -> None:
    reply = (
        '{"growth": "一年过得真快。", "tip": "等宝宝能扶着家具站稳再开始，每次10到15分钟就好。"}'
    )
    draft, llm = _draft(settings, xiaobu, "xb-001", reply)
    prompt = llm.calls[0].user
    # 算出来的年龄进了提示，旧的“宝宝8个月”、原始日期都没有 / the computed age, no stale literal
    assert "如今：孩子1岁" in prompt and "接下来：学步推车" in prompt
    assert "8个月" not in prompt and "2025-12" not in prompt and "child_age" not in prompt
    assert "扶着家具站稳" in prompt  # 下一步指南的那一条 / the next guide's first steps
    assert draft.plan.facts["child_birth"] == "孩子1岁" and draft.plan.next_doc == "walker-guide"
    assert draft.text.startswith("王小雨你好，孩子1岁了。一年过得真快。")
    assert "接下来也许用得上学步推车" in draft.text and "不着急" in draft.text
    sources = {p.name: p.source for p in draft.parts}
    assert sources["next"] == "fixed" and sources["opening"] == "fixed"
    assert sources["no_pressure"] == "fixed" and sources["growth"] == "model"
    assert {s.doc_id for s in draft.sources} == {"walker-guide"}
    assert any("推销" in m or "价格" in m for m in draft.plan.must_not)


def test_en_milestone_draft(settings: Settings, trailhead: BrandPack) -> None:
    reply = (
        '{"growth": "Six months of steady running is a real base.", '
        '"tip": "Start on dry, even trails."}'
    )
    draft, llm = _draft(settings, trailhead, "th-001", reply)
    prompt = llm.calls[0].user
    assert "today: running for 6 months" in prompt and "next: Trail shoe" in prompt
    assert "running_months" not in prompt and "2026-06" not in prompt
    assert draft.text.startswith("Hi Emma,\nRunning for 6 months now.")
    assert "you may find the Trail shoe useful" in draft.text and "no rush" in draft.text


def test_no_open_step_is_refused_not_invented(settings: Settings, xiaobu: BrandPack) -> None:
    """没有到点的下一步：拒绝，而不是让模型编 / no open step: refused, never invented."""
    with pytest.raises(RefusedError, match="ladder"):
        _draft(settings, xiaobu, "xb-003", "{}")
