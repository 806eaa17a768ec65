"""One build: read `seeds/`, parse, merge, render, publish into `public/`.

Two ways to the same bytes:
- `build_files`, the reference: a pure function of the seed files' bytes and of the
  state kept from earlier builds, that does everything every time;
- `Builder`, what `osce-feeds build` and the daemon use: it keeps parsed pages, the
  merged catalog (`catalog.Index`) and rendered documents between builds, and after
  a change re-reads only the changed seeds and re-renders only what they touch.
Tests hold `Builder` to `build_files` after any sequence of changes.

State kept in `public/.osce-feeds/` (published like any other file, never served):
- `groups.json`: the slug of every group ever published, so feed URLs never move and
  a group whose last item was withdrawn keeps an (empty) feed;
- `last-good/XX.pack`: the last version of each seed file that yielded items, so that
  a file turned into an error page or a truncated copy keeps its items published;
  in 256 shards by a hash of the file name (thousands of seeds would otherwise be
  thousands of files to write, and a change rewrites one shard).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hashlib
import itertools
import json
import operator
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from feeds import workers
from feeds.catalog import Change, GroupKey, Index, group_order, merge_items
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
    month_path,
)
from feeds.model import Catalog, Entry, Issue, Kind, Level, Record
from feeds.parse import parse_seed
from feeds.publish import (
    MANIFEST,
    STATE_DIR,
    Publisher,
    PublishReport,
    exclusive_lock,
    remove_temporaries,
    write_atomic,
)
from feeds.seeds import Unreadable, check_folder, is_seed_name, quoted, read_seed, seed_names
from feeds.site import (
    CategoryLinks,
    feed_page,
    front_pages,
    index_page,
    month_links,
    month_page,
    months,
    opml_document,
    render_site,
)
from feeds.writer import Writer

SITE_TITLE = "OSCE news and press releases"
REGISTRY = f"{STATE_DIR}/groups.json"
INPUTS = f"{STATE_DIR}/inputs.json"  # what the last `build` depended on, and its result
PUBLISHED = f"{STATE_DIR}/published.json"  # how many items are published (see WithdrawalHeld)
LAST_GOOD = f"{STATE_DIR}/last-good"
# A first build shares its work out to worker processes (`workers`) from this much:
FORK_MIN_SEEDS = 500  # seed files to read
FORK_MIN_WORK = 50_000  # entries to render, weighted as `_render_everything` does
HEAD_START = 8  # the first share's head start (front pages, state): entries / this
# Records and issues as plain tuples, cheap to send from a worker.
RECORD_VALUES = operator.attrgetter(*(f.name for f in dataclasses.fields(Record)))
ISSUE_VALUES = operator.attrgetter(*(f.name for f in dataclasses.fields(Issue)))
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class State:
    """What a build keeps for the next one."""

    known: Mapping[GroupKey, str] = field(default_factory=dict)
    last_good: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Output:
    """What `build_files` makes of the seeds: the files of `public/` and why."""

    files: dict[str, bytes]
    catalog: Catalog
    issues: tuple[Issue, ...]


@dataclass(frozen=True, slots=True)
class BuildResult:
    catalog: Catalog | None  # None when `build` found nothing changed and stopped there
    items: int
    issues: tuple[Issue, ...]
    report: PublishReport
    seeds: int
    seconds: float
    feeds: int
    litter: int = 0  # temporary files of a killed run, removed

    def summary(self) -> str:
        counts = {level: sum(1 for i in self.issues if i.level is level) for level in Level}
        problems = ", ".join(f"{n} {level}s" for level, n in counts.items() if n) or "no problems"
        done = (
            f"{len(self.report.written)} files written, {len(self.report.removed)} removed"
            if self.catalog is not None
            else "nothing changed since the last build"
        )
        litter = f"; removed {self.litter} temporary files of a killed run" if self.litter else ""
        return (
            f"{self.seeds} seed files, {self.items} items, {self.feeds} feeds; {done}; "
            f"{problems}; {self.seconds * 1000:.0f} ms{litter}"
        )


# --- state ---


def read_state(public: Path) -> State:
    known: dict[GroupKey, str] = {}
    try:
        rows = json.loads((public / REGISTRY).read_bytes())
    except (OSError, ValueError):
        rows = []
    folders = {kind.folder: kind for kind in Kind}
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, list) and len(row) == 3 and row[0] in folders:
            known[folders[row[0]], str(row[1])] = str(row[2])
    last_good: dict[str, bytes] = {}
    good_dir = public / LAST_GOOD
    if good_dir.is_dir():
        for path in good_dir.glob("*.pack"):
            last_good.update(good_from_shard(path.read_bytes()))
    return State(known, last_good)


@functools.lru_cache(maxsize=1 << 16)
def shard_path(name: str) -> str:
    """The last-good shard that holds a seed's last good version."""
    return f"{LAST_GOOD}/{hashlib.blake2b(name.encode(), digest_size=1).hexdigest()}.pack"


