"""The JSON object in a model reply, robustly: code fences are stripped, raw line breaks
inside strings are accepted, and when the reply is not JSON as a whole the first JSON object
inside it is used (the slots of a composed draft are read from it)."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"^\s*```[a-zA-Z0-9_-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


def _objects(text: str) -> list[Any]:
    """Every top-level JSON value in ``text`` that starts at a '{', in order."""
    decoder = json.JSONDecoder(strict=False)
    found: list[Any] = []
    i = text.find("{")
    while i != -1:
        try:
            value, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            i = text.find("{", i + 1)
            continue
        found.append(value)
        i = text.find("{", end)
    return found


def parse_json_object(raw: str) -> dict[str, Any] | None:
    """The first JSON object in a reply (code fences and text around it tolerated)."""
    text = raw.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    try:
        # strict=False: small models put raw line breaks inside strings (invalid JSON, clear intent)
        value = json.loads(text, strict=False)
    except json.JSONDecodeError:
        value = next((v for v in _objects(text) if isinstance(v, dict)), None)
    return value if isinstance(value, dict) else None
