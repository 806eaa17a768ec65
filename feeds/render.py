"""Render a catalog as feed documents: `{path in public/: bytes}`.

The only importer of feedgen. One Atom 1.0 and one RSS 2.0 document for all entries
and for each group, at paths built from slug templates. Every value that would
otherwise come from the clock (feed `updated`, RSS `lastBuildDate`, the generator) is
set from the entries, so the same catalog always renders the same bytes. No I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from feedgen.feed import FeedGenerator

from feeds.catalog import feed_id
from feeds.config import Config
from feeds.layout import FEED_FORMATS, INDEX, feed_path, item_path
from feeds.model import Catalog, Entry, Group, Kind

AUTHOR = {"name": "OSCE", "uri": "https://www.osce.org/"}
# `updated` of a feed that holds no entry (all of its items withdrawn): a fixed
# instant, so that its bytes too depend on nothing but the input.
EMPTY_FEED_UPDATED = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """What one feed is about, independent of its format."""

    path: str  # without the format's suffix: `all`, `topics/policing`
    kind: Kind | None  # None for the feed of all entries
    name: str
    id: str
    title: str
    subtitle: str
    entries: tuple[Entry, ...]


def feed_specs(catalog: Catalog, site_title: str) -> list[FeedSpec]:
    """Every feed of a catalog: all entries first, then each group in catalog order."""
    specs = [
        FeedSpec(
            feed_path(None),
            None,
            "All news and press releases",
            feed_id(None),
            site_title,
            "News and press releases from the OSCE's global activities.",
            catalog.entries,
        )
    ]
    specs.extend(spec_from_group(group, site_title) for group in catalog.groups)
    return specs


def spec_from_group(group: Group, site_title: str) -> FeedSpec:
    return FeedSpec(
        feed_path(group.kind, group.slug),
        group.kind,
        group.name,
        feed_id(group.kind, group.name),
        f"{group.name} – {site_title}",
        f"OSCE news and press releases, {group.kind.noun}: {group.name}.",
        group.entries,
    )


def instant(entry: Entry, config: Config) -> dt.datetime:
    """The moment that stands for an entry's publishing date (see README, date rule):
    the configured time of day in the configured zone, plus the entry's own second."""
    day = dt.datetime.combine(entry.date, config.time_of_day, tzinfo=config.zone)
    return day + dt.timedelta(seconds=entry.second)


def render_feeds(
    catalog: Catalog, config: Config, site_title: str, cache: dict[object, bytes] | None = None
) -> dict[str, bytes]:
    """Atom and RSS documents of every feed of the catalog.

    `cache` maps what a document is made of to its bytes; a feed whose newest
    entries did not change is not rendered again. It keeps only this build's feeds.
    """
    files: dict[str, bytes] = {}
    fresh: dict[object, bytes] = {}
    for spec in feed_specs(catalog, site_title):
        shown = spec.entries[: config.feed_size]
        for fmt in FEED_FORMATS:
            path = f"{spec.path}.{fmt}"
            if path in files:
                raise ValueError(f"two feeds on one path: {path}")
            key = (fmt, spec.path, spec.id, spec.title, spec.subtitle, shown, config)
            data = cache.get(key) if cache is not None else None
            files[path] = fresh[key] = data or render_feed(spec, fmt, config)
    if cache is not None:
        cache.clear()
        cache.update(fresh)
    return files


def render_feed(spec: FeedSpec, fmt: str, config: Config) -> bytes:
    entries = spec.entries[: config.feed_size]
    updated = instant(entries[0], config) if entries else EMPTY_FEED_UPDATED
    base = config.base_url
    fg = FeedGenerator()
    fg.id(spec.id)
    fg.title(spec.title)
    fg.subtitle(spec.subtitle)
    fg.author(AUTHOR)
    fg.link(href=f"{base}{spec.path}.{fmt}", rel="self")
    fg.link(href=f"{base}{INDEX}", rel="alternate", type="text/html")
    fg.language("en")
    fg.generator("osce-feeds")
    fg.updated(updated)
    fg.lastBuildDate(updated)
    for entry in entries:
        add_entry(fg, entry, config)
    if fmt == "atom":
        return bytes(fg.atom_str(pretty=True))
    return bytes(fg.rss_str(pretty=True))


def add_entry(fg: FeedGenerator, entry: Entry, config: Config) -> None:
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
    fe.content(entry.summary or entry.title, type="text")
    for kind, names in categories(entry):
        scheme = f"{config.base_url}{kind.folder}/"
        for name in names:
            fe.category(term=name, scheme=scheme, label=name)


def categories(entry: Entry) -> Sequence[tuple[Kind, tuple[str, ...]]]:
    return [(kind, entry.names(kind)) for kind in Kind]
