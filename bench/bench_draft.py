"""Draft latency with the local model, the share of time that is not the model (pipeline
overhead: plan, retrieval, rendering, checks) and the effect of prompt-prefix reuse (the
first draft of a brand pays for the brand block; the next ones reuse llama.cpp's KV cache).

    python -m bench draft        (ZHENXIN_DATA_DIR must hold the model: `zhenxin model setup`)

Knowledge is ingested into a temporary data dir with the configured embedder; the model is
taken from the configured data dir (or ZHENXIN_LOCAL_MODEL_PATH).
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
from pathlib import Path

from core.settings import get_settings
from generator.drafts import Draft, DraftRequest
from generator.pipeline import Pipeline
from llm import make_llm
from llm.model_files import model_path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 11, 23)  # the "today" of the example packs
# (brand, customer, kind): the same brand twice in a row, then another brand
RUNS = [
    ("qingshui", "qs-006", "care_message"),
    ("qingshui", "qs-001", "care_message"),
    ("stride", "st-001", "care_message"),
]


def _model_seconds(d: Draft) -> float:
    return sum(v for k, v in d.timings.items() if k.startswith("generate_"))


def main() -> None:
    from knowledge.service import KnowledgeBase

    base = get_settings()
    if base.llm != "local":
        print(f"bench draft measures the local model; ZHENXIN_LLM={base.llm!r}: skipped")
        return
    gguf = model_path(base)
    if not gguf.is_file():
        print(f"no local model at {gguf}: run `zhenxin model setup` first; skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        settings = base.model_copy(
            update={"data_dir": Path(tmp), "local_model_path": gguf, "max_attempts": 1}
        )
        kb = KnowledgeBase(settings)
        for name in ("qingshui", "stride"):
            kb.ingest(ROOT / "examples" / name)
        pipeline = Pipeline(settings, llm=make_llm(settings), knowledge=kb)
        print(
            f"model {gguf.name}, threads {settings.local_threads or 'auto'}, "
            f"embedder {settings.embedder}, one attempt per draft"
        )
        print(
            f"{'brand':9} {'customer':8} {'total s':>8} {'model s':>8} {'other s':>8} "
            f"{'prompt':>7} {'cached':>7} {'out':>5}  verdict"
        )
        drafts: list[Draft] = []
        for brand, cid, kind in RUNS:
            d = pipeline.draft(
                DraftRequest(brand=brand, kind=kind),
                customer=next(c for c in kb.customers(brand) if c.id == cid),
                as_of=AS_OF,
            )
            drafts.append(d)
            a = d.attempts[0]
            model_s = _model_seconds(d)
            print(
                f"{brand:9} {cid:8} {d.timings['total']:8.2f} {model_s:8.2f} "
                f"{d.timings['total'] - model_s:8.3f} {a.prompt_tokens or 0:7d} "
                f"{a.cached_prompt_tokens or 0:7d} {a.completion_tokens or 0:5d}  {d.verdict.value}"
            )
        for d in drafts:
            print(f"  {d.brand}/{d.customer}: {' '.join(d.text.split())}")
        totals = [d.timings["total"] for d in drafts]
        model = [_model_seconds(d) for d in drafts]
        overhead = [t - m for t, m in zip(totals, model, strict=True)]
        print(
            f"draft latency: median {statistics.median(totals):.2f}s, "
            f"max {max(totals):.2f}s over {len(drafts)} drafts"
        )
        print(
            f"pipeline overhead (not the model): median {statistics.median(overhead):.3f}s, "
            f"{sum(overhead) / sum(totals):.1%} of the time"
        )
        cold, warm = drafts[0].attempts[0], drafts[1].attempts[0]
        cold_new = (cold.prompt_tokens or 0) - (cold.cached_prompt_tokens or 0)
        warm_new = (warm.prompt_tokens or 0) - (warm.cached_prompt_tokens or 0)
        print(
            f"prefix reuse (first vs next draft of a brand): prompt tokens evaluated "
            f"{cold_new} vs {warm_new} ({warm.cached_prompt_tokens or 0} reused); "
            f"model time {model[0]:.2f}s vs {model[1]:.2f}s "
            f"(ratio {model[1] / model[0] if model[0] else float('nan'):.2f})"
        )
        switch = drafts[2].attempts[0]
        print(
            f"brand switch (stride after qingshui): {switch.cached_prompt_tokens or 0} of "
            f"{switch.prompt_tokens or 0} prompt tokens reused, model time {model[2]:.2f}s"
        )
