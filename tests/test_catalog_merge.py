"""Merging: one entry per item with the most complete truth of its sightings,
order-free and idempotent."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.catalog import merge_items
from feeds.model import Kind

from .records import RECORDS, record


def test_merge_keeps_the_most_complete_truth() -> None:
    catalog = merge_items(
        [
            record("T", summary="The OSCE held a", topics=("Policing",)),
            record("T", summary="The OSCE held a meeting.", topics=("Youth",), content_type="News"),
            record("T", missions=("OSCE Mission to Serbia",)),
        ]
    )
    (entry,) = catalog.entries
    assert entry.summary == "The OSCE held a meeting."
    assert entry.topics == ("Policing", "Youth")
    assert entry.missions == ("OSCE Mission to Serbia",)
    assert entry.content_type == "News"


def test_cut_value_is_confirmed_by_another_file() -> None:
    cut = record(
        "A", missions=("OSCE Secretariat",), tentative=((Kind.MISSION, "OSCE Mission to Ser"),)
    )
    whole = record("B", day=2, missions=("OSCE Mission to Ser",))
    assert merge_items([cut]).entries[0].missions == ("OSCE Secretariat",)
    merged = {e.title: e for e in merge_items([cut, whole]).entries}
    assert merged["A"].missions == ("OSCE Mission to Ser", "OSCE Secretariat")


def test_same_day_entries_get_distinct_stable_seconds() -> None:
    day = [record(f"Item {n}") for n in range(40)]
    seconds = {e.title: e.second for e in merge_items(day).entries}
    assert len(set(seconds.values())) == 40
    more = {e.title: e.second for e in merge_items([*day, record("Another")]).entries}
    moved = [t for t in seconds if seconds[t] != more[t]]
    assert len(moved) <= 1  # only on a collision with the newcomer


@settings(max_examples=40, deadline=None)
@given(st.permutations(list(RECORDS)))
def test_merge_is_order_free_and_idempotent(names: list[str]) -> None:
    records = [r for name in names for r in RECORDS[name]]
    reference = merge_items([r for name in sorted(RECORDS) for r in RECORDS[name]])
    once = merge_items(records)
    assert once == reference
    assert merge_items(records + records) == reference
