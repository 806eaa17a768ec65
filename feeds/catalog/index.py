"""The catalog of the records present, kept up to date record by record: the
entries newest first, each group's entries, labels and slugs, and what each change
did. `merge_items` is an `Index` given every record at once.

The rules it applies are `identity`, `groups` and `merge`; this module only keeps
their results by their inputs. No I/O.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from feeds.catalog.groups import (
    GroupKey,
    NameKey,
    assign_slugs,
    best_label,
    collapse_registry,
    group_members,
    group_order,
    name_key,
    normalised_name,
)
from feeds.catalog.identity import identity_key
from feeds.catalog.merge import (
    Sightings,
    by_order,
    day_seconds,
    merge_all,
    merge_records,
    name_counts,
)
from feeds.model import Catalog, Entry, Group, Kind, Record, order_value


def merge_items(records: Iterable[Record], known: Mapping[GroupKey, str] | None = None) -> Catalog:
    """One entry per item, newest first, and the groups of every topic, mission and
    content type, including those in `known` that no longer hold any entry: the
    catalog an `Index` holds after taking every record at once."""
    index = Index(known)
    index.replace((), records)
    return index.catalog()


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
        self.sightings = Sightings()
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
            self.sightings.remove(key, record)
        for key, record in zip(added_keys, added, strict=True):
            self.sightings.add(key, record)
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
            self.by_date = self.sightings.keys_by_date()
            entries = merge_all(self.sightings, self.vocabulary, self.by_date, self.aliases)
            return self._apply([(None, entry) for entry in entries])
        days: dict[dt.date, set[str]] = {}  # the keys of each date touched, as they become
        changes: list[tuple[Entry | None, Entry | None]] = []
        for key in keys:  # the date is part of the key: an entry never changes date
            found = self.sightings.first.get(key)
            if found is not None:
                day, gone = found.date, None
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
                        key, self.sightings.records(key), self.vocabulary, second, self.aliases
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

    def month(self, day: dt.date) -> list[Entry]:
        """The entries of the month of `day`, newest first."""
        first = day.replace(day=1)
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
