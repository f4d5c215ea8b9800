"""What loading a brand pack found: problems (the pack is invalid) and warnings (it loads,
but something was ignored, kept as is or guessed — the operator should know).

Both are :class:`~core.errors.PackProblem` (file, location, message, hint), so the CLI, the
ingest report and the API print them the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from core.errors import PackProblem
from knowledge.pack import ID_PATTERN
from knowledge.stages import Stage

STAGE_ID_PATTERN = str(Stage.model_fields["id"].metadata[0].pattern)


class Problems:
    """Collects problems and warnings while loading; one PackError at the end."""

    def __init__(self) -> None:
        self.items: list[PackProblem] = []
        self.warnings: list[PackProblem] = []

    def add(self, file: str, location: str, message: str, hint: str = "") -> None:
        self.items.append(PackProblem(file=file, location=location, message=message, hint=hint))

    def warn(self, file: str, location: str, message: str, hint: str = "") -> None:
        self.warnings.append(PackProblem(file=file, location=location, message=message, hint=hint))

    def from_validation(self, file: str, exc: ValidationError, *, where: str = "") -> None:
        for err in exc.errors(include_url=False):
            self.from_error(file, err, where=where)

    def from_error(self, file: str, err: Mapping[str, Any], *, where: str = "") -> None:
        path = ".".join(str(p) for p in err["loc"])
        location = ", ".join(x for x in (where, path) if x) or "top level"
        message = str(err["msg"]).removeprefix("Value error, ")
        self.add(file, location, message, hint_for(err))


def hint_for(err: Mapping[str, Any]) -> str:
    """A one-line fix for a pydantic error, in the words of someone editing YAML or a sheet."""
    kind = str(err.get("type", ""))
    field = str(err["loc"][-1]) if err.get("loc") else ""
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return f"add '{field}'"
    if kind == "extra_forbidden":
        return f"remove '{field}' or check its spelling"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == ID_PATTERN:
            return "use 2-64 lowercase letters, digits, '-' or '_', starting with a letter or digit"
        if ctx.get("pattern") == STAGE_ID_PATTERN:
            return "use lowercase letters, digits and '_', starting with a letter"
        return f"must match {ctx.get('pattern', 'the expected pattern')}"
    if kind in {"enum", "literal_error"}:
        return f"use one of {ctx.get('expected', 'the allowed values')}"
    if kind in {"string_too_short", "too_short"}:
        return f"'{field}' must not be empty" if field else "must not be empty"
    if kind.startswith("date"):
        return "write dates as YYYY-MM-DD"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return "write a whole number"
    if kind in {"bool_parsing", "bool_type"}:
        return "write true or false"
    if kind == "string_type":
        return "write text; quote values YAML reads as numbers or dates, e.g. '001'"
    if kind in {"list_type", "tuple_type"}:
        return "write a list, e.g. [a, b]"
    if kind in {"dict_type", "model_type"}:
        return "write a section of 'key: value' lines"
    if kind.endswith(("_too_long", "_too_big")) or kind in {
        "greater_than_equal",
        "less_than_equal",
    }:
        return "use a value within the allowed range"
    return "fix the value as the message says"
