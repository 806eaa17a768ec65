"""Feed documents built with feedgen: the oracle of `feeds.writer`'s bytes.

Production writes feeds by string building (`feeds.writer`); the tests render every
document of the corpus with feedgen too, from the same values (`feeds.render`), and
hold the two to the same bytes. Only the tests import feedgen.
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from feeds.config import Config
from feeds.layout import Document, item_path
from feeds.model import Entry, Kind
from feeds.render import (
    ATOM_NS,
    AUTHOR,
    GENERATOR,
    HISTORY_NS,
    LANGUAGE,
    document_links,
    document_updated,
    html_from_text,
    instant,
    reads_as_html,
    rss_title_text,
)


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
