"""Merge the records of every seed file into one catalog of entries and groups.

Identity: two records are one item when their publishing dates and normalised titles
are equal (`identity_key`). The merged entry keeps the most complete truth of all its
sightings. The result depends only on the set of records, never on file names or on
the order in which files were read; merging is idempotent.

Slugs are the only thing not derived from the records alone: a registry of the slugs
already published (`known`) keeps every feed URL where it was. Contains no I/O.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

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


def normalise_text(text: str) -> str:
    """The form in which two spellings of one text compare equal: Unicode NFKC,
    straight quotes and dashes, single spaces, case-folded."""
    text = unicodedata.normalize("NFKC", text).translate(TYPOGRAPHIC)
    return SPACE_RUNS.sub(" ", text).strip().casefold()


def identity_key(record: Record) -> str:
    return f"{record.date.isoformat()} {normalise_text(record.title)}"


def id_from_key(key: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, key)}"


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
        names[Kind.MISSION].update(record.missions)
        names[Kind.TOPIC].update(record.topics)
        if record.content_type:
            names[Kind.TYPE].add(record.content_type)
    return {kind: frozenset(found) for kind, found in names.items()}


def merge_records(
    key: str, records: list[Record], vocabulary: Mapping[Kind, frozenset[str]]
) -> Entry:
    """The most complete truth of one item's sightings."""
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
        second=0,
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
    """Give each entry a second within its day's window, distinct within the date,
    chosen from a hash of its key so that it does not move when other items arrive
    (only a collision probes to the next free second). Returns newest first."""
    by_date: dict[object, list[tuple[int, Entry]]] = defaultdict(list)
    for entry in entries:
        digest = int.from_bytes(hashlib.sha256(entry.key.encode()).digest()[:8], "big")
        by_date[entry.date].append((digest, entry))
    placed: list[Entry] = []
    for day in by_date.values():
        day.sort(key=lambda pair: (pair[0], pair[1].key))
        window = max(SECONDS_PER_DAY_WINDOW, len(day))
        taken: set[int] = set()
        for digest, entry in day:
            second = digest % window
            while second in taken:
                second = (second + 1) % window
            taken.add(second)
            placed.append(_with_second(entry, second))
    placed.sort(key=lambda e: (e.date, e.second), reverse=True)
    return tuple(placed)


def _with_second(entry: Entry, second: int) -> Entry:
    return Entry(
        key=entry.key,
        id=entry.id,
        title=entry.title,
        date=entry.date,
        second=second,
        content_type=entry.content_type,
        missions=entry.missions,
        topics=entry.topics,
        summary=entry.summary,
    )


def group_entries(entries: tuple[Entry, ...], known: Mapping[GroupKey, str]) -> tuple[Group, ...]:
    """Groups by kind, then name; each keeps its order of entries (newest first)."""
    members: dict[GroupKey, list[Entry]] = {key: [] for key in known}
    for entry in entries:
        for kind in Kind:
            for name in entry.names(kind):
                members.setdefault((kind, name), []).append(entry)
    slugs = assign_slugs(members, known)
    order = sorted(members, key=lambda k: (list(Kind).index(k[0]), k[1].casefold(), k[1]))
    return tuple(
        Group(kind, name, slugs[kind, name], tuple(members[kind, name])) for kind, name in order
    )


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
