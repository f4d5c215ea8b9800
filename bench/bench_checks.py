"""How fast the rule-based eval suite is (target: thousands of checks per second per core,
fast enough to re-check on every keystroke in the editor), per check family, and how it
scores the labelled set."""

from __future__ import annotations

import time

from evals import CheckContext, check, rule_checks
from evals.checks.base import clear_match_cache
from evals.dataset import load_labelled, score_examples


def _rate(fn: object, contexts: list[CheckContext], seconds: float = 2.0) -> float:
    """Calls per CPU second of this process (per core: honest on a shared, busy machine)."""
    done, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        for ctx in contexts:
            fn(ctx)  # type: ignore[operator]
        done += len(contexts)
        clear_match_cache()  # each round sees the texts as new (no cross-round cache hits)
    return done / (time.process_time() - start)


def _wall_rate(fn: object, contexts: list[CheckContext]) -> float:
    start = time.perf_counter()
    for ctx in contexts:
        fn(ctx)  # type: ignore[operator]
    return len(contexts) / (time.perf_counter() - start)


def main() -> None:
    examples = load_labelled()
    contexts = [e.context() for e in examples]
    chars = sum(len(c.text) for c in contexts) / len(contexts)
    check(contexts[0])  # compile the lexicons once
    suite = _rate(check, contexts)
    print(
        f"rule-based suite: {suite:,.0f} checks per CPU-second on {len(contexts)} labelled "
        f"messages (mean {chars:.0f} chars), {1e6 / suite:,.0f} µs per check"
    )
    wall = _wall_rate(check, contexts * 5)
    print(f"  wall clock on this machine (shared, under load): {wall:,.0f} checks/s")
    long_ctx = [
        CheckContext(text=c.text * 10, lang=c.lang, channel=c.channel, kind=c.kind)
        for c in contexts[:20]
    ]
    long_rate = _rate(check, long_ctx, 1.0)
    print(f"10x longer texts: {long_rate:,.0f} checks/s (ratio {suite / long_rate:.1f}x slower)")
    for c in rule_checks():
        rate = _rate(c.run, contexts, 0.5)
        print(f"  {c.family:<11} {rate:>10,.0f} runs/s  ({suite / rate:.2f} of the suite's time)")
    for lang in ("zh", "en"):
        scores = score_examples([e for e in examples if e.lang == lang])
        print(f"[{lang}] labelled set\n{scores.table()}")
