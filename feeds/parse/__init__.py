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
    MAX_NAME_CHARS,
    MAX_NAMES_PER_ITEM,
    MAX_NAMES_PER_PAGE,
    MAX_SEED_BYTES,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
)
from feeds.parse.seed import parse_seed
from feeds.parse.text import is_plain_utf8, lines_from_text

__all__ = [
    "MAX_NAMES_PER_ITEM",
    "MAX_NAMES_PER_PAGE",
    "MAX_NAME_CHARS",
    "MAX_SEED_BYTES",
    "MAX_SUMMARY_CHARS",
    "MAX_TITLE_CHARS",
    "is_plain_utf8",
    "lines_from_text",
    "parse_seed",
]
