"""A seed file as a build uses it: read (`feeds.seeds`), parsed (`feeds.parse`),
and, when it yields nothing now, its last good version's items instead.

Also the form in which a worker process sends what it read back to its parent
(plain tuples, cheap to pickle). No state.
"""

from __future__ import annotations

import dataclasses
import operator
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from feeds.config import Config
from feeds.model import Issue, Level, Record
from feeds.parse import parse_seed
from feeds.seeds import Unreadable, quoted, read_seed
from feeds.store import Stamp, stamp_of

# Records and issues as plain tuples, cheap to send from a worker.
RECORD_VALUES = operator.attrgetter(*(f.name for f in dataclasses.fields(Record)))
ISSUE_VALUES = operator.attrgetter(*(f.name for f in dataclasses.fields(Issue)))


def display_name(config: Config, name: str) -> str:
    """A seed file's path as problems name it, safe for a log line."""
    return quoted(os.path.join(str(config.seeds), name))


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
    return kept_from(last_good, source, data, result.issues, "yields no items now;", "fixed")


def unreadable_page(why: Unreadable, source: str, last_good: bytes | None) -> Seed:
    """A file named like a seed that cannot be read: reported, and its last good
    version's items kept (a file made unreadable is not a file deleted)."""
    if last_good is None:
        issue = Issue(source, 1, Level.WARNING, f"{why.reason}: skipped")
        return Seed(b"", (), (issue,), None, readable=False)
    reason = f"{why.reason}: skipped;"
    return kept_from(last_good, source, b"", (), reason, "readable again", readable=False)


def kept_from(
    last_good: bytes,
    source: str,
    data: bytes,
    issues: tuple[Issue, ...],
    why: str,
    until: str,
    *,
    readable: bool = True,
) -> Seed:
    """A seed that yields nothing now, publishing its last good version's items, with
    a warning that says so."""
    kept = parse_seed(last_good, source).records
    warning = Issue(
        source,
        1,
        Level.WARNING,
        f"{why} its last good version's {len(kept)} items stay "
        f"published until it is {until} or deleted",
    )
    return Seed(data, kept, (*issues, warning), last_good, readable)


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
