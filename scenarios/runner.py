"""The scenario runner: every scenario in ``scenarios/files/*.yaml`` goes through the
drafting service (``DraftingService.generate``, like every other door) and its expectations
are checked; results are grouped by brand, kind and stage for the report
(:mod:`scenarios.report`). A run keeps its drafts in a database of its own, so it never
fills an operator's review queue; the brand knowledge is the data dir's.

A scenario file names a brand, the pack folder to ingest when the brand is not yet in the
knowledge base, the day to plan as (``as_of``) and a list of scenarios (see the comment at
the top of ``scenarios/files/qingshui.yaml`` for the fields).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field

from core.errors import RefusedError, ZhenxinError
from core.settings import Settings
from drafting.customers import CustomerStore
from drafting.service import DraftingService
from generator.drafts import ContentKind, Draft, DraftRequest, Trigger
from knowledge.pack import Channel
from knowledge.service import KnowledgeBase
from knowledge.stages import stage_alias

SCENARIO_DIR = Path(__file__).resolve().parent / "files"
REPO_ROOT = Path(__file__).resolve().parent.parent

Verdicts = list[Literal["pass", "review", "block"]]


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: Verdicts = Field(default_factory=lambda: ["pass", "review"])  # type: ignore[arg-type]
    no_rules: list[str] = Field(default_factory=list)
    contains_any: list[str] = Field(default_factory=list)
    max_chars: int | None = None
    has_belief: bool = False
    refused: bool = False


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    kind: ContentKind
    customer: str | None = None
    trigger: Trigger | None = None
    channel: Channel | None = None
    question: str | None = None
    story_doc: str | None = None
    theme: str | None = None
    tier: str | None = None
    expect: Expect = Field(default_factory=Expect)


class ScenarioFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    brand: str
    pack: str | None = None
    as_of: dt.date | None = None
    scenarios: list[Scenario]


class ScenarioResult(BaseModel):
    id: str
    brand: str
    kind: str
    stage: str
    trigger: str = ""
    channel: str = ""
    passed: bool
    failures: list[str] = Field(default_factory=list)
    verdict: str | None = None
    score: float | None = None
    rules: list[str] = Field(default_factory=list)
    findings: list[str] = Field(default_factory=list)  # "rule «span»: message" of the draft
    attempts: int = 0
    text: str = ""
    error: str | None = None
    seconds: float = 0.0


class SuiteResult(BaseModel):
    started_at: dt.datetime
    provider: str
    model: str = ""
    seconds: float = 0.0
    results: list[ScenarioResult] = Field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        total = len(self.results)
        passed = sum(r.passed for r in self.results)
        return {
            "total": total,
            "passed": passed,
            "pass_rate": passed / total if total else 0.0,
            "by_kind": _group(self.results, lambda r: r.kind),
            "by_stage": _group(self.results, lambda r: r.stage),
            "by_brand": _group(self.results, lambda r: r.brand),
            "rules": dict(Counter(rule for r in self.results for rule in r.rules).most_common()),
        }

    def default_dir(self, settings: Settings) -> Path:
        return settings.data_dir / "evals" / self.started_at.strftime("%Y%m%d-%H%M%S")


def _group(
    results: Iterable[ScenarioResult], key: Callable[[ScenarioResult], str]
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for r in results:
        g = out.setdefault(key(r), {"total": 0, "passed": 0, "pass_rate": 0.0})
        g["total"] += 1
        g["passed"] += int(r.passed)
    for g in out.values():
        g["pass_rate"] = g["passed"] / g["total"]
    return out


class Generate(Protocol):
    """Draft one request for a brand (``ServiceGenerator`` in real runs, a stub in tests)."""

    def draft(self, brand: str, request: DraftRequest, *, as_of: dt.date | None) -> Draft: ...


class ServiceGenerator:
    """Drafts through the drafting service and reads back the stored draft."""

    def __init__(self, service: DraftingService) -> None:
        self.service = service

    def draft(self, brand: str, request: DraftRequest, *, as_of: dt.date | None) -> Draft:
        record = self.service.generate(brand, request, requested_by="eval", as_of=as_of)
        return Draft.model_validate(record.generated or {})


def load_scenarios(directory: Path | None = None) -> list[ScenarioFile]:
    """Every ``*.yaml`` scenario file in ``directory`` (default: the built-in suite)."""
    directory = directory or SCENARIO_DIR
    if not directory.is_dir():
        raise ZhenxinError(f"scenario folder {str(directory)!r} does not exist")
    files = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            files.append(ScenarioFile.model_validate(yaml.safe_load(path.read_text("utf-8"))))
        except ValueError as exc:  # pydantic ValidationError and YAML errors
            raise ZhenxinError(f"scenario file {path.name} is invalid: {exc}") from None
    return files


def evaluate(scenario: Scenario, draft: Draft) -> list[str]:
    """What the draft fails of the scenario's expectations (empty: it passes)."""
    e = scenario.expect
    failures: list[str] = []
    if e.refused:
        if draft.verdict.value != "block":
            failures.append(f"expected a refusal or block, got {draft.verdict.value}")
        return failures
    if draft.verdict.value not in e.verdict:
        failures.append(f"verdict {draft.verdict.value} not in {e.verdict}")
    fired = sorted({f.rule for f in draft.findings})
    for pattern in e.no_rules:
        hit = [r for r in fired if fnmatch.fnmatchcase(r, pattern)]
        if hit:
            failures.append(f"rule(s) {', '.join(hit)} fired (expected none of {pattern})")
    if e.contains_any and not any(s in draft.text for s in e.contains_any):
        failures.append(f"text contains none of {e.contains_any}")
    if e.max_chars is not None and len(draft.text) > e.max_chars:
        failures.append(f"{len(draft.text)} characters, over {e.max_chars}")
    if e.has_belief and not draft.belief:
        failures.append("no belief statement")
    return failures


