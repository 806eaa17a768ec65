"""Merge the records of every seed file into one catalog of entries and groups.

Identity: two records are one item when their publishing dates and normalised titles
are equal (`identity_key`). The merged entry keeps the most complete truth of all its
sightings. The result depends only on the set of records, never on file names or on
the order in which files were read; merging is idempotent.

Slugs are the only thing not derived from the records alone: a registry of the slugs
already published (`known`) keeps every feed URL where it was. Contains no I/O.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import re
import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from slugify import slugify

from feeds.model import Catalog, Entry, Group, Kind, Record

# Entry and feed ids are name-based UUIDs in this namespace: they depend on the item
# alone, never on paths, the base URL, order or time.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://www.osce.org/newsroom")
# Entries of one date get distinct seconds in this window after the day's anchor time.
SECONDS_PER_DAY_WINDOW = 3600

TYPOGRAPHIC = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "`": "'",
        "´": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "″": '"',
        "«": '"',
        "»": '"',
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
        "…": "...",
    }
)
SPACE_RUNS = re.compile(r"\s+")
GroupKey = tuple[Kind, str]
KIND_ORDER = {kind: n for n, kind in enumerate(Kind)}


def normalise_text(text: str) -> str:
    """The form in which two spellings of one text compare equal: Unicode NFKC,
    straight quotes and dashes, single spaces, case-folded."""
    text = unicodedata.normalize("NFKC", text).translate(TYPOGRAPHIC)
    return SPACE_RUNS.sub(" ", text).strip().casefold()


def identity_key(record: Record) -> str:
    return f"{record.date.isoformat()} {normalise_text(record.title)}"


def id_from_key(key: str) -> str:
    """`urn:uuid:` and the name-based (v5) UUID of the key; what `uuid.uuid5` gives,
    without building UUID objects (a cold build makes tens of thousands)."""
    raw = bytearray(hashlib.sha1(NAMESPACE.bytes + key.encode()).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def feed_id(kind: Kind | None, name: str = "") -> str:
    """The id of the feed of one group, or of all entries when `kind` is None."""
    what = "all" if kind is None else f"{kind.folder} {normalise_text(name)}"
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, 'feed ' + what)}"


def merge_items(records: Iterable[Record], known: Mapping[GroupKey, str] | None = None) -> Catalog:
    """One entry per item, newest first, and the groups of every topic, mission and
    content type, including those in `known` that no longer hold any entry."""
    by_key: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        by_key[identity_key(record)].append(record)
    vocabulary = complete_names(r for group in by_key.values() for r in group)
    merged = [merge_records(key, group, vocabulary) for key, group in by_key.items()]
    entries = assign_seconds(merged)
    return Catalog(entries=entries, groups=group_entries(entries, known or {}))


def complete_names(records: Iterable[Record]) -> dict[Kind, frozenset[str]]:
    """Every name seen complete (not on a page's cut last line), by kind: the evidence
    that a tentative value is whole."""
    names: dict[Kind, set[str]] = {kind: set() for kind in Kind}
    for record in records:
        for kind, name in record_names(record):
            names[kind].add(name)
    return {kind: frozenset(found) for kind, found in names.items()}


def merge_records(
    key: str, records: list[Record], vocabulary: Mapping[Kind, Container[str]], second: int = 0
) -> Entry:
    """The most complete truth of one item's sightings."""
    if len(records) == 1 and not records[0].tentative:  # most items: nothing to merge
        record = records[0]
        return Entry(
            key=key,
            id=id_from_key(key),
            title=record.title,
            date=record.date,
            second=second,
            content_type=record.content_type,
            missions=sorted_names(record.missions),
            topics=sorted_names(record.topics),
            summary=record.summary,
        )
    names: dict[Kind, set[str]] = {kind: set() for kind in Kind}
    types: Counter[str] = Counter()
    for record in records:
        names[Kind.MISSION].update(record.missions)
        names[Kind.TOPIC].update(record.topics)
        if record.content_type:
            types[record.content_type] += 1
        for kind, value in record.tentative:
            if value in vocabulary[kind]:
                if kind is Kind.TYPE:
                    types[value] += 1
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
        missions=sorted_names(names[Kind.MISSION]),
        topics=sorted_names(names[Kind.TOPIC]),
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


def sorted_names(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(names, key=lambda name: (name.casefold(), name)))


def assign_seconds(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    """Give each entry a second within its day's window, distinct within the date
    (see `assign_day`). Returns newest first."""
    by_date: dict[dt.date, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_date[entry.date].append(entry)
    placed = [e for day in by_date.values() for e in assign_day(day)]
    placed.sort(key=order_key)
    return tuple(placed)


def key_digest(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def assign_day(entries: Iterable[Entry]) -> list[Entry]:
    """The entries of one date with their seconds (`day_seconds`); an entry that
    keeps its second is returned as the same object."""
    day = list(entries)
    seconds = day_seconds(e.key for e in day)
    return [e if e.second == seconds[e.key] else replace(e, second=seconds[e.key]) for e in day]


def day_seconds(keys: Iterable[str]) -> dict[str, int]:
    """Seconds for the items of one date: each from a hash of its key, so that it does
    not move when other items arrive; a collision probes to the next free one."""
    day = sorted((key_digest(key), key) for key in keys)
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


def order_key(entry: Entry) -> int:
    """Sorts entries newest first; distinct for distinct entries of a catalog."""
    return -(entry.date.toordinal() * 1_000_000 + entry.second)


def group_entries(entries: tuple[Entry, ...], known: Mapping[GroupKey, str]) -> tuple[Group, ...]:
    """Groups by kind, then name; each keeps its order of entries (newest first)."""
    members: dict[GroupKey, list[Entry]] = {key: [] for key in known}
    for entry in entries:
        for group in group_keys(entry):
            members.setdefault(group, []).append(entry)
    slugs = assign_slugs(members, known)
    return tuple(
        Group(kind, name, slugs[kind, name], tuple(members[kind, name]))
        for kind, name in sorted(members, key=group_order)
    )


def group_order(key: GroupKey) -> tuple[int, str, str]:
    kind, name = key
    return (KIND_ORDER[kind], name.casefold(), name)


def slug_from_name(name: str, max_length: int = 80) -> str:
    """A readable, ASCII file name or anchor: `OSCE Mission to Skopje (closed)` gives
    `osce-mission-to-skopje-closed`, `Cyber/ICT security` `cyber-ict-security`.

    The transliteration backend is named, not left to whichever is installed, so
    that slugs never change with the environment."""
    slug = slugify(name, max_length=max_length, word_boundary=True, backend="text-unidecode")
    return slug or "unnamed"


def assign_slugs(groups: Iterable[GroupKey], known: Mapping[GroupKey, str]) -> dict[GroupKey, str]:
    """Known groups keep their slug; a new group takes the slug of its name, or, when
    another group of its kind holds that, the first free `slug-2`, `slug-3`, ..."""
    slugs = {key: slug for key, slug in known.items()}
    taken = {(kind, slug) for (kind, _), slug in slugs.items()}
    fresh = sorted((k for k in groups if k not in slugs), key=lambda k: (k[0].folder, k[1]))
    for kind, name in fresh:
        base = slug_from_name(name)
        slug, n = base, 1
        while (kind, slug) in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add((kind, slug))
        slugs[kind, name] = slug
    return slugs


class SortedEntries:
    """Entries newest first, with insertion and removal by bisection."""

    def __init__(self) -> None:
        self.keys: list[int] = []
        self.entries: list[Entry] = []

    def add(self, entry: Entry) -> None:
        at = bisect.bisect_left(self.keys, order_key(entry))
        self.keys.insert(at, order_key(entry))
        self.entries.insert(at, entry)

    def remove(self, entry: Entry) -> None:
        at = bisect.bisect_left(self.keys, order_key(entry))
        del self.keys[at]
        del self.entries[at]

    def update(self, removed: list[Entry], added: list[Entry]) -> None:
        """Remove and add entries: one by one for a few, by sorting for many."""
        if len(removed) + len(added) < max(64, len(self.entries) // 16):
            for entry in removed:
                self.remove(entry)
            for entry in added:
                self.add(entry)
            return
        gone = {entry.key for entry in removed}
        kept = [e for e in self.entries if e.key not in gone] if gone else self.entries
        self.entries = sorted([*kept, *added], key=order_key)
        self.keys = [order_key(e) for e in self.entries]

    def between(self, newest: int, oldest: int) -> list[Entry]:
        """The entries whose order keys lie in [newest, oldest]."""
        start = bisect.bisect_left(self.keys, newest)
        return self.entries[start : bisect.bisect_right(self.keys, oldest)]


@dataclass(frozen=True, slots=True)
class Change:
    """What one `Index.replace` did: entries before and after, and the groups
    (including new ones) whose entries changed."""

    entries: tuple[tuple[Entry | None, Entry | None], ...]
    groups: frozenset[GroupKey]
    new_groups: bool


class Index:
    """The catalog kept up to date record by record, for the daemon: after any
    sequence of `replace` calls, `catalog()` equals `merge_items` of the records
    present, at the cost of what changed rather than of the whole archive."""

    def __init__(self, known: Mapping[GroupKey, str] | None = None) -> None:
        self.sightings: dict[str, list[Record]] = {}
        self.vocabulary: dict[Kind, Counter[str]] = {kind: Counter() for kind in Kind}
        self.waiting: dict[tuple[Kind, str], set[str]] = defaultdict(set)  # tentative -> keys
        self.entries: dict[str, Entry] = {}
        self.by_date: dict[dt.date, set[str]] = defaultdict(set)
        self.ordered = SortedEntries()
        self.groups: dict[GroupKey, SortedEntries] = {key: SortedEntries() for key in known or {}}
        self.slugs: dict[GroupKey, str] = dict(known or {})

    def replace(self, old: Iterable[Record], new: Iterable[Record]) -> Change:
        """Withdraw the records `old` (as given before) and add the records `new`."""
        touched: set[str] = set()
        flipped: set[tuple[Kind, str]] = set()
        for record, sign in [*((r, -1) for r in old), *((r, 1) for r in new)]:
            key = identity_key(record)
            touched.add(key)
            if sign > 0:
                self.sightings.setdefault(key, []).append(record)
            else:
                sightings = self.sightings[key]
                sightings.remove(record)
                if not sightings:
                    del self.sightings[key]
            for kind, name in record_names(record):
                counts = self.vocabulary[kind]
                counts[name] += sign
                if counts[name] in ((1, 0) if sign > 0 else (0,)):
                    flipped.add((kind, name))
                if not counts[name]:
                    del counts[name]
            for kind, value in record.tentative:
                if sign > 0:
                    self.waiting[kind, value].add(key)
        for kind_name in flipped:  # evidence for a cut value came or went
            touched.update(self.waiting.get(kind_name, ()))
        return self._remerge(touched)

    def _remerge(self, keys: set[str]) -> Change:
        dates: set[dt.date] = set()
        changes: list[tuple[Entry | None, Entry | None]] = []
        for key in keys:  # the date is part of the key: an entry never changes date
            records = self.sightings.get(key)
            if records:
                dates.add(records[0].date)
                self.by_date[records[0].date].add(key)
            elif key in self.entries:
                gone = self.entries[key]
                dates.add(gone.date)
                self.by_date[gone.date].discard(key)
                changes.append((gone, None))
        for day in dates:
            for key, second in day_seconds(self.by_date[day]).items():
                before = self.entries.get(key)
                if key in keys:
                    after = merge_records(key, self.sightings[key], self.vocabulary, second)
                elif before is not None and before.second != second:
                    after = replace(before, second=second)
                else:
                    continue
                if before != after:
                    changes.append((before, after))
            if not self.by_date[day]:
                del self.by_date[day]
        return self._apply(changes)

    def _apply(self, changes: list[tuple[Entry | None, Entry | None]]) -> Change:
        removed: dict[GroupKey | None, list[Entry]] = defaultdict(list)
        added: dict[GroupKey | None, list[Entry]] = defaultdict(list)
        for before, after in changes:
            if before is not None:
                del self.entries[before.key]
                for group in (None, *group_keys(before)):
                    removed[group].append(before)
            if after is not None:
                for group in (None, *group_keys(after)):
                    added[group].append(after)
        for _, after in changes:
            if after is not None:
                self.entries[after.key] = after
        fresh = sorted(
            (g for g in added if g is not None and g not in self.groups), key=group_order
        )
        for group in fresh:
            self.groups[group] = SortedEntries()
        for group in removed.keys() | added.keys():
            members = self.ordered if group is None else self.groups[group]
            members.update(removed.get(group, []), added.get(group, []))
        if fresh:
            self.slugs = assign_slugs(fresh, self.slugs)
        touched = frozenset(g for g in removed.keys() | added.keys() if g is not None)
        return Change(tuple(changes), touched, bool(fresh))

    def month(self, path: str) -> list[Entry]:
        """The entries of the month of a month page (`items/YYYY/MM.html`)."""
        year, month = int(path[6:10]), int(path[11:13])
        first = dt.date(year, month, 1)
        last = (first + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
        newest = -(last.toordinal() * 1_000_000 + 999_999)
        return self.ordered.between(newest, -(first.toordinal() * 1_000_000))

    def catalog(self) -> Catalog:
        return Catalog(
            entries=tuple(self.ordered.entries),
            groups=tuple(
                Group(kind, name, self.slugs[kind, name], tuple(self.groups[kind, name].entries))
                for kind, name in sorted(self.groups, key=group_order)
            ),
        )


def record_names(record: Record) -> Iterator[tuple[Kind, str]]:
    """The names a record gives complete (its cut last line's aside), by kind."""
    for name in record.missions:
        yield Kind.MISSION, name
    for name in record.topics:
        yield Kind.TOPIC, name
    if record.content_type:
        yield Kind.TYPE, record.content_type


def group_keys(entry: Entry) -> Iterator[GroupKey]:
    """The groups an entry belongs to."""
    for kind in Kind:
        for name in entry.names(kind):
            yield kind, name
