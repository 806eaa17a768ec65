"""A seed file as a build uses it: read (`feeds.seeds`), parsed (`feeds.parse`),
and, when it yields nothing now, its last good version's items instead.

`Read` and `Seed` are the values a worker process sends back to its parent
(`feeds.workers`); they pickle their records and issues as tuples of field values.
No state.
"""

from __future__ import annotations

import dataclasses
import operator
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from feeds.config import Config
from feeds.model import Issue, Level, Record
from feeds.parse import parse_seed
from feeds.seeds import Unreadable, quoted, read_seed
from feeds.store import Stamp, stamp_of

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

    def __reduce__(self) -> tuple[Any, ...]:
        # Records and issues as tuples of their fields: the dataclasses' own pickling
        # (`fields()` per object) made a worker's share of 30,000 items cost 2.5 times
        # as much to send and receive. (`good is data` survives: pickle keeps identity.)
        records = [RECORD_VALUES(record) for record in self.records]
        issues = [ISSUE_VALUES(issue) for issue in self.issues]
        return seed_from_values, (self.data, records, issues, self.good, self.readable)


def seed_from_values(
    data: bytes,
    records: Sequence[tuple[Any, ...]],
    issues: Sequence[tuple[Any, ...]],
    good: bytes | None,
    readable: bool,
) -> Seed:
    """The `Seed` that `Seed.__reduce__` took apart."""
    return Seed(
        data,
        tuple(Record(*values) for values in records),
        tuple(Issue(*values) for values in issues),
        good,
        readable,
    )


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


@dataclass(frozen=True, slots=True)
class Read:
    """One seed file as read by `read_seed_file`."""

    name: str
    stamp: Stamp | None  # None: the file is gone
    data: bytes | None  # None: gone, or not read (its stamp is as before)
    seed: Seed | None  # None: not parsed (gone, not read, or its bytes are as before)

    @property
    def gone(self) -> bool:
        return self.data is None and self.stamp is None

    def __reduce__(self) -> tuple[Any, ...]:
        return Read, (self.name, self.stamp, self.data, self.seed)  # (see Seed.__reduce__)


def read_seed_file(
    config: Config, name: str, last_good: bytes | None, before: tuple[Stamp, Seed] | None
) -> Read:
    """Stat, read and parse one seed file, unless its stamp or bytes are as `before`."""
    path = os.path.join(config.seeds, name)  # (not pathlib: a scan does this per seed)
    try:
        stamp = stamp_of(os.lstat(path))
    except OSError:
        return Read(name, None, None, None)
    if before is not None and before[0] == stamp:
        return Read(name, stamp, None, None)
    data = read_seed(path)
    if data is None:
        return Read(name, None, None, None)
    if isinstance(data, Unreadable):
        return Read(name, stamp, b"", unreadable_page(data, display_name(config, name), last_good))
    if before is not None and before[1].readable and before[1].data == data:
        return Read(name, stamp, data, None)
    return Read(name, stamp, data, read_page(data, display_name(config, name), last_good))


def read_share(config: Config, last_good: Mapping[str, bytes], names: Sequence[str]) -> list[Read]:
    """`read_seed_file` for each of `names`, none of them read before (a first build):
    one worker's share."""
    return [read_seed_file(config, name, last_good.get(name), None) for name in names]
