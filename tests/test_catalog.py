"""Merging: one entry per item, order-free, idempotent; the daemon's `Index` always
equals a fresh merge of the records present."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.build import build
from feeds.catalog import (
    Index,
    identity_key,
    merge_items,
    normalise_text,
    slug_from_name,
)
from feeds.config import Config
from feeds.model import Catalog, Kind, Record
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
# Pages that spell the corpus's names otherwise (case, spaces, quotes and dashes):
# their groups gain and lose spellings, and change label, as pages come and go.
VARIANTS = {
    "variants-caps.txt": "MISSION TO SERBIA|OSCE MISSION TO SERBIA|POLICING|NEWS",
    "variants-lower.txt": "Mission to Serbia|osce mission to serbia|policing, Youth|news",
    "variants-twice.txt": "Mission  to Serbia|OSCE Mission to Serbia|POLICING|NEWS",
}
for _name, _names in VARIANTS.items():
    _mission, _other, _topics, _type = _names.split("|")
    _page = "".join(
        f"Variant item {n} of {_name}\nPublishing date: {n + 1} May 2020\nContent type: {_type}\n"
        f"Where we are: {_mission}, {_other}\nWhat we do: {_topics}\nSummary.\n"
        for n in range(3)
    )
    RECORDS[_name] = parse_seed(f"News and press releases\n{_page}".encode(), _name).records


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
    return Record(title=title, date=dt.date(2020, 5, day), **values)  # type: ignore[arg-type]


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


def groups_of(catalog: Catalog, kind: Kind) -> dict[str, tuple[str, int]]:
    """Label -> (slug, entries) of the groups of one kind."""
    return {g.name: (g.slug, len(g.entries)) for g in catalog.groups if g.kind is kind}


def test_names_that_differ_only_in_case_are_one_group() -> None:
    records = [
        record("A", missions=("MISSION TO SERBIA",), topics=("POLICING",), content_type="NEWS"),
        record("B", day=2, missions=("Mission to Serbia",), topics=("Policing",)),
        record("C", day=3, missions=("Mission  to Serbia",), topics=("policing",)),
        record("D", day=4, missions=("Mission to Serbia",), content_type="News"),
        record("E", day=5, missions=("MISSION TO SERBIA", "Mission to Serbia")),
    ]
    for order in (records, records[::-1], records[2:] + records[:2]):
        catalog = merge_items(order)
        # The spelling seen most often; a tie goes to mixed case.
        assert groups_of(catalog, Kind.MISSION) == {"Mission to Serbia": ("mission-to-serbia", 5)}
        assert groups_of(catalog, Kind.TOPIC) == {"Policing": ("policing", 3)}
        assert groups_of(catalog, Kind.TYPE) == {"News": ("news", 2)}
        for entry in catalog.entries:  # categories carry the group's label
            assert set(entry.missions) == {"Mission to Serbia"}
            assert set(entry.topics) <= {"Policing"}
            assert entry.content_type in (None, "News")


def test_the_label_follows_the_most_sightings() -> None:
    caps = [record(f"Caps {n}", day=n + 1, missions=("MISSION TO SERBIA",)) for n in range(3)]
    mixed = [record("Mixed", day=9, missions=("Mission to Serbia",))]
    assert groups_of(merge_items(mixed + caps), Kind.MISSION) == {
        "MISSION TO SERBIA": ("mission-to-serbia", 4)
    }
    assert [e.missions for e in merge_items(caps + mixed).entries] == [("MISSION TO SERBIA",)] * 4


def test_a_registry_with_both_spellings_keeps_one_slug_whatever_its_order() -> None:
    """A registry written before names were grouped may give each spelling a slug;
    the group keeps the plain one, and the label is the records' choice."""
    rows = [
        ((Kind.MISSION, "MISSION TO SERBIA"), "mission-to-serbia-2"),
        ((Kind.MISSION, "Mission to Serbia"), "mission-to-serbia"),
        ((Kind.TOPIC, "youth"), "youth"),
        ((Kind.TOPIC, "Youth"), "youth-2"),
    ]
    records = [record("A", missions=("MISSION TO SERBIA",), topics=("Youth",))]
    for known in (dict(rows), dict(rows[::-1])):
        catalog = merge_items(records, known)
        assert groups_of(catalog, Kind.MISSION) == {"MISSION TO SERBIA": ("mission-to-serbia", 1)}
        assert groups_of(catalog, Kind.TOPIC) == {"Youth": ("youth", 1)}
        assert merge_items([], known).groups == merge_items([], dict(rows)).groups
        assert [g.name for g in merge_items([], known).groups] == ["youth", "Mission to Serbia"]
        index = Index(known)
        index.replace((), records)
        assert index.catalog() == catalog
        assert index.slugs == {
            (Kind.MISSION, "MISSION TO SERBIA"): "mission-to-serbia",
            (Kind.TOPIC, "Youth"): "youth",
        }


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


def test_a_registry_of_older_versions_loads_and_keeps_one_slug(tmp_path: Path) -> None:
    """A real build over a registry that gave two spellings two slugs: one feed, on
    the plain slug, and a registry of one row for the group."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text(
        "News and press releases\nItem\nPublishing date: 9 October 2020\n"
        "Where we are: MISSION TO SERBIA\nSummary.\n"
        "Other\nPublishing date: 8 October 2020\nWhere we are: Mission to Serbia\nSummary.\n"
    )
    public = tmp_path / "public"
    registry = public / ".osce-feeds/groups.json"
    registry.parent.mkdir(parents=True)
    registry.write_text(
        '[["missions", "Mission to Serbia", "mission-to-serbia-2"],\n'
        '["missions", "MISSION TO SERBIA", "mission-to-serbia"]]'
    )
    build(Config(seeds=seeds, public=public))
    assert sorted(p.name for p in (public / "missions").glob("*.atom")) == [
        "mission-to-serbia.atom"
    ]
    rows = json.loads(registry.read_text())
    assert rows == [["missions", "Mission to Serbia", "mission-to-serbia"]]
