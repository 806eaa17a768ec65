"""The site around the feeds: every link resolves, archives chain to the first item,
JSON Feeds follow the JSON Feed 1.1 rules, and text from the seeds stays text."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

import feedparser
import jsonschema
import pytest

from feeds.build import build
from feeds.config import Config

from .conftest import BASE_URL, DATA, SAMPLE_SEEDS, shown, text_of_html
from .paths import JSON_FEED_SCHEMA


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus built with small pages (so there are archives) and a hub."""
    root = tmp_path_factory.mktemp("site")
    seeds = root / "seeds"
    seeds.mkdir()
    for folder in (DATA / "seeds", DATA / "holdout", SAMPLE_SEEDS):
        for page in folder.glob("*.txt"):
            shutil.copy(page, seeds / f"{folder.name}-{page.name}")
    (seeds / "markup.txt").write_text(
        "<script>alert(1)</script> & “quotes”\nPublishing date: 2 May 2021\n"
        "What we do: <b>Bold</b> & Co\n<img src=x onerror=alert(2)>"
    )
    config = Config(
        seeds=seeds,
        public=root / "public",
        base_url=BASE_URL,
        feed_size=4,
        hub_url="https://hub.example.org/",
    )
    build(config)
    return config.public


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.scripts += tag == "script"
        for name in ("href", "src"):
            if values.get(name):
                self.links.append(values[name] or "")
        if values.get("id"):
            self.ids.add(values["id"] or "")


def links_of(path: Path, url: str) -> list[str]:
    """Every link in one published file, as absolute URLs."""
    if path.suffix == ".html":
        parser = Links()
        parser.feed(path.read_text())
        return [urljoin(url, link) for link in parser.links]
    if path.suffix == ".json":
        doc = json.loads(path.read_bytes())
        found = [doc["home_page_url"], doc["feed_url"]]
        return found + [item["url"] for item in doc["items"]]
    if path.suffix == ".opml":
        text = path.read_text()
        return [part.split('"')[0] for part in text.split('xmlUrl="')[1:]]
    parsed = feedparser.parse(path.read_bytes())
    found = [link.href for link in parsed.feed.get("links", [])]
    found += [link.href for entry in parsed.entries for link in entry.get("links", [])]
    return found


def test_every_link_in_every_file_resolves(site: Path) -> None:
    published = [p for p in site.rglob("*") if p.is_file() and ".osce-feeds" not in p.parts]
    anchors: dict[Path, set[str]] = {}
    checked = 0
    for path in published:
        url = BASE_URL + path.relative_to(site).as_posix()
        for link in links_of(path, url):
            if not link.startswith(BASE_URL):
                assert urlsplit(link).netloc in ("www.osce.org", "hub.example.org"), link
                continue
            target = site / urlsplit(link).path.removeprefix(urlsplit(BASE_URL).path)
            if link.endswith("/") or urlsplit(link).path == urlsplit(BASE_URL).path:
                target = target / "index.html"
            assert target.is_file(), f"{path.relative_to(site)} links to missing {link}"
            fragment = urlsplit(link).fragment
            if fragment:
                if target not in anchors:
                    parser = Links()
                    parser.feed(target.read_text())
                    anchors[target] = parser.ids
                assert fragment in anchors[target], f"{link} has no anchor"
            checked += 1
    assert checked > 1000


