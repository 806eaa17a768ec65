"""Where each file lives in `public/`: the one place that knows the URL layout.

    index.html                       every feed, with subscribe links
    feeds.opml                       every feed, for one-step import into a reader
    all.atom, all.rss                every item
    topics/SLUG.atom, .rss           one feed per topic ("What we do")
    missions/SLUG.atom, .rss         one feed per mission or office ("Where we are")
    types/SLUG.atom, .rss            one feed per content type
    items/YYYY/MM/DD-SLUG-ID.html    one page per item, the entries' alternate link

Paths are relative POSIX paths; URLs are the base URL plus the path.
"""

from __future__ import annotations

from slugify import slugify

from feeds.model import Entry, Kind

ALL = "all"
INDEX = "index.html"
OPML = "feeds.opml"
FEED_FORMATS = ("atom", "rss")
ITEM_SLUG_LENGTH = 80


def feed_path(kind: Kind | None, slug: str = "") -> str:
    """A feed's path without its format suffix: `all`, `topics/policing`."""
    return ALL if kind is None else f"{kind.folder}/{slug}"


def item_path(entry: Entry) -> str:
    """The page of one item. Depends on the item alone (its date and title); the
    first digits of its id keep apart titles that differ only in punctuation."""
    slug = slugify(entry.title, max_length=ITEM_SLUG_LENGTH, word_boundary=True) or "item"
    short_id = entry.id.removeprefix("urn:uuid:")[:8]
    return f"items/{entry.date:%Y/%m/%d}-{slug}-{short_id}.html"


def relative_root(path: str) -> str:
    """The relative URL from the page at `path` back to the root of `public/`."""
    return "../" * path.count("/")
