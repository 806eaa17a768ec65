"""Read one seed file (the visible text of one listing page) into records and issues.

The only reliable anchor of the format is the `Publishing date:` line: the title is the
nearest non-blank line above it, and metadata and summary follow it up to the next
item's title. Everything is decided from those anchors, never from a prefix alone.

Bad input is data: `parse_seed` never raises on any text or bytes. It returns what it
could read and an `Issue` for every problem. Bounds far above any real page (`MAX_*`)
keep one file from flooding `public/`: beyond them, text is cut or items dropped, with
a warning, or the file refused. It does not merge sightings of one item
(see `catalog`) and does no I/O.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from feeds.model import MONTH_NAMES, Issue, Kind, Level, ParseResult, Record

DATE_LABEL = "Publishing date"
DATE_PREFIX = f"{DATE_LABEL}:"
HEADER = frozenset(
    {
        "Newsroom",
        "News and press releases",
        "News and press releases from the OSCE's global activities.",
        "News and press releases from the OSCE’s global activities.",
    }
)
TYPE_LABEL, MISSION_LABEL, TOPIC_LABEL = Kind.TYPE.label, Kind.MISSION.label, Kind.TOPIC.label
FIELD_LABELS: dict[str, Kind | None] = {
    TYPE_LABEL: Kind.TYPE,
    MISSION_LABEL: Kind.MISSION,
    TOPIC_LABEL: Kind.TOPIC,
    "Collections": None,  # a rare label of the site; we publish no feeds for it
}
# The labels of the fields we publish feeds for.
KIND_LABELS = {label: kind for label, kind in FIELD_LABELS.items() if kind is not None}
# Labels that mark a listing of something else than news (monitoring reports).
FOREIGN_LABELS = frozenset({"Report type"})
# The starts of the lines that decide what a page is: dates and foreign labels.
MARKS = (DATE_PREFIX, *sorted(f"{label}:" for label in FOREIGN_LABELS))
# Whole labels, for recognising a page cut in the middle of one ("Where we a").
CUT_LABEL_TARGETS = tuple(f"{label}:" for label in (DATE_LABEL, *FIELD_LABELS))

# "Label: value" in the metadata position: one to four words, sentence case.
LABEL_LINE = re.compile(r"(?P<label>[A-Z][a-z]+(?: [a-z]+){0,3}):(?:\s*(?P<value>.*))")
# Lines of body text after a lone item's summary that make a page an article.
ARTICLE_BODY_LINES = 3

MONTHS = {name.lower(): number for number, name in enumerate(MONTH_NAMES, start=1)}
# Characters XML 1.0 cannot carry (C0 controls, lone surrogates, non-characters):
# they cannot be published, so they are dropped on reading.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# Plain text, in UTF-8: printable ASCII, line ends, U+0080-U+02FF (Latin letters with
# their diacritics, Latin-1 signs) and U+2000-U+20BF (typographic punctuation, currency
# signs), but none of the spaces among them (NEL, NBSP, U+2000-U+200A, U+2028, U+2029,
# U+202F, U+205F). Such text is in NFC, in any order (none of these characters combines
# with another), and cleaning changes nothing in it but runs of spaces; the tests check
# both for every character. Its bytes: those below, where C2-CB lead the two-byte
# characters and E2 the three-byte ones; then the sequences to rule out.
PLAIN_BYTES = bytes([0x0A, 0x0D, *range(0x20, 0x7F), *range(0x80, 0xC0), *range(0xC2, 0xCC), 0xE2])
NOT_PLAIN_AFTER_C2 = re.compile(rb"\xc2[\x85\xa0]")
NOT_PLAIN_AFTER_E2 = re.compile(rb"\xe2(?:[^\x80-\x82]|\x80[\x80-\x8a\xa8\xa9\xaf]|\x81\x9f)")


# --- bounds: far above any real page, so that one file cannot flood public/ ---
# A listing page is 5-20 KB of text with about ten items; what is beyond these figures
# is not a listing, or an attack: each of them multiplies what a page publishes (an
# entry is written into its feed of everything, its month page and a feed per name,
# in several formats, each with every name of the entry). Text beyond a bound is cut
# on a character boundary, without trailing space, with a warning; names are cut the
# same way wherever they appear, so a long name still makes one group.
MAX_SEED_BYTES = 1 << 20  # 1 MiB: a larger file is refused whole
# The sample and test pages (tests/data) have titles of up to 168 characters,
# summaries of up to 501 (the site cuts them), names of up to 51, an item with 18
# topics (nearly all the site has) and at most 18 distinct names of a kind per page.
MAX_TITLE_CHARS = 1000
MAX_SUMMARY_CHARS = 5000
MAX_NAME_CHARS = 200  # room for the site's longest office names
MAX_NAMES_PER_ITEM = 50  # of one kind
# Distinct names of one kind on one page, each a feed of its own (five files); later
# new names are dropped with a warning.
MAX_NAMES_PER_PAGE = 100
# What a page may publish, as characters times the feeds they go into. The bounds
# above do not bound it: their product does (an item with 50 topics and 50 missions
# goes into 100 feeds, each time with its 100 names, in 5 formats), so a page has a
# budget. An item weighs its title, summary and names, plus NAME_OVERHEAD per name
# and ITEM_OVERHEAD for the markup around them, once for each feed it goes into:
# those of its names, the feed of everything and its month page. The real pages we
# have weigh 28,000 to 98,000 (the heaviest has an item with 18 topics); hostile
# pages of every shape we tried made at most 4.4 bytes of public/ per unit, so one
# page adds at most about 5 MB (and its last good copy in the state folder). Items
# past the budget are dropped, with a warning.
ITEM_OVERHEAD = 300
NAME_OVERHEAD = 100
MAX_PAGE_WEIGHT = 1_000_000
# Problems reported per page; then one issue, as severe as the worst of the rest,
# counts them. A hostile page could otherwise make a log line of every line.
MAX_ISSUES_PER_PAGE = 100
# Longer text cannot be a date (and is not kept in `parse_date`'s cache).
MAX_DATE_CHARS = 40
# Page text quoted in a message, at most.
MAX_QUOTED_CHARS = 80

# Bytes that are not UTF-8 are read as Windows-1252, the usual other encoding of such
# text (a page saved on Windows: `\x92` is ’), rather than as U+FFFD, which loses the
# letter; each line with such bytes gets a warning. A file with NUL bytes, or in which
# more than one byte in MAX_BAD_BYTES_SHARE is not UTF-8, is binary, or text in another
# encoding, and is refused: a page saved as Windows-1252 has a few per cent of such
# bytes (accented letters, typographic quotes), a compressed or image file about half.
MAX_BAD_BYTES_SHARE = 10
# Warnings about such lines per page, at most; then one says how many more there are.
MAX_REPAIR_WARNINGS = 20
# A run of bad bytes, as `surrogateescape` decoding leaves them.
ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")


# --- dates: an ordered list of small parsers, each returning None when not theirs ---


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


# --- text ---


@dataclass(frozen=True, slots=True)
class Repair:
    """Bytes of one line that were not UTF-8, and the text read in their place."""

    line: int  # 0-based index, as in `lines_from_text`
    data: bytes
    text: str


def text_from_bytes(data: bytes) -> tuple[str | None, tuple[Repair, ...]]:
    """The text of a seed file and the repairs made to it; None when it is binary.

    A byte-order mark is dropped, and so is a character cut in half at the very end,
    as a scrape or a copy stops anywhere. Clean UTF-8 (nearly every page) is decoded
    in one call; only a page on which that fails is looked at byte by byte
    (`_repaired_text`)."""
    if b"\x00" in data:
        return None, ()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason != "unexpected end of data":  # bytes that are not UTF-8
            return _repaired_text(data)
        # The first error is a character cut at the very end: all before it is UTF-8.
        text = data[: error.start].decode("utf-8", errors="strict")
    return text.removeprefix("\ufeff"), ()


def _repaired_text(data: bytes) -> tuple[str | None, tuple[Repair, ...]]:
    """The text of a page with bytes that are not UTF-8, each read as Windows-1252 (a
    byte it leaves undefined becomes U+FFFD), or None when there are too many of them
    for a text (`MAX_BAD_BYTES_SHARE`)."""
    # surrogateescape keeps each bad byte as one lone surrogate, U+DC80-U+DCFF; an
    # incremental decode not told that the data is final keeps a character cut in
    # half at the very end to itself, so it is dropped as on the fast path.
    text = codecs.getincrementaldecoder("utf-8")("surrogateescape").decode(data)
    runs = ESCAPED_BYTES.findall(text)
    if sum(map(len, runs)) * MAX_BAD_BYTES_SHARE > len(data):
        return None, ()
    pieces: list[str] = []
    repairs: list[Repair] = []
    line = position = 0
    for match in ESCAPED_BYTES.finditer(text):
        start = match.start()
        # Line ends as `lines_from_text` counts them: CRLF, CR or LF. A segment ends at
        # a bad byte, never between the CR and LF of one line end.
        line += (
            text.count("\n", position, start)
            + text.count("\r", position, start)
            - text.count("\r\n", position, start)
        )
        raw = match.group().encode("utf-8", "surrogateescape")
        read = raw.decode("cp1252", errors="replace")
        pieces += (text[position:start], read)
        repairs.append(Repair(line, raw, read))
        position = match.end()
    pieces.append(text[position:])
    return "".join(pieces).removeprefix("\ufeff"), tuple(repairs)


def is_plain_utf8(data: bytes) -> bool:
    """Whether `data`, UTF-8 that `text_from_bytes` reads, is plain text (PLAIN_BYTES)
    as nearly every listing page is: already in NFC, with nothing for cleaning to drop
    or to turn into a space. A look at the bytes costs much less than one at the
    characters."""
    data = data.removeprefix(codecs.BOM_UTF8)
    return (
        not data.translate(None, PLAIN_BYTES)
        and NOT_PLAIN_AFTER_C2.search(data) is None
        and NOT_PLAIN_AFTER_E2.search(data) is None
    )


def lines_from_text(text: str, *, plain: bool = False) -> tuple[list[str], bool]:
    """Clean lines (1-based via index + 1) and whether the last one was terminated.

    Line ends of any kind become one; Unicode spaces become plain spaces, collapsed;
    each line is stripped. Nothing else changes, so line numbers match an editor's.
    `plain` says that the text is known to be plain (`is_plain_utf8`), which spares
    a look at every character.
    """
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    terminated = text.endswith("\n")
    # Whole-text passes (in C) rather than per line: the same result, much faster.
    if not plain and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    lines = text.split("\n")
    if not _are_clean(text, lines, plain=plain):
        # str.split() splits on every Unicode space (NBSP, thin space, tab...): joined
        # back with single spaces, each line comes out collapsed and stripped.
        lines = [" ".join(line.split()) for line in NOT_XML.sub("", text).split("\n")]
    if terminated:
        lines.pop()
    return lines, terminated


def _are_clean(text: str, lines: list[str], *, plain: bool) -> bool:
    """Whether cleaning would leave `lines` (of `text`) as they are: no character XML
    cannot carry, no space but single plain ones between words. True of most pages,
    and much cheaper to check than the cleaning itself."""
    return (
        # Every character XML cannot carry and every space but U+0020 is unprintable.
        (plain or all(map(str.isprintable, lines)))
        and "  " not in text
        # str.strip returns the line itself when there is nothing to strip.
        and list(map(str.strip, lines)) == lines
    )


# The same few values recur on item after item: each is split once.
@functools.lru_cache(maxsize=4096)
def split_names(value: str) -> tuple[str, ...]:
    """`A, B, C` as a tuple; no known name contains a comma. Empty pieces are dropped."""
    return tuple(filter(None, map(str.strip, value.split(","))))


def _cut(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, without trailing space: the same text
    is always cut the same way."""
    return text[:limit].rstrip()


