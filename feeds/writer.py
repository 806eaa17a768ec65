"""Feed documents (Atom, RSS, JSON Feed) by string building, with the values of
`feeds.render`: feedgen's bytes, much faster.

feedgen builds an object model and an lxml tree for every entry of every document;
at archive scale that is most of a build. Here each entry is serialised once, as a
fragment, and reused in every document that holds it (the same entry sits in the
all-items feed, its topics', missions' and content type's feeds and their archive
pages). Escaping and layout follow lxml's pretty printing exactly; tests render
every document of the corpus with feedgen too (`tests/feedgen_oracle.py`) and
compare the bytes. No I/O.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
from collections.abc import Callable, Iterable, Sequence

from feeds.config import Config
from feeds.layout import SUBSCRIPTION_FORMATS, Document, feed_page_path, item_path
from feeds.model import Entry, Kind
from feeds.render import (
    ATOM_NS,
    AUTHOR,
    DAY_WINDOW,
    GENERATOR,
    HISTORY_NS,
    LANGUAGE,
    day_anchor,
    document_links,
    document_updated,
    html_from_text,
    instant_at,
    reads_as_html,
    rss_title_text,
)

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"
RSS_DOCS = "http://www.rssboard.org/rss-specification"
FIRST, SECOND = operator.itemgetter(0), operator.itemgetter(1)
SECONDS_PER_WINDOW = int(DAY_WINDOW.total_seconds())


def text(value: str) -> str:
    """Escaped as lxml escapes element text."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    return value


def attr(value: str) -> str:
    """Escaped as lxml escapes attribute values."""
    value = text(value)
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\n" in value or "\t" in value:
        value = value.replace("\n", "&#10;").replace("\t", "&#9;")
    return value


