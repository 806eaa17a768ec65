"""Shared fixtures: folders of seeds, configs, and the published feeds parsed back."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest

from feeds.config import Config

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"
BASE_URL = "https://feeds.example.org/"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """A config on a fresh copy of the sample seeds and an empty public folder."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SAMPLE_SEEDS, seeds)
    return Config(seeds=seeds, public=tmp_path / "public", base_url=BASE_URL)


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A copy of the sample seeds (14 items); tests may add pages before starting."""
    folder = tmp_path / "seeds"
    shutil.copytree(SAMPLE_SEEDS, folder)
    return folder


class TextOfHtml(HTMLParser):
    """What a reader shows of an HTML fragment: its text, references resolved;
    a live tag shows no text of its own."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def shown(detail: feedparser.FeedParserDict) -> str:
    """What a feed reader displays of one of feedparser's text constructs."""
    if detail.type in ("text/html", "application/xhtml+xml"):
        return text_of_html(detail.value)
    assert detail.type == "text/plain"
    return str(detail.value)


def text_of_html(fragment: str) -> str:
    reader = TextOfHtml()
    reader.feed(fragment)
    reader.close()
    return "".join(reader.parts)
