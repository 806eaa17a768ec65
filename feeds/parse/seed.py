"""One seed file, bytes or text, to a `ParseResult`: the chain of the parser's
modules, and the issues about bytes that are not UTF-8.

Never raises on any input; does no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from feeds.model import Issue, Level, ParseResult
from feeds.parse.bounds import (
    MAX_ISSUES_PER_PAGE,
    MAX_SEED_BYTES,
    bound_issues,
    bound_page,
    is_too_large,
    may_exceed_bounds,
)
from feeds.parse.page import parse_page
from feeds.parse.state import Page
from feeds.parse.text import (
    MAX_REPAIR_WARNINGS,
    Repair,
    is_plain_utf8,
    lines_from_text,
    text_from_bytes,
)


def parse_seed(data: bytes | str, source: str) -> ParseResult:
    """Every item record of one seed file, in page order, with the file's problems."""
    if is_too_large(data):
        issue = Issue(
            source,
            1,
            Level.ERROR,
            f"larger than {MAX_SEED_BYTES:,} bytes, not a listing page: no items",
        )
        return ParseResult(source, (), (issue,))
    repairs: tuple[Repair, ...] = ()
    if isinstance(data, bytes):
        text, repairs = text_from_bytes(data)
    else:
        text = data
    if text is None:
        issue = Issue(source, 1, Level.ERROR, "not UTF-8 text (a binary file?): no items")
        return ParseResult(source, (), (issue,))
    # Repaired text is no longer what its bytes say (\xa0 was read as a no-break space).
    plain = isinstance(data, bytes) and not repairs and is_plain_utf8(data)
    lines, _ = lines_from_text(text, plain=plain)
    # The characters of the lines, or more: plain text has no more than its bytes.
    chars = len(data) if plain else sum(map(len, lines))
    page = Page(source, lines, chars)
    if repairs:
        _note_repairs(page, repairs)
    records = parse_page(page)
    if records and may_exceed_bounds(page, records):
        records = bound_page(page, records)
    issues = page.issues
    if len(issues) > MAX_ISSUES_PER_PAGE:
        issues = bound_issues(issues)
    return ParseResult(source, tuple(records), tuple(issues))


def _note_repairs(page: Page, repairs: Sequence[Repair]) -> None:
    """One warning per line with bytes that are not UTF-8, naming them and their
    reading; past MAX_REPAIR_WARNINGS lines, one warning counts the rest."""
    by_line: dict[int, list[Repair]] = {}
    for repair in repairs:
        by_line.setdefault(repair.line, []).append(repair)
    for number, (line, found) in enumerate(by_line.items()):
        if number == MAX_REPAIR_WARNINGS:
            page.add(
                line,
                Level.WARNING,
                f"{len(by_line) - number} more lines from here on with bytes that are not "
                "UTF-8, read as Windows-1252",
            )
            break
        data = b"".join(repair.data for repair in found)
        text = "".join(repair.text for repair in found)
        page.add(
            line,
            Level.WARNING,
            f"bytes that are not UTF-8 replaced: {_quote(data)} read as Windows-1252, {text!r}",
        )


def _quote(data: bytes) -> str:
    """`data` as a Python bytes literal, without the `b`: `'\\x92'`."""
    return repr(data)[1:]