def _stage_of(stages: Mapping[str, str] | None, customer_id: str | None) -> str:
    if stages is None or customer_id is None or customer_id not in stages:
        return "-"
    return stage_alias(stages[customer_id])


def run_scenario(
    drafter: Generate,
    brand: str,
    scenario: Scenario,
    *,
    as_of: dt.date | None,
    stages: Mapping[str, str] | None = None,
) -> ScenarioResult:
    request = DraftRequest(
        brand=brand,
        kind=scenario.kind,
        customer_id=scenario.customer,
        trigger=scenario.trigger,
        channel=scenario.channel,
        question=scenario.question,
        story_doc=scenario.story_doc,
        theme=scenario.theme,
        tier=scenario.tier,
    )
    tick = time.perf_counter()
    try:
        draft = drafter.draft(brand, request, as_of=as_of)
    except RefusedError as exc:
        ok = scenario.expect.refused
        return ScenarioResult(
            id=scenario.id,
            brand=brand,
            kind=scenario.kind.value,
            stage=_stage_of(stages, scenario.customer),
            passed=ok,
            failures=[] if ok else [f"refused: {exc}"],
            error=None if ok else str(exc),
            verdict="refused",
            seconds=time.perf_counter() - tick,
        )
    except ZhenxinError as exc:
        return ScenarioResult(
            id=scenario.id,
            brand=brand,
            kind=scenario.kind.value,
            stage=_stage_of(stages, scenario.customer),
            passed=False,
            failures=[f"error: {exc}"],
            error=str(exc),
            seconds=time.perf_counter() - tick,
        )
    failures = evaluate(scenario, draft)
    return ScenarioResult(
        id=scenario.id,
        brand=brand,
        kind=scenario.kind.value,
        stage=draft.stage or _stage_of(stages, scenario.customer),
        trigger=draft.trigger,
        channel=draft.channel,
        passed=not failures,
        failures=failures,
        verdict=draft.verdict.value,
        score=draft.score,
        rules=sorted({f.rule for f in draft.findings}),
        findings=[f"{f.rule} «{draft.text[f.start : f.end]}»: {f.message}" for f in draft.findings],
        attempts=len(draft.attempts),
        text=draft.text,
        seconds=time.perf_counter() - tick,
    )


def run_suite(
    settings: Settings,
    *,
    scenarios_dir: Path | None = None,
    brands: list[str] | None = None,
    drafter: Generate | None = None,
    knowledge: KnowledgeBase | None = None,
    provider: str | None = None,
) -> SuiteResult:
    """Run the suite. Without ``drafter`` it drafts through a drafting service on the model
    named by ``settings.llm``, with a database of its own, and ingests a scenario file's
    pack when the brand is not in the knowledge base yet."""
    files = load_scenarios(scenarios_dir)
    if brands:
        files = [f for f in files if f.brand in brands]
    knowledge = knowledge or KnowledgeBase(settings)
    model = ""
    with tempfile.TemporaryDirectory(prefix="zhenxin-eval-") as scratch:
        customers: CustomerStore | None = None
        if drafter is None:
            service = _service(settings, knowledge, Path(scratch))
            customers = service.customers
            model = str(getattr(getattr(service.drafter, "llm", None), "model", ""))
            drafter = ServiceGenerator(service)
        started = dt.datetime.now(dt.UTC).replace(microsecond=0)
        tick = time.perf_counter()
        suite = SuiteResult(started_at=started, provider=provider or settings.llm, model=model)
        for f in files:
            stages = _ensure_ingested(knowledge, f, customers)
            for scenario in f.scenarios:
                suite.results.append(
                    run_scenario(drafter, f.brand, scenario, as_of=f.as_of, stages=stages)
                )
        suite.seconds = round(time.perf_counter() - tick, 3)
    return suite


def _service(settings: Settings, knowledge: KnowledgeBase, scratch: Path) -> DraftingService:
    from generator.pipeline import build_pipeline
    from storage.db import make_engine, session_factory, upgrade_to_head

    engine = make_engine(f"sqlite:///{scratch / 'eval.db'}")
    upgrade_to_head(engine)
    pipeline = build_pipeline(settings, knowledge=knowledge)
    return DraftingService(
        settings, sessions=session_factory(engine), knowledge=knowledge, drafter=pipeline
    )


def _ensure_ingested(
    knowledge: KnowledgeBase, f: ScenarioFile, customers: CustomerStore | None
) -> dict[str, str] | None:
    """The brand in the knowledge base (its pack ingested if it is not) and its customers
    in the run's store; the stage of each of them, by id (None: no such brand)."""
    if f.brand not in knowledge.brands() and f.pack:
        path = Path(f.pack)
        if not path.is_absolute():
            path = REPO_ROOT / path
        knowledge.ingest(path)  # a PackError says exactly what is wrong with the pack
    try:
        pack = knowledge.pack(f.brand)
    except ZhenxinError:
        return None
    people = list(knowledge.customers(f.brand))
    if customers is not None:  # the run's own customer store holds the pack's customers
        customers.import_many(f.brand, people, brand=pack.brand, source="pack")
    return {c.id: c.stage for c in people}
