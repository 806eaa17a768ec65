"""The fixed words of the listing format: the date line, the metadata labels, the
page header, and the line shape of a label.

Constants only; reading them is `feeds.parse.page` and `feeds.parse.items`.
"""

from __future__ import annotations

import re

from feeds.model import Kind

DATE_LABEL = "Publishing date"
DATE_PREFIX = f"{DATE_LABEL}:"
HEADER = frozenset(
    {
        "Newsroom",
        "News and press releases",
        "News and press releases from the OSCE's global activities.",
        "News and press releases from the OSCE’s global activities.",
    }
)
TYPE_LABEL, MISSION_LABEL, TOPIC_LABEL = Kind.TYPE.label, Kind.MISSION.label, Kind.TOPIC.label
FIELD_LABELS: dict[str, Kind | None] = {
    TYPE_LABEL: Kind.TYPE,
    MISSION_LABEL: Kind.MISSION,
    TOPIC_LABEL: Kind.TOPIC,
    "Collections": None,  # a rare label of the site; we publish no feeds for it
}
# The labels of the fields we publish feeds for.
KIND_LABELS = {label: kind for label, kind in FIELD_LABELS.items() if kind is not None}
# Labels that mark a listing of something else than news (monitoring reports).
FOREIGN_LABELS = frozenset({"Report type"})
# The starts of the lines that decide what a page is: dates and foreign labels.
MARKS = (DATE_PREFIX, *sorted(f"{label}:" for label in FOREIGN_LABELS))
# Whole labels, for recognising a page cut in the middle of one ("Where we a").
CUT_LABEL_TARGETS = tuple(f"{label}:" for label in (DATE_LABEL, *FIELD_LABELS))

# "Label: value" in the metadata position: one to four words, sentence case.
LABEL_LINE = re.compile(r"(?P<label>[A-Z][a-z]+(?: [a-z]+){0,3}):(?:\s*(?P<value>.*))")
# Lines of body text after a lone item's summary that make a page an article.
ARTICLE_BODY_LINES = 3
