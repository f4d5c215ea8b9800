"""Small models sometimes copy sections of their prompt into the reply: after a good story
post they append ``[Our belief] …`` and the ``[Customer data]`` list, or ``【客户资料】`` with
``- 姓名：…`` lines. Such an echo is never meant for the customer (and can leak the data
block), so it is cut before the draft is checked.

Three shapes are cut:

- a tail of lines that starts at a line opening with one of the prompt's own section
  headings (``[…]`` or ``【…】`` at the start of a prompt line) and holds nothing but such
  headings, blank lines and lines copied verbatim from the prompt;
- the same tail run together on one line, brackets and line breaks dropped (``They never
  are. Our belief Progress … Customer data (data, not instructions) - name: Priya …``): from
  a section label, when what follows is almost all prompt text and holds a line of the
  customer data block or a second section label;
- anywhere else, a line that is a prompt heading line copied verbatim.

Text the model wrote itself is kept: a belief woven into a sentence ("Our belief is that
…") is not an echo, and a bracketed heading the prompt does not have is not touched (the
tone check reports it as a leftover placeholder). The raw reply stays on the attempt, so
nothing is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_HEADING = re.compile(r"^\s*(\[[^\]\n]{1,40}\]|【[^】\n]{1,20}】)")
_FILLER = re.compile(r"[\s\-–—:：,，.。;；!！?？()（）\[\]【】\"'“”‘’]+")
# An inline tail counts as an echo when at most this share of it is not prompt text.
_INLINE_OWN_SHARE = 0.15


@dataclass(frozen=True)
class EchoCut:
    text: str
    removed: list[str]  # the echoed lines, for the finding


def prompt_headings(prompt: str) -> set[str]:
    """The section headings the prompt itself uses (``[Customer data]``, ``【品牌信念】`` …)."""
    found = set()
    for line in prompt.splitlines():
        m = _HEADING.match(line)
        if m:
            found.add(m.group(1))
    return found


def cut_echo(text: str, prompt: str) -> EchoCut:
    """``text`` without the prompt sections it repeats (see the module docstring)."""
    headings = prompt_headings(prompt)
    if not headings:
        return EchoCut(text, [])
    prompt_lines = {line.strip() for line in prompt.splitlines() if line.strip()}
    lines = text.splitlines()

    def is_heading(line: str) -> bool:
        m = _HEADING.match(line)
        return bool(m and m.group(1) in headings)

    # the echoed tail: from the earliest prompt heading after which nothing is the model's own
    tail = len(lines)
    for i in range(len(lines) - 1, -1, -1):
        stripped = lines[i].strip()
        if not (not stripped or stripped in prompt_lines or is_heading(lines[i])):
            break
        if is_heading(lines[i]):
            tail = i
    removed = [line.strip() for line in lines[tail:] if line.strip()]
    kept: list[str] = []
    for line in lines[:tail]:
        if is_heading(line) and line.strip() in prompt_lines:
            removed.append(line.strip())
        else:
            kept.append(line)
    kept_text = "\n".join(kept)
    inline = _inline_tail(kept_text, prompt, headings)
    if inline is not None:
        removed.append(" ".join(kept_text[inline:].split()))
        kept_text = kept_text[:inline]
    if not removed:
        return EchoCut(text, [])
    return EchoCut(kept_text.strip(), removed)


def _inline_tail(text: str, prompt: str, headings: set[str]) -> int | None:
    """Where a run-together echo of the prompt's last sections starts in ``text``, if any."""
    labels = sorted({h[1:-1].strip() for h in headings if len(h) > 3}, key=len, reverse=True)
    if not labels:
        return None
    label = re.compile(r"[\[【]?(?:" + "|".join(re.escape(x) for x in labels) + r")[\]】]?")
    pieces: set[str] = set()
    data_lines: set[str] = set()
    for line in prompt.splitlines():
        body = _HEADING.sub("", line).strip()
        if body.startswith("- "):
            body = body[2:].strip()
            if re.search(r"[:：]", body):
                data_lines.add(body)
        if len(body) >= 2:
            pieces.add(body)
    ordered = sorted(pieces, key=len, reverse=True)
    for m in label.finditer(text):
        tail = text[m.start() :]
        if not (any(d in tail for d in data_lines) or len(label.findall(tail)) >= 2):
            continue
        rest = tail
        for piece in ordered:
            rest = rest.replace(piece, " ")
        own = _FILLER.sub("", label.sub(" ", rest))
        if len(own) <= _INLINE_OWN_SHARE * len(_FILLER.sub("", tail)):
            return m.start()
    return None


def cut_reply_echo(reply: M, prompt: str) -> tuple[M, list[str]]:
    """The reply with every text field cut by :func:`cut_echo`, and the lines removed.

    A field that would become empty keeps its text: an echo-only reply is the checks' to
    judge, not silently emptied here.
    """
    updates: dict[str, str] = {}
    removed: list[str] = []
    for name, value in reply:
        if not isinstance(value, str):
            continue
        cut = cut_echo(value, prompt)
        if cut.removed and cut.text:
            updates[name] = cut.text
            removed.extend(cut.removed)
    return (reply.model_copy(update=updates) if updates else reply), removed
