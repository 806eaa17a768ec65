"""Publishing dates: an ordered list of small parsers, each returning None when the
text is not its form (`16 October 2020`, `October 16, 2020`, `2020-10-16`).

Strict on purpose: a lenient parser reads a cut `12 October 200` as the year 200.
Knows nothing of pages or lines.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable

from feeds.model import MONTH_NAMES

MONTHS = {name.lower(): number for number, name in enumerate(MONTH_NAMES, start=1)}


DAY_MONTH_YEAR = re.compile(r"(\d{1,2}) ([A-Za-z]+) (\d{4})")
MONTH_DAY_YEAR = re.compile(r"([A-Za-z]+) (\d{1,2}), (\d{4})")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def date_from_day_month_year(text: str) -> dt.date | None:
    """`16 October 2020`, the listing's own form."""
    match = DAY_MONTH_YEAR.fullmatch(text)
    if not match:
        return None
    day, month, year = match.groups()
    return _make_date(int(year), MONTHS.get(month.lower()), int(day))


def date_from_month_day_year(text: str) -> dt.date | None:
    """`October 16, 2020`, as an English-locale scraper may render it."""
    match = MONTH_DAY_YEAR.fullmatch(text)
    if not match:
        return None
    return _make_date(int(match[3]), MONTHS.get(match[1].lower()), int(match[2]))


def date_from_iso(text: str) -> dt.date | None:
    """`2020-10-16`."""
    match = ISO_DATE.fullmatch(text)
    if not match:
        return None
    return _make_date(int(match[1]), int(match[2]), int(match[3]))


DATE_PARSERS: tuple[Callable[[str], dt.date | None], ...] = (
    date_from_day_month_year,
    date_from_month_day_year,
    date_from_iso,
)


def _make_date(year: int, month: int | None, day: int) -> dt.date | None:
    if month is None or year < 1900:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


# A listing shows each date on several items, and pages overlap: a date's text is
# parsed once rather than on every item. Dates are immutable, so sharing them is safe.
@functools.lru_cache(maxsize=4096)
def parse_date(text: str) -> dt.date | None:
    """The publishing date in `text`, or None when no parser recognises all of it."""
    text = text.strip()
    for parser in DATE_PARSERS:
        date = parser(text)
        if date is not None:
            return date
    return None
