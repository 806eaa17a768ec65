"""Merging: one entry per item, order-free, idempotent; the daemon's `Index` always
equals a fresh merge of the records present."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.catalog import Index, identity_key, merge_items, normalise_text, slug_from_name
from feeds.model import Entry, Kind, Record, new_entry
from feeds.parse import parse_seed

from .conftest import DATA, SAMPLE_SEEDS

PAGES = sorted(
    [
        *SAMPLE_SEEDS.glob("*.txt"),
        *(DATA / "holdout").glob("*.txt"),
        *(DATA / "seeds").glob("*.txt"),
    ]
)
RECORDS = {p.name: parse_seed(p.read_bytes(), p.name).records for p in PAGES}


def record(title: str, day: int = 1, **fields: object) -> Record:
    values: dict[str, object] = {
        "content_type": None,
        "missions": (),
        "topics": (),
        "summary": "",
        "source": "x.txt",
        "line": 1,
    }
    values.update(fields)
    return Record(title, dt.date(2020, 5, day), **values)  # type: ignore[arg-type]


def test_identity_ignores_quotes_dashes_case_space_and_forms() -> None:
    a = record("OSCE’s “Mission” – report")
    b = record('osce\'s "mission"  - REPORT')
    assert identity_key(a) == identity_key(b)
    assert identity_key(a) != identity_key(record("OSCE’s “Mission” – report", day=2))
    assert normalise_text("ﬁrst\u00a0 Niš") == "first niš"


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


def test_slugs_read_well() -> None:
    assert slug_from_name("OSCE Mission to Skopje (closed)") == "osce-mission-to-skopje-closed"
    assert slug_from_name("Cyber/ICT security") == "cyber-ict-security"
    assert slug_from_name("Odžak – Ğ") == "odzak-g"


def test_new_entry_builds_what_entry_builds() -> None:
    fields = {
        "key": "2020-05-01 t",
        "id": "urn:uuid:8f0c7d2e-5b1a-5c3d-9e4f-0a1b2c3d4e5f",
        "title": "T",
        "date": dt.date(2020, 5, 1),
        "second": 17,
        "content_type": "News",
        "missions": ("OSCE Mission to Serbia",),
        "topics": ("Policing", "Youth"),
        "summary": "S",
    }
    built, reference = new_entry(**fields), Entry(**fields)  # type: ignore[arg-type]
    assert type(built) is Entry
    assert built == reference
    assert hash(built) == hash(reference)
    assert repr(built) == repr(reference)
    assert (built.number, built.order) == (reference.number, reference.order)
    assert dataclasses.replace(built, second=18) == dataclasses.replace(reference, second=18)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.title = "U"  # type: ignore[misc]
