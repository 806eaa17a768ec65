"""The daemon's `Index` always equals a fresh merge of the records present."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.catalog import Index, merge_items
from feeds.model import Kind, Record

from .records import RECORDS, groups_of, record

operations = st.lists(
    st.tuples(st.sampled_from(sorted(RECORDS)), st.integers(0, 40), st.booleans()),
    min_size=1,
    max_size=20,
)


@settings(max_examples=60, deadline=None)
@given(operations)
def test_index_equals_a_fresh_merge_after_any_changes(ops: list[tuple[str, int, bool]]) -> None:
    index = Index()
    present: dict[str, tuple[Record, ...]] = {}
    for name, keep, delete in ops:
        old = present.pop(name, ())
        new = () if delete else RECORDS[name][:keep]
        index.replace(old, new)
        if new:
            present[name] = new
        reference = merge_items([r for records in present.values() for r in records])
        got = index.catalog()
        assert got.entries == reference.entries
        assert [g for g in got.groups if g.entries] == list(reference.groups)


def test_index_follows_a_change_of_label() -> None:
    index = Index()
    caps = [record(f"Caps {n}", day=n + 1, missions=("MISSION TO SERBIA",)) for n in range(2)]
    mixed = [record(f"Mixed {n}", day=n + 10, missions=("Mission to Serbia",)) for n in range(3)]
    index.replace((), caps)
    assert groups_of(index.catalog(), Kind.MISSION) == {
        "MISSION TO SERBIA": ("mission-to-serbia", 2)
    }
    change = index.replace((), mixed)
    assert groups_of(index.catalog(), Kind.MISSION) == {
        "Mission to Serbia": ("mission-to-serbia", 5)
    }
    assert change.groups == {(Kind.MISSION, "Mission to Serbia")}
    assert len(change.entries) == 5  # the two older entries show the new label too
    index.replace(mixed, ())
    assert index.catalog() == merge_items(caps)
    index.replace(caps, ())
    # Emptied, the group keeps its last label and its slug.
    assert groups_of(index.catalog(), Kind.MISSION) == {
        "MISSION TO SERBIA": ("mission-to-serbia", 0)
    }
