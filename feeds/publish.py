"""Make `public/` hold exactly the rendered files: the only writer to `public/`.

It takes bytes and writes them; it renders nothing and forks nothing. Each file is
written to a temporary name in its own folder, then moved over the old one with
`os.replace`, so a reader sees the old bytes or the new, never half of them. Only
the manifest is flushed to disk, when it gains paths; after a crash the next build
finds torn files by their size and rewrites them. Files whose bytes are unchanged
are not touched (their mtime, and so ETag and Last-Modified, stay put). Files
published before and no longer rendered are removed; files that publish never wrote
are left alone.

A publication is three steps: `Publisher.begin` announces every path it will write
(write-ahead: a path enters the manifest before its file is written, so a killed
run leaves no unknown file), `Batch.put_all` writes files (in any process: a cold
build's workers each write the files they render), and `Publisher.commit` records
what was written and removes what is no longer published. `sync` and `apply` do
all three for files in hand.

A manifest in `public/.osce-feeds/` records what was published, with each file's
digest and stat, so that an unchanged file is recognised without reading it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from feeds.model import PublishReport
from feeds.store import ANNOUNCED, MANIFEST, ManifestEncoder, ManifestRow, read_manifest

FILE_MODE = 0o644


@dataclass(frozen=True, slots=True)
class Put:
    """What publishing one file did."""

    path: str
    row: ManifestRow  # the file as published
    wrote: int | None  # bytes written; None when the file already held them


@dataclass(frozen=True, slots=True)
class Puts:
    """What `Batch.put_all` did: the files it published, in order, and the error that
    stopped it, if one did."""

    done: tuple[Put, ...]
    error: OSError | None = None


class PublishFailed(Exception):
    """Writing into `public/` failed (not writable, disk full...): `written` files were
    published before the error, the others are as they were."""

    def __init__(self, error: OSError, written: Sequence[str]) -> None:
        where = f" ({error.filename})" if error.filename else ""
        super().__init__(f"cannot publish: {error.strerror or error}{where}")
        self.error = error
        self.written = tuple(written)

    def summary(self) -> str:
        return f"{self}; {len(self.written)} files were written before it, no other changed"


@dataclass(frozen=True, slots=True)
class Batch:
    """One publication under way: the paths it announced, and the manifest before."""

    public: str
    paths: frozenset[str]
    before: Mapping[str, ManifestRow]
    removals: tuple[str, ...]  # published paths it removes
    replace: bool  # the files it writes are all that is published (else: a change)
    arriving: bool  # paths were announced that the manifest before did not hold

    def put_all(self, files: Iterable[tuple[str, bytes]]) -> Puts:
        """Publish each file, in order, until one fails to be written."""
        done: list[Put] = []
        try:
            for path, data in files:
                if path not in self.paths:
                    raise ValueError(f"{path} was not announced")
                done.append(self.put(path, data))
        except OSError as error:
            return Puts(tuple(done), error)
        return Puts(tuple(done))

    def put(self, path: str, data: bytes) -> Put:
        """Write one file unless it already holds `data`."""
        digest = hashlib.sha256(data).hexdigest()  # (fast where the CPU has SHA)
        target = os.path.join(self.public, path)  # (not pathlib: once per file)
        try:
            before: os.stat_result | None = os.stat(target)
        except OSError:
            before = None
        if before is not None and _is_current(target, before, data, digest, self.before.get(path)):
            return Put(path, ManifestRow(digest, before.st_size, before.st_mtime_ns), None)
        after = write_atomic(target, data, newer_than=before.st_mtime_ns if before else None)
        return Put(path, ManifestRow(digest, after.st_size, after.st_mtime_ns), len(data))


class Publisher:
    """Publishes into one `public/`, keeping its manifest in memory between calls."""

    def __init__(self, public: Path) -> None:
        self.public = public
        self.manifest: dict[str, ManifestRow] | None = None
        self.encode = ManifestEncoder()
        self.checked: set[str] = set()  # paths found to lie inside public/

    def sync(self, files: Mapping[str, bytes]) -> PublishReport:
        """Make the published files exactly `files`: write what differs, remove what
        was published before and is not in `files`."""
        batch = self.begin(files)
        return self.commit(batch, [batch.put_all(files.items())])

    def apply(self, written: Mapping[str, bytes], removed: Iterable[str]) -> PublishReport:
        """Write `written` (where it differs) and remove `removed`; leave the rest."""
        batch = self.begin(written, removed)
        return self.commit(batch, [batch.put_all(sorted(written.items()))])

    def begin(self, paths: Collection[str], removed: Iterable[str] | None = None) -> Batch:
        """Announce the files of a publication: `paths` are all that will be published
        (`removed` None), or those a change writes, beside `removed`."""
        for path in set(paths) - self.checked:
            check_path(path)
            self.checked.add(path)
        if self.manifest is None:
            self.manifest = read_manifest(self.public)
        before, keep = self.manifest, frozenset(paths)
        if removed is None:
            removals = tuple(path for path in before if path not in keep)
        else:
            removals = tuple(sorted(set(removed)))
        # Write-ahead: a path is in the manifest before its file exists, so that a run
        # killed midway leaves no file the next run does not know to remove.
        arriving = [path for path in keep if path not in before]
        try:
            self.public.mkdir(parents=True, exist_ok=True)
            if arriving:
                intent = {**before, **dict.fromkeys(arriving, ANNOUNCED)}
                write_atomic(self.public / MANIFEST, self.encode(intent), durable=True)
        except OSError as error:
            raise PublishFailed(error, ()) from error
        return Batch(str(self.public), keep, before, removals, removed is None, bool(arriving))

    def commit(self, batch: Batch, puts: Iterable[Puts]) -> PublishReport:
        """Record what `batch` published and remove its removals. Raises
        `PublishFailed` when a file could not be written."""
        shares = list(puts)
        done = [put for share in shares for put in share.done]
        errors = [share.error for share in shares if share.error is not None]
        written = [put.path for put in done if put.wrote is not None]
        if errors:
            raise PublishFailed(errors[0], written) from errors[0]
        new = {} if batch.replace else dict(batch.before)
        for put in done:
            new[put.path] = put.row
        removed = []
        try:
            for path in batch.removals:
                new.pop(path, None)
                if path not in batch.paths and _remove(self.public / path):
                    removed.append(path)
            self.manifest = new
            if written or removed or batch.arriving or not (self.public / MANIFEST).is_file():
                # Not flushed: its paths are among those of the flushed one before, or
                # of the one before that; lost in a crash, it costs the next build a
                # compare.
                write_atomic(self.public / MANIFEST, self.encode(new))
        except OSError as error:
            raise PublishFailed(error, written) from error
        return PublishReport(
            tuple(written),
            tuple(removed),
            len(done) - len(written),
            sum(put.wrote for put in done if put.wrote is not None),
        )


def check_path(path: str) -> None:
    """Refuse a path that would leave `public/` or is not a plain relative path."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or not pure.parts or ".." in pure.parts or path != pure.as_posix():
        raise ValueError(f"not a path inside public/: {path!r}")


