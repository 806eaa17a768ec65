"""The structure of a page: where its items are. The only reliable anchor of the
format is the `Publishing date:` line: the title is the nearest non-blank line above
it, and an item runs up to the next item's title. Also decides that a page is no
listing at all (empty, no dates, a foreign listing, an article).

Reading one item's fields is `feeds.parse.items`.
"""

from __future__ import annotations

from collections.abc import Sequence

from feeds.model import Level, Record
from feeds.parse.bounds import shown
from feeds.parse.items import parse_item
from feeds.parse.labels import (
    ARTICLE_BODY_LINES,
    DATE_PREFIX,
    FOREIGN_LABELS,
    HEADER,
    LABEL_LINE,
    MARKS,
)
from feeds.parse.state import Page


def parse_page(page: Page) -> list[Record]:
    lines = page.lines
    if not any(lines):
        page.add(0, Level.ERROR, "empty file: no items")
        return []
    # One look at the start of every line finds the dates and any foreign label.
    marked = [i for i, line in enumerate(lines) if line.startswith(MARKS)]
    dates = [i for i in marked if lines[i].startswith(DATE_PREFIX)]
    if not dates:
        page.add(0, Level.ERROR, "not a listing page: no 'Publishing date:' line, no items")
        return []
    # A foreign label starts a line: without one, no item's metadata needs a look.
    foreign = _find_foreign_label(page, dates) if len(marked) > len(dates) else None
    if foreign is not None:
        label = LABEL_LINE.match(lines[foreign])
        assert label is not None
        page.add(
            foreign,
            Level.ERROR,
            f"not a news listing ('{label['label']}:' lines): no items",
        )
        return []

    previous = [-1, *dates[:-1]]
    titles = [_find_title(page, d, p) for d, p in zip(dates, previous, strict=True)]
    _note_lines_before(page, titles[0] if titles[0] is not None else dates[0])
    # An item ends where the next one's title (or, without one, its date) begins.
    stops = [t if t is not None else d for t, d in zip(titles[1:], dates[1:], strict=True)]
    stops.append(len(lines))

    records: list[Record] = []
    last = dates[-1]
    for d, title, stop in zip(dates, titles, stops, strict=True):
        record = parse_item(page, title, d, stop, is_last=d == last)
        if record is not None:
            records.append(record)

    if len(dates) == 1 and page.extra_lines >= ARTICLE_BODY_LINES:
        page.issues = []  # about lines of an item that is not one
        page.add(0, Level.ERROR, "looks like an article, not a listing: no items")
        return []
    return records


def _find_foreign_label(page: Page, dates: Sequence[int]) -> int | None:
    for d in dates:
        for i in page.non_blank(d + 1, len(page.lines)):
            match = LABEL_LINE.fullmatch(page.lines[i])
            if match is None or page.lines[i].startswith(DATE_PREFIX):
                break
            if match["label"] in FOREIGN_LABELS:
                return i
    return None


def _find_title(page: Page, date_index: int, previous_date: int) -> int | None:
    for i in range(date_index - 1, previous_date, -1):
        if page.lines[i]:
            if page.lines[i] in HEADER:
                break
            return i
    page.add(date_index, Level.ERROR, "no title above this date: item skipped")
    return None


def _note_lines_before(page: Page, first: int) -> None:
    for i in page.non_blank(0, first):
        if page.lines[i] not in HEADER:
            page.add(i, Level.NOTICE, f"line before the first item ignored: {shown(page.lines[i])}")
