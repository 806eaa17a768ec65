"""Pages written in the real format by hand, never used to tune the parser: together
they must yield exactly the items listed in `data/holdout/expected.json`."""

from __future__ import annotations

import json

from feeds.catalog import merge_items
from feeds.parse import parse_seed

from .conftest import DATA
from .records import by_identity, item_as_dict, normalised

HOLDOUT = DATA / "holdout"


def test_holdout_pages_yield_every_complete_item() -> None:
    records = []
    for path in sorted(HOLDOUT.glob("*.txt")):
        records.extend(parse_seed(path.read_bytes(), path.name).records)
    expected = json.loads((HOLDOUT / "expected.json").read_text())["items"]

    got = by_identity([item_as_dict(e) for e in merge_items(records).entries])

    assert len(got) == len(expected) == 52
    assert got == by_identity([normalised(i) for i in expected])
