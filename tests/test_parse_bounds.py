"""Bounds far above any real page: what a hostile or huge page may publish."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from feeds.build import build
from feeds.catalog import merge_items
from feeds.config import Config
from feeds.model import MONTH_NAMES, Kind, Level
from feeds.parse import (
    MAX_NAME_CHARS,
    MAX_NAMES_PER_ITEM,
    MAX_NAMES_PER_PAGE,
    MAX_SEED_BYTES,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    parse_seed,
)

from .conftest import BASE_URL


def _day(n: int) -> str:
    return f"{n % 28 + 1} {MONTH_NAMES[n // 28 % 12]} {2000 + n // 336}"


LONG_MISSION = "OSCE Mission " + "to a place with a very long name " * 12  # 409 characters


def hostile_seed() -> bytes:
    """Just under MAX_SEED_BYTES of what multiplies output: a 150,000-letter title, a
    100,000-letter summary, 2,000 topics on one item, a 1,000-word content type, a
    mission name of 400 characters on every item, and thousands of distinct topics,
    missions and content types spread over thousands of items."""
    text = (
        "Ü" * 150_000 + " title\n"
        "Publishing date: 1 May 2020\n"
        "Content type: " + "Report " * 1000 + "\n"
        f"Where we are: {LONG_MISSION}\n"
        "What we do: " + ", ".join(f"Topic {n}" for n in range(2000)) + "\n" + "x" * 100_000 + "\n"
    )
    parts, size, n = [text], len(text.encode()), 0
    while True:
        item = (
            f"Item {n}\nPublishing date: {_day(n)}\nContent type: Type {n}\n"
            f"Where we are: {LONG_MISSION}, Mission {n}a, Mission {n}b\n"
            f"What we do: Topic {n}x, Topic {n}y, Topic {n}z\nSummary of item {n}.\n"
        )
        if size + len(item.encode()) > MAX_SEED_BYTES:
            return "".join(parts).encode()
        parts.append(item)
        size += len(item.encode())
        n += 1


def test_a_hostile_seed_just_under_the_size_bound_publishes_a_few_mb(tmp_path: Path) -> None:
    seed = hostile_seed()
    assert MAX_SEED_BYTES - 1000 < len(seed) <= MAX_SEED_BYTES
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "hostile.txt").write_bytes(seed)
    public = tmp_path / "public"

    result = build(Config(seeds=seeds, public=public, base_url=BASE_URL))

    published = [p for p in public.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in published) < 8_000_000
    assert len(published) < 2000
    warnings = " / ".join(i.message for i in result.issues if i.level is Level.WARNING)
    for found in (
        "title of 150,006 characters cut",
        "summary of 100,000 characters cut",
        "names longer than 200 characters cut",
        "2,000 names for 'What we do': kept the first 50",
        "more than 100 names for 'What we do' on the page",
        "the page would publish too much",
    ):
        assert found in warnings
    assert result.catalog is not None
    first = next(e for e in result.catalog.entries if e.date == dt.date(2020, 5, 1))
    assert first.title == "Ü" * MAX_TITLE_CHARS
    assert len(first.summary) == MAX_SUMMARY_CHARS
    assert len(first.topics) == MAX_NAMES_PER_ITEM
    # The long name is cut the same way on every item: one group, one feed.
    cut = LONG_MISSION[:MAX_NAME_CHARS].rstrip()
    assert not cut.endswith(" ")
    missions = [g for g in result.catalog.groups if g.kind is Kind.MISSION]
    assert [g.name for g in missions if g.name.startswith("OSCE Mission")] == [cut]
    assert len(next(g for g in missions if g.name == cut).entries) > 10
    assert len(missions) <= MAX_NAMES_PER_PAGE
    assert len(result.catalog.entries) > 10


def test_a_seed_larger_than_the_bound_is_refused() -> None:
    page = b"Title\nPublishing date: 1 May 2020\nSummary.\n"
    at_bound = page + b"x" * (MAX_SEED_BYTES - len(page))
    assert len(parse_seed(at_bound, "x.txt").records) == 1
    for data in (at_bound + b"x", (at_bound + b"x").decode(), "é" * (MAX_SEED_BYTES // 2 + 1)):
        result = parse_seed(data, "x.txt")
        assert result.records == ()
        (issue,) = result.issues
        assert (issue.line, issue.level) == (1, Level.ERROR)
        assert "larger than 1,048,576 bytes" in issue.message


def test_long_text_is_cut_on_a_character_boundary_without_trailing_space() -> None:
    title = "Ministerial Council " * 50 + "é" * 2000  # a space at the bound
    summary = "’" * 6000
    page = f"{title}\nPublishing date: 1 May 2020\nWhat we do: Policing\n{summary}"
    result = parse_seed(page, "x.txt")
    (record,) = result.records
    assert record.title == ("Ministerial Council " * 50)[:-1]
    assert record.summary == "’" * MAX_SUMMARY_CHARS
    assert [(i.line, i.level) for i in result.issues] == [(4, Level.WARNING), (1, Level.WARNING)]
    assert parse_seed(page.encode(), "x.txt") == result
    # The same title on another page is the same item.
    again = parse_seed(f"{title}\nPublishing date: 1 May 2020\nWhat we do: Media\nS.", "y.txt")
    (entry,) = merge_items([*result.records, *again.records]).entries
    assert entry.topics == ("Media", "Policing")


def test_names_are_bounded_per_item_and_per_page() -> None:
    many = ", ".join(f"Topic {n}" for n in range(2000))
    long_name = "Office " + "of a very long name " * 20  # 407 characters
    page = (
        f"A\nPublishing date: 2 May 2020\nWhere we are: {long_name}\nWhat we do: {many}\nS.\n"
        + "".join(
            f"B{n}\nPublishing date: 1 May 2020\nWhat we do: New {n}, Topic 1\n"
            f"Where we are: {long_name}\nS.\n"
            for n in range(60)
        )
    )
    result = parse_seed(page, "x.txt")
    first, *others = result.records
    assert first.topics == tuple(f"Topic {n}" for n in range(MAX_NAMES_PER_ITEM))
    assert first.missions == (long_name[:MAX_NAME_CHARS].rstrip(),)
    assert {record.missions for record in others} == {first.missions}
    # 50 topics from the first item, 50 new ones from the next 50 items; then no more.
    assert [len(r.topics) for r in others] == [2] * 50 + [1] * 10
    assert len({t for r in result.records for t in r.topics}) == MAX_NAMES_PER_PAGE
    messages = [i.message for i in result.issues]
    assert sum(m.startswith("names longer") for m in messages) == 1  # once per page
    lines = {(i.line, i.message.split(" ")[0]) for i in result.issues}
    assert (3, "names") in lines  # "names longer than ..., cut"
    assert (4, "2,000") in lines  # "2,000 names for 'What we do' ..."
    assert (6 + 5 * 50, "more") in lines  # the 51st item: "more than 100 names ..."
    assert sum(m.startswith("more than") for m in messages) == 1  # once per kind


def test_a_page_that_would_publish_too_much_keeps_its_first_items() -> None:
    topics = ", ".join(f"Topic {n}" for n in range(20))
    item = "Title {n}\nPublishing date: 1 May 2020\nWhat we do: " + topics + "\n" + "S" * 900 + "\n"
    page = "".join(item.format(n=n) for n in range(100))
    result = parse_seed(page, "x.txt")
    assert 0 < len(result.records) < 100
    assert [r.title for r in result.records] == [f"Title {n}" for n in range(len(result.records))]
    (issue,) = result.issues
    assert issue.level is Level.WARNING
    assert issue.line == 4 * len(result.records) + 1
    assert issue.message.endswith(f"this item and the {99 - len(result.records)} after it dropped")


def test_problems_per_page_are_bounded_and_keep_the_worst_level() -> None:
    page = "A\nPublishing date: 1 May 2020\nS.\n" + "stray line\n" * 200
    page += "B\nPublishing date: 31 May 20200\nS.\nC\nPublishing date: 2 May 2020\nS."
    issues = parse_seed(page, "x.txt").issues
    assert len(issues) == 101
    assert issues[-1].level is Level.ERROR  # the bad date among those not shown
    assert issues[-1].message == "101 more problems from here on"
