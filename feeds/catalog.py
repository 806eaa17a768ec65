"""Merge the records of every seed file into one catalog of entries and groups.

Identity: two records are one item when their publishing dates and normalised titles
are equal (`identity_key`). The merged entry keeps the most complete truth of all its
sightings. The result depends only on the set of records, never on file names or on
the order in which files were read; merging is idempotent.

Groups: names that differ only as identities may (Unicode form, white space,
typographic quotes and dashes, case: `normalise_text`) are one group, shown under
one label, the spelling the records give most often (`best_label`); entries carry
that label. Slugs are the only thing not derived from the records alone: a registry
of the slugs already published (`known`) keeps every feed URL where it was.
Contains no I/O.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Collection, Container, Iterable, Mapping
from dataclasses import dataclass, replace
from itertools import chain
from operator import attrgetter

from slugify import slugify

from feeds.model import Catalog, Entry, Group, Kind, Record, new_entry, order_value

# Entry and feed ids are name-based UUIDs in this namespace: they depend on the item
# alone, never on paths, the base URL, order or time.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://www.osce.org/newsroom")
# Hash states copied for each key rather than made anew (which looks the algorithm up).
NAMESPACE_SHA1 = hashlib.sha1(NAMESPACE.bytes)
SHA256 = hashlib.sha256()
# Entries of one date get distinct seconds in this window after the day's anchor time
# (which `render.day_anchor` moves earlier when the window would cross midnight; a
# date with more entries than this widens its window, and may then cross it).
SECONDS_PER_DAY_WINDOW = 3600

# Typographic marks and their plain spellings. Replaced mark by mark: str.translate
# looks each character of a non-ASCII text up in this table, several times slower.
TYPOGRAPHIC = {
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
# The marks that NFKC leaves as they are (it makes … three dots, for one), and of
# those the ones that ASCII text can hold (the backtick).
NFKC_MARKS = tuple(mark for mark in TYPOGRAPHIC if unicodedata.is_normalized("NFKC", mark))
ASCII_MARKS = tuple(mark for mark in TYPOGRAPHIC if mark.isascii())
GroupKey = tuple[Kind, str]  # a kind and a group's label, as catalogs name groups
NameKey = tuple[Kind, str]  # a kind and a normalised name: one per group, whatever its label
# Spellings that differ from their group's label, by kind: spelling -> label.
Aliases = Mapping[Kind, Mapping[str, str]]
# The sightings of one item: the record itself when there is one, as for most items,
# so that an archive does not make one list per item for the cyclic garbage
# collector to scan again and again while it is merged; a list holds two or more.
Sightings = Record | list[Record]
KIND_ORDER = {kind: n for n, kind in enumerate(Kind)}
NO_ALIASES: Aliases = {kind: {} for kind in Kind}
by_order = attrgetter("order")  # sort key: newest first


def normalise_text(text: str) -> str:
    """The form in which two spellings of one text compare equal: Unicode NFKC,
    straight quotes and dashes, single spaces, case-folded."""
    marks = ASCII_MARKS
    if not text.isascii():  # NFKC leaves ASCII text as it is
        text = unicodedata.normalize("NFKC", text)
        marks = NFKC_MARKS
    for mark in marks:
        if mark in text:
            text = text.replace(mark, TYPOGRAPHIC[mark])
    # The space is the only printable whitespace; str.split() splits at runs of
    # exactly the characters that the regex \s matches.
    if not text.isprintable() or "  " in text or text[:1] == " " or text[-1:] == " ":
        text = " ".join(text.split())
    return text.casefold()


def identity_key(record: Record) -> str:
    return f"{record.date.isoformat()} {normalise_text(record.title)}"


def id_from_key(key: str) -> str:
    """`urn:uuid:` and the name-based (v5) UUID of the key; what `uuid.uuid5` gives,
    without building UUID objects (a cold build makes tens of thousands)."""
    sha1 = NAMESPACE_SHA1.copy()
    sha1.update(key.encode())
    h = sha1.hexdigest()
    # The version (5) is the 13th hex digit; the variant bits (10) top the 17th.
    variant = "89ab"[int(h[16], 16) & 3]
    return f"urn:uuid:{h[:8]}-{h[8:12]}-5{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}"


def feed_id(kind: Kind | None, name: str = "") -> str:
    """The id of the feed of one group, or of all entries when `kind` is None."""
    what = "all" if kind is None else f"{kind.folder} {normalise_text(name)}"
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, 'feed ' + what)}"


def merge_items(records: Iterable[Record], known: Mapping[GroupKey, str] | None = None) -> Catalog:
    """One entry per item, newest first, and the groups of every topic, mission and
    content type, including those in `known` that no longer hold any entry: the
    catalog an `Index` holds after taking every record at once."""
    index = Index(known)
    index.replace((), records)
    return index.catalog()


def best_label(spellings: Iterable[str], counts: Mapping[str, int]) -> str:
    """The label of a group: the spelling seen most often; ties go to a spelling in
    mixed case (how the site writes its names) over one all in capitals or all in
    small letters, then to one without compatibility characters, then to the
    greater string (typographic quotes over straight ones). Whatever the order of
    the files, the same records give the same label."""
    return max(
        spellings,
        key=lambda s: (
            counts[s],
            not s.isupper(),
            not s.islower(),
            unicodedata.is_normalized("NFKC", s),
            s,
        ),
    )


def label_aliases(counts: Mapping[str, int]) -> dict[str, str]:
    """The spellings (of one kind) that are not their group's label, each with its
    label. Most groups have one spelling, and give nothing here."""
    groups: dict[str, list[str]] = defaultdict(list)
    for name in counts:
        groups[normalised_name(name)].append(name)
    aliases = {}
    for spellings in groups.values():
        if len(spellings) > 1:
            label = best_label(spellings, counts)
            aliases.update({s: label for s in spellings if s != label})
    return aliases


@functools.lru_cache(maxsize=1 << 14)
def normalised_name(name: str) -> str:
    """`normalise_text` of a name; names recur, so each is normalised once."""
    return normalise_text(name)


def labelled(names: Iterable[str], aliases: Mapping[str, str]) -> tuple[str, ...]:
    """Names as their groups' labels, each group once, in `sorted_names` order."""
    if not aliases or aliases.keys().isdisjoint(names):
        return sorted_names(names if isinstance(names, tuple) else tuple(names))
    return sorted_names(tuple({aliases.get(name, name) for name in names}))