def _shown(text: str) -> str:
    """`text` quoted for a message, shortened past MAX_QUOTED_CHARS."""
    if len(text) <= MAX_QUOTED_CHARS:
        return repr(text)
    return f"{_cut(text, MAX_QUOTED_CHARS)!r}… ({len(text):,} characters)"


# --- the page ---


@dataclass(slots=True)
class _Page:
    """The working state of one parse: lines and the issues found so far."""

    source: str
    lines: list[str]
    chars: int  # the characters of `lines`, or more
    issues: list[Issue] = field(default_factory=list)
    extra_lines: int = 0  # lines after a summary that belong to no item
    cut_names: set[str] = field(default_factory=set)  # long names warned about
    full_kinds: set[Kind] = field(default_factory=set)  # kinds warned about
    # The index of the line that may have been cut short, or -1: the last non-blank
    # one, whether a line end follows it or not. A scrape cut inside a value and then
    # given a final line end (or blank lines) is as cut as one that stops dead.
    cut: int = field(init=False)
    has_blanks: bool = field(init=False)

    def __post_init__(self) -> None:
        lines = self.lines
        cut = len(lines) - 1
        while cut >= 0 and not lines[cut]:
            cut -= 1
        self.cut = cut
        self.has_blanks = not all(lines)

    def add(self, index: int, level: Level, message: str) -> None:
        self.issues.append(Issue(self.source, index + 1, level, message))

    def is_cut(self, index: int) -> bool:
        """Whether line `index` is the page's last non-blank line, which may have been
        cut short."""
        return index == self.cut

    def non_blank(self, start: int, stop: int) -> Sequence[int]:
        """The indexes of the non-blank lines from `start` to `stop` (excluded)."""
        if not self.has_blanks:  # most pages
            return range(start, stop)
        lines = self.lines
        return [i for i in range(start, stop) if lines[i]]


