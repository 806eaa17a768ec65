"""One entry from the sightings of one item: the merged entry keeps the most
complete truth of all its sightings, whatever their order, and takes a second of
its day from a hash of its identity.

Knows nothing of which records are present: that is `feeds.catalog.index`. No I/O.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Collection, Container, Iterable, Mapping
from itertools import chain
from operator import attrgetter

from feeds.catalog.groups import NO_ALIASES, Aliases, labelled
from feeds.catalog.identity import id_from_key
from feeds.model import Entry, Kind, Record

# A hash state copied for each key rather than made anew (which looks the algorithm up).
SHA256 = hashlib.sha256()
# Entries of one date get distinct seconds in this window after the day's anchor time
# (which `render.day_anchor` moves earlier when the window would cross midnight; a
# date with more entries than this widens its window, and may then cross it).
SECONDS_PER_DAY_WINDOW = 3600


by_order = attrgetter("order")  # sort key: newest first


class Sightings:
    """Every record of each item present, by identity key, in the order they were
    added. Most items are seen once: the first record of each key is kept alone in
    `first`, the rare others (an item on two pages) in `more`; a tuple for each item
    would cost 1.4 MB more at 30,000 items."""

    __slots__ = ("first", "more")

    def __init__(self) -> None:
        self.first: dict[str, Record] = {}
        self.more: dict[str, tuple[Record, ...]] = {}

    def records(self, key: str) -> tuple[Record, ...]:
        """The records of one item present (KeyError if none)."""
        more = self.more.get(key)
        return (self.first[key],) if more is None else (self.first[key], *more)

    def add(self, key: str, record: Record) -> None:
        if key in self.first:
            self.more[key] = (*self.more.get(key, ()), record)
        else:
            self.first[key] = record

    def remove(self, key: str, record: Record) -> None:
        """Remove one sighting equal to `record` (a page may show an item twice)."""
        found = list(self.records(key))
        found.remove(record)
        self.more.pop(key, None)
        if found:
            self.first[key] = found[0]
            if len(found) > 1:
                self.more[key] = tuple(found[1:])
        else:
            del self.first[key]

    def keys_by_date(self) -> dict[dt.date, tuple[str, ...]]:
        """The keys present by date; tuples, which the garbage collector skips."""
        by_date: dict[dt.date, list[str]] = defaultdict(list)
        for key, record in self.first.items():
            by_date[record.date].append(key)
        return {day: tuple(keys) for day, keys in by_date.items()}


def name_counts(records: Collection[Record]) -> dict[Kind, Counter[str]]:
    """How often the records give each name complete (not on a page's cut last line),
    by kind: the evidence that a tentative value is whole."""
    return {
        Kind.TOPIC: Counter(chain.from_iterable(record.topics for record in records)),
        Kind.MISSION: Counter(chain.from_iterable(record.missions for record in records)),
        Kind.TYPE: Counter(record.content_type for record in records if record.content_type),
    }


def merge_all(
    sightings: Sightings,
    vocabulary: Mapping[Kind, Container[str]],
    by_date: Mapping[dt.date, Iterable[str]],
    aliases: Aliases | None = None,
) -> list[Entry]:
    """The entry of every item (`by_date`: the keys of the sightings, by date), with
    its second (`day_seconds`), newest first."""
    aliases = aliases or NO_ALIASES
    entries = [
        merge_records(key, sightings.records(key), vocabulary, second, aliases)
        for keys in by_date.values()
        for key, second in day_seconds(keys).items()
    ]
    entries.sort(key=by_order)
    return entries


def merge_records(
    key: str,
    sightings: tuple[Record, ...],
    vocabulary: Mapping[Kind, Container[str]],
    second: int = 0,
    aliases: Aliases | None = None,
) -> Entry:
    """The most complete truth of one item's sightings; its names are the labels of
    their groups (`aliases`: the spellings that are not)."""
    aliases = aliases or NO_ALIASES
    types_of = aliases[Kind.TYPE]
    if len(sightings) == 1 and not sightings[0].tentative:  # most: nothing to merge
        record = sightings[0]
        content_type = record.content_type
        return Entry(
            key=key,
            id=id_from_key(key),
            title=record.title,
            date=record.date,
            second=second,
            content_type=types_of.get(content_type, content_type) if content_type else None,
            missions=labelled(record.missions, aliases[Kind.MISSION]),
            topics=labelled(record.topics, aliases[Kind.TOPIC]),
            summary=record.summary,
        )
    records = sightings
    names: dict[Kind, set[str]] = {kind: set() for kind in Kind}
    types: Counter[str] = Counter()
    for record in records:
        names[Kind.MISSION].update(record.missions)
        names[Kind.TOPIC].update(record.topics)
        if record.content_type:
            types[types_of.get(record.content_type, record.content_type)] += 1
        for kind, value in record.tentative:
            if value in vocabulary[kind]:
                if kind is Kind.TYPE:
                    types[types_of.get(value, value)] += 1
                else:
                    names[kind].add(value)
    titles = Counter(record.title for record in records)
    first = records[0]
    return Entry(
        key=key,
        id=id_from_key(key),
        title=_most_common(titles),
        date=first.date,
        second=second,
        content_type=_most_common(types) if types else None,
        missions=labelled(names[Kind.MISSION], aliases[Kind.MISSION]),
        topics=labelled(names[Kind.TOPIC], aliases[Kind.TOPIC]),
        # The longest summary: shorter ones are the same text cut at another point.
        summary=max((record.summary for record in records), key=lambda s: (len(s), s)),
    )


def _most_common(counts: Counter[str]) -> str:
    # Ties go to a spelling without compatibility characters (ligatures, full-width
    # forms), then to the greater string, which prefers typographic quotes to straight.
    return max(
        counts,
        key=lambda value: (counts[value], unicodedata.is_normalized("NFKC", value), value),
    )


def key_digest(key: str) -> int:
    sha256 = SHA256.copy()
    sha256.update(key.encode())
    return int.from_bytes(sha256.digest()[:8], "big")


def day_seconds(keys: Iterable[str]) -> dict[str, int]:
    """Seconds for the items of one date: each from a hash of its key, so that it does
    not move when other items arrive; a collision probes to the next free one."""
    day = sorted([(key_digest(key), key) for key in keys])
    window = max(SECONDS_PER_DAY_WINDOW, len(day))
    taken: set[int] = set()
    seconds = {}
    for digest, key in day:
        second = digest % window
        while second in taken:
            second = (second + 1) % window
        taken.add(second)
        seconds[key] = second
    return seconds
