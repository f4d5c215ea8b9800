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

_HEADING = re.compile(r"^\s*(\[[^\]\n]{1,40}\]|【[^】\n]{1,20}】)")
_FILLER = re.compile(r"[\s\-–—:：,，.。;；!！?？()（）\[\]【】\"'“”‘’]+")
# An inline tail counts as an echo when at most this share of it is not prompt text.
_INLINE_OWN_SHARE = 0.15


@dataclass(frozen=True)
class EchoCut:
    text: str
    removed: list[str]  # the echoed lines, for the finding


class PromptEcho:
    """What an echo of one prompt looks like, worked out once per prompt; :meth:`cut` then
    applies it to every slot the model writes, in every attempt."""

    def __init__(self, prompt: str) -> None:
        self.headings: set[str] = set()
        self.lines: set[str] = set()  # the prompt's lines, stripped
        self.pieces: list[str] = []  # line contents without heading or "- ", longest first
        self.data_lines: set[str] = set()  # "- key: value" items (the customer data block)
        pieces: set[str] = set()
        for line in prompt.splitlines():
            if line.strip():
                self.lines.add(line.strip())
            m = _HEADING.match(line)
            if m:
                self.headings.add(m.group(1))
            body = _HEADING.sub("", line).strip()
            if body.startswith("- "):
                body = body[2:].strip()
                if re.search(r"[:：]", body):
                    self.data_lines.add(body)
            if len(body) >= 2:
                pieces.add(body)
        self.pieces = sorted(pieces, key=len, reverse=True)
        labels = sorted(
            {h[1:-1].strip() for h in self.headings if len(h) > 3}, key=len, reverse=True
        )
        self.label = (
            re.compile(r"[\[【]?(?:" + "|".join(re.escape(x) for x in labels) + r")[\]】]?")
            if labels
            else None
        )

    def _is_heading(self, line: str) -> bool:
        m = _HEADING.match(line)
        return bool(m and m.group(1) in self.headings)

    def cut(self, text: str) -> EchoCut:
        """``text`` without the prompt sections it repeats (see the module docstring)."""
        if not self.headings:
            return EchoCut(text, [])
        lines = text.splitlines()
        # the echoed tail: from the earliest prompt heading after which nothing is the model's
        tail = len(lines)
        for i in range(len(lines) - 1, -1, -1):
            stripped = lines[i].strip()
            if not (not stripped or stripped in self.lines or self._is_heading(lines[i])):
                break
            if self._is_heading(lines[i]):
                tail = i
        removed = [line.strip() for line in lines[tail:] if line.strip()]
        kept: list[str] = []
        for line in lines[:tail]:
            if self._is_heading(line) and line.strip() in self.lines:
                removed.append(line.strip())
            else:
                kept.append(line)
        kept_text = "\n".join(kept)
        inline = self._inline_tail(kept_text)
        if inline is not None:
            removed.append(" ".join(kept_text[inline:].split()))
            kept_text = kept_text[:inline]
        if not removed:
            return EchoCut(text, [])
        return EchoCut(kept_text.strip(), removed)

    def _inline_tail(self, text: str) -> int | None:
        """Where a run-together echo of the prompt's last sections starts in ``text``."""
        if self.label is None:
            return None
        for m in self.label.finditer(text):
            tail = text[m.start() :]
            if not (any(d in tail for d in self.data_lines) or len(self.label.findall(tail)) >= 2):
                continue
            rest = tail
            for piece in self.pieces:
                rest = rest.replace(piece, " ")
            own = _FILLER.sub("", self.label.sub(" ", rest))
            if len(own) <= _INLINE_OWN_SHARE * len(_FILLER.sub("", tail)):
                return m.start()
        return None
