"""Read one seed file (the visible text of one listing page) into records and issues.

The only reliable anchor of the format is the `Publishing date:` line: the title is the
nearest non-blank line above it, and metadata and summary follow it up to the next
item's title. Everything is decided from those anchors, never from a prefix alone.

Bad input is data: `parse_seed` never raises on any text or bytes. It returns what it
could read and an `Issue` for every problem. It does not merge sightings of one item
(see `catalog`) and does no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from feeds.model import Issue, Kind, Level, ParseResult, Record

DATE_LABEL = "Publishing date"
HEADER = frozenset(
    {
        "Newsroom",
        "News and press releases",
        "News and press releases from the OSCE's global activities.",
        "News and press releases from the OSCE’s global activities.",
    }
)
FIELD_LABELS: dict[str, Kind | None] = {
    "Content type": Kind.TYPE,
    "Where we are": Kind.MISSION,
    "What we do": Kind.TOPIC,
    "Collections": None,  # a rare label of the site; we publish no feeds for it
}
# Labels that mark a listing of something else than news (monitoring reports).
FOREIGN_LABELS = frozenset({"Report type"})
# Whole labels, for recognising a page cut in the middle of one ("Where we a").
CUT_LABEL_TARGETS = tuple(f"{label}:" for label in (DATE_LABEL, *FIELD_LABELS))

# "Label: value" in the metadata position: one to four words, sentence case.
LABEL_LINE = re.compile(r"(?P<label>[A-Z][a-z]+(?: [a-z]+){0,3}):(?:\s*(?P<value>.*))")
DATE_LINE = re.compile(r"Publishing date:(?P<value>.*)")
# Lines of body text after a lone item's summary that make a page an article.
ARTICLE_BODY_LINES = 3

MONTHS = {
    name.lower(): number
    for number, name in enumerate(
        (
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        start=1,
    )
}
# Characters XML 1.0 cannot carry (C0 controls, lone surrogates, non-characters):
# they cannot be published, so they are dropped on reading.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


# --- dates: an ordered list of small parsers, each returning None when not theirs ---


def date_from_day_month_year(text: str) -> dt.date | None:
    """`16 October 2020`, the listing's own form."""
    match = re.fullmatch(r"(\d{1,2}) ([A-Za-z]+) (\d{4})", text)
    if not match:
        return None
    return _make_date(int(match[3]), MONTHS.get(match[2].lower()), int(match[1]))


def date_from_month_day_year(text: str) -> dt.date | None:
    """`October 16, 2020`, as an English-locale scraper may render it."""
    match = re.fullmatch(r"([A-Za-z]+) (\d{1,2}), (\d{4})", text)
    if not match:
        return None
    return _make_date(int(match[3]), MONTHS.get(match[1].lower()), int(match[2]))


def date_from_iso(text: str) -> dt.date | None:
    """`2020-10-16`."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
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


def parse_date(text: str) -> dt.date | None:
    """The publishing date in `text`, or None when no parser recognises all of it."""
    for parser in DATE_PARSERS:
        date = parser(text.strip())
        if date is not None:
            return date
    return None


# --- text ---


def text_from_bytes(data: bytes) -> str | None:
    """The text of a seed file, or None when it is not UTF-8 text (binary, another
    encoding). A byte-order mark is dropped, and so is a character cut in half at the
    very end, as a scrape or a copy stops anywhere."""
    if b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason != "unexpected end of data":
            return None
        text = data[: error.start].decode("utf-8", errors="strict")
    return text.removeprefix("\ufeff")


def lines_from_text(text: str) -> tuple[list[str], bool]:
    """Clean lines (1-based via index + 1) and whether the last one was terminated.

    Line ends of any kind become one; Unicode spaces become plain spaces, collapsed;
    each line is stripped. Nothing else changes, so line numbers match an editor's.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    terminated = text.endswith("\n")
    # Whole-text passes (in C) rather than per line: the same result, much faster.
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    # str.split() splits on every Unicode space (NBSP, thin space, tab...): joined
    # back with single spaces, each line comes out collapsed and stripped.
    lines = [" ".join(line.split()) for line in NOT_XML.sub("", text).split("\n")]
    if terminated:
        lines.pop()
    return lines, terminated


def split_names(value: str) -> list[str]:
    """`A, B, C` as a list; no known name contains a comma. Empty pieces are dropped."""
    return [name.strip() for name in value.split(",") if name.strip()]


# --- the page ---


@dataclass
class _Page:
    """The working state of one parse: lines and the issues found so far."""

    source: str
    lines: list[str]
    terminated: bool
    issues: list[Issue] = field(default_factory=list)
    extra_lines: int = 0  # lines after a summary that belong to no item

    def add(self, index: int, level: Level, message: str) -> None:
        self.issues.append(Issue(self.source, index + 1, level, message))

    def is_cut(self, index: int) -> bool:
        """Whether line `index` is the page's last line and may have been cut short."""
        return index == len(self.lines) - 1 and not self.terminated

    def non_blank(self, start: int, stop: int) -> Iterator[int]:
        return (i for i in range(start, stop) if self.lines[i])


