"""One item's fields: its date, metadata labels (content type, missions, topics),
summary and title, each within its bound, with values on a page's cut last line
kept as tentative.

Where items start and end is `feeds.parse.page`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from feeds.model import Kind, Level, Record
from feeds.parse.bounds import (
    MAX_DATE_CHARS,
    MAX_NAME_CHARS,
    MAX_NAMES_PER_ITEM,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    cut_to,
    shown,
)
from feeds.parse.dates import parse_date
from feeds.parse.labels import (
    CUT_LABEL_TARGETS,
    DATE_PREFIX,
    FIELD_LABELS,
    KIND_LABELS,
    LABEL_LINE,
    MISSION_LABEL,
    TOPIC_LABEL,
    TYPE_LABEL,
)
from feeds.parse.state import Page


# The same few values recur on item after item: each is split once.
@functools.lru_cache(maxsize=4096)
def split_names(value: str) -> tuple[str, ...]:
    """`A, B, C` as a tuple; no known name contains a comma. Empty pieces are dropped."""
    return tuple(filter(None, map(str.strip, value.split(","))))


def parse_item(page: Page, title: int | None, d: int, stop: int, *, is_last: bool) -> Record | None:
    lines = page.lines
    raw_date = lines[d].removeprefix(DATE_PREFIX)
    date = parse_date(raw_date) if len(raw_date) <= MAX_DATE_CHARS else None
    body = page.non_blank(d + 1, stop)

    if is_last and body and page.is_cut(body[-1]) and _is_cut_label(lines[body[-1]]):
        page.add(body[-1], Level.NOTICE, f"page cut inside a label: {shown(lines[body[-1]])}")
        body = body[:-1]
    if date is None:
        value = raw_date.strip()
        if page.is_cut(d):
            page.add(d, Level.NOTICE, f"page cut inside a date: {shown(value)}, item skipped")
        else:
            page.add(d, Level.ERROR, f"bad date {shown(value)}: item skipped")
        return None
    if title is None:
        return None

    # Plain locals per kind: the names of the kind's line(s), in page order.
    types: tuple[str, ...] = ()
    missions: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    tentative: tuple[tuple[Kind, str], ...] = ()
    position = 0
    for position, i in enumerate(body):
        line = lines[i]
        # The label is what comes before the first colon; the known ones need no regex.
        label, colon, value = line.partition(":")
        if colon and label in KIND_LABELS:
            if len(value) <= MAX_NAME_CHARS:  # nearly all
                values = split_names(value)
            else:
                values = _long_names(page, i, value)
            if i == page.cut and values and not value.rstrip().endswith(","):
                cut = values[-1]
                values = values[:-1]
                tentative += ((KIND_LABELS[label], cut),)
                page.add(
                    i,
                    Level.NOTICE,
                    f"page cut inside {label!r}: {shown(cut)} kept only if seen complete elsewhere",
                )
            if label == TYPE_LABEL:
                types += values
            elif label == MISSION_LABEL:
                missions += values
            else:
                topics += values
        elif colon and label in FIELD_LABELS:
            continue  # a label we publish no feeds for
        elif position == len(body) - 1 or not colon or LABEL_LINE.fullmatch(line) is None:
            break  # the summary; an unknown label with nothing after it is one too
        else:
            page.add(i, Level.NOTICE, f"unknown label {shown(label + ':')} ignored")
    else:
        position = len(body)

    rest = body[position:]
    summary = lines[rest[0]] if rest else ""
    if len(summary) > MAX_SUMMARY_CHARS:
        summary = _cut_text(page, rest[0], "summary", summary, MAX_SUMMARY_CHARS)
    for extra in rest[1:]:
        page.extra_lines += 1
        if is_last and extra == rest[-1]:
            # The next item's title, with its date beyond the end of the scrape.
            page.add(extra, Level.NOTICE, f"title without a date at the end: {shown(lines[extra])}")
        else:
            page.add(extra, Level.WARNING, f"unexpected line ignored: {shown(lines[extra])}")

    if len(types) > 1:
        page.add(
            d, Level.WARNING, f"several content types, kept the first: {shown(', '.join(types))}"
        )
    title_text = lines[title]
    if len(title_text) > MAX_TITLE_CHARS:
        title_text = _cut_text(page, title, "title", title_text, MAX_TITLE_CHARS)
    missions, topics = _unique(missions), _unique(topics)
    if len(missions) > MAX_NAMES_PER_ITEM or len(topics) > MAX_NAMES_PER_ITEM:
        missions = _first_names(page, body, MISSION_LABEL, missions)
        topics = _first_names(page, body, TOPIC_LABEL, topics)
        # A cut last name would come after the kept ones.
        tentative = tuple(t for t in tentative if t[0] is Kind.TYPE)
    return Record(
        title=title_text,
        date=date,
        content_type=types[0] if types else None,
        missions=missions,
        topics=topics,
        summary=summary,
        source=page.source,
        line=title + 1,
        tentative=tentative,
    )


def _cut_text(page: Page, index: int, field: str, text: str, limit: int) -> str:
    """`text`, the `field` on line `index`, cut to `limit` characters, with a warning."""
    page.add(index, Level.WARNING, f"{field} of {len(text):,} characters cut to {limit:,}")
    return cut_to(text, limit)


def _long_names(page: Page, index: int, value: str) -> tuple[str, ...]:
    """The names of a line too long for `split_names`'s cache, each cut to
    MAX_NAME_CHARS."""
    names = split_names.__wrapped__(value)
    if all(len(name) <= MAX_NAME_CHARS for name in names):
        return names
    # One warning per name and page: a long name on every item is one problem.
    new = [n for n in names if len(n) > MAX_NAME_CHARS and n not in page.cut_names]
    if new:
        page.cut_names.update(new)
        page.add(
            index,
            Level.WARNING,
            f"names longer than {MAX_NAME_CHARS} characters cut ({len(new)}), "
            f"such as {shown(new[0])}",
        )
    return tuple(cut_to(name, MAX_NAME_CHARS) for name in names)


def _first_names(
    page: Page, body: Sequence[int], label: str, names: tuple[str, ...]
) -> tuple[str, ...]:
    """The first MAX_NAMES_PER_ITEM of an item's `names` (of `label`, on lines among
    `body`), with a warning at their last line when there are more."""
    if len(names) <= MAX_NAMES_PER_ITEM:
        return names
    line = max(i for i in body if page.lines[i].startswith(f"{label}:"))
    page.add(
        line,
        Level.WARNING,
        f"{len(names):,} names for {label!r}: kept the first {MAX_NAMES_PER_ITEM}",
    )
    return names[:MAX_NAMES_PER_ITEM]


def _unique(names: tuple[str, ...]) -> tuple[str, ...]:
    """`names` without repeats, in first-seen order."""
    return names if len(names) < 2 else tuple(dict.fromkeys(names))


def _is_cut_label(line: str) -> bool:
    """Whether `line` is a label cut short: a proper prefix of a whole one."""
    return len(line) >= 2 and any(
        target.startswith(line) and target != line for target in CUT_LABEL_TARGETS
    )
