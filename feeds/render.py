"""Feed documents built with feedgen: the reference rendering.

The only importer of feedgen. Every value feedgen would take from the clock (feed
`updated`, RSS `lastBuildDate`, the generator) is set from the entries, so the same
document always renders the same bytes. Builds use `feeds.writer`, which produces
exactly these bytes by string building; tests hold the two to each other. No I/O.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from html.entities import name2codepoint
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from feeds.catalog import SECONDS_PER_DAY_WINDOW
from feeds.config import Config
from feeds.layout import Document, archive_path, feed_page_path, item_path
from feeds.model import Entry, Kind

AUTHOR = {"name": "OSCE", "uri": "https://www.osce.org/"}
GENERATOR = "osce-feeds"
LANGUAGE = "en"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"
# `updated` of a feed that holds no entry (all of its items withdrawn): a fixed
# instant, so that its bytes too depend on nothing but the input.
EMPTY_FEED_UPDATED = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
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


class ArchiveMarker(BaseExtension):  # type: ignore[misc]
    """`<fh:archive/>`, which marks an RFC 5005 archive document."""

    def extend_ns(self) -> dict[str, str]:
        return {"fh": HISTORY_NS}

    def extend_atom(self, feed: Any) -> Any:
        etree.SubElement(feed, f"{{{HISTORY_NS}}}archive")
        return feed

    def extend_rss(self, feed: Any) -> Any:
        return feed


class MarkupTitle(BaseEntryExtension):  # type: ignore[misc]
    """An entry title that `reads_as_html`, written so that readers show its text:
    Atom `type="html"`, the text escaped as HTML; RSS `rss_title_text` in CDATA.
    feedgen writes every title as plain element text."""

    def extend_atom(self, entry: Any) -> Any:
        title = entry.find("title")
        title.set("type", "html")
        title.text = html_from_text(title.text)
        return entry

    def extend_rss(self, item: Any) -> Any:
        title = item.find("title")
        title.text = etree.CDATA(rss_title_text(title.text))
        return item


def hub_extension(hub: str) -> type[BaseExtension]:
    class HubLink(BaseExtension):  # type: ignore[misc]
        """`<atom:link rel="hub">` in an RSS channel (WebSub)."""

        def extend_ns(self) -> dict[str, str]:
            return {}

        def extend_atom(self, feed: Any) -> Any:
            return feed

        def extend_rss(self, rss: Any) -> Any:
            channel = rss.find("channel")
            link = etree.Element(f"{{{ATOM_NS}}}link", href=hub, rel="hub")
            channel.insert(list(channel).index(channel.find(f"{{{ATOM_NS}}}link")) + 1, link)
            return rss

    return HubLink


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


def render_document(doc: Document, fmt: str, config: Config) -> bytes:
    updated = document_updated(doc, config)
    fg = FeedGenerator()
    fg.id(doc.feed.id)
    fg.title(doc.feed.title)
    fg.subtitle(doc.feed.subtitle)
    fg.author(AUTHOR)
    for link in document_links(doc, fmt, config.base_url, config.hub_url):
        fg.link(**link)
    fg.language(LANGUAGE)
    fg.generator(GENERATOR)
    fg.updated(updated)
    fg.lastBuildDate(updated)
    if doc.is_archive:
        fg.register_extension("archive", ArchiveMarker, atom=True, rss=False)
    if config.hub_url and fmt == "rss":  # feedgen's RSS carries only the self link
        fg.register_extension("hub", hub_extension(config.hub_url), atom=False, rss=True)
    for entry in doc.entries:
        add_entry(fg, entry, config, fmt)
    if fmt == "atom":
        return bytes(fg.atom_str(pretty=True))
    return bytes(fg.rss_str(pretty=True))


def add_entry(fg: FeedGenerator, entry: Entry, config: Config, fmt: str) -> None:
    """One entry. Titles and summaries are plain text, and reach readers as that
    text: Atom says so (`type="text"`), or, for text that `reads_as_html`, carries
    it escaped as HTML (`type="html"`, which the validator wants for such text); an
    RSS description is HTML by definition, so it is always escaped as HTML (a no-op
    for text without `&`, `<`, `>`)."""
    fe = fg.add_entry(order="append")
    when = instant(entry, config)
    fe.id(entry.id)
    fe.guid(entry.id, permalink=False)
    fe.title(entry.title)
    fe.published(when)
    fe.updated(when)
    fe.link(href=f"{config.base_url}{item_path(entry)}", rel="alternate", type="text/html")
    # The summary is the content (RSS: the description). A page cut right after an
    # item's date gives none; its title then stands in, as feeds need some text.
    content = entry.summary or entry.title
    if fmt == "rss":
        fe.content(html_from_text(content))
    elif reads_as_html(content):
        fe.content(html_from_text(content), type="html")
    else:
        fe.content(content, type="text")
    if reads_as_html(entry.title):
        fe.register_extension("markup", MarkupTitle, atom=True, rss=True)
    for kind in Kind:
        scheme = f"{config.base_url}{kind.folder}/"
        for name in entry.names(kind):
            fe.category(term=name, scheme=scheme, label=name)
