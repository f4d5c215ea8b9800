"""The labelled set (``evals/labelled/*.jsonl``): realistic private-domain messages labelled
``spam`` / ``sincere`` / ``borderline`` (sincere with a small offer) / ``untrue`` (a fluent
draft that says something untrue or incoherent: words put in the customer's mouth, a safety
statement reversed, the tip missing), and how the rule-based suite does on it.

Each line: ``{"id", "lang", "label", "channel", "kind", "text"}``, and optionally
``"plan"`` — what the plan knew when the draft was written (``trigger``, ``customer_said``,
``sources``, ``safety``, ``required_tip``, ``facts``, ``products``, ``belief``, ``as_of``,
``customer``: the CheckContext fields of the same names) — and ``"expect"``: the rules that
must fire on it. Every rule named in some row's ``expect`` is scored per rule: firing on a
row that does not expect it is a false positive (:func:`score_rules`)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.suite import check
from evals.types import CheckContext, Severity, Verdict
from knowledge.pack import Customer

LABELLED_DIR = Path(__file__).resolve().parent / "labelled"
LABELS = ("spam", "sincere", "borderline", "untrue")
# The spam-detection numbers compare spam with these (an untrue draft is not spam).
SPAM_LABELS = ("spam", "sincere", "borderline")
_PLAN_FIELDS = (
    "trigger",
    "customer_said",
    "sources",
    "safety",
    "required_tip",
    "facts",
    "products",
    "belief",
)


@dataclass(frozen=True)
class Example:
    id: str
    lang: str
    label: str
    channel: str | None
    kind: str | None
    text: str
    plan: dict[str, Any] = field(default_factory=dict)
    expect: tuple[str, ...] = ()

    def context(self) -> CheckContext:
        ctx = CheckContext(text=self.text, lang=self.lang, channel=self.channel, kind=self.kind)
        for name in _PLAN_FIELDS:
            if name in self.plan:
                setattr(ctx, name, self.plan[name])
        if "as_of" in self.plan:
            ctx.as_of = dt.date.fromisoformat(self.plan["as_of"])
        if "customer" in self.plan:
            ctx.customer = Customer.model_validate(self.plan["customer"])
        return ctx


def load_labelled(directory: Path = LABELLED_DIR) -> list[Example]:
    out: list[Example] = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            d = json.loads(line)
            if d["label"] not in LABELS:
                raise ValueError(f"{path.name}:{number}: unknown label {d['label']!r}")
            unknown = set(d.get("plan", {})) - {*_PLAN_FIELDS, "as_of", "customer"}
            if unknown:
                raise ValueError(f"{path.name}:{number}: unknown plan fields {sorted(unknown)}")
            out.append(
                Example(
                    d["id"],
                    d["lang"],
                    d["label"],
                    d.get("channel"),
                    d.get("kind"),
                    d["text"],
                    plan=d.get("plan", {}),
                    expect=tuple(d.get("expect", ())),
                )
            )
    return out


@dataclass
class Scores:
    """Verdict counts per (label) and the spam-detection precision/recall they imply."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (label, verdict)
    wrong: list[tuple[str, str, str]] = field(default_factory=list)  # (id, label, verdict)

    def n(self, label: str, verdict: str | None = None) -> int:
        return sum(
            c
            for (lab, v), c in self.counts.items()
            if lab == label and (verdict is None or v == verdict)
        )

    def rate(self, label: str, verdict: str) -> float:
        total = self.n(label)
        return self.n(label, verdict) / total if total else 0.0

    def precision_recall(
        self, positive: set[str], *, labels: tuple[str, ...] = SPAM_LABELS
    ) -> tuple[float, float]:
        """Spam detection where a verdict in ``positive`` counts as "flagged as spam", over the
        examples with one of ``labels`` (borderline review is arguably right, not a miss)."""
        flagged = sum(c for (lab, v), c in self.counts.items() if v in positive and lab in labels)
        hit = sum(self.n("spam", v) for v in positive)
        precision = hit / flagged if flagged else 0.0
        recall = hit / self.n("spam") if self.n("spam") else 0.0
        return precision, recall

    def table(self) -> str:
        lines = [f"{'label':<11}{'n':>4}{'pass':>6}{'review':>8}{'block':>7}"]
        for label in LABELS:
            row = [self.n(label, v.value) for v in Verdict]
            lines.append(f"{label:<11}{self.n(label):>4}{row[0]:>6}{row[1]:>8}{row[2]:>7}")
        p1, r1 = self.precision_recall({"review", "block"})
        p2, r2 = self.precision_recall({"block"})
        lines.append(f"spam = not pass: precision {p1:.2f} recall {r1:.2f}")
        lines.append(f"spam = block:    precision {p2:.2f} recall {r2:.2f}")
        p3, _ = self.precision_recall({"review", "block"}, labels=("spam", "sincere"))
        lines.append(f"spam = not pass, spam vs sincere only: precision {p3:.2f}")
        if self.n("untrue"):
            caught = self.n("untrue") - self.n("untrue", "pass")
            lines.append(f"untrue = not pass: recall {caught / self.n('untrue'):.2f}")
        return "\n".join(lines)


def score_examples(examples: list[Example]) -> Scores:
    scores = Scores()
    for ex in examples:
        verdict = check(ex.context()).verdict.value
        scores.counts[(ex.label, verdict)] += 1
        bad = (ex.label in ("spam", "untrue") and verdict == "pass") or (
            ex.label in ("sincere", "borderline") and verdict == "block"
        )
        if bad:
            scores.wrong.append((ex.id, ex.label, verdict))
    return scores


@dataclass
class RuleScore:
    """How one rule does on the rows: fired where expected (tp), fired where not (fp),
    silent where expected (fn); the ids of the misses for the report."""

    rule: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    false_positives: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def score_rules(
    examples: list[Example], rules: Iterable[str] | None = None
) -> dict[str, RuleScore]:
    """Per-rule precision and recall over ``examples`` for ``rules`` (default: every rule some
    row expects). A rule "fires" with a warn or error finding; an info note ("check this")
    changes no verdict and counts as silent."""
    tracked = sorted(set(rules) if rules is not None else {r for e in examples for r in e.expect})
    scores = {r: RuleScore(r) for r in tracked}
    for ex in examples:
        fired = {f.rule for f in check(ex.context()).findings if f.severity != Severity.INFO}
        for rule, score in scores.items():
            if rule in ex.expect and rule in fired:
                score.tp += 1
            elif rule in ex.expect:
                score.fn += 1
                score.misses.append(ex.id)
            elif rule in fired:
                score.fp += 1
                score.false_positives.append(ex.id)
    return scores


def rule_table(scores: dict[str, RuleScore]) -> str:
    lines = [f"{'rule':<32}{'tp':>4}{'fp':>4}{'fn':>4}{'precision':>11}{'recall':>8}"]
    for s in scores.values():
        lines.append(
            f"{s.rule:<32}{s.tp:>4}{s.fp:>4}{s.fn:>4}{s.precision:>11.2f}{s.recall:>8.2f}"
            + (f"  fp: {', '.join(s.false_positives)}" if s.false_positives else "")
            + (f"  missed: {', '.join(s.misses)}" if s.misses else "")
        )
    return "\n".join(lines)
