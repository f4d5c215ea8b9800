"""Examples of a brand's voice in the prompt: the one or two closest to this draft.

Two sources: the ``samples`` a brand writes in brand.yaml (per kind, optionally per moment and
stage), and every draft an editor approved — with the editor's edits — which the drafting
service keeps. The closest share the kind and the moment (or name no moment), then the stage;
among equals the newest and the edited ones come first. They are shown trimmed (no greeting,
no channel furniture) and short: they teach a voice, they are not templates to copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.pack import Brand

MAX_CHARS = {"zh": 90, "en": 240}


@dataclass(frozen=True)
class Exemplar:
    kind: str
    text: str
    trigger: str = ""
    stage: str = ""
    edited: bool = False  # an editor changed the model's text before approving it


def from_brand(brand: Brand) -> list[Exemplar]:
    return [
        Exemplar(kind=s.kind, text=s.text, trigger=s.trigger or "", stage=s.stage or "")
        for s in brand.samples
    ]


# A greeting, with or without a name: "许晴你好，" "你好：" "Hi Emma," "Hi,"
_GREETING = re.compile(
    r"^\s*(?:[^，,：:。\n]{0,12}(?:你好|您好)[，,：:!！]?|(?:hi|hello|dear)\b[^,\n]{0,30}[,!])\s*",
    re.I,
)


def trim(text: str, brand: Brand, lang: str) -> str:
    """An exemplar as the prompt shows it: no greeting, no fixed channel lines, short."""
    fixed = [brand.persona.signature]
    if brand.sms is not None:
        fixed += [brand.sms.signature, brand.sms.opt_out]
    if brand.email is not None:
        fixed += [brand.email.unsubscribe, brand.email.sender]
    for line in fixed:
        if line:
            text = text.replace(line, " ")
    text = " ".join(_GREETING.sub("", text.strip()).split())
    cap = MAX_CHARS["en" if lang == "en" else "zh"]
    if len(text) > cap:
        cut = max(text.rfind(m, 0, cap) for m in ("。", "！", "？", ". ", "! ", "? "))
        text = text[: cut + 1] if cut > cap // 3 else text[:cap] + "…"
    return text.strip()


def closest(
    candidates: Iterable[Exemplar],
    *,
    kind: str,
    trigger: str,
    stage: str,
    brand: Brand,
    lang: str,
    limit: int = 2,
) -> list[str]:
    """The ``limit`` exemplars nearest this draft, trimmed, no duplicates: same kind only, and
    same moment or none (a long-silence message teaches the wrong content for day 3)."""
    ranked = sorted(
        (
            (e.trigger == trigger, e.stage == stage, e.edited, -i, e)
            for i, e in enumerate(candidates)
            if e.kind == kind and e.text.strip() and e.trigger in ("", trigger)
        ),
        key=lambda t: t[:4],
        reverse=True,
    )
    out: list[str] = []
    for *_, e in ranked:
        text = trim(e.text, brand, lang)
        if text and text not in out:
            out.append(text)
        if len(out) >= limit:
            break
    return out


__all__ = ["Exemplar", "closest", "from_brand", "trim"]
