"""The small site around the feeds: `index.html`, `feeds.opml`, a page per month of items.

Plain HTML with no script, readable on a phone; every text taken from the seeds is
escaped. Links between pages are relative, so the site works from any address;
links inside OPML are absolute, as readers need. No I/O.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from html import escape

from feeds.config import Config
from feeds.layout import (
    INDEX,
    MONTH_ROOT,
    OPML,
    Document,
    FeedSpec,
    archive_path,
    feed_page_path,
    feed_path,
    feed_specs,
    item_anchor,
    item_location,
    month_path,
    relative_root,
)
from feeds.model import MONTH_NAMES, Catalog, Entry, Kind

NAMED = "named"  # the named feeds cut to measure, in `by_kind`
HEADINGS: dict[Kind | str | None, str] = {
    None: "Everything",
    NAMED: "Chosen feeds (cut to measure)",
    Kind.TOPIC: "Topics (What we do)",
    Kind.MISSION: "Missions and offices (Where we are)",
    Kind.TYPE: "Content types",
}
ANCHORS = {
    None: "everything",
    NAMED: "chosen",
    Kind.TOPIC: "topics",
    Kind.MISSION: "missions",
    Kind.TYPE: "types",
}
STYLESHEET = "style.css"  # one file for every page: cached once by browsers
STYLE = """
body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;color:#222}
h1{font-size:1.5rem;line-height:1.25}h2{font-size:1.15rem;margin-top:2rem}
ul{list-style:none;padding:0}li{padding:.5rem 0;border-bottom:1px solid #eee}
article{border-bottom:1px solid #eee}:target{background:#fff8dc}
a{color:#0b5394}.meta{color:#666;font-size:.9rem}.nowrap{white-space:nowrap}
.sub a{display:inline-block;padding:.15rem .55rem;margin:.3rem .3rem 0 0;font-size:.9rem;
border:1px solid #c8d6e5;border-radius:4px;text-decoration:none}
nav a{margin-right:1rem}code{word-break:break-all;background:#f4f6f8;padding:.1rem .3rem}
dt{font-weight:600;margin-top:.6rem}dd{margin:0}
form select,form input,form button{font:inherit;max-width:100%}
@media (min-width:64rem){body{max-width:66rem}
ul.feeds{display:grid;grid-template-columns:1fr 1fr;column-gap:2.5rem}}
""".strip()


def render_site(
    catalog: Catalog, config: Config, site_title: str, named: Sequence[FeedSpec] = ()
) -> dict[str, bytes]:
    files = front_pages(feed_specs(catalog, site_title), config, site_title, named)
    links = month_links({(group.kind, group.name): group.slug for group in catalog.groups})
    for path, entries in months(catalog.entries).items():
        files[path] = month_page(path, entries, links)
    return files


def front_pages(
    specs: list[FeedSpec], config: Config, site_title: str, named: Sequence[FeedSpec] = ()
) -> dict[str, bytes]:
    """The index, the OPML list of feeds and the stylesheet. `named`: the static
    copies of named feeds cut to measure (`feeds.queryrender.named_specs`)."""
    return {
        INDEX: index_page(specs, site_title, named),
        OPML: opml_document(specs, config, site_title, named),
        STYLESHEET: (STYLE + "\n").encode(),
    }


def month_links(slugs: Mapping[tuple[Kind, str], str]) -> CategoryLinks:
    """Category links for month pages (all at one depth), each made once."""
    return CategoryLinks(slugs, MONTH_ROOT)


def months(entries: Iterable[Entry]) -> dict[str, list[Entry]]:
    """Entries by the path of their month's page, newest first as given."""
    pages: dict[str, list[Entry]] = {}
    for entry in entries:
        pages.setdefault(month_path(entry), []).append(entry)
    return pages


def display_date(day: dt.date) -> str:
    """`16 October 2020`, in English whatever the process's locale."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def page(path: str, title: str, body: str, head: str = "") -> bytes:
    root = relative_root(path)
    home = "" if path == INDEX else f'<p class="meta"><a href="{root}{INDEX}">All feeds</a></p>\n'
    html = (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="stylesheet" href="{root}{STYLESHEET}">\n{head}'
        "</head>\n<body>\n"
        f"{body}{home}"
        "</body>\n</html>\n"
    )
    return html.encode()


FORMAT_LABELS = (
    ("atom", "Atom", "application/atom+xml"),
    ("rss", "RSS", "application/rss+xml"),
    ("json", "JSON Feed", "application/feed+json"),
)


def feed_links(spec: FeedSpec, root: str) -> str:
    return " ".join(
        f'<a href="{root}{spec.path}.{fmt}" type="{media}">{label}</a>'
        for fmt, label, media in FORMAT_LABELS
    )


def autodiscovery(spec: FeedSpec, root: str) -> str:
    return "".join(
        f'<link rel="alternate" type="{media}" title="{escape(spec.title)} ({label})"'
        f' href="{root}{spec.path}.{fmt}">\n'
        for fmt, label, media in FORMAT_LABELS
    )


def by_kind(
    specs: list[FeedSpec], named: Sequence[FeedSpec] = ()
) -> Iterator[tuple[Kind | str | None, list[FeedSpec]]]:
    """The feeds in the order of the index: everything, the named feeds (`NAMED`),
    topics, missions, types."""
    for kind in (None, NAMED, *Kind):
        chosen = list(named) if kind is NAMED else [spec for spec in specs if spec.kind is kind]
        if chosen:
            yield kind, chosen


def index_page(specs: list[FeedSpec], site_title: str, named: Sequence[FeedSpec] = ()) -> bytes:
    head = autodiscovery(specs[0], "")
    groups = list(by_kind(specs, named))
    nav = " ".join(
        f'<a href="#{ANCHORS[kind]}">{HEADINGS[kind].split(" (")[0]}</a>' for kind, _ in groups[1:]
    )
    nav += ' <a href="#compose">Compose a feed</a>'
    sections = [
        f"<h1>{escape(site_title)}</h1>\n"
        "<p>Feeds of the OSCE's news and press releases: everything, or one topic, "
        "mission or office, or content type. Open one to see its latest items, or copy "
        "its Atom, RSS or JSON Feed link into your feed reader; or import "
        '<a href="feeds.opml">every feed as OPML</a>.</p>\n'
        f"<nav>{nav}</nav>\n"
    ]
    for kind, chosen in groups:
        rows = "".join(index_row(spec) for spec in chosen)
        sections.append(
            f'<h2 id="{ANCHORS[kind]}">{HEADINGS[kind]}</h2>\n<ul class="feeds">\n{rows}</ul>\n'
        )
    sections.append(compose_form(specs))
    return page(INDEX, site_title, "".join(sections), head)


MAX_LIMIT = 500  # `feeds.query.MAX_LIMIT` (that module imports this one)
# The form's fields: query parameter, label, kind (for a choice among the feeds).
FORM_CHOICES = (
    ("mission", "Mission or office", Kind.MISSION),
    ("topic", "Topic", Kind.TOPIC),
    ("type", "Content type", Kind.TYPE),
)


def compose_form(specs: list[FeedSpec]) -> str:
    """A plain form (GET, no script) that composes a feed cut to measure: one
    mission, topic and content type (any, when left alone), words in and out, and
    how many items. `feed.html` is answered by the daemon (`feeds.query`); the page
    says so, since this index is also published where no daemon runs."""
    fields = []
    for name, label, kind in FORM_CHOICES:
        options = "".join(
            f'<option value="{escape(spec.slug)}">{escape(spec.name)}</option>'
            for spec in specs
            if spec.kind is kind
        )
        fields.append(
            f'<p><label for="compose-{name}">{label}</label><br>'
            f'<select id="compose-{name}" name="{name}"><option value="">Any</option>'
            f"{options}</select></p>\n"
        )
    return (
        '<h2 id="compose">Compose a feed</h2>\n'
        "<p>Choose a mission, a topic, a content type, words that must or must not appear, "
        "or any of these together, and get the feed of the items that match. "
        "Such feeds are answered by the osce-feeds server; a copy of this site on a plain "
        "web server offers only the feeds listed above.</p>\n"
        '<form id="compose-form" action="feed.html" method="get">\n'
        + "".join(fields)
        + '<p><label for="compose-q">With all of these words</label><br>'
        '<input id="compose-q" name="q" type="text"></p>\n'
        '<p><label for="compose-not">Without any of these words</label><br>'
        '<input id="compose-not" name="not" type="text"></p>\n'
        f'<p><label for="compose-limit">How many of the newest items (at most {MAX_LIMIT}; '
        "left empty, as many as the feeds above hold)</label><br>"
        f'<input id="compose-limit" name="limit" type="number" min="1" max="{MAX_LIMIT}"></p>\n'
        '<p><button type="submit">Show the feed</button></p>\n</form>\n'
    )


def index_row(spec: FeedSpec) -> str:
    count = len(spec.entries)
    latest = (
        f', latest <span class="nowrap">{display_date(spec.entries[0].date)}</span>'
        if spec.entries
        else ""
    )
    items = "1 item" if count == 1 else f"{count} items"
    return (
        f'<li><a href="{feed_page_path(spec)}">{escape(spec.name)}</a> '
        f'<span class="meta">{items}{latest}</span><br>'
        f'<span class="sub">{feed_links(spec, "")}</span></li>\n'
    )


def feed_page_row(entry: Entry, root: str) -> str:
    """One item on a feed's page (the same on every change of the feed while it is
    among the newest): made once (its id stands for its date)."""
    return _feed_page_row(entry.id, entry.title, entry.date, root)


@functools.lru_cache(maxsize=1 << 14)
def _feed_page_row(id: str, title: str, date: dt.date, root: str) -> str:
    return (
        f'<li><a href="{root}{item_location(id, date)}">{escape(title)}</a><br>'
        f'<span class="meta nowrap"><time datetime="{date}">{display_date(date)}</time>'
        "</span></li>\n"
    )


def feed_page(doc: Document, site_title: str, base_url: str) -> bytes:
    """The items of a feed's subscription document, with its subscribe links."""
    spec = doc.feed
    path = feed_page_path(spec)
    root = relative_root(path)
    rows = "".join([feed_page_row(entry, root) for entry in doc.entries])
    older = (
        f'<p class="meta">Older items are in the feed\'s <a href="{root}'
        f'{archive_path(spec.path, doc.previous)}">archive</a> (for feed readers).</p>\n'
        if doc.previous
        else ""
    )
    body = (
        f"<h1>{escape(spec.name)}</h1>\n<p>{escape(spec.subtitle)}</p>\n"
        f'<p class="sub">Subscribe: {feed_links(spec, root)}</p>\n'
        f'<p class="meta">Feed address for your reader: <code>{escape(base_url + spec.path)}.atom'
        "</code></p>\n"
        f"<h2>Latest items</h2>\n<ul>\n{rows}</ul>\n{older}"
    )
    return page(path, spec.title, body, autodiscovery(spec, root))


def month_page(path: str, entries: list[Entry], links: CategoryLinks) -> bytes:
    """The items of one month; `links` (`month_links`) may serve every month page."""
    title = f"OSCE news of {display_date(entries[0].date).split(' ', 1)[1]}"
    items = "".join([item_section(entry, links) for entry in entries])
    body = f"<h1>{escape(title)}</h1>\n{items}"
    return page(path, title, body)


def item_section(entry: Entry, links: CategoryLinks) -> str:
    """One item: its title, date, categories linked to their feeds, and summary."""
    day = entry.date
    summary = f"<p>{escape(entry.summary)}</p>\n" if entry.summary else ""
    return (
        f'<article id="{item_anchor(entry)}">\n<h2>{escape(entry.title)}</h2>\n{summary}'
        f'<dl>\n<dt>Publishing date</dt><dd><time datetime="{day.isoformat()}">'
        f"{display_date(day)}</time></dd>{links.rows(entry)}\n</dl>\n</article>\n"
    )


class CategoryLinks:
    """The rows of an item's categories, linked to their feeds from pages at one
    depth (`root`); each category's link is made once."""

    def __init__(self, slugs: Mapping[tuple[Kind, str], str], root: str) -> None:
        self.slugs = slugs
        self.root = root
        self.made: dict[Kind, dict[str, str]] = {kind: {} for kind in Kind}

    def rows(self, entry: Entry) -> str:
        rows = ""
        for kind in (Kind.TYPE, Kind.MISSION, Kind.TOPIC):
            names = entry.names(kind)
            if names:
                made = self.made[kind]
                links = [made.get(name) or self.link(kind, name) for name in names]
                rows += f"\n<dt>{kind.label}</dt><dd>{', '.join(links)}</dd>"
        return rows

    def link(self, kind: Kind, name: str) -> str:
        url = f"{self.root}{feed_path(kind, self.slugs[kind, name])}.atom"
        made = self.made[kind][name] = f'<a href="{url}">{escape(name)}</a>'
        return made


def opml_document(
    specs: list[FeedSpec], config: Config, site_title: str, named: Sequence[FeedSpec] = ()
) -> bytes:
    home = escape(config.base_url + INDEX, quote=True)

    def outline(spec: FeedSpec) -> str:
        url = escape(f"{config.base_url}{spec.path}.atom", quote=True)
        # OPML 2.0 lets `text` hold encoded HTML, and readers show it as HTML: the
        # title is escaped as HTML, then as an attribute; `title` is the feed's own.
        text = escape(escape(spec.title, quote=False), quote=True)
        title = escape(spec.title, quote=True)
        return (
            f'      <outline type="rss" version="ATOM" text="{text}" title="{title}" '
            f'xmlUrl="{url}" htmlUrl="{home}"/>\n'
        )

    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n  <head>\n'
        f"    <title>{escape(site_title)}</title>\n  </head>\n  <body>\n"
    ]
    for kind, chosen in by_kind(specs, named):
        rows = "".join(outline(spec) for spec in chosen)
        parts.append(f'    <outline text="{escape(HEADINGS[kind])}">\n{rows}    </outline>\n')
    parts.append("  </body>\n</opml>\n")
    return "".join(parts).encode()
