"""Make `public/` hold exactly the rendered files: the only writer to `public/`.

Each file is written to a temporary name in its own folder, then moved over the old
one with `os.replace`, so a reader sees the old bytes or the new, never half of them.
Only the manifest is flushed to disk, when it gains paths; after a crash the next
build finds torn files by their size and rewrites them. Files whose bytes are
unchanged are not touched (their mtime, and so ETag and Last-Modified, stay put).
Files published before and no longer rendered are removed; files that publish never
wrote are left alone. A cold build may hand the publisher several streams of files:
each is rendered and written by a forked process of its own (`workers`).

A manifest in `public/.osce-feeds/` records what was published, with each file's
digest and stat, so that an unchanged file is recognised without reading it; a path
enters it before its file is written, so a killed run leaves no unknown file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Collection, Container, Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from feeds import workers
from feeds.model import PublishReport
from feeds.store import MANIFEST, ManifestEncoder, read_manifest

FILE_MODE = 0o644
# What publishing one file did: its path, its manifest row, the bytes written (None
# when the file already held them).
Put = tuple[str, list[object], int | None]


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


class Publisher:
    """Publishes into one `public/`, keeping its manifest in memory between calls."""

    def __init__(self, public: Path) -> None:
        self.public = public
        self.manifest: dict[str, list[object]] | None = None
        self.encode = ManifestEncoder()
        self.checked: set[str] = set()  # paths found to lie inside public/

    def sync(
        self,
        files: Mapping[str, bytes] | Iterable[tuple[str, bytes]],
        paths: Collection[str] | None = None,
        forked: Sequence[Iterable[tuple[str, bytes]]] = (),
    ) -> PublishReport:
        """Make the published files exactly `files`: write what differs, remove what
        was published before and is not in `files`. `files` may be a stream of
        (path, bytes) when `paths` lists every path it will give, in advance.

        `forked`: more streams, each consumed (and so, when it renders lazily,
        rendered) in a child process of its own while this one consumes `files`;
        `paths` lists theirs too. Only for a process that runs no other thread."""
        if isinstance(files, Mapping):
            paths, files = list(files), list(files.items())
        assert paths is not None
        old = self.manifest if self.manifest is not None else read_manifest(self.public)
        keep = set(paths)
        stale = [path for path in old if path not in keep]
        return self._publish([files, *forked], keep, stale, old, {})

    def apply(self, written: Mapping[str, bytes], removed: Iterable[str]) -> PublishReport:
        """Write `written` (where it differs) and remove `removed`; leave the rest."""
        if self.manifest is None:
            self.manifest = read_manifest(self.public)
        items = sorted(written.items())
        return self._publish([items], set(written), removed, self.manifest, self.manifest)

    def _publish(
        self,
        streams: Sequence[Iterable[tuple[str, bytes]]],
        paths: set[str],
        removals: Iterable[str],
        old: Mapping[str, list[object]],
        new: dict[str, list[object]],
    ) -> PublishReport:
        puts: list[Put] = []
        try:
            return self._publish_into(puts, streams, paths, removals, old, new)
        except OSError as error:
            raise PublishFailed(error, [path for path, _, wrote in puts if wrote]) from error

    def _publish_into(
        self,
        puts: list[Put],
        streams: Sequence[Iterable[tuple[str, bytes]]],
        paths: set[str],
        removals: Iterable[str],
        old: Mapping[str, list[object]],
        new: dict[str, list[object]],
    ) -> PublishReport:
        for path in paths - self.checked:
            check_path(path)
            self.checked.add(path)
        self.public.mkdir(parents=True, exist_ok=True)
        new = dict(new)
        # Write-ahead: a path is in the manifest before its file exists, so that a run
        # killed midway leaves no file the next run does not know to remove.
        arriving = [path for path in paths if path not in old]
        if arriving:
            intent = {**old, **{path: ["", 0, 0] for path in arriving}}
            write_atomic(self.public / MANIFEST, self.encode(intent), durable=True)
        children = [
            (stream, workers.start(self._put_all, stream, paths, old)) for stream in streams[1:]
        ]
        self._put_all(streams[0], paths, old, puts)
        for stream, child in children:
            done = child.result()
            # A child that failed: its share is done here (and fails here if it must).
            if done is not None:
                puts.extend(done)
            else:
                self._put_all(stream, paths, old, puts)
        written = [path for path, _, wrote in puts if wrote is not None]
        for path, row, _ in puts:
            new[path] = row
        removed = []
        for path in sorted(removals):
            new.pop(path, None)
            if path not in paths and _remove(self.public / path):
                removed.append(path)
        self.manifest = new
        if written or removed or arriving or not (self.public / MANIFEST).is_file():
            # Not flushed: its paths are among those of the flushed one before, or of
            # the one before that; lost in a crash, it costs the next build a compare.
            write_atomic(self.public / MANIFEST, self.encode(new))
        return PublishReport(
            tuple(written),
            tuple(removed),
            len(puts) - len(written),
            sum(wrote for _, _, wrote in puts if wrote is not None),
        )

    def _put_all(
        self,
        files: Iterable[tuple[str, bytes]],
        paths: Container[str],
        old: Mapping[str, list[object]],
        puts: list[Put] | None = None,
    ) -> list[Put]:
        """`_put` every file of a stream, in order, appending to `puts`."""
        puts = [] if puts is None else puts
        for path, data in files:
            if path not in paths:
                raise ValueError(f"{path} was not announced")
            puts.append(self._put(path, data, old.get(path)))
        return puts

    def _put(self, path: str, data: bytes, known: list[object] | None) -> Put:
        """Write one file unless it already holds `data`; its manifest row, and the
        bytes written (None when it was not)."""
        digest = hashlib.sha256(data).hexdigest()  # (fast where the CPU has SHA)
        target = os.path.join(self.public, path)  # (not pathlib: once per file)
        try:
            before: os.stat_result | None = os.stat(target)
        except OSError:
            before = None
        if _is_current(target, before, data, digest, known):
            assert before is not None
            return path, [digest, before.st_size, before.st_mtime_ns], None
        after = write_atomic(target, data, newer_than=before.st_mtime_ns if before else None)
        return path, [digest, after.st_size, after.st_mtime_ns], len(data)


def check_path(path: str) -> None:
    """Refuse a path that would leave `public/` or is not a plain relative path."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or not pure.parts or ".." in pure.parts or path != pure.as_posix():
        raise ValueError(f"not a path inside public/: {path!r}")


def _is_current(
    target: str, stat: os.stat_result | None, data: bytes, digest: str, known: list[object] | None
) -> bool:
    if stat is None or stat.st_size != len(data):
        return False
    as_published = known is not None and known[1:] == [stat.st_size, stat.st_mtime_ns]
    if as_published and known is not None and len(str(known[0])) == len(digest):
        return known[0] == digest  # the file is as published: its digest tells
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
