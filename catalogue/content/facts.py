"""What other pages show of an entry: the facts its cards are made of, and their digest.

A card takes these facts, not the record, so a card can only show what they hold; and its key
is their digest, so an edit that no card shows (a description, a price) leaves every card,
and every listing of them, as it was. The digest is of the facts themselves, made when the
record is read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Mapping

from catalogue.content.model import (Entry, Event, EventTime, Location, OcopRating, PackageVariant, Producer, Product,
                                     Quantity, WebLink)
from catalogue.content.translations import Status, status_of
from catalogue.derive import digest


@dataclass(frozen=True)
class TextFacts:
    """One language file as a card shows it, and how up to date it is (translations.py)."""

    lang: str
    name: str
    summary: str
    status: Status


@dataclass(frozen=True)
class ProductFacts:
    slug: str
    texts: Mapping[str, TextFacts]
    cover: str | None  # the first image's file name
    stars: int
    category: str
    district: str
    producer: str
    certifications: tuple[str, ...]
    markets: tuple[str, ...]


@dataclass(frozen=True)
class ProducerFacts:
    slug: str
    texts: Mapping[str, TextFacts]
    type: str
    district: str


@dataclass(frozen=True)
class EventFacts:
    slug: str
    texts: Mapping[str, TextFacts]
    event_kind: str
    start: EventTime
    end: EventTime | None
    location: Location


Facts = ProductFacts | ProducerFacts | EventFacts


@dataclass(frozen=True)
class ProductData:
    """A product as data exports describe it: its card's facts and every field of its record,
    but not its texts' bodies (an edit of a description changes no export)."""

    facts: ProductFacts
    ocop: OcopRating
    images: tuple[str, ...]
    hs_code: str | None
    packaging: tuple[PackageVariant, ...]
    moq: Quantity | None
    shelf_life_days: int | None
    marketplaces: tuple[WebLink, ...]
    updated: date | None


def product_data(entry: Product, source_lang: str) -> ProductData:
    return ProductData(product_facts(entry, source_lang), entry.ocop, tuple(entry.images), entry.hs_code,
                       tuple(entry.packaging), entry.moq, entry.shelf_life_days, tuple(entry.marketplaces),
                       entry.updated)


def _texts(entry: Entry, source_lang: str) -> dict[str, TextFacts]:
    return {lang: TextFacts(lang, t.name, t.summary, status_of(entry, lang, source_lang))
            for lang, t in sorted(entry.texts.items())}


def product_facts(entry: Product, source_lang: str) -> ProductFacts:
    return ProductFacts(entry.slug, _texts(entry, source_lang), entry.images[0] if entry.images else None, entry.ocop.stars,
                        entry.category, entry.district, entry.producer, tuple(entry.certifications),
                        tuple(entry.markets))


def producer_facts(entry: Producer, source_lang: str) -> ProducerFacts:
    return ProducerFacts(entry.slug, _texts(entry, source_lang), entry.type, entry.district)


def event_facts(entry: Event, source_lang: str) -> EventFacts:
    return EventFacts(entry.slug, _texts(entry, source_lang), entry.event_kind, entry.start, entry.end, entry.location)


def facts_of(entry: Entry, source_lang: str) -> Facts:
    if isinstance(entry, Product):
        return product_facts(entry, source_lang)
    if isinstance(entry, Producer):
        return producer_facts(entry, source_lang)
    assert isinstance(entry, Event)
    return event_facts(entry, source_lang)


def index_facts(entry: Entry) -> tuple[object, ...]:
    """What the site's index takes of an entry (site/index.py): the listing pages it is on,
    its filters, its place in orderings and its references. While these stay as they are,
    an edit changes no page other than those showing the entry itself or its facts. The
    languages it has a text in are here too: the sitemap lists its pages in those alone."""
    languages = tuple(sorted(entry.texts))
    if isinstance(entry, Product):
        return ("product", entry.category, entry.district, tuple(entry.markets), entry.ocop.stars, entry.ocop.year,
                entry.producer, entry.images[0] if entry.images else None, entry.updated,
                tuple(entry.certifications), languages)
    if isinstance(entry, Producer):
        return ("producer", entry.type, languages)
    assert isinstance(entry, Event)
    return ("event", entry.start, entry.end, tuple(entry.products), entry.organizer, languages)


def index_digest(entry: Entry) -> str:
    return digest("index", json.dumps(_plain(index_facts(entry)), ensure_ascii=False, separators=(",", ":")))


def _plain(value: object) -> object:
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in sorted(value.items())}
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is not None:
        return [type(value).__name__, *(_plain(getattr(value, name)) for name in fields)]
    raise TypeError(f"no digest for {type(value).__name__}")


def facts_digest(facts: Facts | ProductData) -> str:
    """The digest of the facts themselves (every field, in a canonical form)."""
    return digest("facts", json.dumps(_plain(facts), ensure_ascii=False, separators=(",", ":")))
