"""How steady the local model's drafts are across sampling seeds: the slow tests draft each
kind once on a fixed seed; this drafts the same six requests (care message, after-sale
email, story post; Chinese and English) under several seeds and prints the share that pass,
need review or are blocked, how many attempts they took and how often a prompt echo was cut.

    python -m bench stability          (seeds 1..3; ZHENXIN_BENCH_SEEDS=5 for more,
                                        ZHENXIN_BENCH_KINDS=aftersale_email for one kind)

Knowledge is ingested into a temporary data dir with the hash embedder (as in the slow
tests); the model is taken from the configured data dir (or ZHENXIN_LOCAL_MODEL_PATH).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections import Counter
from pathlib import Path

from core.charts import histogram, stacked
from core.settings import get_settings
from generator.drafts import DraftRequest
from generator.pipeline import Pipeline
from llm import make_llm
from llm.model_files import model_path
from tests.generator.conftest import AS_OF, REAL_MODEL_CASES

ROOT = Path(__file__).resolve().parent.parent
CASES = REAL_MODEL_CASES


def main() -> None:
    from knowledge.service import KnowledgeBase

    base = get_settings()
    gguf = model_path(base)
    if base.llm != "local" or not gguf.is_file():
        print(f"bench stability needs the local model (ZHENXIN_LLM=local, {gguf}): skipped")
        return
    seeds = range(1, int(os.environ.get("ZHENXIN_BENCH_SEEDS", "3")) + 1)
    kinds = os.environ.get("ZHENXIN_BENCH_KINDS", "").split(",")
    cases = [c for c in CASES if c[2] in kinds] if any(kinds) else CASES
    verdicts: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = {}
    seconds: dict[str, list[float]] = {}
    attempts = echoes = 0
    with tempfile.TemporaryDirectory() as tmp:
        settings = base.model_copy(
            update={"data_dir": Path(tmp), "local_model_path": gguf, "embedder": "hash"}
        )
        kb = KnowledgeBase(settings)
        for name in ("qingshui", "stride"):
            kb.ingest(ROOT / "examples" / name)
        print(f"model {gguf.name}, seeds {list(seeds)}, up to {settings.max_attempts} attempts")
        for seed in seeds:
            seeded = settings.model_copy(update={"local_seed": seed})
            pipeline = Pipeline(seeded, llm=make_llm(seeded), knowledge=kb)
            for brand, cid, kind in cases:
                d = pipeline.draft(
                    DraftRequest(brand=brand, kind=kind),
                    customer=next(c for c in kb.customers(brand) if c.id == cid),
                    as_of=AS_OF,
                )
                verdicts[d.verdict.value] += 1
                by_kind.setdefault(kind, Counter())[d.verdict.value] += 1
                seconds.setdefault(kind, []).append(d.timings.get("total", 0.0))
                attempts += len(d.attempts)
                echo = any(f.rule == "generator.prompt_echo" for f in d.notes)
                echoes += echo
                rules = sorted({f.rule for f in d.findings if f.severity.value != "info"})
                print(
                    f"  seed {seed} {brand:9} {kind:16} {d.verdict.value:6} "
                    f"{d.score:.2f} attempts {len(d.attempts)}{' echo-cut' if echo else ''}"
                    f"  {' '.join(rules)}",
                    flush=True,
                )
    total = sum(verdicts.values())
    print(
        f"pass ratio {verdicts['pass'] / total:.2f}, "
        f"review ratio {verdicts['review'] / total:.2f}, "
        f"block ratio {verdicts['block'] / total:.2f} over {total} drafts"
    )
    for kind, counts in by_kind.items():
        n = sum(counts.values())
        print(
            f"  {kind:16} pass {counts['pass']}/{n}  review {counts['review']}/{n}  "
            f"block {counts['block']}/{n}"
        )
    print(
        f"attempts per draft {attempts / total:.2f}; drafts with a prompt echo cut {echoes}/{total}"
    )
    out = base.data_dir / f"stability-{dt.datetime.now():%Y%m%d-%H%M%S}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "<!doctype html><meta charset=utf-8><title>zhenxin · bench stability</title>"
        "<style>body{font:14px/1.5 system-ui;max-width:60rem;margin:2rem auto}</style>"
        f"<h1>bench stability</h1><p>{total} drafts, seeds {list(seeds)}</p>"
        + stacked("verdicts by kind", by_kind)
        + "".join(histogram(kind, seconds[kind]) for kind in sorted(seconds)),
        encoding="utf-8",
    )
    print(f"charts: {out}")
