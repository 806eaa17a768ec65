"""The fast writer produces exactly feedgen's bytes, for every document."""

from __future__ import annotations

import calendar
import datetime as dt
import email.utils
import json
import re
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.build import build
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
from feeds.writer import Writer

from .conftest import BASE_URL, DATA, SAMPLE_SEEDS, shown
from .feedgen_oracle import render_document
from .validator import validate

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
        Record(
            title=title,
            date=dt.date(2020, 5, 1 + n),
            content_type="News",
            missions=(topic,),
            topics=(topic,),
            summary=summary,
            source="x.txt",
            line=1,
        )
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


ZONES = [
    "UTC",
    "Europe/Vienna",
    "America/New_York",
    "Pacific/Honolulu",
    "Asia/Tokyo",
    "Pacific/Kiritimati",  # UTC+14
    "Pacific/Pago_Pago",  # UTC-11
    "Australia/Lord_Howe",  # a change of half an hour
    "America/Santiago",  # changes at midnight
    "Asia/Kathmandu",  # +05:45
]
# Days of a change of UTC offset in some of the zones, and plain ones.
DAYS = [
    dt.date(2020, 3, 29),
    dt.date(2020, 10, 25),
    dt.date(2020, 3, 8),
    dt.date(2020, 11, 1),
    dt.date(2020, 4, 5),
    dt.date(2020, 9, 6),
    dt.date(2020, 10, 4),
    dt.date(2020, 10, 9),
    dt.date(2021, 1, 1),
]


def published_days(feed: bytes, fmt: str, zone: str) -> list[dt.date]:
    """The calendar day, in `zone`, of every entry's instant as a document writes it:
    Atom `updated` and `published`, RSS `pubDate`, JSON Feed `date_published`."""
    if fmt == "json":
        items = json.loads(feed)["items"]
        stamps = [dt.datetime.fromisoformat(i["date_published"]) for i in items]
    elif fmt == "atom":
        found = re.findall(rb"<entry>.*?<updated>(.*?)</updated>.*?<published>(.*?)<", feed, re.S)
        for updated, published in found:
            assert updated == published
        stamps = [dt.datetime.fromisoformat(updated.decode()) for updated, _ in found]
    else:
        found = re.findall(rb"<pubDate>(.*?)</pubDate>", feed)
        stamps = [email.utils.parsedate_to_datetime(stamp.decode()) for stamp in found]
    tz = ZoneInfo(zone)
    return [stamp.astimezone(tz).date() for stamp in stamps]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.times().map(lambda t: t.strftime("%H:%M")),
    st.lists(st.sampled_from(DAYS), min_size=1, max_size=8),
)
def test_every_instant_stays_on_its_listed_date(
    zone: str, day_time: str, days: list[dt.date]
) -> None:
    """Whatever the time of day and zone, days of a change of UTC offset included,
    every published instant falls on the item's listed date in that zone; the
    writer's bytes stay feedgen's."""
    records = [
        Record(
            title=f"Item {n}",
            date=day,
            content_type="News",
            missions=(),
            topics=("Policing",),
            summary="",
            source="x.txt",
            line=1,
        )
        for n, day in enumerate(days)
    ]
    catalog = merge_items(records, {})
    config = Config(timezone=zone, day_time=day_time, feed_size=50)
    writer = Writer(config)
    listed = {entry.id: entry.date for entry in catalog.entries}
    for doc in all_documents(catalog, 50):
        expected = [listed[entry.id] for entry in doc.entries]
        for fmt in FEED_FORMATS:
            feed = writer.document(doc, fmt)
            assert published_days(feed, fmt, zone) == expected, (fmt, feed.decode())
            if fmt != "json":
                assert feed == render_document(doc, fmt, config)


@pytest.mark.parametrize(("zone", "day_time"), [("UTC", "23:59"), ("Europe/Vienna", "23:30")])
def test_a_late_day_time_publishes_items_on_their_date(
    tmp_path: Path, zone: str, day_time: str
) -> None:
    """A real build, read back by feedparser: items listed on 9 October 2020 are
    published on 9 October in the configured zone, in every format."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    items = "".join(
        f"Item number {n}\nPublishing date: 9 October 2020\nContent type: News\nSummary {n}.\n"
        for n in range(30)
    )
    (seeds / "page.txt").write_text(f"News and press releases\n{items}")
    public = tmp_path / "public"
    build(Config(seeds=seeds, public=public, timezone=zone, day_time=day_time))
    tz = ZoneInfo(zone)
    for fmt in FEED_FORMATS:
        parsed = feedparser.parse((public / f"all.{fmt}").read_bytes())
        assert len(parsed.entries) == 30
        for entry in parsed.entries:
            moment = dt.datetime.fromtimestamp(calendar.timegm(entry.published_parsed), dt.UTC)
            assert moment.astimezone(tz).date() == dt.date(2020, 10, 9), (fmt, entry.published)
    assert len(set(published_days((public / "all.atom").read_bytes(), "atom", zone))) == 1


MARKUP_TITLES = [
    "OSCE <b>bold</b> & <img src=x onerror=alert(2)> report",
    "Plain <i>second</i> item &copy 2020 &amp; ]]>",
    "Q&A with R&D",
]
MARKUP_SUMMARIES = [
    "Summary with <img src=x onerror=alert(2)> and <b>bold</b> & AT&T &amp; 5 < 6 ]]>.",
    "",  # the title stands in
    "Q&A: 5 < 6, &#x41; &lt;",
]


def markup_seeds(folder: Path) -> None:
    """One page whose titles and summaries hold markup, references and CDATA ends,
    all of it as text."""
    folder.mkdir()
    items = "".join(
        f"{title}\nPublishing date: {9 - n} October 2020\nContent type: News\n{summary}\n"
        for n, (title, summary) in enumerate(zip(MARKUP_TITLES, MARKUP_SUMMARIES, strict=True))
    )
    (folder / "page.txt").write_text(f"News and press releases\n{items}", encoding="utf-8")


def test_plain_text_reaches_every_reader_as_the_same_text(tmp_path: Path) -> None:
    """Titles and summaries with markup as text: feedparser shows that very text of
    Atom and RSS (an RSS description is HTML, so it is escaped twice), and JSON Feed
    carries it as plain text."""
    markup_seeds(tmp_path / "seeds")
    public = tmp_path / "public"
    build(Config(seeds=tmp_path / "seeds", public=public, base_url=BASE_URL))
    wanted = {
        title: summary or title
        for title, summary in zip(MARKUP_TITLES, MARKUP_SUMMARIES, strict=True)
    }
    for path in ("all", "types/news"):
        for fmt in ("atom", "rss"):
            feed = feedparser.parse((public / f"{path}.{fmt}").read_bytes())
            assert not feed.bozo
            got = {
                shown(e.title_detail): shown(e.content[0] if fmt == "atom" else e.summary_detail)
                for e in feed.entries
            }
            assert got == wanted, fmt
        items = json.loads((public / f"{path}.json").read_bytes())["items"]
        assert {i["title"]: i["content_text"] for i in items} == wanted
        assert not any("content_html" in i for i in items)


def test_feeds_with_markup_as_text_have_zero_warnings(tmp_path: Path) -> None:
    markup_seeds(tmp_path / "seeds")
    public = tmp_path / "public"
    build(Config(seeds=tmp_path / "seeds", public=public, base_url=BASE_URL))
    done = validate(public)
    assert done.returncode == 0, done.stdout + done.stderr
