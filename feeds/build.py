"""One build: read `seeds/`, parse, merge, render, publish into `public/`.

`build(config)` is the whole chain, called by `osce-feeds build`, the watcher and the
tests alike. Everything between reading and publishing is `build_files`, a pure
function of the seed files' bytes and of the state kept from earlier builds.

State kept in `public/.osce-feeds/` (published like any other file, never served):
- `groups.json`: the slug of every group ever published, so feed URLs never move and
  a group whose last item was withdrawn keeps an (empty) feed;
- `last-good/NAME`: the last version of each seed file that yielded items, so that a
  file turned into an error page or a truncated copy keeps its items published.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from feeds.catalog import GroupKey, merge_items
from feeds.config import Config
from feeds.layout import ARCHIVE, FEED_FORMATS, documents, feed_specs
from feeds.model import Catalog, Issue, Kind, Level, ParseResult, Record
from feeds.parse import parse_seed
from feeds.publish import STATE_DIR, PublishReport, publish_tree
from feeds.site import render_site
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


@dataclass(slots=True)
class Cache:
    """What one build can hand to the next so as not to do it again: each seed file's
    parse, by its bytes, and each rendered feed, by everything it is made of. Using it
    never changes the output (tests compare cached builds with cold ones)."""

    parsed: dict[str, tuple[bytes, ParseResult]] = field(default_factory=dict)
    rendered: dict[object, bytes] = field(default_factory=dict)
    writer: Writer | None = None

    def parse(self, name: str, data: bytes, source: str) -> ParseResult:
        hit = self.parsed.get(name)
        if hit is not None and hit[0] == data and hit[1].source == source:
            return hit[1]
        result = parse_seed(data, source)
        self.parsed[name] = (data, result)
        return result

    def render_feeds(self, catalog: Catalog, config: Config) -> dict[str, bytes]:
        """Every document of every feed; one whose entries and links did not change
        is not rendered again."""
        if self.writer is None or self.writer.config != config:
            self.writer, self.rendered = Writer(config), {}
        writer = self.writer
        writer.forget_except(set(catalog.entries))
        files: dict[str, bytes] = {}
        rendered: dict[object, bytes] = {}
        for spec in feed_specs(catalog, SITE_TITLE):
            for doc in documents(spec, config.feed_size):
                for fmt in FEED_FORMATS if doc.page == 0 else ("atom",):
                    path = doc.path(fmt)
                    if path in files:
                        raise ValueError(f"two documents on one path: {path}")
                    key = (path, spec.id, spec.title, spec.subtitle, doc.links_key(), doc.entries)
                    data = self.rendered.get(key) or writer.document(doc, fmt)
                    files[path] = rendered[key] = data
        self.rendered = rendered
        return files

    def forget_except(self, names: Iterable[str]) -> None:
        keep = set(names)
        for name in [n for n in self.parsed if n not in keep]:
            del self.parsed[name]


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


def is_seed_name(name: str) -> bool:
    """Seed files are `*.txt`; hidden files and editors' temporaries are not."""
    return name.endswith(SEED_SUFFIX) and not name.startswith((".", "~", "#"))


def read_seeds(folder: Path) -> dict[str, bytes]:
    """The bytes of every seed file in `folder` (not recursive), by file name."""
    seeds: dict[str, bytes] = {}
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return seeds
    for name in names:
        if not is_seed_name(name):
            continue
        try:
            seeds[name] = (folder / name).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            continue  # removed since the listing, or a folder named *.txt
    return seeds


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
        for path in good_dir.iterdir():
            if is_seed_name(path.name):
                last_good[path.name] = path.read_bytes()
    return State(known, last_good)


def registry_bytes(catalog: Catalog) -> bytes:
    rows = [[g.kind.folder, g.name, g.slug] for g in catalog.groups]
    return json.dumps(rows, ensure_ascii=False, indent=0).encode()


def build_files(
    seeds: Mapping[str, bytes], state: State, config: Config, cache: Cache | None = None
) -> Output:
    """Every file of `public/` from the seed files (name: bytes) and earlier state."""
    cache = cache or Cache()
    cache.forget_except(seeds)
    results = [cache.parse(name, data, display_name(config, name)) for name, data in seeds.items()]
    files: dict[str, bytes] = {}
    records: list[Record] = []
    issues: list[Issue] = []
    for name, result in zip(seeds, results, strict=True):
        issues.extend(result.issues)
        good = seeds[name] if result.records else state.last_good.get(name)
        if good is not None:
            files[f"{LAST_GOOD}/{name}"] = good
        if result.records or good is None:
            records.extend(result.records)
            continue
        kept = parse_seed(good, result.source).records
        records.extend(kept)
        issues.append(
            Issue(
                result.source,
                1,
                Level.WARNING,
                f"yields no items now; its last good version's {len(kept)} items stay "
                "published until it is fixed or deleted",
            )
        )
    catalog = merge_items(records, state.known)
    files.update(cache.render_feeds(catalog, config))
    files.update(render_site(catalog, config, SITE_TITLE))
    files[REGISTRY] = registry_bytes(catalog)
    issues.sort(key=lambda i: (i.source, i.line))
    return Output(files, catalog, tuple(issues))


def display_name(config: Config, name: str) -> str:
    return os.path.join(str(config.seeds), name)


def build(config: Config) -> BuildResult:
    """Read the seeds, publish their feeds; returns what was done and found."""
    return Builder(config).build()


class Builder:
    """Builds `public/` again and again, as the daemon does, keeping the state and the
    cache of one build for the next. Each build gives what a cold `build` would."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.cache = Cache()
        self.state: State | None = None

    def build(self) -> BuildResult:
        started = time.perf_counter()
        config = self.config
        seeds = read_seeds(config.seeds)
        state = self.state if self.state is not None else read_state(config.public)
        output = build_files(seeds, state, config, self.cache)
        report = publish_tree(config.public, output.files)
        self.state = state_from_output(output)
        return BuildResult(
            catalog=output.catalog,
            issues=output.issues,
            report=report,
            seeds=len(seeds),
            seconds=time.perf_counter() - started,
            feeds=count_feeds(output.files),
        )


def state_from_output(output: Output) -> State:
    known = {(g.kind, g.name): g.slug for g in output.catalog.groups}
    prefix = LAST_GOOD + "/"
    last_good = {
        path.removeprefix(prefix): data
        for path, data in output.files.items()
        if path.startswith(prefix)
    }
    return State(known, last_good)


def count_feeds(paths: Iterable[str]) -> int:
    return sum(1 for path in paths if path.endswith(".atom") and not path.startswith(ARCHIVE))
