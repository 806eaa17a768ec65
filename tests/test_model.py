"""The values that flow through the pipeline: an entry's id, short id and order
depend on the item alone; values are frozen; an issue reads as `file:line: level:
message`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import uuid
from pathlib import Path

import pytest

from feeds.build import build
from feeds.catalog import merge_items
from feeds.config import Config
from feeds.model import Entry, Record, id_number, order_value, short_id_of
from feeds.parse import parse_seed

from .conftest import SAMPLE_SEEDS

PAGES = sorted(SAMPLE_SEEDS.glob("*.txt"))


def entry(day: dt.date, second: int, title: str = "T") -> Entry:
    return Entry(
        key=f"{day} {title.lower()}",
        id=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{day} {title}')}",
        title=title,
        date=day,
        second=second,
        content_type="News",
        missions=("OSCE Mission to Serbia",),
        topics=("Policing",),
        summary="S",
    )


def test_a_short_id_is_the_start_of_the_uuid() -> None:
    for page in PAGES:
        for found in merge_items(parse_seed(page.read_bytes(), page.name).records).entries:
            hex_digits = uuid.UUID(found.id).hex
            assert found.short_id == short_id_of(found.id) == hex_digits[:8]
            assert found.number == id_number(found.id) == int(hex_digits[:8], 16)


def test_ids_depend_on_the_items_alone_not_on_files_or_their_order() -> None:
    """The same pages read under other names, in the other order, or as one page give
    the same ids: a reader never sees an item twice."""
    pages = [page.read_bytes() for page in PAGES]
    apart = merge_items(r for data in pages for r in parse_seed(data, "a.txt").records)
    renamed = merge_items(
        r for n, data in enumerate(reversed(pages)) for r in parse_seed(data, f"{n}.txt").records
    )
    joined = merge_items(parse_seed(b"\n".join(pages), "one.txt").records)
    ids = [e.id for e in apart.entries]
    assert len(set(ids)) == len(ids) == 14
    assert [e.id for e in renamed.entries] == [e.id for e in joined.entries] == ids


def test_a_short_id_is_stable_across_builds(tmp_path: Path) -> None:
    """Item links (a month page and the item's anchor) are the same in two builds of
    the same pages under other names, another base URL and another public folder:
    links people shared keep working."""
    anchors = []
    for n, base_url in enumerate(["https://feeds.example.org/", "http://127.0.0.1:9000/x/"]):
        seeds = tmp_path / f"seeds-{n}"
        seeds.mkdir()
        for m, page in enumerate(PAGES if n == 0 else reversed(PAGES)):
            shutil.copy(page, seeds / f"{n}-{m}.txt")
        config = Config(seeds=seeds, public=tmp_path / f"public-{n}", base_url=base_url)
        build(config)
        anchors.append(
            {
                path.relative_to(config.public).as_posix(): re.findall(
                    r'<article id="(item-[0-9a-f]{8})">', path.read_text()
                )
                for path in config.public.glob("items/*/*.html")
            }
        )
    assert anchors[0] == anchors[1]
    assert sum(map(len, anchors[0].values())) == 14


def test_order_sorts_the_newest_first() -> None:
    days = [dt.date(2020, 12, 31), dt.date(2021, 1, 1), dt.date(2019, 6, 15)]
    entries = [entry(day, second) for day in days for second in (0, 1, 3599)]
    newest_first = sorted(entries, key=lambda e: (e.date, e.second), reverse=True)
    assert sorted(entries, key=lambda e: e.order) == newest_first
    assert all(e.order == order_value(e.date, e.second) for e in entries)


def test_a_changed_entry_derives_its_values_again() -> None:
    """An entry whose second moves (another item of its day arrived) sorts by its
    new second: the derived values are made by every constructor, also `replace`."""
    before = entry(dt.date(2020, 5, 1), 10)
    after = dataclasses.replace(before, second=20)
    assert after.order == order_value(after.date, 20) < before.order
    assert after.number == before.number
    assert after != before
    assert dataclasses.replace(after, second=10) == before


def test_values_are_frozen() -> None:
    found = entry(dt.date(2020, 5, 1), 10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.title = "U"  # type: ignore[misc]
    record = Record(
        title="T",
        date=dt.date(2020, 5, 1),
        content_type=None,
        missions=(),
        topics=(),
        summary="",
        source="x.txt",
        line=1,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.line = 2  # type: ignore[misc]
    assert hash(found) == hash(dataclasses.replace(found))


def test_an_issue_reads_as_file_line_level_message() -> None:
    page = b"Newsroom\n\nA title\nPublishing date: 31/13/2020\nA summary.\n"
    (issue,) = parse_seed(page, "seeds/004.txt").issues
    assert str(issue) == "seeds/004.txt:4: error: bad date '31/13/2020': item skipped"
