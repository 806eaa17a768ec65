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

The modules: `identity` (the folding rule, identity keys, entry and feed ids),
`groups` (labels, aliases, slugs), `merge` (one item's sightings to an entry, its
second of the day) and `index` (the incremental `Index`, and `merge_items`).
"""

from feeds.catalog.groups import (
    Aliases,
    GroupKey,
    NameKey,
    assign_slugs,
    best_label,
    collapse_registry,
    group_members,
    group_order,
    label_aliases,
    labelled,
    name_key,
    normalised_name,
    slug_from_name,
    sorted_names,
)
from feeds.catalog.identity import (
    NAMESPACE,
    feed_id,
    id_from_key,
    identity_key,
    normalise_text,
    query_feed_id,
)
from feeds.catalog.index import Change, Index, SortedEntries, merge_items
from feeds.catalog.merge import (
    SECONDS_PER_DAY_WINDOW,
    Sightings,
    day_seconds,
    merge_all,
    merge_records,
)

__all__ = [
    "NAMESPACE",
    "SECONDS_PER_DAY_WINDOW",
    "Aliases",
    "Change",
    "GroupKey",
    "Index",
    "NameKey",
    "Sightings",
    "SortedEntries",
    "assign_slugs",
    "best_label",
    "collapse_registry",
    "day_seconds",
    "feed_id",
    "group_members",
    "group_order",
    "id_from_key",
    "identity_key",
    "label_aliases",
    "labelled",
    "merge_all",
    "merge_items",
    "merge_records",
    "name_key",
    "normalise_text",
    "normalised_name",
    "query_feed_id",
    "slug_from_name",
    "sorted_names",
]
