"""Publishing dates: the forms the parsers read, and what they refuse."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.model import MONTH_NAMES
from feeds.parse.dates import parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("16 October 2020", dt.date(2020, 10, 16)),
        ("6 october 2020", dt.date(2020, 10, 6)),
        ("06 October 2020", dt.date(2020, 10, 6)),
        ("October 16, 2020", dt.date(2020, 10, 16)),
        ("2020-10-16", dt.date(2020, 10, 16)),
        ("12 October 200", None),
        ("31 September 2020", None),
        ("31/13/2020", None),
        ("16 Octobre 2020", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


@given(st.dates(min_value=dt.date(1900, 1, 1)))
def test_every_form_of_every_date_reads_back(day: dt.date) -> None:
    month = MONTH_NAMES[day.month - 1]
    for text in (f"{day.day} {month} {day.year}", f"{month} {day.day}, {day.year}", f"{day}"):
        assert parse_date(text) == day
        assert parse_date(f" {text}  ") == day
