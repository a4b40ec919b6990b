"""The typed, immutable content model: what the loader produces and templates read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Iterator, Literal, Mapping

EntryKind = Literal["product", "producer", "event"]


@dataclass(frozen=True)
class Text:
    """One language file of an entry: front matter fields and the Markdown body.

    The body itself is not kept: it is read from the file when a page or the search index needs
    it, and checked against `body_digest` (content/load.py body_text). Held by every build
    process, the bodies of a national catalogue were a fifth of its memory, compressed."""

    lang: str
    name: str
    summary: str
    body_digest: str  # of the Markdown source
    has_body: bool  # False for a file with front matter only (its body is shown from another language)
    source_hash: str  # of name, summary and body as a translator translates them (translations.py)
    body_line: int  # file line where the body starts, for messages
    translation_of: str | None
    rel_path: str  # relative to the site root
    field_lines: tuple[tuple[str, int], ...] = ()  # front matter field -> its line, for messages

    def line_of(self, field_name: str) -> int | None:
        return dict(self.field_lines).get(field_name)

    @property
    def digest(self) -> str:
        return self.body_digest + self.source_hash


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str  # ISO 4217


@dataclass(frozen=True)
class PackageVariant:
    size: str
    unit_price: Money | None


@dataclass(frozen=True)
class Quantity:
    quantity: Decimal
    unit: str  # a code of the `units` list, or a unit as written


@dataclass(frozen=True)
class WebLink:
    name: str
    url: str


@dataclass(frozen=True)
class OcopRating:
    stars: int
    year: int
    certificate: str | None = None
    valid_until: date | None = None

    LASTS_YEARS = 3  # an OCOP rating lasts three years

    @property
    def expires(self) -> date:
        """valid_until, else the end of the third year after the year it was granted."""
        return self.valid_until or date(self.year + self.LASTS_YEARS, 12, 31)

    def lapsed(self, today: date) -> bool:
        return self.expires < today


@dataclass(frozen=True)
class LocalText:
    """A text written once for every language, or once per language ({vi: ..., en: ...}): a
    place's name, an address, an organiser."""

    texts: tuple[tuple[str, str], ...]  # (language, text); the language "*" stands for every one

    @classmethod
    def of(cls, value: "str | Mapping[str, str]") -> "LocalText":
        if isinstance(value, str):
            return cls((("*", value),))
        return cls(tuple((str(lang), text) for lang, text in value.items()))

    @property
    def single(self) -> str | None:
        """The text, where one is written for every language."""
        return self.texts[0][1] if len(self.texts) == 1 and self.texts[0][0] == "*" else None

    def shown(self, chain: "tuple[str, ...] | list[str]") -> str:
        """The text of the first language of `chain` that has one, else the one for every
        language, else the first written."""
        found = dict(self.texts)
        for lang in chain:
            if lang in found:
                return found[lang]
        return found.get("*", self.texts[0][1] if self.texts else "")

    def language_of(self, chain: "tuple[str, ...] | list[str]") -> str | None:
        """The language of the text shown for `chain` (None: the text for every language)."""
        found = dict(self.texts)
        for lang in chain:
            if lang in found:
                return lang
        return None if "*" in found or not self.texts else self.texts[0][0]


@dataclass(frozen=True)
class Contact:
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    address: LocalText | None = None


_SEPARATORS = re.compile("[\x1e\x1f]")


