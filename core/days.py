"""The days zhenxin takes from people: calendar dates between 1900-01-01 and 2999-12-31.

Python's dates run from year 1 to 9999, and the product counts around the days it is given
(the year before a members' day, 30 and 60 days after a send, a guide's moments after a
purchase): at the calendar's ends that arithmetic overflows. A date outside this range is no
customer's day, so every door refuses it with one clear line, before any counting:
``parse_day`` for text (the CLI), ``Day`` for a pydantic field or a FastAPI parameter (a 422
that names the range), ``check_day`` for a date already parsed.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator

from core.errors import ZhenxinError

FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)
RANGE = f"{FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"


def in_range(day: dt.date) -> bool:
    """Whether ``day`` (a date, or a datetime's date) lies in the range zhenxin takes."""
    if isinstance(day, dt.datetime):
        day = day.date()
    return FIRST_DAY <= day <= LAST_DAY


def bounded(day: dt.date) -> dt.date:
    """``day`` itself, or a ValueError naming the range (for pydantic validators: ``Day``,
    an event's moment)."""
    if not in_range(day):
        raise ValueError(f"{day.isoformat()} is out of range: a day from {RANGE}")
    return day


Day = Annotated[dt.date, AfterValidator(bounded)]
"""A date field or query parameter that must lie in the range (422 otherwise)."""


def check_day(day: dt.date, name: str = "date") -> dt.date:
    """``day`` itself, or a :class:`ZhenxinError` naming ``name`` and the range."""
    if not in_range(day):
        raise ZhenxinError(f"{name} {day.isoformat()} is out of range", hint=f"a day from {RANGE}")
    return day


def parse_day(value: str, name: str = "date") -> dt.date:
    """``"2026-12-01"`` -> that date; anything else, or a day out of range, is a
    :class:`ZhenxinError` with one clear line naming ``name``."""
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ZhenxinError(f"{name} must look like 2026-12-01, got {value!r}") from None
    return check_day(day, name)
