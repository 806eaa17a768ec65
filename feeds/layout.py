"""What `public/` holds: which document carries which entries, and where it lives.

    index.html                          every feed, with subscribe links
    feeds.opml                          every feed, for one-step import into a reader
    style.css                           the pages' one stylesheet
    all.atom, all.rss, all.json         every item: the subscription feed (JSON Feed 1.1)
    all.html                            the subscription feed's items as a page
    topics/SLUG.atom, .rss              one topic ("What we do")
    missions/SLUG.atom, .rss            one mission or office ("Where we are")
    types/SLUG.atom, .rss               one content type
    archive/FEED/ID.atom                RFC 5005 archive pages of a feed
    items/YYYY/MM.html#item-ID          the items of one month, one anchor each

Full history (RFC 5005): a feed's entries are cut into pages at "boundary" entries,
whose id hashes to 0 modulo `page_size` (fine) or modulo four times that (coarse, a
subset): limits that depend on the entries themselves, not on their positions, so
adding or withdrawing an item, however old, changes its own page (and, if it is a
boundary, its neighbour's link), never the pages beyond. The subscription feed holds
the newest entries, at least `page_size`, up to a fine limit; below it, fine pages
until the first coarse limit, then coarse pages (fewer files for settled history).
A page is named after its newest entry and links to the next older page; the oldest
links to the next newer. A coarse page is finished as soon as it is cut: its bytes
never change unless an item inside it is added or withdrawn. Archives start when
they make two pages, so that each archive page links to another.

Paths are relative POSIX paths; URLs are the base URL plus the path. No I/O.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

from feeds.catalog.identity import feed_id, normalise_text
from feeds.model import Catalog, Entry, Group, Kind, short_id_of

ALL = "all"
by_order = attrgetter("order")  # newest first
INDEX = "index.html"
OPML = "feeds.opml"
ARCHIVE = "archive"
MONTHS = "items"  # the folder of the month pages
FEED_FORMATS = ("atom", "rss")  # what feedgen renders too
SUBSCRIPTION_FORMATS = ("atom", "rss", "json")
ALL_NAME = "All news and press releases"


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """What one feed is about, independent of its format and its pages."""

    path: str  # without the format's suffix: `all`, `topics/policing`
    kind: Kind | None  # None for the feed of all entries
    name: str
    id: str
    title: str
    subtitle: str
    entries: tuple[Entry, ...]  # every entry, newest first
    # The canonical query of a feed cut to measure (`feeds.query`), whose address is
    # `path.FORMAT?query`; "" for the published feeds.
    query: str = ""

    @property
    def slug(self) -> str:
        """The group's slug, the last part of its path (`feed_path`): `policing`."""
        return self.path.rpartition("/")[2]


@dataclass(frozen=True, slots=True)
class Document:
    """One file of a feed: its subscription document or one of its archive pages."""

    feed: FeedSpec
    name: str  # "" for the subscription document; an archive page's name otherwise
    entries: tuple[Entry, ...]  # newest first
    previous: str  # the next older archive page, or ""
    next: str  # the next newer archive page (never the subscription document), or ""

    @property
    def is_archive(self) -> bool:
        return bool(self.name)

    def links_key(self) -> tuple[str, str, str]:
        """Everything but the feed and the entries that the bytes depend on."""
        return (self.name, self.previous, self.next)

    def path(self, fmt: str) -> str:
        return archive_path(self.feed.path, self.name) if self.name else address(self.feed, fmt)


def feed_path(kind: Kind | None, slug: str = "") -> str:
    """A feed's path without its format suffix: `all`, `topics/policing`."""
    return ALL if kind is None else f"{kind.folder}/{slug}"


def feed_page_path(spec: FeedSpec) -> str:
    return address(spec, "html")


def address(spec: FeedSpec, fmt: str) -> str:
    """Where a feed is in one format, relative to the base URL: `topics/policing.atom`,
    or, for a feed cut to measure, `feed.atom?topic=policing`."""
    return f"{spec.path}.{fmt}?{spec.query}" if spec.query else f"{spec.path}.{fmt}"


def archive_path(path: str, name: str) -> str:
    return f"{ARCHIVE}/{path}/{name}.atom"


ARCHIVE_PAGE = re.compile(rf"{ARCHIVE}/.+/([0-9a-f]{{8}})\.atom")


def archive_name(path: str) -> str | None:
    """The name of the archive page at `path` (the short id of its newest entry), or
    None when `path` is not an archive page: `archive_path` read back."""
    match = ARCHIVE_PAGE.fullmatch(path)
    return match[1] if match else None


def feed_specs(catalog: Catalog, site_title: str) -> list[FeedSpec]:
    """Every feed of a catalog: all entries first, then each group in catalog order."""
    everything = FeedSpec(
        feed_path(None),
        None,
        ALL_NAME,
        feed_id(None),
        site_title,
        "News and press releases from the OSCE's global activities.",
        catalog.entries,
    )
    return [everything, *(spec_from_group(group, site_title) for group in catalog.groups)]


def spec_from_group(group: Group, site_title: str) -> FeedSpec:
    return FeedSpec(
        feed_path(group.kind, group.slug),
        group.kind,
        group.name,
        feed_id(group.kind, group.name),
        f"{group.name} – {site_title}",
        f"OSCE news and press releases, {group.kind.noun}: {group.name}.",
        group.entries,
    )


def is_boundary(entry: Entry, page_size: int) -> bool:
    """Whether this entry is a page limit, the newest of its archive page: a property
    of the entry alone (its id)."""
    return entry.number % page_size == 0


COARSE_FACTOR = 4


