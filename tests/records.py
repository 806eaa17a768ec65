"""Records and items for the parser's and the catalog's tests: every page of the
corpus parsed, pages that spell its names otherwise, one record made to order, and
entries as the corpus's expected items are written."""

from __future__ import annotations

import datetime as dt
from typing import Any

from feeds.model import Catalog, Entry, Kind, Record
from feeds.parse import parse_seed

from .paths import DATA, SAMPLE_SEEDS

PAGES = sorted(
    [
        *SAMPLE_SEEDS.glob("*.txt"),
        *(DATA / "holdout").glob("*.txt"),
        *(DATA / "seeds").glob("*.txt"),
    ]
)
RECORDS = {p.name: parse_seed(p.read_bytes(), p.name).records for p in PAGES}
# Pages that spell the corpus's names otherwise (case, spaces, quotes and dashes):
# their groups gain and lose spellings, and change label, as pages come and go.
VARIANTS = {
    "variants-caps.txt": "MISSION TO SERBIA|OSCE MISSION TO SERBIA|POLICING|NEWS",
    "variants-lower.txt": "Mission to Serbia|osce mission to serbia|policing, Youth|news",
    "variants-twice.txt": "Mission  to Serbia|OSCE Mission to Serbia|POLICING|NEWS",
}
for _name, _names in VARIANTS.items():
    _mission, _other, _topics, _type = _names.split("|")
    _page = "".join(
        f"Variant item {n} of {_name}\nPublishing date: {n + 1} May 2020\nContent type: {_type}\n"
        f"Where we are: {_mission}, {_other}\nWhat we do: {_topics}\nSummary.\n"
        for n in range(3)
    )
    RECORDS[_name] = parse_seed(f"News and press releases\n{_page}".encode(), _name).records


def record(title: str, day: int = 1, **fields: object) -> Record:
    values: dict[str, object] = {
        "content_type": None,
        "missions": (),
        "topics": (),
        "summary": "",
        "source": "x.txt",
        "line": 1,
    }
    values.update(fields)
    return Record(title=title, date=dt.date(2020, 5, day), **values)  # type: ignore[arg-type]


def groups_of(catalog: Catalog, kind: Kind) -> dict[str, tuple[str, int]]:
    """Label -> (slug, entries) of the groups of one kind."""
    return {g.name: (g.slug, len(g.entries)) for g in catalog.groups if g.kind is kind}


def item_as_dict(entry: Entry) -> dict[str, Any]:
    return {
        "title": entry.title,
        "date": entry.date.isoformat(),
        "content_type": entry.content_type,
        "missions": sorted(entry.missions),
        "topics": sorted(entry.topics),
        "summary": entry.summary,
    }


def normalised(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "missions": sorted(item["missions"]), "topics": sorted(item["topics"])}


def by_identity(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda i: (i["date"], i["title"]))
