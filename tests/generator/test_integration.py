"""The pipeline with the real KnowledgeBase (hash embedder, Chroma on disk in a tmp dir) and
the real eval suite; only the model is fake. Also the ``zhenxin draft`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import evals
from cli.main import run
from core.settings import Settings
from drafting.customers import CustomerStore
from drafting.packs import ingest_pack
from evals.types import CheckContext, CheckReport, Verdict
from generator.drafts import DraftRequest
from generator.pipeline import Pipeline
from knowledge.service import KnowledgeBase
from llm.fake import FakeLLM
from storage.db import open_database
from tests.generator.conftest import AS_OF, EXAMPLES, draft_for

LEAF = Path(__file__).resolve().parent / "fixtures" / "leaf"


@pytest.fixture
def kb(settings: Settings) -> KnowledgeBase:
    """The packs ingested as `zhenxin ingest` does: knowledge indexed, customers stored."""
    base = KnowledgeBase(settings)
    _, sessions = open_database(settings)
    store = CustomerStore(sessions)
    for pack in (EXAMPLES / "qingshui", EXAMPLES / "stride", LEAF):
        ingest_pack(base, store, pack)
    return base


GOOD = {  # the slots each kind asks the model for
    ("qingshui", "care_message"): {
        "tip": "这几天对着自然光看看两颊，泛红面积是不是小了一点。",
        "question": "最近用得怎么样？",
    },
    ("qingshui", "aftersale_email"): {
        "subject": "舒缓修护精华液用到一半，看看两颊",
        "tip": "这几天对着自然光看看两颊，泛红面积是不是小了一点。",
        "bridge": "不用急着加别的产品。",
        "feedback": "用得不舒服的地方，也请告诉我们。",
    },
    ("qingshui", "user_story_post"): {
        "lead": "今天想和大家聊聊晓林这三个月。",
        "takeaway": "皮肤需要的，是我们别再折腾它。",
    },
}


def _check_spy(seen: list[CheckContext]):
    def check(ctx: CheckContext) -> CheckReport:
        seen.append(ctx)
        return evals.check(ctx)

    return check


@pytest.mark.parametrize(
    ("kind", "cid"),
    [("care_message", "qs-006"), ("aftersale_email", "qs-006"), ("user_story_post", "qs-023")],
)
def test_each_kind_zh_with_real_knowledge_and_checks(
    settings: Settings, kb: KnowledgeBase, kind: str, cid: str
) -> None:
    seen: list[CheckContext] = []
    reply = GOOD[("qingshui", kind)]
    llm = FakeLLM(replies=[reply, reply, reply])
    pipeline = Pipeline(settings, llm=llm, knowledge=kb, checker=_check_spy(seen))
    draft = draft_for(
        pipeline, DraftRequest(brand="qingshui", customer_id=cid, kind=kind), as_of=AS_OF
    )
    assert draft.verdict != Verdict.BLOCK, draft.findings
    # the model's sentences stand (they pass their gates and the real checks); the tip, an
    # email's subject, bridge and ask for feedback, an offer, a thank-you and a "what next"
    # are the program's (ZHENXIN_WORDING=plain, the default)
    model = {p.name for p in draft.parts if p.source == "model"}
    plain = {"tip", "subject", "bridge", "feedback", "offer", "thanks", "next"}
    assert model == set(reply) - plain, draft.parts
    tip = next((p for p in draft.parts if p.name == "tip"), None)
    if tip is not None:
        assert tip.source == "fixed" and "对着自然光看看两颊" in tip.text
    assert draft.sources and all(
        s.chunk_id.startswith("qingshui:") or s.kind == "story" for s in draft.sources
    )
    if kind == "aftersale_email":
        assert seen[0].belief == draft.belief and draft.unsubscribe in draft.text
    if kind == "care_message":
        assert "guide-repair-serum" in {s.doc_id for s in draft.sources}
        assert "用到一半" in llm.calls[0].user  # the moment's passage was retrieved


def test_english_brand_with_named_stages(settings: Settings, kb: KnowledgeBase) -> None:
    llm = FakeLLM(
        reply_fn=lambda messages, schema: json.dumps(
            {
                "opening": "Day three with your Cadence road shoes",
                "tip": "Keep the first runs short and easy, at a pace you can talk at",
                "question": "How did the first runs feel?",
            }
        )
    )
    pipeline = Pipeline(settings, llm=llm, knowledge=kb, checker=evals.check)
    draft = draft_for(
        pipeline,
        DraftRequest(brand="stride", customer_id="st-001", kind="care_message"),
        as_of=AS_OF,
    )
    assert draft.plan.lang == "en" and draft.plan.stage_name == "First steps"
    assert draft.template == "en/slots.j2" and draft.verdict != Verdict.BLOCK
    assert "You are Maya" in llm.calls[0].system


def test_knowledge_never_crosses_brands(settings: Settings, kb: KnowledgeBase) -> None:
    llm = FakeLLM(replies=[GOOD[("qingshui", "care_message")]] * 2)
    pipeline = Pipeline(settings, llm=llm, knowledge=kb, checker=evals.check)
    draft_for(
        pipeline,
        DraftRequest(brand="qingshui", customer_id="qs-006", kind="care_message"),
        as_of=AS_OF,
    )
    prompt = llm.calls[0].system + llm.calls[0].user
    assert "Stride" not in prompt and "Leaf" not in prompt and "Maya" not in prompt


def _env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("ZHENXIN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ZHENXIN_LLM", "fake")
    monkeypatch.setenv("ZHENXIN_EMBEDDER", "hash")


def test_cli_draft_json(
    settings: Settings, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    _env(monkeypatch, settings)
    code = run(
        [
            "draft",
            "--brand",
            "qingshui",
            "--customer",
            "qs-006",
            "--kind",
            "aftersale_email",
            "--as-of",
            "2026-11-23",
            "--json",
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    for key in (
        "kind",
        "text",
        "subject",
        "belief",
        "sources",
        "verdict",
        "findings",
        "provider",
        "model",
        "attempts",
        "timings",
    ):
        assert key in data
    assert data["kind"] == "aftersale_email" and data["provider"] == "fake"
    assert {"doc_id", "kind"} <= set(data["sources"][0])
    assert data["plan"]["trigger"] == "half_used"


def test_cli_draft_human_and_errors(
    settings: Settings, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    _env(monkeypatch, settings)
    assert (
        run(
            ["draft", "-b", "stride", "-c", "st-001", "-k", "care_message", "--as-of", "2026-11-23"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "care_message · stride/st-001" in out and "verdict:" in out and "sources:" in out
    assert run(["draft", "-b", "qingshui", "-c", "qs-005", "-k", "care_message"]) == 2
    assert "opted out" in capsys.readouterr().err
    assert run(["draft", "-b", "qingshui", "-c", "nobody", "-k", "care_message"]) == 2
    assert "no customer 'nobody'" in capsys.readouterr().err
    assert run(["draft", "-b", "leaf", "-c", "lk-003", "-k", "user_story_post"]) == 2
    assert "no consent" in capsys.readouterr().err
    assert (
        run(["draft", "-b", "qingshui", "-c", "qs-006", "-k", "care_message", "--as-of", "someday"])
        == 2
    )
    assert run(["draft", "-b", "qingshui", "-c", "qs-006", "-k", "poem"]) == 2
