"""Bounds far above any real page, so that one file cannot flood `public/`: the
limits, text cut to them, and the page-wide bounds (names per page, the page's
weight, issues per page) applied after the items are read.

The limits of one item's fields are applied where the fields are read
(`feeds.parse.items`); here only what needs the whole page.
"""

from __future__ import annotations

from dataclasses import replace

from feeds.model import Issue, Kind, Level, Record
from feeds.parse.state import Page

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


def cut_to(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, without trailing space: the same text
    is always cut the same way."""
    return text[:limit].rstrip()


def shown(text: str) -> str:
    """`text` quoted for a message, shortened past MAX_QUOTED_CHARS."""
    if len(text) <= MAX_QUOTED_CHARS:
        return repr(text)
    return f"{cut_to(text, MAX_QUOTED_CHARS)!r}… ({len(text):,} characters)"


def is_too_large(data: bytes | str) -> bool:
    if isinstance(data, bytes):
        return len(data) > MAX_SEED_BYTES
    # A character is one to four bytes in UTF-8: count them only when in doubt.
    return len(data) > MAX_SEED_BYTES or (
        len(data) * 4 > MAX_SEED_BYTES
        and len(data.encode("utf-8", errors="surrogatepass")) > MAX_SEED_BYTES
    )


def bound_issues(issues: list[Issue]) -> list[Issue]:
    """The first MAX_ISSUES_PER_PAGE issues, then one that counts the rest, as severe as
    the worst of them (so that `check` still fails on an error among them)."""
    kept, rest = issues[:MAX_ISSUES_PER_PAGE], issues[MAX_ISSUES_PER_PAGE:]
    level = min((issue.level for issue in rest), key=list(Level).index)
    first = rest[0]
    kept.append(Issue(first.source, first.line, level, f"{len(rest):,} more problems from here on"))
    return kept


def may_exceed_bounds(page: Page, records: list[Record]) -> bool:
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


def bound_page(page: Page, records: list[Record]) -> list[Record]:
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


def _within_page_names(page: Page, record: Record, seen: dict[Kind, dict[str, None]]) -> Record:
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
                f"new ones dropped from here on, such as {shown(name)}",
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