def parse_seed(data: bytes | str, source: str) -> ParseResult:
    """Every item record of one seed file, in page order, with the file's problems."""
    if _is_too_large(data):
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
    page = _Page(source, lines, chars)
    if repairs:
        _note_repairs(page, repairs)
    records = _parse_page(page)
    if records and _may_exceed_bounds(page, records):
        records = _bound_page(page, records)
    issues = page.issues
    if len(issues) > MAX_ISSUES_PER_PAGE:
        issues = _bound_issues(issues)
    return ParseResult(source, tuple(records), tuple(issues))


def _is_too_large(data: bytes | str) -> bool:
    if isinstance(data, bytes):
        return len(data) > MAX_SEED_BYTES
    # A character is one to four bytes in UTF-8: count them only when in doubt.
    return len(data) > MAX_SEED_BYTES or (
        len(data) * 4 > MAX_SEED_BYTES
        and len(data.encode("utf-8", errors="surrogatepass")) > MAX_SEED_BYTES
    )


def _bound_issues(issues: list[Issue]) -> list[Issue]:
    """The first MAX_ISSUES_PER_PAGE issues, then one that counts the rest, as severe as
    the worst of them (so that `check` still fails on an error among them)."""
    kept, rest = issues[:MAX_ISSUES_PER_PAGE], issues[MAX_ISSUES_PER_PAGE:]
    level = min((issue.level for issue in rest), key=list(Level).index)
    first = rest[0]
    kept.append(Issue(first.source, first.line, level, f"{len(rest):,} more problems from here on"))
    return kept


