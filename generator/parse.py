"""Turn a model reply into the kind's schema, robustly: code fences are stripped, and when
the reply is not JSON as a whole the first JSON object inside it is used. A reply that still
does not fit is a :class:`ParseFailure` (the pipeline records it as a failed attempt)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

_FENCE = re.compile(r"^\s*```[a-zA-Z0-9_-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


@dataclass(frozen=True)
class ParseFailure:
    reason: str
    raw: str


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
        value = json.loads(text, strict=False)
    except json.JSONDecodeError:
        value = next((v for v in _objects(text) if isinstance(v, dict)), None)
    return value if isinstance(value, dict) else None


def parse_reply(raw: str, model: type[M]) -> M | ParseFailure:
    """Parse ``raw`` into ``model`` or say why not."""
    text = raw.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    candidates: list[Any] = []
    try:
        # strict=False: small models put raw line breaks inside strings (invalid JSON, clear intent)
        candidates.append(json.loads(text, strict=False))
    except json.JSONDecodeError:
        candidates.extend(_objects(text))
    if not candidates:
        return ParseFailure("the reply contains no JSON object", raw)
    last_error = ""
    for value in candidates:
        if not isinstance(value, dict):
            last_error = "the reply is JSON but not an object"
            continue
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "reply"
            last_error = f"{where}: {first['msg']}"
    return ParseFailure(f"the reply does not fit the schema ({last_error})", raw)
