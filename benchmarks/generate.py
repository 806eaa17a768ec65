"""Synthetic listing pages in the exact seed format (see SEED_FORMAT.md), for benchmarks.

Deterministic: the same `count` and `seed` always give the same bytes. All names and
text are invented. What the pages look like:

- about ten items a page, newest first across the whole corpus (page 0 is the newest),
  dates spread over 30 years (1996-2025);
- 60 invented missions and offices and 30 invented topics, drawn with a Zipf-like
  popularity (a few are very common, most are rare), 1-3 missions and 1-4 topics an
  item; some names contain ` and `, one topic a slash, some end in ` (closed)`;
- about 80% of the items have metadata (Content type, Where we are, What we do), the
  others none; content types News, Press release, Statement, Feature (skewed);
- typographic quotes, dashes and diacritics in titles and summaries; summaries end with
  `...`, a full stop or nowhere, some start with a dateline;
- most pages have the full three-line header, some lack the `Newsroom` line or the
  whole header; every page ends without a final newline, after a complete summary.

Every item is distinct (no two share a publishing date and a normalised title), so a
corpus of N items yields exactly N entries.

    python -m benchmarks.generate DIR --items N [--seed S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from feeds.model import MONTH_NAMES

ITEMS_PER_PAGE = 10
FIRST_DAY = dt.date(1996, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)
METADATA_SHARE = 0.8
ZIPF_EXPONENT = 1.1
HEADER_LINES = (
    "Newsroom",
    "News and press releases",
    "News and press releases from the OSCE's global activities.",
)


# Invented places: countries (or regions) and their capitals.
PLACES = (
    ("Aldovia", "Vessa"),
    ("Brennmark", "Holtby"),
    ("Caradesh", "Amrit"),
    ("Dravenka", "Zolnik"),
    ("Eskaroth", "Tell Varun"),
    ("Fellmora", "Quessant"),
    ("Galvestria", "Portovel"),
    ("Horvanja", "Brdovac"),
    ("Istrovac", "Senjak"),
    ("Jarmelund", "Osterby"),
    ("Kestovia", "Karsk"),
    ("Lumbrava", "Rivellino"),
    ("Morvanth", "Ashgrove"),
    ("Nesselburg", "Kleinau"),
    ("Oskarija", "Veltrusy"),
    ("Pellavia", "Marisol"),
    ("Quorinth", "Delphane"),
    ("Rastovac", "Gornji Bor"),
    ("Selvenia", "Lindavar"),
    ("Tarkovia", "Yelshan"),
    ("Ulmaris", "Baykent"),
    ("Vescara", "Santo Urso"),
    ("Wendholm", "Fjellstad"),
    ("Xandria", "Korinna"),
    ("Yarovka", "Dubrava"),
    ("Zelmora", "Tavira"),
    ("Čavenograd", "Mlinište"),
    ("Šardinje", "Vrbanja"),
    ("Žembrava", "Ružica"),
    ("Ëlvarin", "Qytezë"),
    ("Ğarsel", "Dağköy"),
    ("Şenmar", "Işıkova"),
    ("Ardenvale", "Castlemere"),
    ("Borostyán", "Kőhegy"),
    ("Corvina", "Aurelsk"),
    ("Dunmarrow", "Glenlow"),
    ("Estravia", "Novel Maro"),
    ("Frostmark", "Isby"),
    ("Gorvanek", "Stari Lug"),
    ("Hallowmere", "Southwold"),
    ("Irinthal", "Kasperov"),
    ("Jadranka", "Plavnik"),
    ("Korvessa", "Almadin"),
    ("Lysandria", "Thessara"),
    ("Mirovia", "Bělsko"),
    ("Norrvik", "Ålsund"),
    ("Olvenstad", "Hedeby"),
    ("Prystavia", "Lviska"),
    ("Rhovena", "Kastell"),
    ("Sarnovia", "Petrovo Polje"),
    ("Tervinia", "Ostrava Nova"),
    ("Valkenburg", "Amstelhoek"),
    ("Wyrmland", "Dunholt"),
    ("Ysolde", "Caer Lune"),
    ("Zarovia", "Mělník Dolní"),
    ("Amberlund", "Solvik"),
    ("Brezovica", "Gradište"),
    ("Calderra", "Fuentesol"),
    ("Drosselia", "Hainfeld"),
    ("Elmovia", "Birchfield"),
)
OFFICE_NAMES = (
    "OSCE Mission to {country}",
    "OSCE Programme Office in {capital}",
    "OSCE Centre in {capital}",
    "OSCE Presence in {country}",
    "OSCE Project Co-ordinator in {country}",
    "OSCE Office in {capital}",
)
# Offices that are not in one country take some of the places' slots.
INSTITUTIONS = {
    3: "Office for Civic Dialogue and Minority Rights",
    7: "Representative on Open Media",
    11: "Secretariat of the Northern Forum",
    17: "Coordinator of Economic and Environmental Activities",
    23: "Department for Cross-border Threats",
    29: "Parliamentary Council",
    37: "High Commissioner on Linguistic Communities",
    43: "Special Envoy for the Caspian Dialogue",
}
CLOSED = {14: " (closed)", 26: " (closed)", 41: " (discontinued)", 53: " (closed)"}

TOPICS = (
    "Community safety",
    "Democratic governance",
    "Border stewardship",
    "Election observation",
    "Media pluralism",
    "Gender equality",
    "Countering trafficking in persons",
    "Water and energy governance",
    "Mine action",
    "Youth and security",
    "Cyber/digital resilience",
    "Rule of law",
    "Confidence-building measures",
    "Civic mediation",
    "Anti-corruption",
    "Environmental co-operation",
    "Minority rights",
    "Arms control and small weapons",
    "Reform and co-operation in the security sector",
    "Tolerance and non-discrimination",
    "Migration and movement",
    "Education and training",
    "Economic connectivity",
    "Conflict prevention and resolution",
    "Crisis response",
    "Transport security",
    "Freedom of assembly",
    "Digital literacy",
    "Cultural heritage protection",
    "Maritime and river safety",
)
CONTENT_TYPES = (("News", 0.6), ("Press release", 0.22), ("Statement", 0.12), ("Feature", 0.06))

AUDIENCES = (
    "border guards",
    "young journalists",
    "municipal officials",
    "judges and prosecutors",
    "police cadets",
    "civil society activists",
    "customs officers",
    "election commissioners",
    "teachers",
    "women leaders",
    "parliamentary staff",
    "ombudsperson’s staff",
)
ACTIONS = (
    "hosts workshop on",
    "trains {audience} on",
    "supports new strategy on",
    "holds round table on",
    "launches handbook on",
    "concludes study visit on",
    "marks {nth} anniversary of work on",
    "opens regional conference on",
    "presents report on",
    "discusses challenges of",
)
PHRASES = (
    "Every voice counts",
    "Safer streets, stronger trust",
    "Borders that connect",
    "Listening first",
    "No one left behind",
    "From words to action",
    "A shared horizon",
    "Open doors, open minds",
)
SENTENCES = (
    "Around {n} participants from {country} and {other} took part in the {days}-day event,"
    " which focused on {topic} and on practical co-operation between institutions",
    "The event brought together {audience} from across the region to exchange experience"
    " on {topic}, with a particular emphasis on the role of local communities",
    "Speakers underlined that {topic} remains a shared responsibility – one that requires"
    " sustained political will, adequate resources and the trust of the public",
    "“We have seen real progress over the past {n} months,” said the Head of the"
    " {office}, adding that the work on {topic} would continue in {year}",
    "The training combined lectures, case studies and simulation exercises — including a"
    " mock inspection at the crossing near {capital} — and was followed by a field visit",
    "Participants drafted a set of recommendations on {topic}, which will be presented to"
    " the authorities of {country} and discussed at the next annual review meeting",
    "This activity is part of the extra-budgetary project “{phrase}”, funded by {other}"
    " and implemented in co-operation with the Ministry of the Interior of {country}",
    "The {office} has supported reforms in the field of {topic} since {since}, working"
    " closely with the parliament, the ombudsperson’s office and civil society",
)


@dataclass(frozen=True, slots=True)
class Item:
    """One item of a listing page."""

    title: str
    date: dt.date
    content_type: str | None
    missions: tuple[str, ...]
    topics: tuple[str, ...]
    summary: str


@dataclass(frozen=True, slots=True)
class Page:
    """One listing page: its file name, its items (newest first) and its header."""

    name: str
    items: tuple[Item, ...]
    header: int  # how many header lines it has: 3, 2 (no `Newsroom`) or 0

    def text(self) -> str:
        return render_page(self.items, self.header)


def mission_names() -> tuple[str, ...]:
    """The 60 invented missions and offices, most popular first."""
    names = []
    for index, (country, capital) in enumerate(PLACES):
        template = OFFICE_NAMES[index % len(OFFICE_NAMES)]
        name = INSTITUTIONS.get(index) or template.format(country=country, capital=capital)
        names.append(name + CLOSED.get(index, ""))
    assert len(set(names)) == 60
    assert not any("," in name for name in names)
    return tuple(names)


MISSIONS = mission_names()
assert len(TOPICS) == 30
assert not any("," in name for name in TOPICS)


def zipf_weights(count: int, exponent: float = ZIPF_EXPONENT) -> list[float]:
    return [1 / (rank**exponent) for rank in range(1, count + 1)]


MISSION_WEIGHTS = zipf_weights(len(MISSIONS))
TOPIC_WEIGHTS = zipf_weights(len(TOPICS))


def pick(rng: random.Random, names: Sequence[str], weights: Sequence[float], k: int) -> list[str]:
    """`k` distinct names, drawn by popularity."""
    chosen: dict[str, None] = {}
    while len(chosen) < k:
        chosen[rng.choices(names, weights)[0]] = None
    return list(chosen)


def display_date(day: dt.date) -> str:
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


TYPOGRAPHIC = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def identity(item: Item) -> tuple[dt.date, str]:
    """What makes two items one (see SEED_FORMAT.md, Identity)."""
    text = unicodedata.normalize("NFKC", item.title).translate(TYPOGRAPHIC)
    return item.date, " ".join(text.split()).casefold()


def make_title(rng: random.Random, missions: Sequence[str], topics: Sequence[str]) -> str:
    country, capital = rng.choice(PLACES)
    office = missions[0] if missions else rng.choice(MISSIONS)
    topic = (topics[0] if topics else rng.choice(TOPICS)).lower()
    form = rng.randrange(6)
    if form == 0:
        action = rng.choice(ACTIONS).format(
            audience=rng.choice(AUDIENCES), nth=ordinal(rng.randint(2, 30))
        )
        return f"{office} {action} {topic} in {capital}"
    if form == 1:
        return f"Statement by the Chairperson’s Special Representative on {topic} in {country}"
    if form == 2:
        return f"“{rng.choice(PHRASES)}” – {office} and {country} sign memorandum on {topic}"
    if form == 3:
        n = rng.randint(12, 480)
        return f"{n} {rng.choice(AUDIENCES)} in {country} complete OSCE course on {topic}"
    if form == 4:
        return (
            f"{capital} conference on {topic} calls for “{rng.choice(PHRASES).lower()}” — "
            f"{ordinal(rng.randint(2, 40))} edition"
        )
    return (
        f"{country}’s authorities and OSCE discuss {topic} at {ordinal(rng.randint(2, 25))} meeting"
    )


def make_summary(
    rng: random.Random, day: dt.date, missions: Sequence[str], topics: Sequence[str]
) -> str:
    country, capital = rng.choice(PLACES)
    parts = []
    if rng.random() < 0.35:
        dateline = day - dt.timedelta(days=rng.choice((0, 0, 0, 1, 2)))
        parts.append(f"{capital.upper()}, {display_date(dateline)} – ")
    sentences = []
    for _ in range(rng.randint(1, 3)):
        sentences.append(
            rng.choice(SENTENCES).format(
                n=rng.randint(8, 250),
                country=country,
                capital=capital,
                other=rng.choice(PLACES)[0],
                days=rng.randint(1, 5),
                topic=(rng.choice(topics) if topics else rng.choice(TOPICS)).lower(),
                audience=rng.choice(AUDIENCES),
                office=missions[0] if missions else rng.choice(MISSIONS),
                year=day.year + 1,
                since=day.year - rng.randint(1, 15),
                phrase=rng.choice(PHRASES),
            )
        )
    text = parts[0] if parts else ""
    text += ". ".join(sentences)
    ending = rng.random()
    if ending < 0.5:
        text += "..."
    elif ending < 0.8:
        text += "."
    else:  # cut mid-sentence, as the site does
        text = text[: rng.randint(len(text) // 2, len(text) - 1)].rstrip(" ,–—")
    return text


# A summary must not look like a metadata line (`Word word: ...`).
LABEL_LIKE = re.compile(r"[A-Z][a-z]+(?: [a-z]+){0,3}:")


def make_item(rng: random.Random, day: dt.date) -> Item:
    if rng.random() < METADATA_SHARE:
        types, weights = zip(*CONTENT_TYPES, strict=True)
        content_type: str | None = rng.choices(types, weights)[0]
        missions = pick(rng, MISSIONS, MISSION_WEIGHTS, rng.choices((1, 2, 3), (6, 3, 1))[0])
        topics = pick(rng, TOPICS, TOPIC_WEIGHTS, rng.choices((1, 2, 3, 4), (4, 3, 2, 1))[0])
    else:
        content_type, missions, topics = None, [], []
    summary = make_summary(rng, day, missions, topics)
    assert not LABEL_LIKE.match(summary)
    return Item(
        title=make_title(rng, missions, topics),
        date=day,
        content_type=content_type,
        missions=tuple(missions),
        topics=tuple(topics),
        summary=summary,
    )


def make_items(
    count: int,
    seed: int = 0,
    first: dt.date = FIRST_DAY,
    last: dt.date = LAST_DAY,
    avoid: set[tuple[dt.date, str]] | None = None,
) -> list[Item]:
    """`count` distinct items dated between `first` and `last`, newest first.
    `avoid` holds identities already used elsewhere; the new ones are added to it."""
    rng = random.Random(f"osce-feeds benchmark items {seed}")
    span = (last - first).days
    seen = avoid if avoid is not None else set()
    items: list[Item] = []
    while len(items) < count:
        item = make_item(rng, first + dt.timedelta(days=rng.randint(0, span)))
        key = identity(item)
        if key not in seen:
            seen.add(key)
            items.append(item)
    items.sort(key=lambda item: item.date, reverse=True)
    return items


def render_item(item: Item) -> list[str]:
    lines = [item.title, f"Publishing date: {display_date(item.date)}"]
    if item.content_type:
        lines.append(f"Content type: {item.content_type}")
    if item.missions:
        lines.append(f"Where we are: {', '.join(item.missions)}")
    if item.topics:
        lines.append(f"What we do: {', '.join(item.topics)}")
    lines.append(item.summary)
    return lines


def render_page(items: Sequence[Item], header: int = 3) -> str:
    """The text of one page, without a final newline (a scrape stops there)."""
    lines = list(HEADER_LINES[len(HEADER_LINES) - header :]) if header else []
    for item in items:
        lines.extend(render_item(item))
    return "\n".join(lines)


def page_name(index: int, text: str) -> str:
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"{index:06d}_{digest}.txt"


def make_pages(items: Sequence[Item], seed: int = 0, first_index: int = 0) -> list[Page]:
    """Consecutive runs of about ten items, in the order given (newest first)."""
    rng = random.Random(f"osce-feeds benchmark pages {seed}")
    pages = []
    for n, start in enumerate(range(0, len(items), ITEMS_PER_PAGE)):
        chunk = tuple(items[start : start + ITEMS_PER_PAGE])
        header = rng.choices((3, 2, 0), (90, 6, 4))[0]
        pages.append(Page(page_name(first_index + n, render_page(chunk, header)), chunk, header))
    return pages


def corpus(count: int, seed: int = 0) -> list[Page]:
    """The pages of a corpus of `count` items, newest first."""
    return make_pages(make_items(count, seed), seed)


def write_page(folder: Path, page: Page) -> Path:
    path = folder / page.name
    path.write_bytes(page.text().encode())
    return path


def write_pages(folder: Path, items: int, seed: int = 0) -> list[Path]:
    """Write a corpus of `items` items into `folder` (made if missing); returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    return [write_page(folder, page) for page in corpus(items, seed)]


def edited(page: Page, variant: int) -> Page:
    """The same page after the site changed it: summaries of its first three items
    extended, and a topic added to its first item. Same file name."""
    rng = random.Random(f"osce-feeds benchmark edit {variant}")
    items = list(page.items)
    for n in range(min(3, len(items))):
        items[n] = replace(items[n], summary=f"{items[n].summary} (Updated, version {variant}.)")
    first = items[0]
    extra = [t for t in TOPICS if t not in first.topics]
    items[0] = replace(first, topics=(*first.topics, rng.choice(extra)))
    if items[0].content_type is None:
        items[0] = replace(items[0], content_type="News", missions=(MISSIONS[0],))
    return replace(page, items=tuple(items))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generate",
        description="Write synthetic OSCE listing pages (seed files) into DIR.",
    )
    parser.add_argument("folder", metavar="DIR", type=Path)
    parser.add_argument("--items", type=int, default=1000, help="number of items (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    paths = write_pages(args.folder, args.items, args.seed)
    print(f"wrote {len(paths)} pages, {args.items} items, into {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
