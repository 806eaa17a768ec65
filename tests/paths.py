"""Where the tests find the project, the sample seeds and their data."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"
BASE_URL = "https://feeds.example.org/"
