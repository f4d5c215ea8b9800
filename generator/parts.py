"""The parts of a composed draft, as stored with it (see :mod:`generator.slots`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Source = Literal["model", "fallback", "fixed"]


class Part(BaseModel):
    """One part of a composed draft: which sentence the model wrote (``model``), which the
    program put in (``fixed``: the greeting, a quoted safety statement, the belief as
    written) and which replaced a sentence the model got wrong twice (``fallback``).
    ``start``/``end`` locate it in the draft's text."""

    name: str
    text: str
    source: Source
    start: int
    end: int


__all__ = ["Part", "Source"]
