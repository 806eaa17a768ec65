"""Feeds cut to measure as documents: a query's feed in each format, its page, the
page of a bad query, and the static copies of the named queries of `feeds.toml`.

Rendering goes through the same `Writer` and page parts as the published feeds, so
entry ids and entry bytes are theirs; what is rendered is chosen by `feeds.query`.
No I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from feeds.config import Config
from feeds.layout import Document, FeedSpec, address, relative_root
from feeds.model import Catalog, Entry, Issue, Level
from feeds.query import (
    FEED_PATH,
    FORMATS,
    QUERIES,
    QueryError,
    Searcher,
    Selection,
    query_from_string,
)
from feeds.site import FORMAT_LABELS, feed_page_row, page
from feeds.writer import Writer


def query_spec(
    selection: Selection, entries: tuple[Entry, ...], *, path: str = FEED_PATH, query: bool = True
) -> FeedSpec:
    """The feed of a query: at `feed.FORMAT?CANONICAL` (`query`), or, for a static
    copy, at `path.FORMAT`."""
    return FeedSpec(
        path,
        None,
        selection.title(),
        selection.feed_id(),
        selection.title(),
        selection.subtitle(len(entries)),
        entries,
        selection.query.canonical() if query else "",
    )


def render_query(spec: FeedSpec, fmt: str, writer: Writer) -> bytes:
    """One format of a query's feed: Atom, RSS or JSON Feed by `writer`, as the
    published feeds are, or its HTML page. One document, no archive pages: the
    limit bounds it."""
    doc = Document(spec, "", spec.entries, "", "")
    if fmt == "html":
        return query_page(doc, writer.config.base_url)
    return writer.document(doc, fmt)


def query_page(doc: Document, base_url: str) -> bytes:
    """A query's items as a page, with the addresses to subscribe to."""
    spec = doc.feed
    path = address(spec, "html")
    root = relative_root(spec.path)
    rows = "".join(feed_page_row(entry, root) for entry in doc.entries)
    links = " ".join(
        f'<a href="{escape(root + address(spec, fmt))}" type="{media}">{label}</a>'
        for fmt, label, media in FORMAT_LABELS
    )
    addresses = "".join(
        f"<dt>{label}</dt><dd><code>{escape(base_url + address(spec, fmt))}</code></dd>\n"
        for fmt, label, _ in FORMAT_LABELS
    )
    head = "".join(
        f'<link rel="alternate" type="{media}" title="{escape(spec.title)} ({label})"'
        f' href="{escape(root + address(spec, fmt))}">\n'
        for fmt, label, media in FORMAT_LABELS
    )
    empty = "" if rows else "<li>No item matches this feed yet.</li>\n"
    body = (
        f"<h1>{escape(spec.title)}</h1>\n<p>{escape(spec.subtitle)}</p>\n"
        f'<p class="sub">Subscribe: {links}</p>\n'
        '<p class="meta">Feed addresses for your reader:</p>\n'
        f'<dl class="meta">\n{addresses}</dl>\n'
        f"<h2>Latest items</h2>\n<ul>\n{rows}{empty}</ul>\n"
        f'<p class="meta"><a href="{root}index.html#compose">Compose another feed</a></p>\n'
    )
    return page(path.partition("?")[0], spec.title, body, head)


def error_page(error: QueryError) -> bytes:
    """A small page that says what is wrong with a query."""
    what = "Unknown name" if error.status == 404 else "Bad query"
    body = (
        f"<h1>{what}</h1>\n<p>{escape(error.message)}</p>\n"
        '<p>See the <a href="index.html#compose">form on the index page</a> for the '
        "missions, topics and types there are.</p>\n"
    )
    return page("feed.html", what, body)


def named_specs(
    catalog: Catalog, config: Config, searcher: Searcher | None = None
) -> tuple[list[FeedSpec], list[Issue]]:
    """The static copies of the named queries (`Config.named_queries`, from
    `feeds.toml`), at `queries/NAME.FORMAT`; a query that is malformed or names an
    unknown slug is not published, with a warning naming it."""
    searcher = searcher or Searcher(catalog)
    specs, problems = [], []
    for name, query_string in config.named_queries:
        try:
            # (A query string, or an address that ends with one.)
            query = query_from_string(query_string.rpartition("?")[2], config.feed_size)
            selection = searcher.resolve(query)
        except QueryError as error:
            message = f"named feed {name!r}: {error.message}; not published"
            problems.append(Issue(str(config.queries), 1, Level.WARNING, message))
            continue
        entries = searcher.select(selection, query.limit or config.feed_size)
        path = f"{QUERIES}/{name}"
        specs.append(query_spec(selection, entries, path=path, query=False))
    return specs, problems


def named_files(specs: Iterable[FeedSpec], writer: Writer) -> dict[str, bytes]:
    """Every file of the static copies of named queries."""
    return {
        address(spec, fmt): render_query(spec, fmt, writer) for spec in specs for fmt in FORMATS
    }