def shard_bytes(good: Mapping[str, bytes]) -> bytes:
    """Seed files in one file: a JSON line of [name, size] rows, then their bytes."""
    names = sorted(good)
    header = json.dumps([[name, len(good[name])] for name in names], ensure_ascii=False)
    return b"".join([header.encode(), b"\n", *(good[name] for name in names)])


def good_from_shard(data: bytes) -> dict[str, bytes]:
    try:
        header, _, body = data.partition(b"\n")
        good, at = {}, 0
        for name, size in json.loads(header):
            good[name], at = body[at : at + size], at + size
        if at != len(body):
            raise ValueError("sizes do not add up")
        return {name: data for name, data in good.items() if is_seed_name(name)}
    except (ValueError, TypeError):
        return {}  # a damaged shard: its seeds lose their fallback, nothing else


def shards(good: Mapping[str, bytes]) -> dict[str, bytes]:
    """The shard files of every last good version."""
    grouped: dict[str, dict[str, bytes]] = defaultdict(dict)
    for name, data in good.items():
        grouped[shard_path(name)][name] = data
    return {path: shard_bytes(rows) for path, rows in grouped.items()}


def display_name(config: Config, name: str) -> str:
    """A seed file's path as problems name it, safe for a log line."""
    return quoted(os.path.join(str(config.seeds), name))


# --- the pieces both ways share ---


@dataclass(frozen=True, slots=True)
class Seed:
    """One seed file as a build uses it."""

    data: bytes
    records: tuple[Record, ...]  # its own, or its last good version's
    issues: tuple[Issue, ...]
    good: bytes | None  # the last version that yielded items
    readable: bool = True  # False: not read at all (`seeds.Unreadable`); `data` is empty


def read_page(data: bytes, source: str, last_good: bytes | None) -> Seed:
    """Parse a seed file; when it yields nothing, fall back on its last good version."""
    result = parse_seed(data, source)
    if result.records or last_good is None:
        return Seed(data, result.records, result.issues, data if result.records else None)
    kept = parse_seed(last_good, source).records
    warning = Issue(
        source,
        1,
        Level.WARNING,
        f"yields no items now; its last good version's {len(kept)} items stay "
        "published until it is fixed or deleted",
    )
    return Seed(data, kept, (*result.issues, warning), last_good)


def unreadable_page(why: Unreadable, source: str, last_good: bytes | None) -> Seed:
    """A file named like a seed that cannot be read: reported, and its last good
    version's items kept (a file made unreadable is not a file deleted)."""
    if last_good is None:
        issue = Issue(source, 1, Level.WARNING, f"{why.reason}: skipped")
        return Seed(b"", (), (issue,), None, readable=False)
    kept = parse_seed(last_good, source).records
    issue = Issue(
        source,
        1,
        Level.WARNING,
        f"{why.reason}: skipped; its last good version's {len(kept)} items stay "
        "published until it is readable again or deleted",
    )
    return Seed(b"", kept, (issue,), last_good, readable=False)


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