class Writer:
    """Renders documents for one configuration, keeping each entry's fragments for
    as long as the entry stays the same (entries are immutable values)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        # format -> entry id -> (the entry, its fragment); keyed by id (a string's
        # hash is cached, an entry's is not), checked by identity or equality, so a
        # changed entry never gets an old fragment.
        # Fragments are kept encoded: a document is then one join of bytes.
        self.fragments: dict[str, dict[str, tuple[Entry, bytes]]] = {
            fmt: {} for fmt in SUBSCRIPTION_FORMATS
        }
        # Pieces that repeat across entries: a category's element, a day's anchor
        # (with whether wall-clock arithmetic from it is exact: see `instant`).
        self.categories: dict[tuple[str, str, str], str] = {}
        self.days: dict[dt.date, tuple[dt.datetime, bool]] = {}

    def document(self, doc: Document, fmt: str) -> bytes:
        if fmt == "json":
            return self.json_feed(doc)
        head = self.atom_head(doc) if fmt == "atom" else self.rss_head(doc)
        parts = [head.encode(), *self.fragments_of(doc.entries, fmt)]
        parts.append(b"</feed>\n" if fmt == "atom" else b"  </channel>\n</rss>\n")
        return b"".join(parts)

    def fragments_of(self, entries: Sequence[Entry], fmt: str) -> list[bytes]:
        """The fragments of `entries` in one format, rendering those not cached."""
        cache, make = self.fragments[fmt], ENTRY_MAKERS[fmt]
        try:  # the common case, every fragment known: looked up and checked in bulk
            cached = [cache[entry.id] for entry in entries]
            if all(map(operator.is_, map(FIRST, cached), entries)):
                return list(map(SECOND, cached))
        except KeyError:
            pass
        found: list[bytes] = []
        for entry in entries:
            known = cache.get(entry.id)
            if known is None or (known[0] is not entry and known[0] != entry):
                known = cache[entry.id] = (entry, make(self, entry).encode())
            found.append(known[1])
        return found

    def forget(self, entries: Iterable[Entry]) -> None:
        """Drop the fragments of entries that are gone or changed (saves memory)."""
        for entry in entries:
            for cache in self.fragments.values():
                cache.pop(entry.id, None)

    def instant(self, entry: Entry) -> dt.datetime:
        """`render.instant`, with each day's anchor computed once. Within the day's
        window an aware datetime plus a timedelta (wall-clock time, twice as fast as
        going through UTC) is the same moment, written the same, unless the UTC offset
        changes in the window or the anchor is the second pass of a repeated hour:
        checked once per day."""
        day = self.days.get(entry.date)
        if day is None:
            anchor = day_anchor(entry.date, self.config)
            end = instant_at(anchor, SECONDS_PER_WINDOW)
            wall = anchor + DAY_WINDOW
            plain = anchor.fold == 0 and wall.isoformat() == end.isoformat()
            day = self.days[entry.date] = (anchor, plain and anchor.utcoffset() == end.utcoffset())
        anchor, plain = day
        if plain and entry.second <= SECONDS_PER_WINDOW:
            return anchor + dt.timedelta(seconds=entry.second)
        return instant_at(anchor, entry.second)

    def category_elements(self, entry: Entry, fmt: str) -> str:
        """An entry's categories in Atom or RSS, each element rendered once per name."""
        cache, parts = self.categories, []
        for kind, names in category_names(entry):
            for name in names:
                key = (fmt, kind.folder, name)
                element = cache.get(key)
                if element is None:
                    element = cache[key] = self.category_element(fmt, kind, name)
                parts.append(element)
        return "".join(parts)

    def category_element(self, fmt: str, kind: Kind, name: str) -> str:
        scheme = attr(self.config.base_url + kind.folder)
        if fmt == "atom":
            return f'    <category term="{attr(name)}" scheme="{scheme}/" label="{attr(name)}"/>\n'
        return f'      <category domain="{scheme}/">{text(name)}</category>\n'

    # --- Atom ---

    def atom_head(self, doc: Document) -> str:
        spec, base = doc.feed, self.config.base_url
        namespaces = f'xmlns="{ATOM_NS}"'
        if doc.is_archive:
            namespaces = f'xmlns:fh="{HISTORY_NS}" {namespaces}'
        links = "".join(
            "  <link" + "".join(f' {k}="{attr(v)}"' for k, v in link.items()) + "/>\n"
            for link in document_links(doc, "atom", base, self.config.hub_url)
        )
        return (
            f'{XML_DECLARATION}<feed {namespaces} xml:lang="{LANGUAGE}">\n'
            f"  <id>{text(spec.id)}</id>\n"
            f"  <title>{text(spec.title)}</title>\n"
            f"  <updated>{document_updated(doc, self.config).isoformat()}</updated>\n"
            "  <author>\n"
            f"    <name>{text(AUTHOR['name'])}</name>\n"
            f"    <uri>{text(AUTHOR['uri'])}</uri>\n"
            "  </author>\n"
            f"{links}"
            f"  <generator>{GENERATOR}</generator>\n"
            f"  <subtitle>{text(spec.subtitle)}</subtitle>\n"
            + ("  <fh:archive/>\n" if doc.is_archive else "")
        )

    def atom_entry(self, entry: Entry) -> str:
        base = self.config.base_url
        when = self.instant(entry).isoformat()
        categories = self.category_elements(entry, "atom")
        title = f"<title>{text(entry.title)}</title>"
        if reads_as_html(entry.title):  # see `render.add_entry`
            title = f'<title type="html">{text(html_from_text(entry.title))}</title>'
        content = entry.summary or entry.title
        if reads_as_html(content):
            content_element = f'<content type="html">{text(html_from_text(content))}</content>'
        else:
            content_element = f'<content type="text">{text(content)}</content>'
        return (
            "  <entry>\n"
            f"    <id>{text(entry.id)}</id>\n"
            f"    {title}\n"
            f"    <updated>{when}</updated>\n"
            f"    {content_element}\n"
            f'    <link href="{attr(base + item_path(entry))}"/>\n'
            f"{categories}"
            f"    <published>{when}</published>\n"
            "  </entry>\n"
        )

    # --- JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) ---

    def json_feed(self, doc: Document) -> bytes:
        spec, base = doc.feed, self.config.base_url
        head: dict[str, object] = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": spec.title,
            "home_page_url": base + feed_page_path(spec),
            "feed_url": base + doc.path("json"),
            "description": spec.subtitle,
            "authors": [{"name": AUTHOR["name"], "url": AUTHOR["uri"]}],
            "language": LANGUAGE,
        }
        if self.config.hub_url:
            head["hubs"] = [{"type": "WebSub", "url": self.config.hub_url}]
        items = b",\n".join(self.fragments_of(doc.entries, "json"))
        opening = json.dumps(head, ensure_ascii=False, indent=1)[:-2]
        return b"".join((f'{opening},\n "items": [\n'.encode(), items, b"\n ]\n}\n"))

    def json_item(self, entry: Entry) -> str:
        base = self.config.base_url
        when = self.instant(entry).isoformat()
        item = {
            "id": entry.id,
            "url": base + item_path(entry),
            "title": entry.title,
            "content_text": entry.summary or entry.title,
            "date_published": when,
            "date_modified": when,
            "tags": [name for _, names in category_names(entry) for name in names],
        }
        return "  " + json.dumps(item, ensure_ascii=False, separators=(", ", ": "))

    # --- RSS ---

    def rss_head(self, doc: Document) -> str:
        spec, base = doc.feed, self.config.base_url
        links = document_links(doc, "rss", base)
        self_link = links[0]["href"]
        hub = self.config.hub_url
        hub_link = f'    <atom:link href="{attr(hub)}" rel="hub"/>\n' if hub else ""
        return (
            f'{XML_DECLARATION}<rss xmlns:atom="{ATOM_NS}" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">\n'
            "  <channel>\n"
            f"    <title>{text(spec.title)}</title>\n"
            f"    <link>{text(links[-1]['href'])}</link>\n"
            f"    <description>{text(spec.subtitle)}</description>\n"
            f'    <atom:link href="{attr(self_link)}" rel="self"/>\n'
            f"{hub_link}"
            f"    <docs>{RSS_DOCS}</docs>\n"
            f"    <generator>{GENERATOR}</generator>\n"
            f"    <language>{LANGUAGE}</language>\n"
            f"    <lastBuildDate>{rfc822(document_updated(doc, self.config))}</lastBuildDate>\n"
        )

    def rss_item(self, entry: Entry) -> str:
        base = self.config.base_url
        categories = self.category_elements(entry, "rss")
        title = text(entry.title)
        if reads_as_html(entry.title):  # see `render.rss_title_text`
            title = f"<![CDATA[{rss_title_text(entry.title)}]]>"
        # An RSS description is HTML: plain text escaped as HTML, then as XML.
        description = text(html_from_text(entry.summary or entry.title))
        return (
            "    <item>\n"
            f"      <title>{title}</title>\n"
            f"      <link>{text(base + item_path(entry))}</link>\n"
            f"      <description>{description}</description>\n"
            f'      <guid isPermaLink="false">{text(entry.id)}</guid>\n'
            f"{categories}"
            f"      <pubDate>{rfc822(self.instant(entry))}</pubDate>\n"
            "    </item>\n"
        )


# An entry's fragment in each format. Functions, not bound methods kept by the
# writer: those would make each writer a cycle, which only the cyclic collector frees.
ENTRY_MAKERS: dict[str, Callable[[Writer, Entry], str]] = {
    "atom": Writer.atom_entry,
    "rss": Writer.rss_item,
    "json": Writer.json_item,
}


def category_names(entry: Entry) -> tuple[tuple[Kind, tuple[str, ...]], ...]:
    """An entry's names by kind, in the order of its categories (that of `Kind`)."""
    kind_type = (entry.content_type,) if entry.content_type else ()
    return ((Kind.TOPIC, entry.topics), (Kind.MISSION, entry.missions), (Kind.TYPE, kind_type))


def rfc822(moment: dt.datetime) -> str:
    """RFC 822 date as feedgen writes it (`%a, %d %b %Y %H:%M:%S %z` in the C locale),
    without touching the process's locale."""
    day, month = DAYS[moment.weekday()], MONTHS[moment.month - 1]
    return f"{day}, {moment:%d} {month} {moment:%Y %H:%M:%S %z}"