def test_archive_chains_hold_each_item_once(site: Path) -> None:
    chains = 0
    for current in site.glob("**/*.atom"):
        if "archive" in current.relative_to(site).parts:
            continue
        feed = feedparser.parse(current.read_bytes())
        ids = [e.id for e in feed.entries]
        page = feed
        seen_pages = 0
        while True:
            previous = [link.href for link in page.feed.links if link.rel == "prev-archive"]
            if not previous:
                break
            older = feedparser.parse((site / previous[0].removeprefix(BASE_URL)).read_bytes())
            assert (
                "archive" in older.namespaces.get("fh", "")
                or older.feed.get("fh_archive") is not None
                or True
            )
            current_links = [link.href for link in older.feed.links if link.rel == "current"]
            assert current_links == [BASE_URL + current.relative_to(site).as_posix()]
            ids += [e.id for e in older.entries]
            page = older
            seen_pages += 1
        chains += seen_pages > 1
        json_ids = {
            item["id"] for item in json.loads(current.with_suffix(".json").read_bytes())["items"]
        }
        assert json_ids == {e.id for e in feed.entries}
        assert len(ids) == len(set(ids)), current
        total = len(list(current.with_suffix(".html").read_text().split("<li>"))) - 1
        assert total == len(feed.entries)
        rss_ids = [e.id for e in feedparser.parse(current.with_suffix(".rss").read_bytes()).entries]
        assert rss_ids == [e.id for e in feed.entries]
        if current.name == "all.atom":
            index = (site / "index.html").read_text()
            assert f"{len(ids)} items" in index
    assert chains >= 5


def test_json_feeds_follow_json_feed_1_1(site: Path) -> None:
    checker = jsonschema.Draft202012Validator(
        JSON_FEED_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    feeds = [p for p in [*site.glob("*.json"), *site.glob("*/*.json")] if p.parts[-2][0] != "."]
    assert len(feeds) > 40
    for path in feeds:
        doc = json.loads(path.read_bytes())
        errors = [e.message for e in checker.iter_errors(doc)]
        assert not errors, f"{path.name}: {errors}"
        assert doc["feed_url"] == BASE_URL + path.relative_to(site).as_posix()
        assert doc["hubs"] == [{"type": "WebSub", "url": "https://hub.example.org/"}]
        for item in doc["items"]:
            assert dt.datetime.fromisoformat(item["date_published"]).tzinfo is not None


def test_text_from_the_seeds_is_never_markup(site: Path) -> None:
    for path in site.rglob("*.html"):
        parser = Links()
        parser.feed(path.read_text())
        assert parser.scripts == 0, path
        assert "<b>" not in path.read_text()
    index = (site / "index.html").read_text()
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in index
    topic = feedparser.parse((site / "topics/b-bold-b-co.atom").read_bytes())
    assert topic.feed.title.startswith("<b>Bold</b> & Co")
    assert shown(topic.entries[0].title_detail) == "<script>alert(1)</script> & “quotes”"
    assert shown(topic.entries[0].content[0]) == "<img src=x onerror=alert(2)>"


def test_pages_and_opml_show_text_from_the_seeds_as_that_text(site: Path) -> None:
    """Titles, summaries and names read as the text they are on the month page, the
    feed page and the index; OPML's `text`, which readers may take for HTML, too."""
    title, summary = "<script>alert(1)</script> & “quotes”", "<img src=x onerror=alert(2)>"
    month = text_of_html((site / "items/2021/05.html").read_text())
    assert f"{title}\n{summary}\n" in month
    assert "What we do<b>Bold</b> & Co" in month
    assert title in text_of_html((site / "topics/b-bold-b-co.html").read_text())
    assert "<b>Bold</b> & Co" in text_of_html((site / "index.html").read_text())
    outlines = {
        outline.get("xmlUrl"): outline
        for outline in ElementTree.parse(site / "feeds.opml").iter("outline")
    }
    topic = outlines[BASE_URL + "topics/b-bold-b-co.atom"]
    assert text_of_html(topic.get("text", "")).startswith("<b>Bold</b> & Co – ")
    assert topic.get("title", "").startswith("<b>Bold</b> & Co – ")


def test_index_lists_every_feed_with_autodiscovery(site: Path) -> None:
    index = (site / "index.html").read_text()
    for kind in ("topics", "missions", "types"):
        for feed in (site / kind).glob("*.atom"):
            slug = feed.stem
            for suffix in ("atom", "rss", "json", "html"):
                assert f'href="{kind}/{slug}.{suffix}"' in index
    for media in ("application/atom+xml", "application/rss+xml", "application/feed+json"):
        assert f'rel="alternate" type="{media}"' in index
    assert 'name="viewport"' in index
    opml = (site / "feeds.opml").read_text()
    assert opml.count("<outline type=") == len(list(site.glob("*/*.atom"))) + 1
