"""What every format of a feed says: dates that show the listed day in readers from
Honolulu to Tokyo, text that no reader takes for markup, links in their order."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from feeds.config import Config
from feeds.layout import feed_specs
from feeds.model import Catalog, Entry
from feeds.render import day_anchor, instant, reads_as_html, rss_title_text

from .conftest import BASE_URL

ENTRY = Entry(
    key="2026-03-08 a title",
    id="urn:uuid:0a1b2c3d-0000-4000-8000-000000000000",
    title="A title",
    date=dt.date(2026, 3, 8),
    second=42,
    content_type=None,
    missions=(),
    topics=(),
    summary="",
)


@pytest.mark.parametrize("zone", ["Pacific/Honolulu", "UTC", "Europe/Vienna", "Asia/Tokyo"])
@pytest.mark.parametrize("day_time", ["00:00", "12:00", "23:59"])
def test_an_item_falls_on_its_listed_day_in_the_configured_zone(zone: str, day_time: str) -> None:
    config = Config(timezone=zone, day_time=day_time)
    moment = instant(ENTRY, config)
    assert moment.astimezone(zoneinfo.ZoneInfo(zone)).date() == ENTRY.date
    assert moment - day_anchor(ENTRY.date, config) == dt.timedelta(seconds=42)


def test_noon_utc_shows_the_same_day_from_honolulu_to_tokyo() -> None:
    moment = instant(ENTRY, Config())
    for zone in ("Pacific/Honolulu", "Asia/Tokyo"):
        assert moment.astimezone(zoneinfo.ZoneInfo(zone)).date() == ENTRY.date


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("Plain text, with 'quotes' – and dashes", False),
        ("R&D in the OSCE", False),
        ("<img src=x onerror=alert(1)>", True),
        ("&copy 2020", True),
        ("&#169;", True),
        ("Fish &amp; chips", True),
    ],
)
def test_text_that_could_read_as_html_is_told_apart(text: str, html: bool) -> None:
    assert reads_as_html(text) is html


def test_an_rss_title_shows_its_text_not_markup() -> None:
    assert rss_title_text("<b>x</b> & y") == "&#x3C;b&#x3E;x&#x3C;/b&#x3E; &#x26; y"
    assert "]]>" not in rss_title_text("a]]>b")


def test_feed_links_start_with_self_and_end_with_the_page() -> None:
    from feeds.layout import documents
    from feeds.render import document_links

    (spec,) = feed_specs(Catalog((ENTRY,), ()), "Site")
    (doc,) = documents(spec, 50)
    links = document_links(doc, "atom", BASE_URL, "https://hub.example/")
    assert links[0] == {"href": f"{BASE_URL}all.atom", "rel": "self"}
    assert links[1] == {"href": "https://hub.example/", "rel": "hub"}
    assert links[-1]["href"] == f"{BASE_URL}all.html"
    assert links[-1]["type"] == "text/html"
