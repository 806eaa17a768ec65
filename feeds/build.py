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
- `last-good/XX.json`: the last version of each seed file that yielded items, so that
  a file turned into an error page or a truncated copy keeps its items published;
  in 256 shards by a hash of the file name (thousands of seeds would otherwise be
  thousands of files to write, and a change rewrites one shard).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import time
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from feeds.catalog import Change, GroupKey, Index, group_order, merge_items
from feeds.config import Config
from feeds.layout import (
    INDEX,
    OPML,
    SUBSCRIPTION_FORMATS,
    Document,
    FeedSpec,
    documents,
    feed_page_path,
    feed_specs,
    month_path,
)
from feeds.model import Catalog, Issue, Kind, Level, Record
from feeds.parse import parse_seed
from feeds.publish import STATE_DIR, Publisher, PublishReport
from feeds.site import feed_page, index_page, month_page, opml_document, render_site
from feeds.writer import Writer

SITE_TITLE = "OSCE news and press releases"
REGISTRY = f"{STATE_DIR}/groups.json"
LAST_GOOD = f"{STATE_DIR}/last-good"
SEED_SUFFIX = ".txt"


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
    catalog: Catalog
    issues: tuple[Issue, ...]
    report: PublishReport
    seeds: int
    seconds: float
    feeds: int

    def summary(self) -> str:
        counts = {level: sum(1 for i in self.issues if i.level is level) for level in Level}
        problems = ", ".join(f"{n} {level}s" for level, n in counts.items() if n) or "no problems"
        return (
            f"{self.seeds} seed files, {len(self.catalog.entries)} items, {self.feeds} feeds; "
            f"{len(self.report.written)} files written, {len(self.report.removed)} removed; "
            f"{problems}; {self.seconds * 1000:.0f} ms"
        )


# --- reading ---


def is_seed_name(name: str) -> bool:
    """Seed files are `*.txt`; hidden files and editors' temporaries are not."""
    return name.endswith(SEED_SUFFIX) and not name.startswith((".", "~", "#"))


def read_seeds(folder: Path) -> dict[str, bytes]:
    """The bytes of every seed file in `folder` (not recursive), by file name."""
    seeds: dict[str, bytes] = {}
    for name in seed_names(folder):
        data = read_seed(folder / name)
        if data is not None:
            seeds[name] = data
    return seeds


def seed_names(folder: Path) -> list[str]:
    try:
        return sorted(name for name in os.listdir(folder) if is_seed_name(name))
    except (FileNotFoundError, NotADirectoryError):
        return []


