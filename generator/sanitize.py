"""Customer fields are untrusted input: a name or a tag may say "ignore all instructions".

Everything taken from a customer record (or an operator-typed question) passes through
:func:`clean` before it reaches a prompt: control characters and markup go, whitespace is
collapsed, length is capped, and a value that reads like an instruction to the model is
dropped (reported, never silently obeyed). Chinese and English phrasings are both covered.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Phrases that address the model instead of describing a customer.
_INJECTION = re.compile(
    r"(ignore|disregard|forget)\s+(all\s+|any\s+|the\s+)?(previous\s+|above\s+|prior\s+)?"
    r"(instructions?|rules?|prompts?)"
    r"|system\s*prompt|you\s+are\s+now|act\s+as|new\s+instructions?|jailbreak"
    r"|^\s*(system|assistant|user)\s*:"
    r"|忽略.{0,8}(指令|指示|规则|要求|提示)|无视.{0,8}(指令|规则|要求)|忘记.{0,8}(指令|规则|设定)"
    r"|系统提示|你现在是|扮演|新的指令|越狱",
    re.IGNORECASE,
)
# Template or chat markup that has no place in a customer field.
_MARKUP = re.compile(r"[{}<>`\[\]\\|]|<\|[^|]*\|>")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Cleaned:
    value: str
    dropped: bool = False
    reason: str = ""


def clean(value: object, *, max_len: int = 40) -> Cleaned:
    """Make one untrusted value safe to quote in a prompt (or drop it, with the reason)."""
    text = "".join(ch for ch in str(value) if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
    text = _SPACE.sub(" ", text).strip()
    if looks_like_injection(text):
        return Cleaned("", dropped=True, reason="reads like an instruction to the model")
    text = _SPACE.sub(" ", _MARKUP.sub("", text)).strip()
    if len(text) > max_len:
        text = text[:max_len].rstrip() + "…"
    return Cleaned(text)


def looks_like_injection(value: str) -> bool:
    """True when ``value`` reads like an instruction to the model (zh or en)."""
    return bool(_INJECTION.search(unicodedata.normalize("NFKC", value)))
