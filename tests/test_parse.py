"""The parser against the fixture corpus (one page per hazard) and arbitrary text:
whole pages in, items and issues out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.catalog import merge_items
from feeds.parse import parse_seed

from .conftest import DATA
from .records import by_identity, item_as_dict, normalised

CORPUS = sorted((DATA / "seeds").glob("*.txt"))


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_corpus_page_yields_expected_items_and_issues(path: Path) -> None:
    expected = json.loads(path.with_suffix("").with_suffix(".expected.json").read_text())
    result = parse_seed(path.read_bytes(), path.name)
    catalog = merge_items(result.records)

    got = by_identity([item_as_dict(e) for e in catalog.entries])
    assert got == by_identity([normalised(i) for i in expected["items"]])

    found = [(issue.line, issue.level.value) for issue in result.issues]
    for issue in expected["issues"]:
        assert (issue["line"], issue["level"]) in found, f"missing {issue}; got {result.issues}"


def test_corpus_is_there() -> None:
    assert len(CORPUS) >= 25


@given(st.text())
def test_parse_never_raises_on_any_text(text: str) -> None:
    result = parse_seed(text, "any.txt")
    for record in result.records:
        assert record.title
    for issue in result.issues:
        assert issue.line >= 1


@given(st.binary())
def test_parse_never_raises_on_any_bytes(data: bytes) -> None:
    parse_seed(data, "any.txt")


_LINES = st.sampled_from(
    [
        "Newsroom",
        "A title: with a colon",
        "What we do: Policing",
        "Publishing date: 16 October 2020",
        "Publishing date: 1 May 202",
        "Content type: News",
        "Where we are: OSCE Mission to Serbia, OSCE Secretariat",
        "Where we a",
        "Report type: Spot report",
        "Label: value",
        "",
        "A summary...",
    ]
)


@given(st.lists(_LINES, max_size=30), st.booleans())
def test_parse_never_raises_on_shuffled_listing_lines(lines: list[str], newline: bool) -> None:
    text = "\n".join(lines) + ("\n" if newline else "")
    result = parse_seed(text, "shuffled.txt")
    assert all(r.line >= 1 for r in result.records)


def test_issue_names_file_and_line() -> None:
    text = "Title\nPublishing date: 31/13/2020\nSummary\nNext\nPublishing date: 1 May 2020\nS"
    result = parse_seed(text, "seeds/004.txt")
    assert [str(i) for i in result.issues] == [
        "seeds/004.txt:2: error: bad date '31/13/2020': item skipped"
    ]
    assert [r.title for r in result.records] == ["Next"]


def test_a_title_may_look_like_metadata() -> None:
    text = "What we do: a review\nPublishing date: 1 May 2020\nContent type: News\nSummary."
    (record,) = parse_seed(text, "x.txt").records
    assert record.title == "What we do: a review"
    assert record.content_type == "News"
    assert record.summary == "Summary."
