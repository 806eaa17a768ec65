"""Groups: names that differ only as identities may (`normalise_text`) are one
group, shown under one label, the spelling the records give most often
(`best_label`); entries carry that label. Slugs are the only thing not derived from
the records alone: a registry of the slugs already published (`known`) keeps every
feed URL where it was.

Decides names, labels and slugs; which entries a group holds is kept by
`feeds.catalog.index`. No I/O.
"""

from __future__ import annotations

import functools
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping

from slugify import slugify

from feeds.catalog.identity import normalise_text
from feeds.model import Entry, Kind

GroupKey = tuple[Kind, str]  # a kind and a group's label, as catalogs name groups
NameKey = tuple[Kind, str]  # a kind and a normalised name: one per group, whatever its label
# Spellings that differ from their group's label, by kind: spelling -> label.
Aliases = Mapping[Kind, Mapping[str, str]]


KIND_ORDER = {kind: n for n, kind in enumerate(Kind)}
NO_ALIASES: Aliases = {kind: {} for kind in Kind}


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


@functools.lru_cache(maxsize=1 << 14)  # records share their lists of names
def sorted_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """Case-insensitive order, ties in code point order: the stable second sort keeps
    the order of the first among names equal but for case."""
    return tuple(sorted(sorted(names), key=str.casefold)) if len(names) > 1 else names


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