def _note_repairs(page: _Page, repairs: Sequence[Repair]) -> None:
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


def _parse_page(page: _Page) -> list[Record]:
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
        record = _parse_item(page, title, d, stop, is_last=d == last)
        if record is not None:
            records.append(record)

    if len(dates) == 1 and page.extra_lines >= ARTICLE_BODY_LINES:
        page.issues = []  # about lines of an item that is not one
        page.add(0, Level.ERROR, "looks like an article, not a listing: no items")
        return []
    return records


def _may_exceed_bounds(page: _Page, records: list[Record]) -> bool:
    """Whether `records` may have more than MAX_NAMES_PER_PAGE names of a kind or
    weigh more than MAX_PAGE_WEIGHT, by a bound on both from page-wide sums (one
    pass over the records, a small share of a page's parse): true of no real page
    we have.

    The titles, summaries and names of the items are distinct parts of the page's
    lines, so they have at most `page.chars` characters; an item has at most a content
    type, and only the last one tentative names, at most one per kind."""
    counts = [len(record.missions) + len(record.topics) for record in records]
    names = sum(counts) + len(records) + KINDS
    if names > MAX_NAMES_PER_PAGE:
        return True
    most = max(counts) + 1 + KINDS
    text = page.chars + ITEM_OVERHEAD * len(records) + NAME_OVERHEAD * names
    return text * (2 + most) > MAX_PAGE_WEIGHT


def _bound_page(page: _Page, records: list[Record]) -> list[Record]:
    """`records` within the page's bounds: at most MAX_NAMES_PER_PAGE distinct names
    of each kind (the first ones, in page order) and MAX_PAGE_WEIGHT in all (the
    first items)."""
    seen: dict[Kind, dict[str, None]] = {kind: {} for kind in Kind}
    kept: list[Record] = []
    weight = 0
    for index, record in enumerate(records):
        record = _within_page_names(page, record, seen)
        weight += _weight(record)
        if weight > MAX_PAGE_WEIGHT:
            later = len(records) - index - 1
            page.add(
                record.line - 1,
                Level.WARNING,
                f"the page would publish too much (a weight over {MAX_PAGE_WEIGHT:,}): "
                f"this item and the {later:,} after it dropped",
            )
            break
        kept.append(record)
    return kept


