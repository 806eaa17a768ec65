"""The fast writer produces exactly feedgen's bytes, for every document."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.catalog import merge_items
from feeds.config import Config
from feeds.layout import (
    COARSE_FACTOR,
    FEED_FORMATS,
    Document,
    documents,
    feed_specs,
    is_boundary,
)
from feeds.model import Catalog, Record
from feeds.parse import parse_seed
from feeds.render import render_document
from feeds.writer import Writer

from .conftest import DATA, SAMPLE_SEEDS

PAGES = [
    *SAMPLE_SEEDS.glob("*.txt"),
    *(DATA / "holdout").glob("*.txt"),
    *(DATA / "seeds").glob("*.txt"),
]


def corpus_catalog() -> Catalog:
    records = [r for p in sorted(PAGES) for r in parse_seed(p.read_bytes(), p.name).records]
    return merge_items(records, {})


def all_documents(catalog: Catalog, page_size: int) -> list[Document]:
    return [d for spec in feed_specs(catalog, "Site & title") for d in documents(spec, page_size)]


@pytest.mark.parametrize(
    "config",
    [
        Config(base_url="https://feeds.example.org/", feed_size=3),
        Config(base_url="http://x.test/a&b<c>/", timezone="America/New_York", feed_size=7),
        Config(base_url="https://feeds.example.org/", timezone="Asia/Tokyo", day_time="09:30"),
        Config(
            base_url="https://feeds.example.org/", hub_url="https://hub.test/?a=1&b", feed_size=4
        ),
    ],
    ids=["archives", "escaping-new-york", "tokyo", "websub-hub"],
)
def test_writer_matches_feedgen_on_the_corpus(config: Config) -> None:
    writer = Writer(config)
    docs = all_documents(corpus_catalog(), config.feed_size)
    assert any(doc.is_archive for doc in docs) or config.feed_size > 10
    for doc in docs:
        for fmt in ("atom",) if doc.is_archive else FEED_FORMATS:
            assert writer.document(doc, fmt) == render_document(doc, fmt, config), doc.path(fmt)


NAMES = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1).filter(
    lambda s: s.strip() == s and "," not in s
)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(NAMES, st.text(st.characters(blacklist_categories=("Cs", "Cc"))), NAMES),
        min_size=1,
        max_size=4,
    )
)
def test_writer_matches_feedgen_on_any_text(rows: list[tuple[str, str, str]]) -> None:
    records = [
        Record(title, dt.date(2020, 5, 1 + n), "News", (topic,), (topic,), summary, "x.txt", 1)
        for n, (title, summary, topic) in enumerate(rows)
    ]
    config = Config(feed_size=2)
    writer = Writer(config)
    for doc in all_documents(merge_items(records, {}), 2):
        for fmt in ("atom",) if doc.is_archive else FEED_FORMATS:
            assert writer.document(doc, fmt) == render_document(doc, fmt, config)


def test_pages_hold_each_entry_once_newest_first() -> None:
    catalog = corpus_catalog()
    archived = 0
    for spec in feed_specs(catalog, "t"):
        docs = documents(spec, 5)
        held = [e for d in docs for e in d.entries]
        assert held == list(spec.entries)  # in order, each once
        assert len(docs[0].entries) >= min(5, len(spec.entries))
        assert all(d.entries and is_boundary(d.entries[0], 5) for d in docs[1:])
        assert len(docs) != 2  # archives come two or more at a time
        archived += len(docs) - 1
    assert archived > 20


def test_an_old_item_changes_only_its_own_archive_page() -> None:
    catalog = corpus_catalog()
    everything = feed_specs(catalog, "t")[0]
    before = {d.name: d.entries for d in documents(everything, 5)}
    for n in range(len(everything.entries) - 1, 0, -7):  # withdraw an item, far back
        fewer = replace(everything, entries=everything.entries[:n] + everything.entries[n + 1 :])
        after = {d.name: d.entries for d in documents(fewer, 5)}
        changed = [name for name in after if before.get(name) != after[name]]
        assert len(changed) <= 3, changed  # its page, and the links of two neighbours


def test_new_items_leave_finished_archive_pages_alone() -> None:
    """Items arriving one by one, newest last: an archive page that starts at a coarse
    limit (settled history) keeps its entries and links from then on."""
    catalog = corpus_catalog()
    everything = feed_specs(catalog, "t")[0]
    history = everything.entries
    finished: dict[str, tuple[object, ...]] = {}
    for arrived in range(len(history) // 3, len(history) + 1):
        spec = replace(everything, entries=history[-arrived:])
        docs = documents(spec, 2)
        for doc in docs[1:]:
            state = (doc.entries, doc.previous, doc.next)
            if doc.name in finished:
                assert finished[doc.name] == state, f"page {doc.name} changed"
            elif doc.entries[0].number % (2 * COARSE_FACTOR) == 0 and doc.previous:
                finished[doc.name] = state
    assert len(finished) > 5
