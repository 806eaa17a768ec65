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

from feeds.catalog.groups import GroupKey, group_order
from feeds.catalog.index import Change, Index, merge_items

__all__ = ["Change", "GroupKey", "Index", "group_order", "merge_items"]