KINDS = len(Kind)


def _weight(record: Record) -> int:
    """What `record` adds to public/, roughly: its text times the feeds it goes into."""
    names = [*record.missions, *record.topics, *(value for _, value in record.tentative)]
    if record.content_type:
        names.append(record.content_type)
    text = (
        len(record.title)
        + len(record.summary)
        + sum(map(len, names))
        + NAME_OVERHEAD * len(names)
        + ITEM_OVERHEAD
    )
    return text * (2 + len(names))


def _within_page_names(page: _Page, record: Record, seen: dict[Kind, dict[str, None]]) -> Record:
    """`record` without the names that would be new beyond the page's first
    MAX_NAMES_PER_PAGE of their kind (`seen`: those kept so far); one warning per kind,
    at the first item that loses one."""
    dropped = False

    def keep(kind: Kind, name: str) -> bool:
        nonlocal dropped
        names = seen[kind]
        if name in names:
            return True
        if len(names) < MAX_NAMES_PER_PAGE:
            names[name] = None
            return True
        dropped = True
        if kind not in page.full_kinds:
            page.full_kinds.add(kind)
            page.add(
                record.line - 1,
                Level.WARNING,
                f"more than {MAX_NAMES_PER_PAGE} names for {kind.label!r} on the page: "
                f"new ones dropped from here on, such as {_shown(name)}",
            )
        return False

    content_type = record.content_type
    if content_type is not None and not keep(Kind.TYPE, content_type):
        content_type = None
    missions = tuple(name for name in record.missions if keep(Kind.MISSION, name))
    topics = tuple(name for name in record.topics if keep(Kind.TOPIC, name))
    tentative = tuple((kind, name) for kind, name in record.tentative if keep(kind, name))
    if not dropped:
        return record
    return replace(
        record, content_type=content_type, missions=missions, topics=topics, tentative=tentative
    )


def _find_foreign_label(page: _Page, dates: Sequence[int]) -> int | None:
    for d in dates:
        for i in page.non_blank(d + 1, len(page.lines)):
            match = LABEL_LINE.fullmatch(page.lines[i])
            if match is None or page.lines[i].startswith(DATE_PREFIX):
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
            page.add(
                i, Level.NOTICE, f"line before the first item ignored: {_shown(page.lines[i])}"
            )


