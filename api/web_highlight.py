"""Cut a draft's text into segments at finding spans, so a template can wrap each finding's
span in ``<mark>``. Overlapping findings are handled by splitting at every boundary: each
segment carries the findings that cover it (worst first)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from evals.types import Finding, Severity

_RANK = {Severity.ERROR: 3, Severity.WARN: 2, Severity.INFO: 1}


def severity_rank(severity: str) -> int:
    return _RANK.get(severity, 0)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Segment:
    text: str
    findings: list[tuple[int, Finding]] = field(default_factory=list)  # (finding index, finding)

    @property
    def severity(self) -> str:
        if not self.findings:
            return ""
        return max((f for _, f in self.findings), key=lambda f: severity_rank(f.severity)).severity


def segments(text: str, findings: Sequence[Finding]) -> list[Segment]:
    """Split ``text`` at the spans of ``findings`` (spans outside the text are clipped;
    empty or inverted spans are not highlighted but stay in the findings list)."""
    n = len(text)
    spans = [(i, max(0, min(f.start, n)), max(0, min(f.end, n)), f) for i, f in enumerate(findings)]
    spans = [s for s in spans if s[2] > s[1]]
    cuts = sorted({0, n, *(s[1] for s in spans), *(s[2] for s in spans)})
    out: list[Segment] = []
    for a, b in itertools.pairwise(cuts):
        covering = [(i, f) for i, start, end, f in spans if start <= a and b <= end]
        covering.sort(key=lambda item: -severity_rank(item[1].severity))
        out.append(Segment(text[a:b], covering))
    if not out and text:
        out.append(Segment(text))
    return out


def worst(findings: Sequence[Finding]) -> Finding | None:
    """The finding an editor should read first: highest severity, then earliest."""
    if not findings:
        return None
    return sorted(findings, key=lambda f: (-severity_rank(f.severity), f.start))[0]