def documents(
    spec: FeedSpec, page_size: int, boundaries: Sequence[int] | None = None
) -> list[Document]:
    """The subscription document, then archive pages from the newest to the oldest.

    `boundaries`: the positions in `spec.entries` of its boundary entries, when the
    caller keeps them (`Boundaries`); found by a scan of every entry otherwise."""
    entries = spec.entries
    # Page limits, as indexes into `entries` (newest first): a page starts at a boundary.
    # The subscription feed holds at least `page_size` entries and ends at a limit.
    if boundaries is None:  # (`is_boundary`, inlined)
        boundaries = [i for i, e in enumerate(entries) if not e.number % page_size]
    fine = [i for i in boundaries if i >= page_size]
    # Older history, from the first coarse limit on, goes in pages of a few times the
    # size: fewer files for the same entries. Coarse limits are fine limits too.
    coarse = page_size * COARSE_FACTOR
    settled = next((i for i in fine if entries[i].number % coarse == 0), len(entries))
    starts = [i for i in fine if i < settled or entries[i].number % coarse == 0]
    if len(starts) < 2:
        return [Document(spec, "", entries, "", "")]
    names = [entries[i].short_id for i in starts]
    ends = [*starts[1:], len(entries)]
    docs = [Document(spec, "", entries[: starts[0]], names[0], "")]
    for n, (start, end) in enumerate(zip(starts, ends, strict=True)):
        older = names[n + 1] if n + 1 < len(names) else ""
        # Only the oldest page links forward (every archive page must link to another):
        # a forward link elsewhere would change a finished page whenever newer pages
        # are cut differently.
        newer = names[n - 1] if not older else ""
        docs.append(Document(spec, names[n], entries[start:end], older, newer))
    return docs


class Boundaries:
    """The boundary entries of each feed, kept across changes, so that the pages of
    a feed that changed are found without a scan of all its entries (the feed of
    every item changes with every new item)."""

    def __init__(self, page_size: int) -> None:
        self.page_size = page_size
        self.feeds: dict[str, list[Entry]] = {}  # feed path -> its boundaries, newest first

    def positions(self, spec: FeedSpec, orders: Sequence[int]) -> list[int]:
        """Where the feed's boundary entries are in `spec.entries`, whose sort keys
        (`Entry.order`) are `orders`."""
        found = self.feeds.get(spec.path)
        if found is None:
            size = self.page_size
            found = self.feeds[spec.path] = [e for e in spec.entries if not e.number % size]
        return [bisect.bisect_left(orders, e.order) for e in found]

    def update(self, spec: FeedSpec, changes: Iterable[tuple[Entry | None, Entry | None]]) -> None:
        """Entries that left or joined the feed since its boundaries were last found."""
        found = self.feeds.get(spec.path)
        changes = list(changes)
        if found is None or len(changes) > max(256, len(spec.entries) // 8):
            self.feeds.pop(spec.path, None)  # found by a scan when next asked for
            return
        size = self.page_size
        # Those that left first: one that joins may take the place of one that left.
        for entry in (before for before, _ in changes):
            if entry is not None and not entry.number % size and in_feed(spec, entry):
                at = bisect.bisect_left(found, entry.order, key=by_order)
                if at < len(found) and found[at] == entry:
                    del found[at]
        for entry in (after for _, after in changes):
            if entry is not None and not entry.number % size and in_feed(spec, entry):
                found.insert(bisect.bisect_left(found, entry.order, key=by_order), entry)


def in_feed(spec: FeedSpec, entry: Entry) -> bool:
    """Whether the entry is one of the feed's, under this label or an earlier one of
    its group (an entry from before a change of label carries the old one)."""
    if spec.kind is None:
        return True
    names = entry.names(spec.kind)
    if spec.name in names:
        return True
    wanted = normalise_text(spec.name)
    return any(normalise_text(name) == wanted for name in names)


def item_anchor(entry: Entry) -> str:
    """An item's anchor on its month page: `item-` and the first eight hex digits of
    its id, which depend on the item alone."""
    return anchor_of(entry.id)


def anchor_of(id: str) -> str:
    return f"item-{short_id_of(id)}"


def month_path(entry: Entry) -> str:
    return month_of(entry.date)


# Asked for each entry in each document that links to it (80,000 times in a cold
# build of 30,000 items): formatted once per date (0.1 us a call, not 0.7 us).
@functools.lru_cache(maxsize=16384)
def month_of(day: dt.date) -> str:
    """The path of the page of the month of `day`: `items/2020/09.html`."""
    return f"{MONTHS}/{day.year:04d}/{day.month:02d}.html"


MONTH_PAGE = re.compile(rf"{MONTHS}/(\d{{4}})/(\d{{2}})\.html")


def month_from_path(path: str) -> dt.date:
    """The first day of the month whose page is at `path`: `month_of` read back.
    Raises ValueError for a path that is not a month page."""
    match = MONTH_PAGE.fullmatch(path)
    if match is None:
        raise ValueError(f"not a month page: {path!r}")
    return dt.date(int(match[1]), int(match[2]), 1)


def item_path(entry: Entry) -> str:
    """Where an item is shown: its anchor on the page of its month."""
    return item_location(entry.id, entry.date)


def item_location(id: str, day: dt.date) -> str:
    """`item_path` of the entry with this id and date."""
    return f"{month_of(day)}#{anchor_of(id)}"


def relative_root(path: str) -> str:
    """The relative URL from the page at `path` back to the root of `public/`."""
    return "../" * path.count("/")


# Every month page sits at one depth: the way back to the root is the same from each.
MONTH_ROOT = relative_root(month_of(dt.date.min))