def _parse_item(
    page: _Page, title: int | None, d: int, stop: int, *, is_last: bool
) -> Record | None:
    lines = page.lines
    raw_date = lines[d].removeprefix(DATE_PREFIX)
    date = parse_date(raw_date) if len(raw_date) <= MAX_DATE_CHARS else None
    body = page.non_blank(d + 1, stop)

    if is_last and body and page.is_cut(body[-1]) and _is_cut_label(lines[body[-1]]):
        page.add(body[-1], Level.NOTICE, f"page cut inside a label: {_shown(lines[body[-1]])}")
        body = body[:-1]
    if date is None:
        value = raw_date.strip()
        if page.is_cut(d):
            page.add(d, Level.NOTICE, f"page cut inside a date: {_shown(value)}, item skipped")
        else:
            page.add(d, Level.ERROR, f"bad date {_shown(value)}: item skipped")
        return None
    if title is None:
        return None

    # Plain locals per kind: the names of the kind's line(s), in page order.
    types: tuple[str, ...] = ()
    missions: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    tentative: tuple[tuple[Kind, str], ...] = ()
    position = 0
    for position, i in enumerate(body):
        line = lines[i]
        # The label is what comes before the first colon; the known ones need no regex.
        label, colon, value = line.partition(":")
        if colon and label in KIND_LABELS:
            if len(value) <= MAX_NAME_CHARS:  # nearly all
                values = split_names(value)
            else:
                values = _long_names(page, i, value)
            if i == page.cut and values and not value.rstrip().endswith(","):
                cut = values[-1]
                values = values[:-1]
                tentative += ((KIND_LABELS[label], cut),)
                page.add(
                    i,
                    Level.NOTICE,
                    f"page cut inside {label!r}: {_shown(cut)} "
                    "kept only if seen complete elsewhere",
                )
            if label == TYPE_LABEL:
                types += values
            elif label == MISSION_LABEL:
                missions += values
            else:
                topics += values
        elif colon and label in FIELD_LABELS:
            continue  # a label we publish no feeds for
        elif position == len(body) - 1 or not colon or LABEL_LINE.fullmatch(line) is None:
            break  # the summary; an unknown label with nothing after it is one too
        else:
            page.add(i, Level.NOTICE, f"unknown label {_shown(label + ':')} ignored")
    else:
        position = len(body)

    rest = body[position:]
    summary = lines[rest[0]] if rest else ""
    if len(summary) > MAX_SUMMARY_CHARS:
        summary = _cut_text(page, rest[0], "summary", summary, MAX_SUMMARY_CHARS)
    for extra in rest[1:]:
        page.extra_lines += 1
        if is_last and extra == rest[-1]:
            # The next item's title, with its date beyond the end of the scrape.
            page.add(
                extra, Level.NOTICE, f"title without a date at the end: {_shown(lines[extra])}"
            )
        else:
            page.add(extra, Level.WARNING, f"unexpected line ignored: {_shown(lines[extra])}")

    if len(types) > 1:
        page.add(
            d, Level.WARNING, f"several content types, kept the first: {_shown(', '.join(types))}"
        )
    title_text = lines[title]
    if len(title_text) > MAX_TITLE_CHARS:
        title_text = _cut_text(page, title, "title", title_text, MAX_TITLE_CHARS)
    missions, topics = _unique(missions), _unique(topics)
    if len(missions) > MAX_NAMES_PER_ITEM or len(topics) > MAX_NAMES_PER_ITEM:
        missions = _first_names(page, body, MISSION_LABEL, missions)
        topics = _first_names(page, body, TOPIC_LABEL, topics)
        # A cut last name would come after the kept ones.
        tentative = tuple(t for t in tentative if t[0] is Kind.TYPE)
    # Arguments by position, in the order of Record's fields: by keyword, the call
    # costs a third more, and it is made for every item.
    return Record(
        title_text,
        date,
        types[0] if types else None,  # content_type
        missions,
        topics,
        summary,
        page.source,
        title + 1,  # line
        tentative,
    )


def _cut_text(page: _Page, index: int, field: str, text: str, limit: int) -> str:
    """`text`, the `field` on line `index`, cut to `limit` characters, with a warning."""
    page.add(index, Level.WARNING, f"{field} of {len(text):,} characters cut to {limit:,}")
    return _cut(text, limit)


def _long_names(page: _Page, index: int, value: str) -> tuple[str, ...]:
    """The names of a line too long for `split_names`'s cache, each cut to
    MAX_NAME_CHARS."""
    names = split_names.__wrapped__(value)
    if all(len(name) <= MAX_NAME_CHARS for name in names):
        return names
    # One warning per name and page: a long name on every item is one problem.
    new = [n for n in names if len(n) > MAX_NAME_CHARS and n not in page.cut_names]
    if new:
        page.cut_names.update(new)
        page.add(
            index,
            Level.WARNING,
            f"names longer than {MAX_NAME_CHARS} characters cut ({len(new)}), "
            f"such as {_shown(new[0])}",
        )
    return tuple(_cut(name, MAX_NAME_CHARS) for name in names)


def _first_names(
    page: _Page, body: Sequence[int], label: str, names: tuple[str, ...]
) -> tuple[str, ...]:
    """The first MAX_NAMES_PER_ITEM of an item's `names` (of `label`, on lines among
    `body`), with a warning at their last line when there are more."""
    if len(names) <= MAX_NAMES_PER_ITEM:
        return names
    line = max(i for i in body if page.lines[i].startswith(f"{label}:"))
    page.add(
        line,
        Level.WARNING,
        f"{len(names):,} names for {label!r}: kept the first {MAX_NAMES_PER_ITEM}",
    )
    return names[:MAX_NAMES_PER_ITEM]


def _unique(names: tuple[str, ...]) -> tuple[str, ...]:
    """`names` without repeats, in first-seen order."""
    return names if len(names) < 2 else tuple(dict.fromkeys(names))


def _is_cut_label(line: str) -> bool:
    """Whether `line` is a label cut short: a proper prefix of a whole one."""
    return len(line) >= 2 and any(
        target.startswith(line) and target != line for target in CUT_LABEL_TARGETS
    )
