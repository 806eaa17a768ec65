"""The state kept in `public/.osce-feeds/` between builds and runs: one seam.

What is kept, and why:
- `manifest.json`: every published file with its digest, size and mtime (`publish`
  writes it; it recognises an unchanged file without reading it);
- `groups.json`: the slug of every group ever published, so feed URLs never move;
- `last-good/XX.pack`: the last version of each seed file that yielded items, so a
  file turned into an error page or a truncated copy keeps its items published; in
  256 shards by a hash of the file name (a change rewrites one shard);
- `published.json`: how many items are published (the withdrawal guard's measure);
- `inputs.json`: what the last `osce-feeds build` depended on, and its result;
- `lock`: the pid of the process publishing into this `public/`.

Values crossing this seam are frozen dataclasses or plain bytes; the files are
written by `publish` (atomically) with the rest of a build, except the lock and the
recorded inputs. No business logic.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import hashlib
import json
import os
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from feeds.catalog import GroupKey, group_order
from feeds.config import Config
from feeds.model import BuildResult, Issue, Kind, Level, PublishReport
from feeds.seeds import is_seed_name, seed_names

STATE_DIR = ".osce-feeds"
MANIFEST = f"{STATE_DIR}/manifest.json"
LOCK = f"{STATE_DIR}/lock"
REGISTRY = f"{STATE_DIR}/groups.json"
INPUTS = f"{STATE_DIR}/inputs.json"  # what the last `build` depended on, and its result
PUBLISHED = f"{STATE_DIR}/published.json"  # how many items are published (see WithdrawalHeld)
LAST_GOOD = f"{STATE_DIR}/last-good"


@dataclass(frozen=True, slots=True)
class State:
    """What a build keeps for the next one."""

    known: Mapping[GroupKey, str] = field(default_factory=dict)
    last_good: Mapping[str, bytes] = field(default_factory=dict)


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


class Shards:
    """Which seeds each last-good shard holds, kept as they come and go, so that a
    change rewrites only the shards of the seeds it touched."""

    def __init__(self) -> None:
        self.members: dict[str, set[str]] = defaultdict(set)

    def files(
        self, good: Mapping[str, bytes], names: Iterable[str] | None = None
    ) -> tuple[dict[str, bytes], set[str]]:
        """The shards of the seeds `names`, whose last good version came, changed or
        went (None: every seed of `good`, counted afresh), and the shards left empty."""
        members = self.members
        if names is None:
            members.clear()
            for name in good:
                members[shard_path(name)].add(name)
        wanted = set(members) if names is None else set()
        for name in names or ():
            path = shard_path(name)
            wanted.add(path)
            if name in good:
                members[path].add(name)
            else:
                members[path].discard(name)
        files = {
            path: shard_bytes({name: good[name] for name in members[path]})
            for path in wanted
            if members[path]
        }
        return files, wanted - files.keys()


def shards(good: Mapping[str, bytes]) -> dict[str, bytes]:
    """The shard files of every last good version."""
    grouped: dict[str, dict[str, bytes]] = defaultdict(dict)
    for name, data in good.items():
        grouped[shard_path(name)][name] = data
    return {path: shard_bytes(rows) for path, rows in grouped.items()}


def registry_bytes(slugs: Mapping[GroupKey, str]) -> bytes:
    groups = sorted(slugs.items(), key=lambda item: group_order(item[0]))
    rows = [[kind.folder, name, slug] for (kind, name), slug in groups]
    return json.dumps(rows, ensure_ascii=False, indent=0).encode()


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

    def record(self, public: Path, result: BuildResult) -> bytes:
        """These inputs with the manifest just published and the result, as the bytes
        of the record (`INPUTS`) that `unchanged_since` reads."""
        rows = {
            "inputs": self.digest(),
            "manifest": hashlib.sha256((public / MANIFEST).read_bytes()).hexdigest(),
            "items": result.items,
            "feeds": result.feeds,
            "issues": [[i.source, i.line, str(i.level), i.message] for i in result.issues],
        }
        return json.dumps(rows, ensure_ascii=False, indent=0).encode()


@functools.cache
def code_digest() -> str:
    """A digest of this package's source: other code may publish other bytes."""
    package = Path(__file__).parent
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


# --- the manifest ---


@dataclass(frozen=True, slots=True)
class ManifestRow:
    """One published file as the manifest records it: written as `[digest, size,
    mtime_ns]`."""

    digest: str  # SHA-256 in hex; "" for a path announced before its file is written
    size: int
    mtime_ns: int


ANNOUNCED = ManifestRow("", 0, 0)


def read_manifest(public: Path) -> dict[str, ManifestRow]:
    """The manifest's rows; a damaged manifest or row reads as none (each file is
    then compared with its bytes)."""
    try:
        data = json.loads((public / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return {}
    rows: dict[str, ManifestRow] = {}
    for path, row in data.items() if isinstance(data, dict) else ():
        with contextlib.suppress(ValueError, TypeError):
            digest, size, mtime = row
            rows[path] = ManifestRow(str(digest), int(size), int(mtime))
    return rows


class ManifestEncoder:
    """`json.dumps` of the manifest (compact, paths sorted), re-encoding only the
    rows that changed since the last call (a row is replaced, never modified): the
    daemon writes the manifest after each change, and most rows stay."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[ManifestRow, str]] = {}

    def __call__(self, manifest: Mapping[str, ManifestRow]) -> bytes:
        rows, parts = self.rows, []
        for path in sorted(manifest):
            row = manifest[path]
            known = rows.get(path)
            if known is None or known[0] is not row:
                values = [row.digest, row.size, row.mtime_ns]
                text = f"{json.dumps(path)}:{json.dumps(values, separators=(',', ':'))}"
                known = rows[path] = (row, text)
            parts.append(known[1])
        if len(rows) > 2 * len(manifest) + 64:  # forget rows of paths long gone
            self.rows = {path: rows[path] for path in manifest}
        return f"{{{','.join(parts)}}}".encode()


# --- one publisher per public/ ---


class AlreadyRunning(RuntimeError):
    """Another process publishes into the same `public/`."""


@contextlib.contextmanager
def exclusive_lock(public: Path) -> Iterator[bool]:
    """One publisher per `public/` (a daemon or a `build`): a second one fails at
    once, naming the first. Yields whether the last holder was killed (it left its
    pid in the lock file): then its temporary files are litter."""
    path = public / LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise AlreadyRunning(
                f"{public} is in use by osce-feeds (pid {holder}); stop it first"
            ) from None
        handle.seek(0)
        killed = bool(handle.read().strip())
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield killed
        finally:
            handle.truncate(0)