def parse_seed(data: bytes | str, source: str) -> ParseResult:
    """Every item record of one seed file, in page order, with the file's problems."""
    text = text_from_bytes(data) if isinstance(data, bytes) else data
    if text is None:
        issue = Issue(source, 1, Level.ERROR, "not UTF-8 text (a binary file?): no items")
        return ParseResult(source, (), (issue,))
    lines, terminated = lines_from_text(text)
    page = _Page(source, lines, terminated)
    records = _parse_page(page)
    return ParseResult(source, tuple(records), tuple(page.issues))


def _parse_page(page: _Page) -> list[Record]:
    lines = page.lines
    if not any(lines):
        page.add(0, Level.ERROR, "empty file: no items")
        return []
    dates = [i for i, line in enumerate(lines) if DATE_LINE.match(line)]
    if not dates:
        page.add(0, Level.ERROR, "not a listing page: no 'Publishing date:' line, no items")
        return []
    foreign = _find_foreign_label(page, dates)
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

    records: list[Record] = []
    for n, (d, title) in enumerate(zip(dates, titles, strict=True)):
        if n + 1 < len(dates):
            following = titles[n + 1]
            stop = following if following is not None else dates[n + 1]
        else:
            stop = len(lines)
        record = _parse_item(page, title, d, stop, is_last=n + 1 == len(dates))
        if record is not None:
            records.append(record)

    if len(dates) == 1 and page.extra_lines >= ARTICLE_BODY_LINES:
        page.issues = []  # about lines of an item that is not one
        page.add(0, Level.ERROR, "looks like an article, not a listing: no items")
        return []
    return records


def _find_foreign_label(page: _Page, dates: Sequence[int]) -> int | None:
    for d in dates:
        for i in page.non_blank(d + 1, len(page.lines)):
            match = LABEL_LINE.fullmatch(page.lines[i])
            if match is None or DATE_LINE.match(page.lines[i]):
                break
            if match["label"] in FOREIGN_LABELS:
                return i
    return None


def _find_title(page: _Page, date_index: int, previous_date: int) -> int | None:
    for i in range(date_index - 1, previous_date, -1):
        if page.lines[i]:
            if page.lines[i] in HEADER:
                break
            return i
    page.add(date_index, Level.ERROR, "no title above this date: item skipped")
    return None


def _note_lines_before(page: _Page, first: int) -> None:
    for i in page.non_blank(0, first):
        if page.lines[i] not in HEADER:
            page.add(i, Level.NOTICE, f"line before the first item ignored: {page.lines[i]!r}")


def _parse_item(
    page: _Page, title: int | None, d: int, stop: int, *, is_last: bool
) -> Record | None:
    lines = page.lines
    raw_date = DATE_LINE.match(lines[d])
    assert raw_date is not None
    date = parse_date(raw_date["value"])
    body = list(page.non_blank(d + 1, stop))

    if is_last and body and page.is_cut(body[-1]) and _is_cut_label(lines[body[-1]]):
        page.add(body[-1], Level.NOTICE, f"page cut inside a label: {lines[body[-1]]!r}")
        body.pop()
    if date is None:
        value = raw_date["value"].strip()
        if page.is_cut(d):
            page.add(d, Level.NOTICE, f"page cut inside a date: {value!r}, item skipped")
        else:
            page.add(d, Level.ERROR, f"bad date {value!r}: item skipped")
        return None
    if title is None:
        return None

    names: dict[Kind, list[str]] = {kind: [] for kind in Kind}
    tentative: list[tuple[Kind, str]] = []
    position = 0
    for position, i in enumerate(body):
        match = LABEL_LINE.fullmatch(lines[i])
        if match is None:
            break
        label, value = match["label"], match["value"] or ""
        if label not in FIELD_LABELS and position == len(body) - 1:
            break  # an unknown label with nothing after it: the line is the summary
        kind = FIELD_LABELS.get(label)
        if label not in FIELD_LABELS:
            page.add(i, Level.NOTICE, f"unknown label '{label}:' ignored")
        elif kind is not None:
            values = split_names(value)
            if page.is_cut(i) and values and not value.rstrip().endswith(","):
                cut = values.pop()
                tentative.append((kind, cut))
                page.add(
                    i,
                    Level.NOTICE,
                    f"page cut inside {label!r}: {cut!r} kept only if seen complete elsewhere",
                )
            names[kind].extend(values)
    else:
        position = len(body)

    rest = body[position:]
    summary = lines[rest[0]] if rest else ""
    for extra in rest[1:]:
        page.extra_lines += 1
        if is_last and extra == rest[-1]:
            # The next item's title, with its date beyond the end of the scrape.
            page.add(extra, Level.NOTICE, f"title without a date at the end: {lines[extra]!r}")
        else:
            page.add(extra, Level.WARNING, f"unexpected line ignored: {lines[extra]!r}")

    types = names[Kind.TYPE]
    if len(types) > 1:
        page.add(d, Level.WARNING, f"several content types {types!r}: kept the first")
    return Record(
        title=lines[title],
        date=date,
        content_type=types[0] if types else None,
        missions=tuple(dict.fromkeys(names[Kind.MISSION])),
        topics=tuple(dict.fromkeys(names[Kind.TOPIC])),
        summary=summary,
        source=page.source,
        line=title + 1,
        tentative=tuple(tentative),
    )


def _is_cut_label(line: str) -> bool:
    """Whether `line` is a label cut short: a proper prefix of a whole one."""
    return len(line) >= 2 and any(
        target.startswith(line) and target != line for target in CUT_LABEL_TARGETS
    )
