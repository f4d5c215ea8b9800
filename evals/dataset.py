"""The labelled set (``evals/labelled/*.jsonl``): realistic private-domain messages labelled
``spam`` / ``sincere`` / ``borderline`` (sincere with a small offer), and how the rule-based
suite does on it. Each line: ``{"id", "lang", "label", "channel", "kind", "text"}``."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from evals.suite import check
from evals.types import CheckContext, Verdict

LABELLED_DIR = Path(__file__).resolve().parent / "labelled"
LABELS = ("spam", "sincere", "borderline")


@dataclass(frozen=True)
class Example:
    id: str
    lang: str
    label: str
    channel: str | None
    kind: str | None
    text: str

    def context(self) -> CheckContext:
        return CheckContext(text=self.text, lang=self.lang, channel=self.channel, kind=self.kind)


def load_labelled(directory: Path = LABELLED_DIR) -> list[Example]:
    out: list[Example] = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            d = json.loads(line)
            if d["label"] not in LABELS:
                raise ValueError(f"{path.name}:{number}: unknown label {d['label']!r}")
            out.append(
                Example(d["id"], d["lang"], d["label"], d.get("channel"), d.get("kind"), d["text"])
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
        self, positive: set[str], *, labels: tuple[str, ...] = LABELS
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
        return "\n".join(lines)


def score_examples(examples: list[Example]) -> Scores:
    scores = Scores()
    for ex in examples:
        verdict = check(ex.context()).verdict.value
        scores.counts[(ex.label, verdict)] += 1
        bad = (ex.label == "spam" and verdict == "pass") or (
            ex.label != "spam" and verdict == "block"
        )
        if bad:
            scores.wrong.append((ex.id, ex.label, verdict))
    return scores
