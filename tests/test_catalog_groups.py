"""Groups: one group per name whatever its spelling, under the label seen most often,
on a slug that never moves."""

from __future__ import annotations

import json
from pathlib import Path

from feeds.build import build
from feeds.catalog import Index, merge_items
from feeds.catalog.groups import slug_from_name
from feeds.config import Config
from feeds.model import Kind

from .records import groups_of, record


def test_slugs_read_well() -> None:
    assert slug_from_name("OSCE Mission to Skopje (closed)") == "osce-mission-to-skopje-closed"
    assert slug_from_name("Cyber/ICT security") == "cyber-ict-security"
    assert slug_from_name("Odžak – Ğ") == "odzak-g"


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
