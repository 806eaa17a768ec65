"""What `public/` holds: which document carries which entries, and where it lives.

    index.html                          every feed, with subscribe links
    feeds.opml                          every feed, for one-step import into a reader
    all.atom, all.rss                   every item: the subscription feed
    topics/SLUG.atom, .rss              one topic ("What we do")
    missions/SLUG.atom, .rss            one mission or office ("Where we are")
    types/SLUG.atom, .rss               one content type
    archive/FEED/N.atom                 RFC 5005 archive page N of a feed (1 = oldest)
    items/YYYY/MM.html#item-ID          the items of one month, one anchor each

Full history (RFC 5005): a feed's entries, oldest first, are cut into pages of
`page_size`; every complete page but the one holding the newest entries is an
archive document, and the subscription feed holds the rest, newest first (from
`page_size` to twice that less one entry). Archives start when they make two pages,
so that each links to another (before that, the subscription feed holds them all,
up to three pages less one entry). Archive pages link to the current feed and to
the previous and next archive pages; new items only ever add pages, so a page is
finished once the next one exists, and keeps its bytes from then on, until an
older item is added or withdrawn.

Paths are relative POSIX paths; URLs are the base URL plus the path. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from feeds.catalog import feed_id
from feeds.model import Catalog, Entry, Group, Kind

ALL = "all"
INDEX = "index.html"
OPML = "feeds.opml"
ARCHIVE = "archive"
FEED_FORMATS = ("atom", "rss")
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


@dataclass(frozen=True, slots=True)
class Document:
    """One file of a feed: its subscription document (page 0) or an archive page."""

    feed: FeedSpec
    page: int  # 0: the subscription document; N >= 1: archive page N, 1 the oldest
    pages: int  # how many archive pages the feed has
    entries: tuple[Entry, ...]  # newest first

    @property
    def has_next(self) -> bool:
        return 0 < self.page < self.pages

    def links_key(self) -> tuple[int, int]:
        """Everything but the feed and the entries that the document's bytes
        depend on: its page, and whom it links to."""
        return (self.page, self.pages if self.page == 0 else int(self.has_next))

    def path(self, fmt: str) -> str:
        if self.page == 0:
            return f"{self.feed.path}.{fmt}"
        return archive_path(self.feed.path, self.page)


def feed_path(kind: Kind | None, slug: str = "") -> str:
    """A feed's path without its format suffix: `all`, `topics/policing`."""
    return ALL if kind is None else f"{kind.folder}/{slug}"


def archive_path(path: str, page: int) -> str:
    return f"{ARCHIVE}/{path}/{page}.atom"


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


def archive_pages(count: int, page_size: int) -> int:
    """How many archive pages a feed of `count` entries has: none, or two and more."""
    pages = max(0, count - page_size) // page_size
    return pages if pages >= 2 else 0


def documents(spec: FeedSpec, page_size: int) -> list[Document]:
    """The subscription document, then archive pages from the newest to the oldest."""
    entries = spec.entries
    pages = archive_pages(len(entries), page_size)
    archived = pages * page_size
    current = len(entries) - archived
    docs = [Document(spec, 0, pages, entries[:current])]
    for page in range(pages, 0, -1):
        start = len(entries) - page * page_size
        docs.append(Document(spec, page, pages, entries[start : start + page_size]))
    return docs


def item_anchor(entry: Entry) -> str:
    """An item's anchor on its month page: `item-` and the first eight hex digits of
    its id, which depend on the item alone."""
    return f"item-{entry.id[9:17]}"


def month_path(entry: Entry) -> str:
    return f"items/{entry.date:%Y/%m}.html"


def item_path(entry: Entry) -> str:
    """Where an item is shown: its anchor on the page of its month."""
    return f"{month_path(entry)}#{item_anchor(entry)}"


def relative_root(path: str) -> str:
    """The relative URL from the page at `path` back to the root of `public/`."""
    return "../" * path.count("/")