def add_sighting(sightings: dict[str, Sightings], key: str, record: Record) -> None:
    found = sightings.get(key)
    if found is None:
        sightings[key] = record
    elif isinstance(found, Record):
        sightings[key] = [found, record]
    else:
        found.append(record)


def remove_sighting(sightings: dict[str, Sightings], key: str, record: Record) -> None:
    found = records_of(sightings[key])
    found.remove(record)
    if len(found) > 1:
        sightings[key] = found
    elif found:
        sightings[key] = found[0]
    else:
        del sightings[key]


def records_of(found: Sightings) -> list[Record]:
    return [found] if isinstance(found, Record) else found


def keys_by_date(sightings: Mapping[str, Sightings]) -> dict[dt.date, tuple[str, ...]]:
    """The keys of the sightings by date; tuples, which the garbage collector skips."""
    by_date: dict[dt.date, list[str]] = defaultdict(list)
    for key, found in sightings.items():
        by_date[records_of(found)[0].date].append(key)
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
    sightings: Mapping[str, Sightings],
    vocabulary: Mapping[Kind, Container[str]],
    by_date: Mapping[dt.date, Iterable[str]],
    aliases: Aliases | None = None,
) -> list[Entry]:
    """The entry of every item (`by_date`: the keys of the sightings, by date), with
    its second (`day_seconds`), newest first."""
    aliases = aliases or NO_ALIASES
    entries = [
        merge_records(key, sightings[key], vocabulary, second, aliases)
        for keys in by_date.values()
        for key, second in day_seconds(keys).items()
    ]
    entries.sort(key=by_order)
    return entries


