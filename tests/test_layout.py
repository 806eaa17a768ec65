"""Where things live in `public/`: every path the layout builds reads back to what it
was built from, month pages split at month ends, archive pages are named after
their newest entry."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import feedparser
import pytest

from feeds.build import build
from feeds.catalog import Index
from feeds.config import Config
from feeds.layout import (
    MONTH_ROOT,
    archive_name,
    archive_path,
    feed_specs,
    item_anchor,
    item_path,
    month_from_path,
    month_of,
    relative_root,
)
from feeds.model import Catalog
from feeds.parse import parse_seed

from .conftest import BASE_URL, DATA, SAMPLE_SEEDS

PAGES = sorted([*SAMPLE_SEEDS.glob("*.txt"), *(DATA / "seeds").glob("*.txt")])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Catalog]:
    """The corpus and the sample pages built with feeds of four entries: many archive
    pages, and items over many months."""
    root = tmp_path_factory.mktemp("layout")
    seeds = root / "seeds"
    seeds.mkdir()
    for page in PAGES:
        shutil.copy(page, seeds / f"{page.parent.name}-{page.name}")
    config = Config(seeds=seeds, public=root / "public", base_url=BASE_URL, feed_size=4)
    result = build(config)
    assert result.catalog is not None
    return config.public, result.catalog


def test_every_month_page_reads_back_and_holds_exactly_its_month(
    site: tuple[Path, Catalog],
) -> None:
    public, catalog = site
    pages = sorted(p.relative_to(public).as_posix() for p in public.glob("items/*/*.html"))
    assert len(pages) > 3
    assert pages == sorted({month_of(entry.date) for entry in catalog.entries})
    for path in pages:
        first = month_from_path(path)
        assert first.day == 1
        assert month_of(first) == path
        anchors = set(re.findall(r'<article id="([^"]+)"', (public / path).read_text()))
        assert anchors == {
            item_anchor(entry) for entry in catalog.entries if month_of(entry.date) == path
        }


def test_every_archive_page_is_named_after_its_newest_entry(site: tuple[Path, Catalog]) -> None:
    public, catalog = site
    archives = sorted(p.relative_to(public).as_posix() for p in public.glob("archive/**/*.atom"))
    assert len(archives) > 10
    feeds = {spec.path for spec in feed_specs(catalog, "t")}
    for path in archives:
        name = archive_name(path)
        assert name is not None
        newest = feedparser.parse((public / path).read_bytes()).entries[0]
        assert newest.id[len("urn:uuid:") :].startswith(name)
        feed = path.removeprefix("archive/").rpartition("/")[0]
        assert feed in feeds
        assert archive_path(feed, name) == path


@pytest.mark.parametrize(
    "path", ["all.atom", "topics/policing.atom", "items/2020/09.html", "archive/all/0123.atom"]
)
def test_a_path_that_is_no_archive_page_has_no_archive_name(path: str) -> None:
    assert archive_name(path) is None


def test_every_item_link_points_to_its_anchor_on_its_month_page(
    site: tuple[Path, Catalog],
) -> None:
    public, catalog = site
    for entry in catalog.entries:
        page, _, anchor = item_path(entry).partition("#")
        assert f'<article id="{anchor}">' in (public / page).read_text()


def test_month_pages_split_at_the_turn_of_the_year() -> None:
    """31 December and 1 January are one day apart and on two pages; the page of a
    month holds its first and last day, whatever second they got."""
    page = "\n".join(
        f"Item of {day}\nPublishing date: {day}\nSummary of {day}.\n"
        for day in ("1 January 2021", "31 December 2020", "1 December 2020", "30 November 2020")
    )
    index = Index()
    index.replace((), parse_seed(page.encode(), "turn.txt").records)
    assert month_of(dt.date(2020, 12, 31)) == "items/2020/12.html"
    assert month_of(dt.date(2021, 1, 1)) == "items/2021/01.html"

    def titles(path: str) -> list[str]:
        return [entry.title for entry in index.month(month_from_path(path))]

    assert titles("items/2020/12.html") == ["Item of 31 December 2020", "Item of 1 December 2020"]
    assert titles("items/2021/01.html") == ["Item of 1 January 2021"]
    assert titles("items/2020/11.html") == ["Item of 30 November 2020"]
    assert titles("items/2021/02.html") == []


@pytest.mark.parametrize("year", [1, 999, 2020, 9999])
def test_month_paths_of_every_month_read_back(year: int) -> None:
    for month in range(1, 13):
        for day in (1, 28):
            path = month_of(dt.date(year, month, day))
            assert month_from_path(path) == dt.date(year, month, 1)
            assert relative_root(path) == MONTH_ROOT


@pytest.mark.parametrize(
    "path",
    [
        "items/2020/13.html",
        "items/2020/00.html",
        "items/2020/1.html",
        "items/20/01.html",
        "items/2020/01.htm",
        "items/2020/01.html#item-01234567",
        "archive/all/01234567.atom",
        "all.html",
    ],
)
def test_a_path_that_is_no_month_page_is_refused(path: str) -> None:
    with pytest.raises(ValueError, match="month"):
        month_from_path(path)


def test_a_feed_spec_slug_is_its_group_slug(site: tuple[Path, Catalog]) -> None:
    _, catalog = site
    specs = feed_specs(catalog, "t")[1:]
    assert [spec.slug for spec in specs] == [group.slug for group in catalog.groups]
    for spec in specs:
        assert spec.kind is not None
        assert (site[0] / f"{spec.kind.folder}/{spec.slug}.atom").is_file()