def read_seed(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None  # removed since the listing, or a folder named *.txt


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
        for path in good_dir.glob("*.json"):
            last_good.update(good_from_shard(path.read_bytes()))
    return State(known, last_good)


@functools.lru_cache(maxsize=1 << 16)
def shard_path(name: str) -> str:
    """The last-good shard that holds a seed's last good version."""
    return f"{LAST_GOOD}/{hashlib.blake2b(name.encode(), digest_size=1).hexdigest()}.json"


def shard_bytes(good: Mapping[str, bytes]) -> bytes:
    rows = {name: base64.b64encode(data).decode() for name, data in sorted(good.items())}
    return json.dumps(rows, indent=0).encode()


def good_from_shard(data: bytes) -> dict[str, bytes]:
    try:
        rows = json.loads(data)
        return {
            name: base64.b64decode(text)
            for name, text in rows.items()
            if is_seed_name(name) and isinstance(text, str)
        }
    except (ValueError, AttributeError):
        return {}  # a damaged shard: its seeds lose their fallback, nothing else


def shards(good: Mapping[str, bytes], names: Iterable[str] | None = None) -> dict[str, bytes]:
    """The shard files holding `names` (default: all), from every last good version."""
    wanted = {shard_path(name) for name in (good if names is None else names)}
    grouped: dict[str, dict[str, bytes]] = {path: {} for path in wanted}
    for name, data in good.items():
        path = shard_path(name)
        if path in grouped:
            grouped[path][name] = data
    return {path: shard_bytes(rows) for path, rows in grouped.items() if rows}


def display_name(config: Config, name: str) -> str:
    return os.path.join(str(config.seeds), name)


# --- the pieces both ways share ---


@dataclass(frozen=True, slots=True)
class Seed:
    """One seed file as a build uses it."""

    data: bytes
    records: tuple[Record, ...]  # its own, or its last good version's
    issues: tuple[Issue, ...]
    good: bytes | None  # the last version that yielded items


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
    issues.sort(key=lambda i: (i.source, i.line))
    return Output(files, catalog, tuple(issues))


# --- the incremental way ---


def build(config: Config) -> BuildResult:
    """Read the seeds, publish their feeds; returns what was done and found."""
    return Builder(config).build()


Stamp = tuple[int, int, int]


class Builder:
    """Builds `public/` again and again, as the daemon does. The first build reads
    every seed and compares every file with `public/`; later ones re-read only seeds
    whose size, mtime or inode changed (or only `changed`, when the watcher says
    which), and re-render and publish only the documents those touch."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.writer = Writer(config)
        self.publisher = Publisher(config.public)
        self.index: Index | None = None
        self.seeds: dict[str, tuple[Stamp, Seed]] = {}
        self.last_good: dict[str, bytes] = {}
        self.good_changed: set[str] = set()  # seeds whose last good version changed
        # What is published, without the bytes (memory grows with the archive):
        # feed path -> {document name: (what it is made of, its files' paths)}
        self.feeds: dict[str, dict[str, tuple[object, tuple[str, ...]]]] = {}
        self.pages: set[str] = set()  # index, OPML and month pages

    def build(self, changed: Collection[str] | None = None) -> BuildResult:
        started = time.perf_counter()
        first = self.index is None
        if self.index is None:
            state = read_state(self.config.public)
            self.index = Index(state.known)
            self.last_good = dict(state.last_good)
        names = seed_names(self.config.seeds) if changed is None or first else changed
        if changed is None or first:  # a full scan also finds the seeds that are gone
            names = sorted(set(names) | set(self.seeds))
        moved = [self._reread(name) for name in names]
        if first:  # a seed deleted while no daemon ran has no last good version
            self.last_good = {n: d for n, d in self.last_good.items() if n in self.seeds}
        change = self._merge([m for m in moved if m is not None])
        catalog = self.index.catalog()
        if first:
            paths, files = self._render_everything(catalog)
            report = self.publisher.sync(files, paths)
        else:
            written, removed = self._render_change(catalog, change)
            report = self.publisher.apply(written, removed)
        self.good_changed.clear()
        issues = sorted(
            (i for _, seed in self.seeds.values() for i in seed.issues),
            key=lambda i: (i.source, i.line),
        )
        return BuildResult(
            catalog=catalog,
            issues=tuple(issues),
            report=report,
            seeds=len(self.seeds),
            seconds=time.perf_counter() - started,
            feeds=1 + len(catalog.groups),
        )

    def _reread(self, name: str) -> tuple[tuple[Record, ...], tuple[Record, ...]] | None:
        """Read one seed again if it changed; returns its records before and after."""
        path = self.config.seeds / name
        try:
            stat = path.stat()
            stamp: Stamp | None = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
        except OSError:
            stamp = None
        before = self.seeds.get(name)
        if before is not None and before[0] == stamp:
            return None
        data = read_seed(path) if stamp is not None else None
        old = before[1].records if before else ()
        if data is None:
            self.seeds.pop(name, None)
            if self.last_good.pop(name, None) is not None:
                self.good_changed.add(name)
            return (old, ())
        if before is not None and before[1].data == data:
            self.seeds[name] = (stamp or before[0], before[1])
            return None
        seed = read_page(data, display_name(self.config, name), self.last_good.get(name))
        if seed.good is not None and self.last_good.get(name) != seed.good:
            self.last_good[name] = seed.good
            self.good_changed.add(name)
        self.seeds[name] = (stamp or (0, 0, 0), seed)
        return (old, seed.records)

    def _merge(self, moved: list[tuple[tuple[Record, ...], tuple[Record, ...]]]) -> Change:
        assert self.index is not None
        old = [r for before, _ in moved for r in before]
        new = [r for _, after in moved for r in after]
        return self.index.replace(old, new)

    def _state_files(self, names: Iterable[str] | None = None) -> dict[str, bytes]:
        """The registry, and the last-good shards of the seeds `names` (default: all)."""
        assert self.index is not None
        files = shards(self.last_good, names)
        files[REGISTRY] = registry_bytes(self.index.slugs)
        return files

    def _render_everything(self, catalog: Catalog) -> tuple[list[str], Iterator[tuple[str, bytes]]]:
        """Every path of `public/`, and a stream of every file: feeds are rendered as
        they are published, so their bytes are never all in memory at once."""
        docs = [
            doc
            for spec in feed_specs(catalog, SITE_TITLE)
            for doc in documents(spec, self.config.feed_size)
        ]
        site = render_site(catalog, self.config, SITE_TITLE)
        state = self._state_files()
        self.pages = set(site)
        paths = [path for doc in docs for path in document_paths(doc)] + [*site, *state]

        def files() -> Iterator[tuple[str, bytes]]:
            for doc in docs:
                yield from self._render_document(doc, {}).items()
            yield from site.items()
            yield from state.items()

        return paths, files()

    def _render_document(
        self, doc: Document, before: Mapping[str, tuple[object, tuple[str, ...]]]
    ) -> dict[str, bytes]:
        """The files of one document, unless what it is made of did not change."""
        spec = doc.feed
        key = (spec.id, spec.title, spec.subtitle, doc.links_key(), doc.entries)
        known = self.feeds.setdefault(spec.path, {})
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
            for doc in documents(spec, self.config.feed_size):
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
                pages[month] = month_page(month, items, self.index.slugs)
            elif month in self.pages:
                removed.append(month)
                self.pages.discard(month)
        self.pages.update(pages)
        written.update(pages)
        state = self._state_files(self.good_changed)
        written.update(state)
        removed.extend({shard_path(name) for name in self.good_changed} - state.keys())
        return written, removed


def document_paths(doc: Document) -> list[str]:
    """The paths of `document_files(doc)`, without rendering it."""
    if doc.is_archive:
        return [doc.path("atom")]
    return [*(doc.path(fmt) for fmt in SUBSCRIPTION_FORMATS), feed_page_path(doc.feed)]