def _is_current(
    target: str, stat: os.stat_result, data: bytes, digest: str, known: ManifestRow | None
) -> bool:
    if stat.st_size != len(data):
        return False
    if (
        known is not None
        and (known.size, known.mtime_ns) == (stat.st_size, stat.st_mtime_ns)
        and len(known.digest) == len(digest)
    ):
        return known.digest == digest  # the file is as published: its digest tells
    try:  # a file as the manifest does not know it (or by an older digest): compare
        with open(target, "rb") as handle:
            return handle.read() == data
    except OSError:
        return False


def _remove(target: Path) -> bool:
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
        return True
    return False


def write_atomic(
    target: str | Path, data: bytes, *, durable: bool = False, newer_than: int | None = None
) -> os.stat_result:
    """Write `data` to `target` so that readers never see a partial file; returns the
    new file's stat.

    Only `durable` writes wait for the disk: after a crash, the next build compares
    every file with the manifest (size first) and rewrites any that came out torn,
    which costs far less than a flush per file.

    `newer_than`: the mtime (ns) of the version replaced. HTTP's Last-Modified counts
    whole seconds, and clients (libcurl, so newsboat) drop a response whose
    Last-Modified is not later than theirs: a file changed twice within one second
    gets the next second as its mtime."""
    folder, name = os.path.split(target)
    temp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    try:
        try:
            fd = os.open(temp, flags, FILE_MODE)
        except FileNotFoundError:  # a new folder
            os.makedirs(folder, exist_ok=True)
            fd = os.open(temp, flags, FILE_MODE)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            stat = os.fstat(fd)
            if newer_than is not None:
                second = 1_000_000_000
                if stat.st_mtime_ns // second <= newer_than // second:
                    later = (newer_than // second + 1) * second
                    os.utime(fd, ns=(later, later))
                    stat = os.fstat(fd)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return stat


def remove_temporaries(public: Path) -> list[Path]:
    """Delete temporary files a killed process left behind; returns them."""
    found = list(public.rglob(".*.tmp")) if public.is_dir() else []
    for path in found:
        with contextlib.suppress(OSError):
            path.unlink()
    return found