def merge_records(
    key: str,
    sightings: Sightings,
    vocabulary: Mapping[Kind, Container[str]],
    second: int = 0,
    aliases: Aliases | None = None,
) -> Entry:
    """The most complete truth of one item's sightings; its names are the labels of
    their groups (`aliases`: the spellings that are not)."""
    aliases = aliases or NO_ALIASES
    types_of = aliases[Kind.TYPE]
    if isinstance(sightings, Record) and not sightings.tentative:  # most: nothing to merge
        record = sightings
        content_type = record.content_type
        return new_entry(
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
    records = records_of(sightings)
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
    return new_entry(
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


@functools.lru_cache(maxsize=1 << 14)  # records share their lists of names
def sorted_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """Case-insensitive order, ties in code point order: the stable second sort keeps
    the order of the first among names equal but for case."""
    return tuple(sorted(sorted(names), key=str.casefold)) if len(names) > 1 else names


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


def name_key(group: GroupKey) -> NameKey:
    return (group[0], normalised_name(group[1]))


def collapse_registry(known: Mapping[GroupKey, str]) -> dict[NameKey, tuple[str, str]]:
    """The registry of published slugs by group: label and slug. A registry of
    older versions may hold several spellings of one group (`MISSION TO SERBIA`,
    `Mission to Serbia`), each with a slug: the group keeps the shortest slug (the
    plain one, without `-2`), then the first in code point order, whatever the order
    of the rows, and the label of its row."""
    registry: dict[NameKey, tuple[str, str]] = {}
    for (kind, name), slug in known.items():
        key = (kind, normalised_name(name))
        found = registry.get(key)
        if found is None or (len(slug), slug, name) < (len(found[1]), found[1], found[0]):
            registry[key] = (name, slug)
    return registry


def group_members(entries: Iterable[Entry]) -> dict[GroupKey, list[Entry]]:
    """The entries of each group they belong to (`Entry.names`), in the order given.
    Collected by name, kind by kind: a key holding a `Kind` hashes slowly."""
    topics: defaultdict[str, list[Entry]] = defaultdict(list)
    missions: defaultdict[str, list[Entry]] = defaultdict(list)
    types: defaultdict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        for name in entry.topics:
            topics[name].append(entry)
        for name in entry.missions:
            missions[name].append(entry)
        if entry.content_type:
            types[entry.content_type].append(entry)
    kinds = ((Kind.TOPIC, topics), (Kind.MISSION, missions), (Kind.TYPE, types))
    return {(kind, name): found for kind, named in kinds for name, found in named.items()}


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


def assign_slugs(groups: Iterable[GroupKey], known: Mapping[NameKey, str]) -> dict[NameKey, str]:
    """Known groups (by normalised name) keep their slug; a new group takes the slug
    of its label, or, when another group of its kind holds that, the first free
    `slug-2`, `slug-3`, ..."""
    slugs = dict(known)
    taken = {(kind, slug) for (kind, _), slug in slugs.items()}
    fresh = sorted(
        {name_key(k): k for k in groups if name_key(k) not in slugs}.items(),
        key=lambda item: (item[1][0].folder, item[1][1]),
    )
    for key, (kind, name) in fresh:
        base = slug_from_name(name)
        slug, n = base, 1
        while (kind, slug) in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add((kind, slug))
        slugs[key] = slug
    return slugs


class SortedEntries:
    """Entries newest first, with insertion and removal by bisection."""

    def __init__(self) -> None:
        self.keys: list[int] = []
        self.entries: list[Entry] = []
        self.frozen: tuple[Entry, ...] | None = ()  # `entries` as a tuple, while unchanged

    def as_tuple(self) -> tuple[Entry, ...]:
        """The entries as a tuple, made again only after a change: a catalog holds a
        tuple of every feed's entries, and most feeds do not change between builds."""
        if self.frozen is None:
            self.frozen = tuple(self.entries)
        return self.frozen

    def add(self, entry: Entry) -> None:
        self.frozen = None
        at = bisect.bisect_left(self.keys, entry.order)
        self.keys.insert(at, entry.order)
        self.entries.insert(at, entry)

    def remove(self, entry: Entry) -> None:
        self.frozen = None
        at = bisect.bisect_left(self.keys, entry.order)
        del self.keys[at]
        del self.entries[at]

    def update(self, removed: list[Entry], added: list[Entry]) -> None:
        """Remove and add entries: one by one for a few, by sorting for many (in
        linear time when `added` is sorted: the sort merges two sorted runs)."""
        self.frozen = None
        if len(removed) + len(added) < max(64, len(self.entries) // 16):
            for entry in removed:
                self.remove(entry)
            for entry in added:
                self.add(entry)
            return
        gone = {entry.key for entry in removed}
        kept = [e for e in self.entries if e.key not in gone] if gone else self.entries
        self.entries = sorted([*kept, *added], key=by_order)
        self.keys = [e.order for e in self.entries]

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
        self.sightings: dict[str, Sightings] = {}
        self.vocabulary: dict[Kind, Counter[str]] = {kind: Counter() for kind in Kind}
        self.waiting: dict[tuple[Kind, str], set[str]] = defaultdict(set)  # tentative -> keys
        self.entries: dict[str, Entry] = {}
        self.by_date: dict[dt.date, tuple[str, ...]] = {}
        self.ordered = SortedEntries()
        # Groups by normalised name: their entries, slug and label, and the
        # spellings of each that the records give (`vocabulary`).
        registry = collapse_registry(known or {})
        self.groups: dict[NameKey, SortedEntries] = {key: SortedEntries() for key in registry}
        self.slug_of: dict[NameKey, str] = {key: slug for key, (_, slug) in registry.items()}
        self.labels: dict[NameKey, str] = {key: label for key, (label, _) in registry.items()}
        self.spellings: dict[NameKey, set[str]] = defaultdict(set)
        self.aliases: dict[Kind, dict[str, str]] = {kind: {} for kind in Kind}

    @property
    def slugs(self) -> dict[GroupKey, str]:
        """The slug of every group, by kind and label: the registry to publish."""
        return {(key[0], self.labels[key]): slug for key, slug in self.slug_of.items()}

    def replace(self, old: Iterable[Record], new: Iterable[Record]) -> Change:
        """Withdraw the records `old` (as given before) and add the records `new`."""
        withdrawn, added = list(old), list(new)
        withdrawn_keys = [identity_key(record) for record in withdrawn]
        added_keys = [identity_key(record) for record in added]
        for key, record in zip(withdrawn_keys, withdrawn, strict=True):
            remove_sighting(self.sightings, key, record)
        for key, record in zip(added_keys, added, strict=True):
            add_sighting(self.sightings, key, record)
            for kind, value in record.tentative:
                self.waiting[kind, value].add(key)
        touched = {*withdrawn_keys, *added_keys}
        flipped, counted = self._count(withdrawn, added)
        for kind_name in flipped:  # evidence for a cut value came or went
            touched.update(self.waiting.get(kind_name, ()))
        for group in self._relabel(flipped, counted):
            if group in self.groups:  # its entries show the new label
                touched.update(entry.key for entry in self.groups[group].entries)
        return self._remerge(touched)

    def _count(
        self, withdrawn: list[Record], added: list[Record]
    ) -> tuple[set[tuple[Kind, str]], set[tuple[Kind, str]]]:
        """Count the complete names of the records withdrawn and added; returns the
        names that were present before and are not now, or the other way round, and
        every name whose count changed."""
        flipped: set[tuple[Kind, str]] = set()
        counted: set[tuple[Kind, str]] = set()
        lost, gained = name_counts(withdrawn), name_counts(added)
        for kind, counts in self.vocabulary.items():
            for name in lost[kind].keys() | gained[kind].keys():
                before = counts[name]
                counts[name] += gained[kind][name] - lost[kind][name]
                if not counts[name]:
                    del counts[name]
                if bool(before) != (name in counts):
                    flipped.add((kind, name))
                if before != counts.get(name, 0):
                    counted.add((kind, name))
        return flipped, counted

    def _relabel(
        self, flipped: set[tuple[Kind, str]], counted: set[tuple[Kind, str]]
    ) -> list[NameKey]:
        """Keep the spellings, labels and aliases of the groups whose names came,
        went or were counted again; returns the groups whose label changed."""
        for kind, name in flipped:
            spellings = self.spellings[kind, normalised_name(name)]
            if name in self.vocabulary[kind]:
                spellings.add(name)
            else:
                spellings.discard(name)
                self.aliases[kind].pop(name, None)
        changed = []
        for group in {(kind, normalised_name(name)) for kind, name in counted}:
            kind = group[0]
            spellings = self.spellings[group]
            if not spellings:  # no entry holds it now: it keeps its last label
                del self.spellings[group]
                continue
            aliases = self.aliases[kind]
            if len(spellings) == 1:  # most groups
                label = next(iter(spellings))
                if aliases:
                    aliases.pop(label, None)
            else:
                label = best_label(spellings, self.vocabulary[kind])
                aliases.pop(label, None)
                aliases.update({name: label for name in spellings if name != label})
            if self.labels.get(group) != label:
                self.labels[group] = label
                changed.append(group)
        return changed

    def _remerge(self, keys: set[str]) -> Change:
        if not self.entries:  # nothing to compare with: every item present is new
            self.by_date = keys_by_date(self.sightings)
            entries = merge_all(self.sightings, self.vocabulary, self.by_date, self.aliases)
            return self._apply([(None, entry) for entry in entries])
        days: dict[dt.date, set[str]] = {}  # the keys of each date touched, as they become
        changes: list[tuple[Entry | None, Entry | None]] = []
        for key in keys:  # the date is part of the key: an entry never changes date
            found = self.sightings.get(key)
            if found is not None:
                day, gone = records_of(found)[0].date, None
            elif key in self.entries:
                gone = self.entries[key]
                day = gone.date
                changes.append((gone, None))
            else:
                continue
            day_keys = days.get(day)
            if day_keys is None:
                day_keys = days[day] = set(self.by_date.get(day, ()))
            if gone is None:
                day_keys.add(key)
            else:
                day_keys.discard(key)
        for day, day_keys in days.items():
            for key, second in day_seconds(day_keys).items():
                before = self.entries.get(key)
                if key in keys:
                    after = merge_records(
                        key, self.sightings[key], self.vocabulary, second, self.aliases
                    )
                elif before is not None and before.second != second:
                    after = replace(before, second=second)
                else:
                    continue
                if before != after:
                    changes.append((before, after))
            if day_keys:
                self.by_date[day] = tuple(day_keys)
            else:
                self.by_date.pop(day, None)
        return self._apply(changes)

    def _apply(self, changes: list[tuple[Entry | None, Entry | None]]) -> Change:
        gone = [before for before, _ in changes if before is not None]
        # Sorted once, so that every group's share of them is sorted too.
        arrived = sorted((after for _, after in changes if after is not None), key=by_order)
        for entry in gone:
            del self.entries[entry.key]
        for entry in arrived:
            self.entries[entry.key] = entry
        removed = by_name_key(group_members(gone))
        added_by_label = group_members(arrived)
        added = by_name_key(added_by_label)
        fresh = [g for g in added_by_label if name_key(g) not in self.groups]
        for group in fresh:
            self.groups[name_key(group)] = SortedEntries()
        if changes:
            self.ordered.update(gone, arrived)
        touched = removed.keys() | added.keys()
        for group in touched:
            self.groups[group].update(removed.get(group, []), added.get(group, []))
        if fresh:
            self.slug_of = assign_slugs(fresh, self.slug_of)
        return Change(
            tuple(changes),
            frozenset((kind, self.labels[kind, n]) for kind, n in touched),
            bool(fresh),
        )

    def orders(self, group: GroupKey | None) -> list[int]:
        """The sort keys (`Entry.order`) of a group's entries, or of all entries
        (None), newest first: where an entry sits in its feed, found by bisection."""
        return (self.ordered if group is None else self.groups[name_key(group)]).keys

    def month(self, path: str) -> list[Entry]:
        """The entries of the month of a month page (`items/YYYY/MM.html`)."""
        year, month = int(path[6:10]), int(path[11:13])
        first = dt.date(year, month, 1)
        last = (first + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
        return self.ordered.between(order_value(last, 999_999), order_value(first, 0))

    def catalog(self) -> Catalog:
        labels = self.labels
        return Catalog(
            entries=self.ordered.as_tuple(),
            groups=tuple(
                Group(kind, labels[kind, n], self.slug_of[kind, n], self.groups[kind, n].as_tuple())
                for kind, n in sorted(self.groups, key=lambda g: group_order((g[0], labels[g])))
            ),
        )


def by_name_key(members: dict[GroupKey, list[Entry]]) -> dict[NameKey, list[Entry]]:
    """Group members by normalised name: one group has one label among the entries
    of one moment, but entries before and after a change of label differ."""
    found: dict[NameKey, list[Entry]] = {}
    for group, entries in members.items():
        key = name_key(group)
        if key in found:
            found[key] = sorted([*found[key], *entries], key=by_order)
        else:
            found[key] = entries
    return found
