"""The read stage: which files of the seeds folder are seeds, and their bytes.

The folder is input like the pages in it, and may hold anything: a FIFO, a socket, a
symbolic link, a file nobody may read, a name that is not UTF-8, a file of gigabytes.
Seeds are regular files named `*.txt` (not hidden, not an editor's temporary), read
without following a link and without ever blocking; anything else named like a seed
is reported (`Unreadable`) and never read. A folder that is missing or cannot be
listed raises `SeedsUnavailable`: a build must not take it for an empty folder.

Contains no parsing and no state.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Collection
from dataclasses import dataclass

from feeds.parse import MAX_SEED_BYTES

SEED_SUFFIX = ".txt"
# What to call a file that is not a regular one.
FILE_TYPES = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFDIR: "a folder",
    stat.S_IFLNK: "a symbolic link",
}
OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC


class SeedsUnavailable(Exception):
    """The seeds folder is missing or cannot be listed; the message says which."""


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A file named like a seed that is not read, and why."""

    reason: str


def is_seed_name(name: str) -> bool:
    """Seed files are `*.txt`; hidden files and editors' temporaries are not."""
    return name.endswith(SEED_SUFFIX) and not name.startswith((".", "~", "#"))


def is_printable_name(name: str) -> bool:
    """Whether a file name is UTF-8 (`os.listdir` escapes other bytes as lone
    surrogates) with no control character: a name that can go into a log line,
    a JSON file and a feed as it is."""
    return name.isprintable() and not any("\udc80" <= c <= "\udcff" for c in name)


def quoted(text: str) -> str:
    """`text` safe for a log line: control characters, line ends and bytes that are
    not UTF-8 escaped (`\\n`, `\\x1b`, `\\xff`); printable text as it is."""
    if text.isprintable():
        return text
    escaped = []
    for char in text:
        if "\udc80" <= char <= "\udcff":  # a byte that is not UTF-8 (surrogateescape)
            escaped.append(f"\\x{ord(char) - 0xDC00:02x}")
        elif char.isprintable():
            escaped.append(char)
        else:
            escaped.append(char.encode("unicode_escape").decode("ascii"))
    return "".join(escaped)


def seed_names(folder: str | os.PathLike[str]) -> list[str]:
    """The names of the seed files in `folder` (not recursive), sorted."""
    try:
        names = os.listdir(folder)
    except OSError as error:
        check_folder(folder)  # says what is wrong with the folder itself
        raise SeedsUnavailable(
            f"cannot list seeds folder {quoted(os.fspath(folder))}: {error.strerror}"
        ) from None
    return sorted(name for name in names if is_seed_name(name))


def check_folder(folder: str | os.PathLike[str]) -> None:
    """Raise `SeedsUnavailable` unless `folder` is a folder."""
    try:
        info = os.stat(folder)
    except OSError as error:
        if error.errno == errno.ENOENT:
            raise SeedsUnavailable(
                f"seeds folder {quoted(os.fspath(folder))} does not exist"
            ) from None
        raise SeedsUnavailable(
            f"cannot reach seeds folder {quoted(os.fspath(folder))}: {error.strerror}"
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        raise SeedsUnavailable(f"seeds folder {quoted(os.fspath(folder))} is not a folder")


def read_seed(path: str) -> bytes | Unreadable | None:
    """The bytes of a seed file; None when it is gone; `Unreadable` when it is not a
    regular file, cannot be read, is too large or has a name that is not printable
    UTF-8. Never blocks (a FIFO is opened without waiting for a writer, and then
    not read) and never follows a symbolic link."""
    if not is_printable_name(os.path.basename(path)):
        return Unreadable("file name is not printable UTF-8")
    try:
        fd = os.open(path, OPEN_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:
            return Unreadable("a symbolic link, not followed (seeds must be regular files)")
        if error.errno == errno.ENXIO:
            return Unreadable("not a regular file (a socket)")
        return Unreadable(f"cannot be read: {error.strerror}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = FILE_TYPES.get(stat.S_IFMT(info.st_mode), "not a file")
            return Unreadable(f"not a regular file ({kind})")
        if info.st_size > MAX_SEED_BYTES:
            return Unreadable(too_large(info.st_size))
        chunks, size = [], 0
        while size <= MAX_SEED_BYTES:  # the file may grow while it is read
            chunk = os.read(fd, MAX_SEED_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_SEED_BYTES:
            return Unreadable(too_large(size))
        return b"".join(chunks)
    except OSError as error:
        return Unreadable(f"cannot be read: {error.strerror}")
    finally:
        os.close(fd)


def too_large(size: int) -> str:
    return f"too large for a listing page ({size:,} bytes; at most {MAX_SEED_BYTES:,})"


def read_seeds(folder: str | os.PathLike[str]) -> dict[str, bytes]:
    """The bytes of every readable seed file in `folder`, by file name."""
    seeds: dict[str, bytes] = {}
    for name in seed_names(folder):
        data = read_seed(os.path.join(folder, name))
        if isinstance(data, bytes):
            seeds[name] = data
    return seeds


def describe_changes(names: Collection[str]) -> str:
    """Changed seed files, for a log line: the first three names and a count."""
    shown = [quoted(name) for name in sorted(names)[:3]]
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return ", ".join(shown) + more if shown else "seeds folder changed"
