"""Fixtures for the pipeline tests: the example packs, an in-memory knowledge source (the
real KnowledgeBase is exercised in test_integration.py), a scripted checker and the fake LLM."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.errors import NotFoundError
from core.settings import Settings
from evals.types import CheckContext, CheckReport, Finding, Severity, Verdict
from generator.drafts import Draft, DraftRequest
from generator.pipeline import Pipeline
from knowledge.fake import FakeKnowledge
from knowledge.loader import load_pack
from knowledge.pack import BrandPack
from llm.fake import FakeLLM

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AS_OF = dt.date(2026, 11, 23)
# Each kind in Chinese and English: the slow tests draft these on the real local model and
# `python -m bench stability` drafts them again under several seeds.
REAL_MODEL_CASES = [
    ("qingshui", "qs-006", "care_message"),
    ("qingshui", "qs-006", "aftersale_email"),
    ("qingshui", "qs-023", "user_story_post"),
    ("stride", "st-001", "care_message"),
    ("stride", "st-001", "aftersale_email"),
    ("stride", "st-019", "user_story_post"),
]


def draft_for(pipeline: Pipeline, request: DraftRequest, *, as_of: dt.date = AS_OF) -> Draft:
    """The pipeline with the customer looked up in the pack, as the drafting service looks
    it up in its customer store (the pipeline never looks customers up itself)."""
    customer = None
    if request.customer_id:
        people = pipeline.knowledge.customers(request.brand)
        customer = next((c for c in people if c.id == request.customer_id), None)
        if customer is None:
            raise NotFoundError(f"no customer {request.customer_id!r}")
    return pipeline.draft(request, customer=customer, as_of=as_of)


SPAM = ("限时", "秒杀", "today only", "limited time")


def scripted_check(ctx: CheckContext) -> CheckReport:
    """A tiny stand-in for evals.check: urgency words block, otherwise pass."""
    findings = []
    for word in SPAM:
        i = ctx.text.lower().find(word)
        if i >= 0:
            findings.append(
                Finding(
                    rule="spam.urgency",
                    severity=Severity.ERROR,
                    start=i,
                    end=i + len(word),
                    message=f"urgency word {word!r}",
                    suggestion="drop the time pressure",
                    family="spam",
                )
            )
    verdict = Verdict.BLOCK if findings else Verdict.PASS
    return CheckReport(
        verdict=verdict, score=max(0.0, 1.0 - 0.3 * len(findings)), findings=findings
    )


@pytest.fixture(scope="session")
def qingshui() -> BrandPack:
    return load_pack(EXAMPLES / "qingshui")


@pytest.fixture(scope="session")
def stride() -> BrandPack:
    return load_pack(EXAMPLES / "stride")


@pytest.fixture
def knowledge(qingshui: BrandPack) -> FakeKnowledge:
    return FakeKnowledge([qingshui])


@pytest.fixture
def make_pipeline(settings: Settings, knowledge: FakeKnowledge):
    def make(*replies: object, checker=scripted_check, **overrides: object) -> Pipeline:
        llm = FakeLLM(replies=list(replies)) if replies else FakeLLM()
        # the model words the tip in these tests (its gates are what they test); the default,
        # the guide's own words, has its own tests
        s = settings.model_copy(update={"wording": "model", **overrides})
        return Pipeline(s, llm=llm, knowledge=knowledge, checker=checker)

    return make


@pytest.fixture(scope="session")
def leaf() -> BrandPack:
    """A tiny English pack (tests/generator/fixtures/leaf)."""
    return load_pack(Path(__file__).resolve().parent / "fixtures" / "leaf")


@pytest.fixture
def both(qingshui: BrandPack, leaf: BrandPack) -> FakeKnowledge:
    return FakeKnowledge([qingshui, leaf])