class FieldLines(Mapping[str, int]):
    """Data-file field -> line, kept as one string: they are asked for only to word a message,
    and a dict of them per entry weighed as much as the entry's other facts."""

    __slots__ = ("_packed",)

    def __init__(self, lines: Mapping[str, int]):
        # the separators cannot be in a field name that is looked up: a key holding them is
        # an unknown field anyway, reported from the YAML's own lines
        packed = "".join(f"{path}\x1f{line}\x1e" for path, line in lines.items())
        if packed.count("\x1e") != len(lines) or packed.count("\x1f") != len(lines):  # seldom
            packed = "".join(f"{_SEPARATORS.sub(chr(0xFFFD), path)}\x1f{line}\x1e" for path, line in lines.items())
        self._packed = packed

    def _pairs(self) -> Iterator[tuple[str, int]]:
        for item in self._packed.split("\x1e")[:-1]:
            path, _, line = item.rpartition("\x1f")
            yield path, int(line)

    def __getitem__(self, path: str) -> int:
        for known, line in self._pairs():
            if known == path:
                return line
        raise KeyError(path)

    def __iter__(self) -> Iterator[str]:
        return (path for path, _ in self._pairs())

    def __len__(self) -> int:
        return self._packed.count("\x1e")

    def __eq__(self, other: object) -> bool:
        return dict(self.items()) == dict(other.items()) if isinstance(other, Mapping) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __plain__(self) -> str:
        return self._packed

    @classmethod
    def __from_plain__(cls, packed: object) -> "FieldLines":
        if not isinstance(packed, str):
            raise ValueError("not field lines")
        lines = cls({})
        lines._packed = packed
        return lines

    def __repr__(self) -> str:
        return f"FieldLines({dict(self.items())!r})"


@dataclass(frozen=True)
class Entry:
    """What products, producers and events share: identity, folder and texts per language."""

    slug: str
    src_dir: Path
    rel_dir: str  # e.g. content/products/<slug>
    texts: Mapping[str, Text]  # by language code; the source language is always present
    field_lines: FieldLines  # for cross-record messages
    digest: str  # of every file of the entry's folder (texts, data file, images) and the settings
    facts_digest: str = ""  # of what its cards show (content/facts.py), made when it is read
    index_digest: str = ""  # of what the site's index takes of it (content/facts.py)
    data_digest: str = ""  # a product's: of what data exports take of it (content/facts.py)

    kind: EntryKind = field(init=False, default="product")

    def data_file(self) -> str:
        return f"{self.rel_dir}/{self.kind}.yaml"


@dataclass(frozen=True)
class Product(Entry):
    producer: str = ""
    category: str = ""
    ocop: OcopRating = OcopRating(3, 2020)
    district: str = ""
    images: tuple[str, ...] = ()
    hs_code: str | None = None
    certifications: tuple[str, ...] = ()
    markets: tuple[str, ...] = ()
    packaging: tuple[PackageVariant, ...] = ()
    moq: Quantity | None = None
    shelf_life_days: int | None = None
    marketplaces: tuple[WebLink, ...] = ()
    updated: date | None = None

    kind: EntryKind = field(init=False, default="product")


@dataclass(frozen=True)
class Producer(Entry):
    type: str = ""
    district: str = ""
    contact: Contact = Contact()
    founded: int | None = None

    kind: EntryKind = field(init=False, default="producer")


@dataclass(frozen=True)
class EventTime:
    """A moment with its UTC offset, or a whole day when only a date was given."""

    value: datetime | date

    @property
    def all_day(self) -> bool:
        return not isinstance(self.value, datetime)

    @property
    def day(self) -> date:
        return self.value.date() if isinstance(self.value, datetime) else self.value


@dataclass(frozen=True)
class Location:
    online: bool = False
    url: str | None = None
    venue: LocalText | None = None
    city: LocalText | None = None
    country: str | None = None  # ISO 3166 alpha-2, or a name


@dataclass(frozen=True)
class Event(Entry):
    event_kind: str = ""
    start: EventTime = EventTime(date(2000, 1, 1))
    end: EventTime | None = None
    location: Location = Location()
    markets: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    organizer: LocalText | None = None  # a name (per language), or a producer slug (see link.py)
    registration: str | None = None

    kind: EntryKind = field(init=False, default="event")

    @property
    def organizer_slug(self) -> str | None:
        """The organiser as written once for every language: a producer's slug, if one has it."""
        return self.organizer.single if self.organizer is not None else None


@dataclass(frozen=True)
class Site:
    """All records of a site, linked: references resolved, back-references computed."""

    products: Mapping[str, Product]
    producers: Mapping[str, Producer]
    events: Mapping[str, Event]
    products_by_producer: Mapping[str, tuple[str, ...]]
    events_by_product: Mapping[str, tuple[str, ...]]
    events_by_producer: Mapping[str, tuple[str, ...]]  # events a producer organises