def registry_bytes(slugs: Mapping[GroupKey, str]) -> bytes:
    groups = sorted(slugs.items(), key=lambda item: group_order(item[0]))
    rows = [[kind.folder, name, slug] for (kind, name), slug in groups]
    return json.dumps(rows, ensure_ascii=False, indent=0).encode()


# --- the reference ---


def build_files(seeds: Mapping[str, bytes], state: State, config: Config) -> Output:
    """Every file of `public/` from the seed files (name: bytes) and earlier state."""
    files: dict[str, bytes] = {}
    records: list[Record] = []
    issues: list[Issue] = []
    good: dict[str, bytes] = {}
    for name, data in seeds.items():
        seed = read_page(data, display_name(config, name), state.last_good.get(name))
        records.extend(seed.records)
        issues.extend(seed.issues)
        if seed.good is not None:
            good[name] = seed.good
    files.update(shards(good))
    catalog = merge_items(records, state.known)
    writer = Writer(config)
    for spec in feed_specs(catalog, SITE_TITLE):
        for path, data in render_feed(spec, config, writer).items():
            if path in files:
                raise ValueError(f"two documents on one path: {path}")
            files[path] = data
    files.update(render_site(catalog, config, SITE_TITLE))
    files[REGISTRY] = registry_bytes({(g.kind, g.name): g.slug for g in catalog.groups})
    files[PUBLISHED] = published_bytes(len(catalog.entries))
    issues.sort(key=lambda i: (i.source, i.line))
    return Output(files, catalog, tuple(issues))


# --- the incremental way ---


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
            inputs.record(config.public, result)
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


def read_published_count(public: Path) -> int:
    """How many items the last build published (0 when unknown)."""
    try:
        return int(json.loads((public / PUBLISHED).read_bytes())["items"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def published_bytes(items: int) -> bytes:
    return json.dumps({"items": items}).encode()


Stamp = tuple[int, int, int, int]  # size, mtime, inode, ctime: a changed file changes it


def stamp_of(stat: os.stat_result) -> Stamp:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns)


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a build's result depends on, in a form cheap to check: the code, the
    settings and the stamps of the seed files. `build` records them with the
    manifest it published and its result; equal inputs, with every published file
    as the manifest says, give that result again."""

    code: str
    settings: str
    seeds: dict[str, Stamp]

    @classmethod
    def now(cls, config: Config) -> Inputs:
        seeds: dict[str, Stamp] = {}
        for name in seed_names(config.seeds):
            with contextlib.suppress(OSError):
                seeds[name] = stamp_of(os.lstat(config.seeds / name))
        # Every setting but those of the server and of the daemon's hooks.
        settings = dataclasses.replace(config, host="", port=0, after_publish="")
        return cls(code_digest(), repr(settings), seeds)

    def digest(self) -> str:
        rows = [self.code, self.settings, sorted(self.seeds.items())]
        return hashlib.sha256(json.dumps(rows).encode()).hexdigest()

    def unchanged_since(self, public: Path) -> BuildResult | None:
        """The recorded result, when nothing it depends on changed since."""
        try:
            recorded = json.loads((public / INPUTS).read_bytes())
            manifest_bytes = (public / MANIFEST).read_bytes()
            if recorded["inputs"] != self.digest():
                return None
            if recorded["manifest"] != hashlib.sha256(manifest_bytes).hexdigest():
                return None  # published since (by the daemon, say)
            manifest = json.loads(manifest_bytes)
            for path, (_, size, mtime) in manifest.items():
                stat = os.stat(public / path)
                if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
                    return None  # changed by hand, or torn by a crash
            issues = tuple(
                Issue(s, n, Level(level), text) for s, n, level, text in recorded["issues"]
            )
            return BuildResult(
                catalog=None,
                items=int(recorded["items"]),
                issues=issues,
                report=PublishReport((), (), len(manifest), 0),
                seeds=len(self.seeds),
                seconds=0.0,
                feeds=int(recorded["feeds"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None  # no record, a damaged one, or a published file gone

    def record(self, public: Path, result: BuildResult) -> None:
        """Keep these inputs with the manifest just published and the result."""
        rows = {
            "inputs": self.digest(),
            "manifest": hashlib.sha256((public / MANIFEST).read_bytes()).hexdigest(),
            "items": result.items,
            "feeds": result.feeds,
            "issues": [[i.source, i.line, str(i.level), i.message] for i in result.issues],
        }
        write_atomic(public / INPUTS, json.dumps(rows, ensure_ascii=False, indent=0).encode())


@functools.cache
def code_digest() -> str:
    """A digest of this package's source: other code may publish other bytes."""
    package = Path(__file__).parent
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


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
        if first:
            paths, streams = self._render_everything(catalog)
            report = self.publisher.sync(streams[0], paths, forked=streams[1:])
        else:
            written, removed = self._render_change(catalog, change)
            report = self.publisher.apply(written, removed)
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
            issues=self.issues,
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
        front = front_pages(specs, self.config, SITE_TITLE)
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
            INDEX: index_page(specs, SITE_TITLE),
            OPML: opml_document(specs, self.config, SITE_TITLE),
        }
        months = {month_path(e) for pair in change.entries for e in pair if e is not None}
        for month in months:
            items = self.index.month(month)
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
# A seed file as read: its stamp (None: gone), its bytes (None: gone), and its parse
# (None: not parsed, its bytes being those read before).
Read = tuple[Stamp | None, bytes | None, Seed | None]


