"""One build: read `seeds/`, parse, merge, render, publish into `public/`.

`Builder` runs the chain, for `osce-feeds build` and for the daemon alike: it keeps
the results of the pure stages by their inputs (a parsed page by its file's stamp
and bytes, the merged catalog as `catalog.Index`, an entry's fragments by the entry,
a document's files by what it is made of) and after a change re-reads only the
changed seeds and re-renders only what they touch. A new `Builder` is a cold build;
tests hold a long-lived one to a new one after any sequence of changes.

The state kept between builds is `feeds.store`'s; seeds are read by `feeds.pages`;
documents are rendered to files by `feeds.files`; files are written by
`feeds.publish` only; a cold build shares reading and rendering out to worker
processes through `feeds.workers` only.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from feeds import workers
from feeds.catalog import Change, Index
from feeds.config import Config
from feeds.files import (
    SITE_TITLE,
    Made,
    Piece,
    document_files,
    document_key,
    document_paths,
    document_piece,
    month_piece,
    render_and_put,
    rendered,
    self_url,
    subscription_paths,
)
from feeds.layout import (
    INDEX,
    OPML,
    Boundaries,
    Document,
    FeedSpec,
    documents,
    feed_specs,
    month_from_path,
    month_path,
)
from feeds.model import BuildResult, Catalog, Issue, Record
from feeds.pages import Read, Seed, read_seed_file, read_share
from feeds.publish import Publisher, remove_temporaries, write_atomic
from feeds.query import Searcher
from feeds.queryrender import named_files, named_specs
from feeds.seeds import check_folder, seed_names
from feeds.site import front_pages, index_page, month_links, month_page, months, opml_document
from feeds.store import (
    INPUTS,
    PUBLISHED,
    REGISTRY,
    Inputs,
    Shards,
    Stamp,
    exclusive_lock,
    published_bytes,
    read_published_count,
    read_state,
    registry_bytes,
)
from feeds.writer import Writer

# A first build shares its work out to worker processes (`workers`) from this much:
FORK_MIN_SEEDS = 500  # seed files to read
FORK_MIN_WORK = 50_000  # entries to render, weighted as `files.Piece` weighs them
HEAD_START = 8  # the first share's head start (front pages, state): entries / this
# Reading: the share read here is this much larger than a worker's, since a worker
# also sends what it parsed back (30,000 items, two processes: parsing a half took
# 0.35 s, pickling and sending it 0.13 s, unpickling it here 0.1 s).
READ_HERE = 1.4


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
    which), and re-render and publish only the documents those touch.

    `processes`: how many processes a first build may use (0: as many as pay)."""

    def __init__(
        self, config: Config, processes: int = 0, *, allow_withdrawal: bool = False
    ) -> None:
        self.config = config
        self.processes = processes
        self.allow_withdrawal = allow_withdrawal  # publish even what `WithdrawalHeld` holds
        self.writer = Writer(config)
        self.publisher = Publisher(config.public)
        # What the first build takes from the state kept in public/ (`start`):
        self.started = False
        self.index = Index()
        self.last_good: dict[str, bytes] = {}
        self.published = 0  # items published by the last build
        self.shards = Shards()  # which seeds each last-good shard holds
        self.seeds: dict[str, tuple[Stamp, Seed]] = {}
        self.good_changed: set[str] = set()  # seeds whose last good version changed
        self.issues: tuple[Issue, ...] | None = None  # of every seed, until one is read again
        # What is published, without the bytes (memory grows with the archive):
        # feed path -> {document name: what it is made of, its files' paths}
        self.feeds: dict[str, dict[str, Made]] = {}
        self.subscriptions: set[str] = set()  # paths of the feeds readers subscribe to
        self.pages: set[str] = set()  # index, OPML and month pages
        self.boundaries = Boundaries(config.feed_size)
        # Named feeds cut to measure (`feeds.toml`): made again at every build. The
        # searcher of the catalog built last answers them, and the daemon hands it
        # on to the server for the feeds cut to measure on request.
        self.searcher: Searcher | None = None
        self.named: list[FeedSpec] = []
        self.named_paths: set[str] = set()

    def build(self, changed: Collection[str] | None = None) -> BuildResult:
        began = time.perf_counter()
        first = not self.started
        # A seeds folder that is missing or cannot be listed is not an empty one: this
        # raises before anything else (the builder stays as it was).
        if changed is None or first:  # a full scan also finds the seeds that are gone
            names = sorted(set(seed_names(self.config.seeds)) | set(self.seeds))
        else:
            check_folder(self.config.seeds)
            names = list(changed)
        if first:
            self.start()
            moved = self._read_all(names)
            # A seed deleted while no daemon ran has no last good version.
            self.last_good = {n: d for n, d in self.last_good.items() if n in self.seeds}
        else:
            moved = [self._take(self._read(name)) for name in names]
        found = [m for m in moved if m is not None]
        change = self.index.replace(
            [r for m in found for r in m.before], [r for m in found for r in m.after]
        )
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
            paths, shares = self._plan_everything(catalog)
            batch = self.publisher.begin([*paths, *named])
            shares[0].append(rendered(named))
            puts = workers.map_shares(functools.partial(render_and_put, batch), shares)
            report = self.publisher.commit(batch, puts)
        else:
            written, removed = self._render_change(catalog, change)
            written.update(named)
            removed.extend(self.named_paths - named.keys())
            report = self.publisher.apply(written, removed)
        self.named_paths = set(named)
        self.good_changed.clear()
        self.published = len(catalog.entries)
        if self.issues is None or found:
            every = (i for _, seed in self.seeds.values() for i in seed.issues)
            self.issues = tuple(sorted(every, key=lambda i: (i.source, i.line)))
        base = self.config.base_url
        return BuildResult(
            catalog=catalog,
            items=len(catalog.entries),
            issues=(*self.issues, *named_issues),
            report=report,
            seeds=len(self.seeds),
            seconds=time.perf_counter() - began,
            feeds=1 + len(catalog.groups),
            feeds_changed=tuple(
                self_url(base, path) for path in report.written if path in self.subscriptions
            ),
        )

    def start(self) -> None:
        """Take what earlier runs left in public/: the slugs of groups ever published,
        the last good version of each seed, how many items are published."""
        state = read_state(self.config.public)
        self.index = Index(state.known)
        self.last_good = dict(state.last_good)
        self.published = read_published_count(self.config.public)
        self.started = True

    def stamps(self) -> dict[str, Stamp]:
        """The stamp of every seed file as it was last read."""
        return {name: stamp for name, (stamp, _) in self.seeds.items()}

    def _read_all(self, names: list[str]) -> list[Moved | None]:
        """Read every seed of a first build: in worker processes, each reading and
        parsing a share of the seeds, when there are many."""
        count = self.processes or (workers.usable() if len(names) >= FORK_MIN_SEEDS else 1)
        shares = workers.deal(names, count, READ_HERE)
        reads = workers.map_shares(
            functools.partial(read_share, self.config, self.last_good), shares
        )
        return [self._take(read) for share in reads for read in share]

    def _read(self, name: str) -> Read:
        before = self.seeds.get(name)
        return read_seed_file(self.config, name, self.last_good.get(name), before)

    def _take(self, read: Read) -> Moved | None:
        """Keep a seed as read again; its records before and after, if they moved."""
        name = read.name
        before = self.seeds.get(name)
        if before is not None and before[0] == read.stamp:
            return None
        old = before[1].records if before else ()
        if read.gone:
            self.seeds.pop(name, None)
            if self.last_good.pop(name, None) is not None:
                self.good_changed.add(name)
            return Moved(old, ())
        seed = read.seed
        if seed is None:  # read again, and the same bytes: only the stamp changed
            assert before is not None
            self.seeds[name] = (read.stamp or before[0], before[1])
            return None
        if seed.good is not None and self.last_good.get(name) != seed.good:
            self.last_good[name] = seed.good
            self.good_changed.add(name)
        self.seeds[name] = (read.stamp or (0, 0, 0, 0), seed)
        return Moved(old, seed.records)

    def _state_files(self, names: Iterable[str] | None = None) -> tuple[dict[str, bytes], set[str]]:
        """The registry, the published count and the last-good shards of the seeds
        `names` (default: all); and the shards left empty."""
        files, emptied = self.shards.files(self.last_good, names)
        files[REGISTRY] = registry_bytes(self.index.slugs)
        files[PUBLISHED] = published_bytes(len(self.index.entries))
        return files, emptied

    def _plan_everything(self, catalog: Catalog) -> tuple[list[str], list[list[Piece]]]:
        """Every path of `public/`, and every file as pieces of work cut into shares,
        one per process, each a span of time (`files`); the first share also holds the
        front pages and the state (a head start)."""
        specs = feed_specs(catalog, SITE_TITLE)
        docs = [
            doc
            for spec in specs
            for doc in documents(spec, self.config.feed_size, self._positions(spec))
        ]
        paths: list[str] = []
        for doc in docs:
            made = Made(document_key(doc), document_paths(doc))
            self.feeds.setdefault(doc.feed.path, {})[doc.name] = made
            self.subscriptions.update(subscription_paths(doc))
            paths.extend(made.paths)
        pages = months(catalog.entries)
        front = front_pages(specs, self.config, SITE_TITLE, self.named)
        state, _ = self._state_files()
        self.pages = {*front, *pages}
        paths.extend([*front, *pages, *state])
        links = month_links(self.index.slugs)
        work = [document_piece(doc, self.writer) for doc in docs]
        work.extend(month_piece(path, items, links) for path, items in pages.items())
        weight = sum(piece.weight for piece in work)
        count = self.processes or (workers.usable() if weight >= FORK_MIN_WORK else 1)
        shares = workers.split_by_time(work, count, head=len(catalog.entries) // HEAD_START)
        shares[0][:0] = [rendered(front), rendered(state)]
        return paths, shares

    def _positions(self, spec: FeedSpec) -> list[int]:
        """Where a feed's archive boundaries are among its entries."""
        group = None if spec.kind is None else (spec.kind, spec.name)
        return self.boundaries.positions(spec, self.index.orders(group))

    def _render_document(self, doc: Document, before: Mapping[str, Made]) -> dict[str, bytes]:
        """The files of one document, unless what it is made of did not change."""
        key = document_key(doc)
        known = self.feeds.setdefault(doc.feed.path, {})
        old = before.get(doc.name)
        if old and old.key == key:
            known[doc.name] = old
            return {}
        files = document_files(doc, self.writer)
        known[doc.name] = Made(key, tuple(files))
        self.subscriptions.update(subscription_paths(doc))
        return files

    def _render_change(
        self, catalog: Catalog, change: Change
    ) -> tuple[dict[str, bytes], list[str]]:
        """The documents and pages a change touches, and those it makes obsolete."""
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
            now = {p for made in self.feeds[spec.path].values() for p in made.paths}
            removed.extend(p for made in before.values() for p in made.paths if p not in now)

        pages = {
            INDEX: index_page(specs, SITE_TITLE, self.named),
            OPML: opml_document(specs, self.config, SITE_TITLE, self.named),
        }
        changed_months = {month_path(e) for pair in change.entries for e in pair if e is not None}
        for month in changed_months:
            items = self.index.month(month_from_path(month))
            if items:
                pages[month] = month_page(month, items, month_links(self.index.slugs))
            elif month in self.pages:
                removed.append(month)
                self.pages.discard(month)
        self.pages.update(pages)
        written.update(pages)
        state, emptied = self._state_files(self.good_changed)
        written.update(state)
        removed.extend(emptied)
        return written, removed


@dataclass(frozen=True, slots=True)
class Moved:
    """A seed's records before and after it was read again."""

    before: tuple[Record, ...]
    after: tuple[Record, ...]
