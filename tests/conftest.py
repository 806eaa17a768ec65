"""Shared fixtures: folders of seeds, configs, and the published feeds parsed back."""

from __future__ import annotations

import shutil
from pathlib import Path

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
