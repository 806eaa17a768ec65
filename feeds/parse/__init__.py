"""Read one seed file (the visible text of one listing page) into records and issues.

The only reliable anchor of the format is the `Publishing date:` line: the title is the
nearest non-blank line above it, and metadata and summary follow it up to the next
item's title. Everything is decided from those anchors, never from a prefix alone.

Bad input is data: `parse_seed` never raises on any text or bytes. It returns what it
could read and an `Issue` for every problem. Bounds far above any real page (`MAX_*`)
keep one file from flooding `public/`: beyond them, text is cut or items dropped, with
a warning, or the file refused. It does not merge sightings of one item
(see `catalog`) and does no I/O.

The modules, in the order a page goes through them: `text` (bytes to clean lines),
`page` (where the items are), `items` (one item's fields), `dates` (the date
parsers), `bounds` (the limits and the page-wide bounds), and `seed` (`parse_seed`,
the chain); `labels` holds the format's fixed words and `state` a parse's working
state.
"""

from feeds.parse.bounds import (
    ITEM_OVERHEAD,
    MAX_DATE_CHARS,
    MAX_ISSUES_PER_PAGE,
    MAX_NAME_CHARS,
    MAX_NAMES_PER_ITEM,
    MAX_NAMES_PER_PAGE,
    MAX_PAGE_WEIGHT,
    MAX_QUOTED_CHARS,
    MAX_SEED_BYTES,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    NAME_OVERHEAD,
)
from feeds.parse.dates import DATE_PARSERS, parse_date
from feeds.parse.items import split_names
from feeds.parse.seed import parse_seed
from feeds.parse.text import (
    MAX_BAD_BYTES_SHARE,
    MAX_REPAIR_WARNINGS,
    Repair,
    is_plain_utf8,
    lines_from_text,
    text_from_bytes,
)

__all__ = [
    "DATE_PARSERS",
    "ITEM_OVERHEAD",
    "MAX_BAD_BYTES_SHARE",
    "MAX_DATE_CHARS",
    "MAX_ISSUES_PER_PAGE",
    "MAX_NAMES_PER_ITEM",
    "MAX_NAMES_PER_PAGE",
    "MAX_NAME_CHARS",
    "MAX_PAGE_WEIGHT",
    "MAX_QUOTED_CHARS",
    "MAX_REPAIR_WARNINGS",
    "MAX_SEED_BYTES",
    "MAX_SUMMARY_CHARS",
    "MAX_TITLE_CHARS",
    "NAME_OVERHEAD",
    "Repair",
    "is_plain_utf8",
    "lines_from_text",
    "parse_date",
    "parse_seed",
    "split_names",
    "text_from_bytes",
]
