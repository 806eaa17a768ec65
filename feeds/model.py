"""The data that flows through the pipeline: records, issues, entries, groups.

Frozen dataclasses and tuples only, so that every stage can be cached, shared and
compared. Contains no logic beyond formatting, the small lookups on `Kind` and the
values an `Entry` derives from its fields.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum, StrEnum


class Level(StrEnum):
    """How bad an input problem is.

    `error`: the file, or an item in the middle of it, yields nothing (`check` exits 1).
    `warning`: something was read but a part of it was dropped.
    `notice`: expected roughness of scrapes, such as a page cut at its end.
    """

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem in one seed file, at one line (1-based)."""

    source: str
    line: int
    level: Level
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.level}: {self.message}"


class Kind(Enum):
    """A way of grouping items into feeds, after the listing's metadata labels."""

    TOPIC = ("topics", "What we do", "topic")
    MISSION = ("missions", "Where we are", "mission or office")
    TYPE = ("types", "Content type", "content type")

    def __init__(self, folder: str, label: str, noun: str) -> None:
        self.folder = folder
        self.label = label
        self.noun = noun


@dataclass(frozen=True, slots=True)
class Record:
    """One item as one page shows it, before merging with other sightings."""

    title: str
    date: dt.date
    content_type: str | None
    missions: tuple[str, ...]
    topics: tuple[str, ...]
    summary: str
    source: str
    line: int
    # Values read from a page's cut last line: kept only when the same value is seen
    # complete elsewhere, since a cut value looks exactly like a real one.
    tentative: tuple[tuple[Kind, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What one seed file yields: its records in page order, and its problems."""

    source: str
    records: tuple[Record, ...]
    issues: tuple[Issue, ...]


def order_value(date: dt.date, second: int) -> int:
    """Smaller for later times: sorting by it puts the newest first."""
    return -(date.toordinal() * 1_000_000 + second)


# The listing's month names (English, as the site writes its dates).
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def short_id_of(id: str) -> str:
    """The first eight hex digits of a `urn:uuid:` id: as stable as the id, and short
    enough for an item's anchor and an archive page's name."""
    return id[9:17]  # after `urn:uuid:`


def id_number(id: str) -> int:
    """The first 32 bits of a `urn:uuid:` id."""
    return int(short_id_of(id), 16)


@dataclass(frozen=True, slots=True)
class Entry:
    """One item after merging every sighting of it: what a feed publishes."""

    key: str  # the identity: publishing date and normalised title
    id: str  # urn:uuid derived from `key` alone
    title: str
    date: dt.date
    # Seconds after the day's anchor time; unique among the entries of one date, so
    # that no two entries of any feed share an `updated` value.
    second: int
    content_type: str | None
    missions: tuple[str, ...]
    topics: tuple[str, ...]
    summary: str
    # The id's first 32 bits as a number: spreads entries evenly over archive pages.
    number: int = field(init=False, repr=False, compare=False)
    # Sorts entries newest first (`order_value`); distinct among the entries of a
    # catalog, since seconds are distinct within a date. Kept, as catalogs sort often.
    order: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "number", id_number(self.id))
        object.__setattr__(self, "order", order_value(self.date, self.second))

    @property
    def short_id(self) -> str:
        """The id's first eight hex digits (`short_id_of`)."""
        return short_id_of(self.id)

    def names(self, kind: Kind) -> tuple[str, ...]:
        if kind is Kind.TOPIC:
            return self.topics
        if kind is Kind.MISSION:
            return self.missions
        return (self.content_type,) if self.content_type else ()


@dataclass(frozen=True, slots=True)
class Group:
    """The entries of one topic, mission or content type; newest first."""

    kind: Kind
    name: str
    slug: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class Catalog:
    """Every entry, newest first, and every group, in a stable order."""

    entries: tuple[Entry, ...]
    groups: tuple[Group, ...]


@dataclass(frozen=True, slots=True)
class PublishReport:
    """What publishing did: files written and removed, files left as they were."""

    written: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    bytes_written: int


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What one build did and found."""

    catalog: Catalog | None  # None when `build` found nothing changed and stopped there
    items: int
    issues: tuple[Issue, ...]
    report: PublishReport
    seeds: int
    seconds: float
    feeds: int
    litter: int = 0  # temporary files of a killed run, removed
    # The self URLs of the subscription feeds (WebSub topics) whose files it wrote.
    feeds_changed: tuple[str, ...] = ()

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
