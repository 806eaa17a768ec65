"""Where the tests find the project, the sample seeds and their data."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"
BASE_URL = "https://feeds.example.org/"
# Every page the tests hold: the sample, the held-out pages and the hazard corpus.
ALL_PAGES = sorted(
    [
        *SAMPLE_SEEDS.glob("*.txt"),
        *(DATA / "holdout").glob("*.txt"),
        *(DATA / "seeds").glob("*.txt"),
    ]
)
JSON_FEED_SCHEMA = json.loads((DATA / "jsonfeed-1.1.schema.json").read_text())
