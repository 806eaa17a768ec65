"""The files a catalog's documents and pages are rendered to, and a cold build's
rendering cut into shares for worker processes.

A document (a feed's subscription document or one of its archive pages) is rendered
by `feeds.writer` and `feeds.site`; `document_key` says what its files are made of
(equal keys, equal bytes), so a builder re-renders only documents whose key changed.
A cold build renders everything: each document and month page is a `Piece` of work
that belongs to a moment (its newest entry) and weighs what it costs, and
`workers.split_by_time` cuts the pieces into spans of time, so that each entry is
serialised by one process only. `render_and_put` is one share's work: render each
piece and hand its bytes to the publisher's batch. No I/O of its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from feeds.layout import SUBSCRIPTION_FORMATS, Document, feed_page_path
from feeds.model import Entry
from feeds.publish import Batch, Puts
from feeds.site import CategoryLinks, feed_page, month_page
from feeds.writer import Writer

SITE_TITLE = "OSCE news and press releases"
# What a piece costs, in entries rendered: a subscription document holds its entries
# in four formats (Atom, RSS, JSON Feed, a page), an archive page once, a month page
# about twice.
SUBSCRIPTION_WEIGHT = 7
ARCHIVE_WEIGHT = 1
MONTH_WEIGHT = 2


@dataclass(frozen=True, slots=True)
class Made:
    """A document as published: what it is made of, and the paths of its files."""

    key: object
    paths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Piece:
    """Some files to render: `when` their newest entry is (`Entry.order`: smaller is
    newer), what they cost, and how to render them."""

    when: int
    weight: int
    render: Callable[[], Mapping[str, bytes]]


def document_files(doc: Document, writer: Writer) -> dict[str, bytes]:
    """An archive page (Atom), or the subscription feed as Atom, RSS, JSON Feed and
    an HTML page."""
    if doc.is_archive:
        return {doc.path("atom"): writer.document(doc, "atom")}
    files = {doc.path(fmt): writer.document(doc, fmt) for fmt in SUBSCRIPTION_FORMATS}
    files[feed_page_path(doc.feed)] = feed_page(doc, SITE_TITLE, writer.config.base_url)
    return files


def document_paths(doc: Document) -> tuple[str, ...]:
    """The paths of `document_files(doc)`, without rendering it."""
    if doc.is_archive:
        return (doc.path("atom"),)
    return (*subscription_paths(doc), feed_page_path(doc.feed))


def document_key(doc: Document) -> object:
    """Everything a document's files are made of: equal keys, equal bytes."""
    spec = doc.feed
    return (spec.id, spec.title, spec.subtitle, doc.links_key(), doc.entries)


def subscription_paths(doc: Document) -> tuple[str, ...]:
    """The feeds readers subscribe to among a document's files (WebSub topics): the
    subscription document in each format; none for an archive page."""
    return () if doc.is_archive else tuple(doc.path(fmt) for fmt in SUBSCRIPTION_FORMATS)


def self_url(base_url: str, path: str) -> str:
    """A published feed's address, as a hub is told of it."""
    return base_url + quote(path)


def document_piece(doc: Document, writer: Writer) -> Piece:
    when = doc.entries[0].order if doc.entries else 0
    weight = len(doc.entries) * (ARCHIVE_WEIGHT if doc.is_archive else SUBSCRIPTION_WEIGHT)
    return Piece(when, weight, functools.partial(document_files, doc, writer))


def month_piece(path: str, entries: Sequence[Entry], links: CategoryLinks) -> Piece:
    render = functools.partial(month_files, path, list(entries), links)
    return Piece(entries[0].order, MONTH_WEIGHT * len(entries), render)


def month_files(path: str, entries: list[Entry], links: CategoryLinks) -> dict[str, bytes]:
    return {path: month_page(path, entries, links)}


def rendered(files: Mapping[str, bytes]) -> Piece:
    """Files already in hand, as a piece (of no weight: they cost nothing more)."""
    return Piece(0, 0, lambda: files)


def render_and_put(batch: Batch, share: Sequence[Piece]) -> Puts:
    """Render a share's pieces, one at a time (so that their bytes are never all in
    memory at once), and publish their files."""
    return batch.put_all(file for piece in share for file in piece.render().items())
