"""core.days: the one range of days zhenxin takes, for the CLI's text and pydantic fields."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import BaseModel, ValidationError

from core.days import FIRST_DAY, LAST_DAY, Day, check_day, in_range, parse_day
from core.errors import ZhenxinError


class _Form(BaseModel):
    day: Day


def test_the_edges_are_in_and_the_next_days_out() -> None:
    assert in_range(FIRST_DAY) and in_range(LAST_DAY)
    assert not in_range(FIRST_DAY - dt.timedelta(days=1))
    assert not in_range(LAST_DAY + dt.timedelta(days=1))
    assert in_range(dt.datetime(2999, 12, 31, 23, 59))
    assert not in_range(dt.datetime(1, 1, 1))


def test_parse_day_says_which_option_and_why_in_one_line() -> None:
    assert parse_day(" 2026-12-01 ", "--on") == dt.date(2026, 12, 1)
    with pytest.raises(ZhenxinError) as bad:
        parse_day("12/01/2026", "--on")
    assert str(bad.value) == "--on must look like 2026-12-01, got '12/01/2026'"
    with pytest.raises(ZhenxinError) as far:
        parse_day("9999-12-31", "--to")
    assert str(far.value) == "--to 9999-12-31 is out of range (a day from 1900-01-01 to 2999-12-31)"
    with pytest.raises(ZhenxinError):
        check_day(dt.date(1, 1, 5), "--on")


def test_a_field_of_the_type_refuses_a_far_day_with_the_range() -> None:
    assert _Form(day="2026-12-01").day == dt.date(2026, 12, 1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="1900-01-01 to 2999-12-31"):
        _Form(day="0001-01-05")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="out of range"):
        _Form(day="3000-01-01")  # type: ignore[arg-type]
