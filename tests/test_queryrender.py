"""Feeds cut to measure as documents: the published ids and the query's canonical
address in every format, valid feeds, and the static copies of named queries."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import feedparser
import jsonschema
import pytest

from feeds.build import build
from feeds.config import Config
from feeds.model import Catalog
from feeds.query import Searcher, query_from_string
from feeds.queryrender import query_spec, render_query
from feeds.writer import Writer

from .conftest import BASE_URL, SAMPLE_SEEDS
from .paths import ALL_PAGES, JSON_FEED_SCHEMA
from .validator import VALIDATOR


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, Catalog]:
    seeds = tmp_path_factory.mktemp("seeds")
    for page in ALL_PAGES:
        (seeds / f"{page.parent.name}-{page.name}").write_bytes(page.read_bytes())
    config = Config(seeds=seeds, public=tmp_path_factory.mktemp("public"), base_url=BASE_URL)
    result = build(config)
    assert result.catalog is not None
    return config, result.catalog


QUERIES = [
    "topic=policing&type=news",
    "mission=osce-mission-to-serbia&mission=osce-secretariat&not=police&limit=7",
    "q=%3Cb%3E&limit=3",  # the hazard page's "<b>Bold</b> & Co"
    "q=osce",
    "mission=osce-mission-to-serbia&q=nothing-like-this",  # no entry
]


@pytest.mark.parametrize("query_string", QUERIES)
def test_query_feeds_carry_the_published_ids_and_their_canonical_address(
    corpus_site: tuple[Config, Catalog], query_string: str, tmp_path: Path
) -> None:
    config, catalog = corpus_site
    searcher = Searcher(catalog)
    query = query_from_string(query_string, config.feed_size)
    selection = searcher.resolve(query)
    spec = query_spec(selection, searcher.select(selection, query.limit or config.feed_size))
    writer = Writer(config)
    published = {
        e.id: e for e in feedparser.parse((config.public / "all.atom").read_bytes()).entries
    }
    self_url = f"{BASE_URL}feed.atom?{query.canonical()}"
    atom = render_query(spec, "atom", writer)
    feed = feedparser.parse(atom)
    assert not feed.bozo
    assert [link.href for link in feed.feed.links if link.rel == "self"] == [self_url]
    assert feed.feed.title == selection.title()
    assert [e.id for e in feed.entries] == [e.id for e in spec.entries]
    for entry in feed.entries:
        assert entry.link == published[entry.id].link if entry.id in published else True
    rss = feedparser.parse(render_query(spec, "rss", writer))
    assert not rss.bozo
    assert [e.id for e in rss.entries] == [e.id for e in spec.entries]
    doc = json.loads(render_query(spec, "json", writer))
    checker = jsonschema.Draft202012Validator(
        JSON_FEED_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert [e.message for e in checker.iter_errors(doc)] == []
    assert doc["feed_url"] == f"{BASE_URL}feed.json?{query.canonical()}"
    assert [item["id"] for item in doc["items"]] == [e.id for e in spec.entries]
    page = render_query(spec, "html", writer).decode()
    assert f"<code>{BASE_URL}feed.atom?{query.canonical().replace('&', '&amp;')}</code>" in page
    assert "<b>" not in page
    if not VALIDATOR.is_file():
        pytest.skip(f"NOT VALIDATED: {VALIDATOR} is missing (it comes with ../shared)")
    for fmt, data in (("atom", atom), ("rss", render_query(spec, "rss", writer))):
        path = tmp_path / f"feed.{fmt}"
        path.write_bytes(data)
        url = f"{BASE_URL}feed.{fmt}?{query.canonical()}"
        done = subprocess.run(
            [str(VALIDATOR), "--strict", "--base", url, str(path)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_named_queries_are_published_as_static_files(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for page in SAMPLE_SEEDS.glob("*.txt"):
        (seeds / page.name).write_bytes(page.read_bytes())
    named = (
        ("bosnia-police", "https://x.org/feed.atom?mission=osce-mission-to-bosnia-and-herzegovina"),
        ("mars", "mission=osce-mission-to-mars"),
        ("policing", "topic=Policing&limit=3"),
    )
    config = Config(seeds=seeds, public=tmp_path / "public", base_url=BASE_URL, named_queries=named)
    result = build(config)
    assert [i.message for i in result.issues] == [
        "named feed 'mars': mission: no mission or office has the slug "
        "'osce-mission-to-mars'; not published"
    ]
    public = config.public
    feed = feedparser.parse((public / "queries/policing.atom").read_bytes())
    assert feed.feed.title == "Policing"
    assert [link.href for link in feed.feed.links if link.rel == "self"] == [
        f"{BASE_URL}queries/policing.atom"
    ]
    published = [
        e.id for e in feedparser.parse((public / "topics/policing.atom").read_bytes()).entries
    ]
    assert [e.id for e in feed.entries] == published[:3]
    assert sorted(p.name for p in (public / "queries").iterdir()) == [
        f"{name}.{fmt}"
        for name in ("bosnia-police", "policing")
        for fmt in ("atom", "html", "json", "rss")
    ]
    index = (public / "index.html").read_text()
    assert 'href="queries/policing.atom"' in index
    assert 'href="queries/bosnia-police.html"' in index
    assert f'xmlUrl="{BASE_URL}queries/policing.atom"' in (public / "feeds.opml").read_text()
    page = (public / "queries/policing.html").read_text()
    assert f"<code>{BASE_URL}queries/policing.rss</code>" in page
    assert 'href="../style.css"' in page
    # A name taken out of the list takes its files with it.
    build(dataclasses.replace(config, named_queries=named[:1]))
    assert sorted(p.name for p in (public / "queries").iterdir())[0].startswith("bosnia-police")
    assert not (public / "queries/policing.atom").exists()
    assert 'href="queries/policing.atom"' not in (public / "index.html").read_text()
