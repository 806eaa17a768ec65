"""What a feed document says, whatever its format: instants, links, the feed's
`updated`, and how plain text is carried where a reader may take it for HTML.

`feeds.writer` writes the documents with these values; the tests render the same
documents with feedgen (`tests/feedgen_oracle.py`) and hold the writer to its bytes.
Every value that feedgen would take from the clock (feed `updated`, RSS
`lastBuildDate`) is derived from the entries, so the same document always has the
same bytes. No I/O.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from html.entities import name2codepoint

from feeds.catalog.merge import SECONDS_PER_DAY_WINDOW
from feeds.config import Config
from feeds.layout import Document, archive_path, feed_page_path
from feeds.model import Entry

AUTHOR = {"name": "OSCE", "uri": "https://www.osce.org/"}
GENERATOR = "osce-feeds"
LANGUAGE = "en"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"
# `updated` of a feed that holds no entry (all of its items withdrawn, or a feed cut
# to measure that nothing matches): a fixed instant, so that its bytes too depend on
# nothing but the input; the day the OSCE took its name, since validators warn of
# dates before 1990 as implausible.
EMPTY_FEED_UPDATED = dt.datetime(1995, 1, 1, tzinfo=dt.UTC)
ONE_DAY = dt.timedelta(days=1)
# The span of the seconds of one date's entries (fewer than this many entries a day).
DAY_WINDOW = dt.timedelta(seconds=SECONDS_PER_DAY_WINDOW)


def instant(entry: Entry, config: Config) -> dt.datetime:
    """The moment that stands for an entry's publishing date (README, date rule):
    the configured time of day in the configured zone, plus the entry's own second."""
    return instant_at(day_anchor(entry.date, config), entry.second)


def day_anchor(day: dt.date, config: Config) -> dt.datetime:
    """The moment from which the entries of a date count their seconds: the
    configured time of day in the configured zone, or, when the window of seconds
    after it would cross the next local midnight (a late `day_time`), the moment that
    ends the window at that midnight. Either way every entry's instant falls on its
    listed date in the configured zone, on days of a change of UTC offset too."""
    zone = config.zone
    anchor = dt.datetime.combine(day, config.time_of_day, tzinfo=zone).astimezone(dt.UTC)
    if day == dt.date.max:
        return anchor.astimezone(zone)
    midnight = dt.datetime.combine(day + ONE_DAY, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    return min(anchor, midnight - DAY_WINDOW).astimezone(zone)


def instant_at(anchor: dt.datetime, second: int) -> dt.datetime:
    """`second` seconds of elapsed time after `anchor`, in the anchor's zone. (Adding
    a timedelta to an aware datetime adds wall-clock time, which is not the same
    across a change of UTC offset.)"""
    return (anchor.astimezone(dt.UTC) + dt.timedelta(seconds=second)).astimezone(anchor.tzinfo)


# What could begin a character reference: `&#`, `&name;`, or the name of one, which
# HTML may read even without its semicolon (`&copy 2020`, `&copy2020`).
REFERENCE = re.compile("&(?:#|\\w+;|{})".format("|".join(sorted(name2codepoint, reverse=True))))
HEX_REFERENCES = str.maketrans({"&": "&#x26;", "<": "&#x3C;", ">": "&#x3E;"})


def reads_as_html(value: str) -> bool:
    """Whether plain text could be taken for HTML: it holds `<` (a tag) or what
    could begin a character reference. Any other text reads the same as plain text
    and as HTML, so it is written as it is everywhere."""
    return "<" in value or ("&" in value and REFERENCE.search(value) is not None)


def html_from_text(value: str) -> str:
    """Plain text as HTML that shows that text: `&`, `<`, `>` escaped."""
    return html.escape(value, quote=False)


def rss_title_text(value: str) -> str:
    """A title that `reads_as_html`, for an RSS `<title>` inside CDATA: HTML with
    `&`, `<` and `>` as hexadecimal references, as the RSS Best Practices Profile
    advises for plain text. Feed readers (feedparser among them) then show the text
    itself, and the W3C validator, which warns about HTML in an RSS title, takes the
    references for plain text. (CDATA cannot hold `]]>`; escaped `>` never makes it.)"""
    return value.translate(HEX_REFERENCES)


def document_updated(doc: Document, config: Config) -> dt.datetime:
    return instant(doc.entries[0], config) if doc.entries else EMPTY_FEED_UPDATED


def document_links(doc: Document, fmt: str, base: str, hub: str = "") -> list[dict[str, str]]:
    """The feed-level links, in document order."""
    links = [{"href": f"{base}{doc.path(fmt)}", "rel": "self"}]
    if hub and not doc.is_archive:
        links.append({"href": hub, "rel": "hub"})
    if doc.is_archive:
        links.append({"href": f"{base}{doc.feed.path}.atom", "rel": "current"})
    if fmt == "atom" and doc.previous:
        href = f"{base}{archive_path(doc.feed.path, doc.previous)}"
        links.append({"href": href, "rel": "prev-archive"})
    if doc.next:
        href = f"{base}{archive_path(doc.feed.path, doc.next)}"
        links.append({"href": href, "rel": "next-archive"})
    # Last: RSS takes the last link as the channel's <link>.
    links.append(
        {"href": f"{base}{feed_page_path(doc.feed)}", "rel": "alternate", "type": "text/html"}
    )
    return links
