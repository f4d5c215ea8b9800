"""How fast the rule-based eval suite is (target: thousands of checks per second per core,
fast enough to re-check on every keystroke in the editor), per check family, and how it
scores the labelled set.

The suite runs with the combined automaton (the default) and with the plain-regex engine it
replaced, in alternating slices of the same run (a shared machine's load hits both alike),
and prints the ratio. The rest of the suite is the same code in both, so the ratio is what the
matching engine alone is worth."""

from __future__ import annotations

import time

from evals import CheckContext, check, rule_checks
from evals.dataset import load_labelled, score_examples
from evals.matching import clear_match_cache, use_engine


def _rate(fn: object, contexts: list[CheckContext], seconds: float = 2.0) -> float:
    """Calls per CPU second of this process (per core: honest on a shared, busy machine)."""
    done, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        for ctx in contexts:
            fn(ctx)  # type: ignore[operator]
        done += len(contexts)
        clear_match_cache()  # each round sees the texts as new (no cross-round cache hits)
    return done / (time.process_time() - start)


def _engine_rates(contexts: list[CheckContext], slices: int = 4) -> dict[str, float]:
    """Checks per CPU-second with each engine, measured in alternating half-second slices."""
    done = {"automaton": 0, "regex": 0}
    spent = {"automaton": 0.0, "regex": 0.0}
    for _ in range(slices):
        for name in done:
            with use_engine(name):
                for ctx in contexts:  # compile and warm up outside the clock
                    check(ctx)
                clear_match_cache()
                start = time.process_time()
                while time.process_time() - start < 0.5:
                    for ctx in contexts:
                        check(ctx)
                    done[name] += len(contexts)
                    clear_match_cache()
                spent[name] += time.process_time() - start
    return {name: done[name] / spent[name] for name in done}


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
    rates = _engine_rates(contexts)
    suite = rates["automaton"]
    print(
        f"rule-based suite: {suite:,.0f} checks per CPU-second on {len(contexts)} labelled "
        f"messages (mean {chars:.0f} chars), {1e6 / suite:,.0f} µs per check"
    )
    print(
        f"  plain-regex engine (before the automaton), same run: {rates['regex']:,.0f} "
        f"checks/CPU-s; automaton / regex = {suite / rates['regex']:.2f}x"
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
