"""Fixtures for the review form: a migrated tmp database with two brands, editor keys, and
drafts (one carrying a spam finding), plus the app with the form installed."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from api.deps import get_drafting, get_knowledge
from api.main import create_app
from core.errors import ProviderError
from core.settings import Settings
from drafting.service import DraftingService
from evals.types import CheckContext, CheckReport, Finding, Severity, Verdict
from generator.drafts import Attempt, ContentKind, Draft, DraftRequest, Plan, Source
from generator.pipeline import Pipeline
from knowledge.fake import FakeKnowledge
from knowledge.loader import load_pack
from knowledge.pack import Customer
from llm.fake import FakeLLM, placeholder_reply
from storage import drafts as drafts_repo
from storage import keys as keys_repo
from storage.drafts import DraftRecord as StoredRecord

BRAND_A = "qingshui"
BRAND_B = "shanshi"

SPAM_ZH = "仅限今天"
SPAM_EN = "today only"
BELIEF = "皮肤本来就会自己修复，我们能做的，是少打扰它，再给它一点时间。"
SPAM_TEXT = (
    "小雨你好，修护精华用到一半啦，记得早晚各一次，轻拍到吸收就好。"
    f"{SPAM_ZH}回购立减50元，手慢无！"
    f"{BELIEF}有任何不适随时告诉我。——阿青"
)
CLEAN_TEXT = (
    "小雨你好，修护精华用到一半啦，记得早晚各一次，轻拍到吸收就好。"
    f"{BELIEF}有任何不适随时告诉我。——阿青"
)
REGENERATED_TEXT = "小雨你好，新写的一条：精华用到一半，皮肤感觉怎么样？——阿青"
B_TEXT = "Hi Sam, your bread starter is three days old today. Feed it at the same hour."


def rule_checker(ctx: CheckContext) -> CheckReport:
    """A small, explicit stand-in for ``evals.check`` in fast form tests: it flags urgency
    (zh and en) as an error and exclamation floods as a warning. The browser test uses the
    real ``evals.check``."""
    findings: list[Finding] = []
    for pattern in (SPAM_ZH, re.escape(SPAM_EN)):
        for m in re.finditer(pattern, ctx.text, flags=re.IGNORECASE):
            findings.append(
                Finding(
                    rule="spam.urgency",
                    severity=Severity.ERROR,
                    start=m.start(),
                    end=m.end(),
                    message="时间压力：催促客户马上下单 / urgency pressure",
                    suggestion="删掉期限，说清楚对客户有什么帮助 / drop the deadline",
                    family="spam",
                )
            )
    for m in re.finditer(r"[!！]{2,}", ctx.text):
        findings.append(
            Finding(
                rule="spam.exclamation",
                severity=Severity.WARN,
                start=m.start(),
                end=m.end(),
                message="感叹号太多 / too many exclamation marks",
                family="spam",
            )
        )
    errors = sum(f.severity == Severity.ERROR for f in findings)
    warns = sum(f.severity == Severity.WARN for f in findings)
    verdict = Verdict.BLOCK if errors else Verdict.REVIEW if warns else Verdict.PASS
    return CheckReport(
        verdict=verdict, score=max(0.0, 1 - 0.4 * errors - 0.1 * warns), findings=findings
    )


def make_draft(
    brand: str,
    text: str,
    *,
    customer: str = "qs-001",
    checker: Callable[[CheckContext], CheckReport] = rule_checker,
    kind: ContentKind = ContentKind.CARE_MESSAGE,
    stage: str = "getting_to_know",
    stage_name: str = "相知",
) -> Draft:
    report = checker(CheckContext(text=text, channel="wechat", kind=str(kind), stage=stage))
    return Draft(
        kind=kind,
        brand=brand,
        customer=customer,
        stage=stage,
        trigger="half_used",
        channel="wechat",
        text=text,
        body=text,
        belief=BELIEF,
        belief_id="skin-heals-itself",
        sources=[
            Source(
                doc_id="guide-repair-serum",
                kind="usage_guide",
                title="舒缓修护精华液 30ml 使用指南",
                score=0.82,
            ),
            Source(doc_id="values", kind="value", title="我们相信什么", score=0.61),
        ],
        verdict=report.verdict,
        score=report.score,
        findings=report.findings,
        provider="fake",
        model="fake",
        template="care_message.zh.j2",
        template_hash="0" * 12,
        plan=Plan(
            stage=stage,
            stage_name=stage_name,
            trigger="half_used",
            channel="wechat",
            goal="半程提醒：用对方法，问问感受",
            must=["提到早晚各一次的用法"],
            must_not=["优惠、限时"],
            product="repair-serum",
            days_since_purchase=15,
            usage_days=30,
            facts={"skin": "敏感肌"},
            max_chars=150,
        ),
        attempts=[
            Attempt(
                number=1,
                text=text,
                verdict=report.verdict,
                score=report.score,
                findings=report.findings,
                seconds=1.2,
            )
        ],
    )


@dataclass
class Seeded:
    sessions: sessionmaker[Session]
    keys: dict[str, str]  # name -> raw key
    drafts: dict[str, str] = field(default_factory=dict)  # name -> draft id

    def record(self, brand: str, draft_id: str) -> StoredRecord:
        """The draft as storage has it now (for assertions)."""
        with self.sessions() as session:
            return drafts_repo.get_record(session, brand, draft_id)


def store_draft(sessions: sessionmaker[Session], draft: Draft) -> str:
    """Store a generated draft the way the drafting service does: a job, then version 1."""
    payload = {"kind": str(draft.kind), "customer_id": draft.customer, "trigger": draft.trigger}
    with sessions() as session, session.begin():
        row = drafts_repo.new_request(
            session, draft.brand, payload, kind=str(draft.kind), customer_id=draft.customer
        )
        token = drafts_repo.claim(session, row.id, lease_seconds=60)
        drafts_repo.save_generated(session, row, draft.model_dump(mode="json"), token=token)
        return row.id


def seed(sessions: sessionmaker[Session], checker: Callable[[CheckContext], CheckReport]) -> Seeded:
    keys: dict[str, str] = {}
    with sessions() as session, session.begin():
        for name, brand, role in (
            ("editor_a", BRAND_A, "editor"),
            ("operator_a", BRAND_A, "operator"),
            ("editor_b", BRAND_B, "editor"),
        ):
            keys[name] = keys_repo.create_key(session, brand, role, name=name).secret
    seeded = Seeded(sessions, keys)
    seeded.drafts["spam"] = store_draft(sessions, make_draft(BRAND_A, SPAM_TEXT, checker=checker))
    seeded.drafts["clean"] = store_draft(
        sessions,
        make_draft(
            BRAND_A,
            CLEAN_TEXT,
            customer="qs-002",
            checker=checker,
            stage="first_contact",
            stage_name="初识",
        ),
    )
    seeded.drafts["other_brand"] = store_draft(
        sessions, make_draft(BRAND_B, B_TEXT, customer="b001", checker=checker)
    )
    return seeded


class RecordingDrafter:
    """A drafter for form tests: records the requests, writes ``REGENERATED_TEXT``."""

    def __init__(self) -> None:
        self.requests: list[DraftRequest] = []
        self.down = False  # True: the model times out

    def draft(
        self,
        request: DraftRequest,
        *,
        customer: Customer | None = None,
        as_of: object = None,
        exemplars: object = (),
    ) -> Draft:
        self.requests.append(request)
        if self.down:
            raise ProviderError("the model timed out")
        return make_draft(request.brand, REGENERATED_TEXT, customer=request.customer_id or "qs-001")


def build_app(
    settings: Settings,
    checker: Callable[[CheckContext], CheckReport] | None = None,
    *,
    real_pipeline: bool = False,
) -> FastAPI:
    """The real app (``create_app``) over a drafting service with both example packs in
    memory and their customers in the customer store. ``checker`` replaces the eval suite
    when given; the drafter is a recording stand-in unless ``real_pipeline`` (then the
    pipeline on the fake model). Jobs run inline, so a regenerated draft is there at once."""
    app = create_app(settings)
    examples = Path(__file__).resolve().parents[2] / "examples"
    knowledge = FakeKnowledge([load_pack(examples / BRAND_A), load_pack(examples / BRAND_B)])
    drafter: Any = RecordingDrafter()
    if real_pipeline:
        drafter = Pipeline(settings, llm=FakeLLM(reply_fn=placeholder_reply), knowledge=knowledge)
    service = DraftingService(
        settings,
        sessions=app.state.sessions,
        knowledge=knowledge,
        drafter=drafter,
        checker=checker,
    )
    for brand in (BRAND_A, BRAND_B):
        pack = knowledge.pack(brand)
        service.customers.import_many(brand, pack.customers, brand=pack.brand, source="pack")
    app.state.drafter = drafter
    app.state.service = service
    app.dependency_overrides[get_knowledge] = lambda: knowledge
    app.dependency_overrides[get_drafting] = lambda: service
    return app


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return build_app(settings, rule_checker)


@pytest.fixture
def seeded(app: FastAPI) -> Seeded:
    return seed(app.state.sessions, rule_checker)
