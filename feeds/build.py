"""One build: read `seeds/`, parse, merge, render, publish into `public/`.

`Builder` runs the chain, for `osce-feeds build` and for the daemon alike: it keeps
the results of the pure stages by their inputs (a parsed page by its file's stamp
and bytes, the merged catalog as `catalog.Index`, an entry's fragments by the entry,
a document's files by what it is made of) and after a change re-reads only the
changed seeds and re-renders only what they touch. A new `Builder` is a cold build;
tests hold a long-lived one to a new one after any sequence of changes.

The state kept between builds is `feeds.store`'s; seeds are read by `feeds.pages`;
files are written by `feeds.publish` only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import itertools
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import TypeVar

from feeds import workers
from feeds.catalog import Change, Index
from feeds.config import Config
from feeds.layout import (
    INDEX,
    OPML,
    SUBSCRIPTION_FORMATS,
    Boundaries,
    Document,
    FeedSpec,
    documents,
    feed_page_path,
    feed_specs,
    month_from_path,
    month_path,
)
from feeds.model import BuildResult, Catalog, Entry, Issue, Record
from feeds.pages import (
    Read,
    Seed,
    read_from_row,
    read_seed_file,
    read_share,
)
from feeds.publish import Publisher, remove_temporaries, write_atomic
from feeds.query import Searcher
from feeds.queryrender import named_files, named_specs
from feeds.seeds import check_folder, seed_names
from feeds.site import (
    CategoryLinks,
    feed_page,
    front_pages,
    index_page,
    month_links,
    month_page,
    months,
    opml_document,
)
from feeds.store import (
    INPUTS,
    PUBLISHED,
    REGISTRY,
    Inputs,
    Stamp,
    exclusive_lock,
    published_bytes,
    read_published_count,
    read_state,
    registry_bytes,
    shard_bytes,
    shard_path,
)
from feeds.writer import Writer

SITE_TITLE = "OSCE news and press releases"
# A first build shares its work out to worker processes (`workers`) from this much:
FORK_MIN_SEEDS = 500  # seed files to read
FORK_MIN_WORK = 50_000  # entries to render, weighted as `_render_everything` does
HEAD_START = 8  # the first share's head start (front pages, state): entries / this
T = TypeVar("T")


# --- rendering ---


def render_feed(spec: FeedSpec, config: Config, writer: Writer) -> dict[str, bytes]:
    """Every file of one feed: its subscription documents, page and archive pages."""
    files: dict[str, bytes] = {}
    for doc in documents(spec, config.feed_size):
        files.update(document_files(doc, writer))
    return files


def document_files(doc: Document, writer: Writer) -> dict[str, bytes]:
    """An archive page (Atom), or the subscription feed as Atom, RSS, JSON Feed and
    an HTML page."""
    if doc.is_archive:
        return {doc.path("atom"): writer.document(doc, "atom")}
    files = {doc.path(fmt): writer.document(doc, fmt) for fmt in SUBSCRIPTION_FORMATS}
    files[feed_page_path(doc.feed)] = feed_page(doc, SITE_TITLE, writer.config.base_url)
    return files


# --- building ---


def build(config: Config, *, allow_withdrawal: bool = False) -> BuildResult:
    """Read the seeds, publish their feeds; returns what was done and found.

    Takes `public/`'s lock (`AlreadyRunning` when a daemon or another build holds
    it) and removes the temporary files of a killed run. Raises `SeedsUnavailable`
    when the seeds folder is missing, `WithdrawalHeld` (having published nothing)
    when the build would withdraw more of the published items than
    `config.max_withdraw` allows, unless `allow_withdrawal`, and `PublishFailed`
    when `public/` cannot be written.

    When nothing changed since the last `build` (the same seed files, settings and
    code, and `public/` as that build left it), it stops there, having read no seed
    (`osce-feeds build` run again and again, from cron say, costs next to nothing)."""
    started = time.perf_counter()
    inputs = Inputs.now(config)
    with exclusive_lock(config.public) as killed:
        litter = remove_temporaries(config.public) if killed else []
        unchanged = inputs.unchanged_since(config.public)
        if unchanged is not None:
            return dataclasses.replace(unchanged, seconds=time.perf_counter() - started)
        builder = Builder(config, allow_withdrawal=allow_withdrawal)
        result = builder.build()
        if builder.stamps() == inputs.seeds:  # no seed changed while it was read
            write_atomic(config.public / INPUTS, inputs.record(config.public, result))
    return dataclasses.replace(result, litter=len(litter))


class WithdrawalHeld(Exception):
    """A build that would withdraw more published items at once than allowed (a
    seeds folder emptied by an unmounted disk or an empty scrape, say); nothing of
    it was published."""

    def __init__(self, withdrawn: int, published: int, limit: int) -> None:
        super().__init__(
            f"held: this change would withdraw {withdrawn} of the {published} items "
            f"published (more than {limit}%); nothing was published"
        )
        self.withdrawn = withdrawn
        self.published = published


def check_withdrawal(withdrawn: int, published: int, config: Config) -> None:
    """Raise `WithdrawalHeld` when `withdrawn` of `published` items is too many."""
    if withdrawn > 0 and withdrawn * 100 > published * config.max_withdraw:
        raise WithdrawalHeld(withdrawn, published, config.max_withdraw)


class Builder:
    """Builds `public/` again and again, as the daemon does. The first build reads
    every seed and compares every file with `public/`; later ones re-read only seeds
    whose size, mtime or inode changed (or only `changed`, when the watcher says
    which), and re-render and publish only the documents those touch."""

    def __init__(self, config: Config, workers: int = 0, *, allow_withdrawal: bool = False) -> None:
        self.config = config
        self.workers = workers  # processes for a first build; 0: as many as pay
        self.allow_withdrawal = allow_withdrawal  # publish even what `WithdrawalHeld` holds
        self.published = 0  # items published by the last build
        self.writer = Writer(config)
        self.publisher = Publisher(config.public)
        self.index: Index | None = None
        self.seeds: dict[str, tuple[Stamp, Seed]] = {}
        self.last_good: dict[str, bytes] = {}
        self.good_changed: set[str] = set()  # seeds whose last good version changed
        self.shard_members: dict[str, set[str]] | None = None  # shard path -> seeds
        self.issues: tuple[Issue, ...] | None = None  # of every seed, until one is read again
        # What is published, without the bytes (memory grows with the archive):
        # feed path -> {document name: (what it is made of, its files' paths)}
        self.feeds: dict[str, dict[str, tuple[object, tuple[str, ...]]]] = {}
        self.pages: set[str] = set()  # index, OPML and month pages
        self.boundaries = Boundaries(config.feed_size)
        # Named feeds cut to measure (`feeds.toml`): made again at every build. The
        # searcher of the catalog built last answers them, and the daemon hands it
        # on to the server for the feeds cut to measure on request.
        self.searcher: Searcher | None = None
        self.named: list[FeedSpec] = []
        self.named_paths: set[str] = set()

    def build(self, changed: Collection[str] | None = None) -> BuildResult:
        # The cyclic garbage collector is paused while building: a build makes about a
        # hundred objects per item, none in cycles, and full collections over them
        # would cost a tenth of a cold build.
        with gc_paused():
            return self._build(changed)

    def _build(self, changed: Collection[str] | None) -> BuildResult:
        started = time.perf_counter()
        first = self.index is None
        # A seeds folder that is missing or cannot be listed is not an empty one: this
        # raises before anything else (the builder stays as it was).
        if changed is None or first:
            names: Collection[str] = seed_names(self.config.seeds)
        else:
            check_folder(self.config.seeds)
            names = changed
        if self.index is None:
            state = read_state(self.config.public)
            self.index = Index(state.known)
            self.last_good = dict(state.last_good)
            self.published = read_published_count(self.config.public)
        if changed is None or first:  # a full scan also finds the seeds that are gone
            names = sorted(set(names) | set(self.seeds))
        moved = self._reread_all(list(names)) if first else [self._reread(n) for n in names]
        if first:  # a seed deleted while no daemon ran has no last good version
            self.last_good = {n: d for n, d in self.last_good.items() if n in self.seeds}
        change = self._merge([m for m in moved if m is not None])
        catalog = self.index.catalog()
        if not self.allow_withdrawal:
            if first:  # what was published is known by its count only
                withdrawn = self.published - len(catalog.entries)
            else:
                withdrawn = sum(1 for _, after in change.entries if after is None)
            check_withdrawal(withdrawn, self.published, self.config)
        self.searcher = Searcher(catalog, self.searcher)
        self.named, named_issues = named_specs(catalog, self.config, self.searcher)
        named = named_files(self.named, self.writer)
        if first:
            paths, streams = self._render_everything(catalog)
            paths.extend(named)
            streams[0] = itertools.chain(streams[0], named.items())
            report = self.publisher.sync(streams[0], paths, forked=streams[1:])
        else:
            written, removed = self._render_change(catalog, change)
            written.update(named)
            removed.extend(self.named_paths - named.keys())
            report = self.publisher.apply(written, removed)
        self.named_paths = set(named)
        self.good_changed.clear()
        self.published = len(catalog.entries)
        if self.issues is None or any(m is not None for m in moved):
            self.issues = tuple(
                sorted(
                    (i for _, seed in self.seeds.values() for i in seed.issues),
                    key=lambda i: (i.source, i.line),
                )
            )
        return BuildResult(
            catalog=catalog,
            items=len(catalog.entries),
            issues=(*self.issues, *named_issues),
            report=report,
            seeds=len(self.seeds),
            seconds=time.perf_counter() - started,
            feeds=1 + len(catalog.groups),
        )

    def stamps(self) -> dict[str, Stamp]:
        """The stamp of every seed file as it was last read."""
        return {name: stamp for name, (stamp, _) in self.seeds.items()}

    def _reread_all(self, names: list[str]) -> list[Moved | None]:
        """`_reread` every seed of a first build: in worker processes, each reading and
        parsing a share of the seeds, when there are many."""
        count = self.workers or (workers.usable() if len(names) >= FORK_MIN_SEEDS else 1)
        shares = [names[n::count] for n in range(count)]
        children = [
            workers.start(read_share, self.config, share, self.last_good) for share in shares[1:]
        ]
        moved = [self._reread(name) for name in shares[0]]
        for share, child in zip(shares[1:], children, strict=True):
            rows = child.result()
            if rows is None:  # the worker failed: its share is read here
                moved.extend(self._reread(name) for name in share)
            else:
                moved.extend(self._reread(row[0], read_from_row(row)) for row in rows)
        return moved

    def _reread(self, name: str, read: Read | None = None) -> Moved | None:
        """Read one seed again if it changed; returns its records before and after.
        `read`: the seed's stamp, bytes and parse, when a worker read it."""
        if read is None:
            read = read_seed_file(self.config, name, self.last_good.get(name), self.seeds.get(name))
        stamp, data, seed = read
        before = self.seeds.get(name)
        if before is not None and before[0] == stamp:
            return None
        old = before[1].records if before else ()
        if data is None:
            self.seeds.pop(name, None)
            if self.last_good.pop(name, None) is not None:
                self.good_changed.add(name)
            return (old, ())
        if seed is None:  # read again, and the same bytes: only the stamp changed
            assert before is not None
            self.seeds[name] = (stamp or before[0], before[1])
            return None
        if seed.good is not None and self.last_good.get(name) != seed.good:
            self.last_good[name] = seed.good
            self.good_changed.add(name)
        self.seeds[name] = (stamp or (0, 0, 0, 0), seed)
        return (old, seed.records)

    def _merge(self, moved: list[Moved]) -> Change:
        assert self.index is not None
        old = [r for before, _ in moved for r in before]
        new = [r for _, after in moved for r in after]
        return self.index.replace(old, new)

    def _state_files(self, names: Iterable[str] | None = None) -> dict[str, bytes]:
        """The registry, and the last-good shards of the seeds `names` (default: all)."""
        assert self.index is not None
        if self.shard_members is None:  # which seeds each shard holds, kept from now on
            self.shard_members = defaultdict(set)
            for name in self.last_good:
                self.shard_members[shard_path(name)].add(name)
        members = self.shard_members
        wanted = set(members) if names is None else set()
        for name in names or ():  # seeds whose last good version came, changed or went
            path = shard_path(name)
            wanted.add(path)
            if name in self.last_good:
                members[path].add(name)
            else:
                members[path].discard(name)
        files = {
            path: shard_bytes({name: self.last_good[name] for name in members[path]})
            for path in wanted
            if members[path]
        }
        files[REGISTRY] = registry_bytes(self.index.slugs)
        files[PUBLISHED] = published_bytes(len(self.index.entries))
        return files

    def _render_everything(
        self, catalog: Catalog
    ) -> tuple[list[str], list[Iterator[tuple[str, bytes]]]]:
        """Every path of `public/`, and the files as streams that render them as they
        are read (so that their bytes are never all in memory at once): one stream,
        or one per worker, each a range of time (a page holds entries of one span of
        time, so each entry is rendered by one worker only)."""
        assert self.index is not None
        specs = feed_specs(catalog, SITE_TITLE)
        docs = [
            doc
            for spec in specs
            for doc in documents(spec, self.config.feed_size, self._positions(spec))
        ]
        paths: list[str] = []
        for doc in docs:
            made = tuple(document_paths(doc))
            self.feeds.setdefault(doc.feed.path, {})[doc.name] = (document_key(doc), made)
            paths.extend(made)
        pages = months(catalog.entries)
        front = front_pages(specs, self.config, SITE_TITLE, self.named)
        state = self._state_files()
        self.pages = {*front, *pages}
        paths.extend([*front, *pages, *state])
        links = month_links(self.index.slugs)
        # Each piece of work: when (newest first), its weight (entries, by what each
        # costs: in four formats in a subscription document, once in an archive page,
        # about twice that on a month page), and how to render it.
        work: list[tuple[int, int, Callable[[], Mapping[str, bytes]]]] = [
            (
                doc.entries[0].order if doc.entries else 0,
                len(doc.entries) * (1 if doc.is_archive else 7),
                functools.partial(document_files, doc, self.writer),
            )
            for doc in docs
        ]
        work.extend(
            (items[0].order, 2 * len(items), functools.partial(month_file, path, items, links))
            for path, items in pages.items()
        )
        weight = sum(w for _, w, _ in work)
        count = self.workers or (workers.usable() if weight >= FORK_MIN_WORK else 1)
        # The first share also writes the front pages and the state (a head start).
        shares = split_by_time(work, count, head=len(catalog.entries) // HEAD_START)

        def files(share: list[Callable[[], Mapping[str, bytes]]]) -> Iterator[tuple[str, bytes]]:
            for render in share:
                yield from render().items()

        streams = [files(share) for share in shares]
        streams[0] = itertools.chain(front.items(), state.items(), streams[0])
        return paths, streams

    def _positions(self, spec: FeedSpec) -> list[int]:
        """Where a feed's archive boundaries are among its entries."""
        assert self.index is not None
        group = None if spec.kind is None else (spec.kind, spec.name)
        return self.boundaries.positions(spec, self.index.orders(group))

    def _render_document(
        self, doc: Document, before: Mapping[str, tuple[object, tuple[str, ...]]]
    ) -> dict[str, bytes]:
        """The files of one document, unless what it is made of did not change."""
        key = document_key(doc)
        known = self.feeds.setdefault(doc.feed.path, {})
        old = before.get(doc.name)
        if old and old[0] == key:
            known[doc.name] = old
            return {}
        files = document_files(doc, self.writer)
        known[doc.name] = (key, tuple(files))
        return files

    def _render_change(
        self, catalog: Catalog, change: Change
    ) -> tuple[dict[str, bytes], list[str]]:
        """The documents and pages a change touches, and those it makes obsolete."""
        assert self.index is not None
        written: dict[str, bytes] = {}
        removed: list[str] = []
        self.writer.forget(before for before, _ in change.entries if before is not None)
        specs = feed_specs(catalog, SITE_TITLE)
        for spec in specs:
            group = None if spec.kind is None else (spec.kind, spec.name)
            if group not in change.groups and (group is not None or not change.entries):
                continue
            before = self.feeds.pop(spec.path, {})
            self.boundaries.update(spec, change.entries)
            for doc in documents(spec, self.config.feed_size, self._positions(spec)):
                written.update(self._render_document(doc, before))
            now = {p for _, paths in self.feeds[spec.path].values() for p in paths}
            removed.extend(p for _, paths in before.values() for p in paths if p not in now)

        pages = {
            INDEX: index_page(specs, SITE_TITLE, self.named),
            OPML: opml_document(specs, self.config, SITE_TITLE, self.named),
        }
        months = {month_path(e) for pair in change.entries for e in pair if e is not None}
        for month in months:
            items = self.index.month(month_from_path(month))
            if items:
                pages[month] = month_page(month, items, month_links(self.index.slugs))
            elif month in self.pages:
                removed.append(month)
                self.pages.discard(month)
        self.pages.update(pages)
        written.update(pages)
        state = self._state_files(self.good_changed)
        written.update(state)
        removed.extend({shard_path(name) for name in self.good_changed} - state.keys())
        return written, removed


# A seed's records before and after it was read again.
Moved = tuple[tuple[Record, ...], tuple[Record, ...]]


def document_key(doc: Document) -> object:
    """Everything a document's files are made of: equal keys, equal bytes."""
    spec = doc.feed
    return (spec.id, spec.title, spec.subtitle, doc.links_key(), doc.entries)


def month_file(path: str, entries: list[Entry], links: CategoryLinks) -> dict[str, bytes]:
    return {path: month_page(path, entries, links)}


def split_by_time(work: list[tuple[int, int, T]], shares: int, head: int = 0) -> list[list[T]]:
    """`work` as (time, weight, piece) cut into `shares` spans of time of about equal
    weight, newest first; the first share starts with `head` weight already."""
    pieces = sorted(work, key=lambda w: w[0])
    total = head + sum(weight for _, weight, _ in pieces)
    cut: list[list[T]] = [[] for _ in range(max(1, shares))]
    done = head
    for _, weight, piece in pieces:
        cut[min(len(cut) - 1, done * len(cut) // max(1, total))].append(piece)
        done += weight
    return [share for share in cut if share] or [[]]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def document_paths(doc: Document) -> list[str]:
    """The paths of `document_files(doc)`, without rendering it."""
    if doc.is_archive:
        return [doc.path("atom")]
    return [*(doc.path(fmt) for fmt in SUBSCRIPTION_FORMATS), feed_page_path(doc.feed)]