def read_seed_file(
    config: Config, name: str, last_good: bytes | None, before: tuple[Stamp, Seed] | None
) -> Read:
    """Stat, read and parse one seed file, unless its stamp or bytes are as `before`."""
    path = os.path.join(config.seeds, name)  # (not pathlib: a scan does this per seed)
    try:
        stamp: Stamp | None = stamp_of(os.lstat(path))
    except OSError:
        return None, None, None
    if before is not None and before[0] == stamp:
        return stamp, None, None
    data = read_seed(path)
    if data is None:
        return None, None, None
    if isinstance(data, Unreadable):
        return stamp, b"", unreadable_page(data, display_name(config, name), last_good)
    if before is not None and before[1].readable and before[1].data == data:
        return stamp, data, None
    return stamp, data, read_page(data, display_name(config, name), last_good)


# A parse as plain values: records, issues, which the last good version is (0: none,
# 1: the bytes read, 2: the one given), that one's bytes, and whether it was readable.
Parsed = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int, bytes | None, bool]
Row = tuple[str, Stamp | None, bytes | None, Parsed | None]


def read_share(config: Config, names: list[str], last_good: Mapping[str, bytes]) -> list[Row]:
    """`read_seed_file` for each of `names` (of a first build: nothing read before),
    as rows of plain values: a worker's result, cheap to send."""
    rows: list[Row] = []
    for name in names:
        stamp, data, seed = read_seed_file(config, name, last_good.get(name), None)
        if seed is None:
            rows.append((name, stamp, data, None))
            continue
        good = 0 if seed.good is None else 1 if seed.good is data else 2
        records = [RECORD_VALUES(record) for record in seed.records]
        issues = [ISSUE_VALUES(issue) for issue in seed.issues]
        other = seed.good if good == 2 else None
        rows.append((name, stamp, data, (records, issues, good, other, seed.readable)))
    return rows


def read_from_row(row: Row) -> Read:
    """The `Read` that `read_share` sent as a row."""
    _, stamp, data, parsed = row
    if parsed is None or data is None:
        return stamp, data, None
    records, issues, good, other, readable = parsed
    seed = Seed(
        data,
        tuple(Record(*values) for values in records),
        tuple(Issue(*values) for values in issues),
        (None, data, other)[good],
        readable,
    )
    return stamp, data, seed


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
