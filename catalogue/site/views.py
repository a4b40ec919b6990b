"""Template contexts: the site's records, localised and formatted for one language.

Everything a template shows is decided here (fallback texts, labels, formatted values);
templates only lay it out and translate UI words. Each view is made by a pure function of its
arguments, and pages.py calls them through derive(): a view's key is made of its arguments,
so what it shows can only come from what its key covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal, Mapping

from babel import Locale
from markupsafe import Markup, escape

from catalogue.config import SiteConfig
from catalogue.content.codes import Codes
from catalogue.content.model import Entry, Event, LocalText, Producer, Product
from catalogue.content.facts import EventFacts, ProducerFacts, ProductFacts, TextFacts, producer_facts, product_facts
from catalogue.content.translations import TextLike, first_text, shown_text, status_in
from catalogue.derive import digest
from catalogue.site import urls
from catalogue.site.formatting import EventMoment, EventSpan, Formatter, place_separator
from catalogue.site.locales import Language
from catalogue.site.media import EntryMedia, ImageAsset

Notice = Literal["fallback", "stale"]
LISTS = ("categories", "districts", "markets")  # the code lists that have listing pages


@dataclass(frozen=True)
class LanguageContext:
    """What every view of one language is made with: the language and the site's others, the
    fallback chain, the code lists and which codes have a listing page. Its digest covers
    site.yaml (through config.digest) and the listing pages that exist."""

    language: Language
    languages: Mapping[str, Language]
    source_lang: str
    chain: tuple[str, ...]
    codes: Codes
    listed: Mapping[str, frozenset[str]]
    digest: str
    fmt: Formatter = field(init=False, compare=False, repr=False)
    names: Mapping[str, str] = field(init=False, compare=False, repr=False)  # the site's languages, named

    def __post_init__(self) -> None:
        object.__setattr__(self, "fmt", Formatter(self.language.locale, self.language.code, self.source_lang,
                                                  self.codes))
        # looked up for every card's text: CLDR's names are parsed once per language, not per card
        object.__setattr__(self, "names", {code: _display_name(self.language, self.languages, code)
                                           for code in self.languages})

    @property
    def code(self) -> str:
        return self.language.code


def language_context(config: SiteConfig, languages: Mapping[str, Language], lang: str,
                     listed: Mapping[str, frozenset[str]], settings: str) -> LanguageContext:
    """`settings`: the digest of what else views depend on (the package, site.yaml)."""
    key = digest("language", settings, config.digest, lang, *(f"{name}={sorted(codes)}" for name, codes in
                                                               sorted(listed.items())))
    return LanguageContext(languages[lang], languages, config.source_lang, config.fallback_chain(lang), config.codes,
                           dict(listed), key)


@dataclass(frozen=True)
class Label:
    code: str
    text: str
    path: str | None = None  # listing page, when there is one


@dataclass(frozen=True)
class Img:
    """A responsive image: `path` for old browsers, srcsets for the rest (paths and widths)."""

    path: str
    width: int
    height: int
    alt: str
    srcset: tuple[tuple[str, int], ...] = ()
    webp_srcset: tuple[tuple[str, int], ...] = ()
    mime: str = "image/jpeg"


@dataclass(frozen=True)
class Words:
    """Text of an entry as shown in one language, with what the reader must be told."""

    name: str
    summary: str
    lang: str  # language the text is actually in
    dir: str
    notice: Notice | None
    shown_language: str  # the language of the text, named in the reader's language
    page_dir: str  # the reading language's direction

    @property
    def attrs(self) -> Markup:
        """lang and dir attributes for an element showing this text: they differ from the
        page's only for a text shown in another language, its translation missing."""
        if self.notice != "fallback":
            return _NO_ATTRIBUTES
        return Markup(' lang="%s" dir="%s"') % (self.lang, self.dir)


_NO_ATTRIBUTES = Markup("")


@dataclass(frozen=True)
class Local:
    """A venue, a city, an address or an organiser as one page shows it. Where the text is in
    another language than the page's (a venue written in English only, on the Japanese page),
    its markup says so, to be read, spoken and hyphenated as what it is. str(): the text."""

    text: str
    lang: str | None = None  # None: the page's language, or one text written for every language
    dir: str = "ltr"

    def __str__(self) -> str:
        return self.text

    def __html__(self) -> Markup:
        if self.lang is None:
            return escape(self.text)
        return Markup('<span lang="%s" dir="%s">%s</span>') % (self.lang, self.dir, self.text)


@dataclass(frozen=True)
class Place:
    """A venue, a city and a country, separated as the page's language separates listed items;
    each part marked with its own language where it differs. str(): the plain text."""

    parts: tuple[Local, ...]
    separator: str

    def __str__(self) -> str:
        return self.separator.join(part.text for part in self.parts)

    def __html__(self) -> Markup:
        return escape(self.separator).join(part.__html__() for part in self.parts)


@dataclass(frozen=True)
class ProductCard:
    slug: str
    path: str
    words: Words
    cover: Img | None
    stars: int
    category: Label
    district: Label
    producer_name: str
    certifications: tuple[Label, ...]
    markets: tuple[Label, ...]


@dataclass(frozen=True)
class ProducerCard:
    slug: str
    path: str
    words: Words
    type: Label
    district: Label
    product_count: int


@dataclass(frozen=True)
class EventCard:
    slug: str
    path: str
    words: Words
    kind: Label
    start: EventMoment
    end: EventMoment | None
    span: EventSpan
    place: Place
    online: bool
    upcoming: bool


@dataclass(frozen=True)
class ContactView:
    phone: str | None
    email: str | None
    website: str | None
    address: Local | None


@dataclass(frozen=True)
class ProductView:
    card: ProductCard
    body_html: str
    body_words: Words  # whose body is shown (a translation without a body shows another's)
    images: tuple[Img, ...]
    ocop_year: str
    certificate: str | None
    valid_until: str | None
    rating_lapsed: bool  # past valid_until, or three years after the rating's year without one
    expired_on: str | None
    hs_code: str | None
    packaging: tuple[tuple[str, str | None], ...]
    moq: str | None
    shelf_life: str | None
    marketplaces: tuple[tuple[str, str], ...]
    updated: str | None
    updated_iso: str | None
    producer: ProducerCard | None
    contact: ContactView | None
    events: tuple[EventCard, ...]


@dataclass(frozen=True)
class ProducerView:
    card: ProducerCard
    body_html: str
    body_words: Words
    founded: str | None
    founded_year: int | None
    contact: ContactView
    products: tuple[ProductCard, ...]
    events: tuple[EventCard, ...]


@dataclass(frozen=True)
class EventView:
    card: EventCard
    body_html: str
    body_words: Words
    markets: tuple[Label, ...]
    products: tuple[ProductCard, ...]
    organizer: Local | None
    organizer_card: ProducerCard | None
    registration: str | None
    online_url: str | None
    venue: str | None  # in this page's language, or its fallback's
    city: str | None
    country: str | None  # as written: an ISO code, or a name
    ics_path: str
    all_day: bool


@dataclass(frozen=True)
class FacetOption:
    code: str
    text: str
    count: int


@dataclass(frozen=True)
class FacetGroup:
    name: str  # category, stars, district, certification, market, producer_type
    options: tuple[FacetOption, ...]


# --- pieces ------------------------------------------------------------------------------

def language_name(lc: LanguageContext, code: str) -> str:
    """A language's name in the reader's language (CLDR): "ベトナム語", "الفيتنامية"."""
    found = lc.names.get(code)
    return found if found is not None else _display_name(lc.language, lc.languages, code)


def _display_name(reader: Language, languages: Mapping[str, Language], code: str) -> str:
    try:
        name = Locale.parse(code, sep="-").get_display_name(reader.locale)
    except (ValueError, TypeError):
        name = None
    return name or languages[code].native_name if code in languages else (name or code)


def words(lc: LanguageContext, texts: Mapping[str, TextLike]) -> Words:
    """An entry's name and summary as a reader of lc's language sees them (texts: a record's
    or its facts')."""
    shown = first_text(texts, lc.code, lc.chain, lc.source_lang)
    own = texts.get(lc.code)
    status = "missing" if own is None else own.status if isinstance(own, TextFacts) else \
        status_in(texts, lc.code, lc.source_lang)  # type: ignore[arg-type]
    notice: Notice | None = "fallback" if shown.lang != lc.code else "stale" if status == "stale" else None
    text_lang = lc.languages[shown.lang]
    return Words(shown.name, shown.summary, text_lang.code, text_lang.direction, notice,
                 language_name(lc, text_lang.code), lc.language.direction)


def body_words(lc: LanguageContext, entry: Entry) -> Words:
    """The words of the text whose body a page shows (its notice is about the body)."""
    shown = shown_text(entry, lc.code, lc.chain, lc.source_lang)
    body = shown.body
    notice: Notice | None = "fallback" if shown.body_is_fallback else "stale" if shown.is_stale else None
    text_lang = lc.languages[body.lang]
    return Words(body.name, body.summary, text_lang.code, text_lang.direction, notice,
                 language_name(lc, text_lang.code), lc.language.direction)


def label(lc: LanguageContext, list_name: str, code: str) -> Label:
    has_page = code in lc.listed.get(list_name, frozenset())
    path = urls.listing(lc.code, list_name, code) if has_page else None
    return Label(code, lc.fmt.label(list_name, code), path)


def image(asset: ImageAsset | None, alt: str) -> Img | None:
    if asset is None:
        return None
    largest = asset.largest
    return Img(largest.out_path, largest.width, largest.height, alt,
               tuple((v.out_path, v.width) for v in asset.of(asset.fallback_mime)),
               tuple((v.out_path, v.width) for v in asset.of("image/webp")), asset.fallback_mime)


def local(lc: LanguageContext, value: LocalText | None) -> str | None:
    """A text written per language, in this page's language or the first of its fallback chain."""
    return value.shown((lc.code, *lc.chain)) if value is not None else None


def local_shown(lc: LanguageContext, value: LocalText | None) -> Local | None:
    """local(), with the language of the text where it is not the page's."""
    if value is None:
        return None
    chain = (lc.code, *lc.chain)
    lang = value.language_of(chain)
    language = lc.languages.get(lang) if lang is not None and lang != lc.code else None
    if language is None:
        return Local(value.shown(chain))
    return Local(value.shown(chain), language.code, language.direction)


def country_name(lc: LanguageContext, country: str | None) -> str | None:
    if country and len(country) == 2 and country.isalpha():
        return lc.language.locale.territories.get(country.upper(), country)
    return country


def timed_end(event: Event) -> datetime | None:
    """The instant an event with times ends (its start where it has no end); None for one of
    whole days. Past it, the event is no longer upcoming."""
    last = event.end or event.start
    return last.value if isinstance(last.value, datetime) else None


def is_upcoming(event: Event, now: datetime) -> bool:
    end = timed_end(event)
    if end is None:
        return (event.end or event.start).day >= now.date()
    return end >= now


def sort_instant(event: Event) -> str:
    value = event.start.value
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return value.isoformat()


# --- cards -------------------------------------------------------------------------------

def product_card(lc: LanguageContext, product: ProductFacts, producer: ProducerFacts | None,
                 cover: ImageAsset | None) -> ProductCard:
    shown = words(lc, product.texts)
    return ProductCard(
        slug=product.slug,
        path=urls.entry(lc.code, "products", product.slug),
        words=shown,
        cover=image(cover, shown.name),
        stars=product.stars,
        category=label(lc, "categories", product.category),
        district=label(lc, "districts", product.district),
        producer_name=words(lc, producer.texts).name if producer else product.producer,
        certifications=tuple(label(lc, "certifications", c) for c in product.certifications),
        markets=tuple(label(lc, "markets", m) for m in product.markets),
    )


def card_of(lc: LanguageContext, product: Product, producer: Producer | None, media: EntryMedia) -> ProductCard:
    """A product's card from its records (for pages and files made from the whole record)."""
    facts = product_facts(product, lc.source_lang)
    return product_card(lc, facts, producer_facts(producer, lc.source_lang) if producer else None,
                        media.get(facts.cover) if facts.cover else None)


def producer_card(lc: LanguageContext, producer: ProducerFacts, product_count: int) -> ProducerCard:
    return ProducerCard(
        slug=producer.slug,
        path=urls.entry(lc.code, "producers", producer.slug),
        words=words(lc, producer.texts),
        type=label(lc, "producer_types", producer.type),
        district=label(lc, "districts", producer.district),
        product_count=product_count,
    )


def event_card(lc: LanguageContext, event: EventFacts, upcoming: bool) -> EventCard:
    where = event.location
    country = country_name(lc, where.country)
    parts = (local_shown(lc, where.venue), local_shown(lc, where.city), Local(country) if country else None)
    place = Place(tuple(part for part in parts if part is not None and part.text), place_separator(lc.language.locale))
    return EventCard(
        slug=event.slug,
        path=urls.entry(lc.code, "events", event.slug),
        words=words(lc, event.texts),
        kind=label(lc, "event_kinds", event.event_kind),
        start=lc.fmt.moment(event.start),
        end=lc.fmt.moment(event.end) if event.end else None,
        span=lc.fmt.span(event.start, event.end),
        place=place,
        online=where.online,
        upcoming=upcoming,
    )


# --- whole pages' views ------------------------------------------------------------------

def contact_view(lc: LanguageContext, producer: Producer) -> ContactView:
    c = producer.contact
    return ContactView(c.phone, c.email, c.website, local_shown(lc, c.address))


def product_view(lc: LanguageContext, product: Product, media: EntryMedia, producer: Producer | None,
                 producer_summary: ProducerCard | None, events: tuple[EventCard, ...], body_html: str,
                 rating_lapsed: bool = False) -> ProductView:
    card = card_of(lc, product, producer, media)
    fmt = lc.fmt
    images = tuple(img for i, name in enumerate(product.images)
                   if (img := image(media.get(name), card.words.name if i == 0 else f"{card.words.name} ({i + 1})")))
    return ProductView(
        card=card,
        body_html=body_html,
        body_words=body_words(lc, product),
        images=images,
        ocop_year=fmt.integer(product.ocop.year),
        certificate=product.ocop.certificate,
        valid_until=fmt.date(product.ocop.valid_until) if product.ocop.valid_until else None,
        rating_lapsed=rating_lapsed,
        expired_on=fmt.date(product.ocop.expires) if rating_lapsed else None,
        hs_code=product.hs_code,
        packaging=tuple((p.size, fmt.money(p.unit_price) if p.unit_price else None) for p in product.packaging),
        moq=fmt.quantity(product.moq) if product.moq else None,
        shelf_life=fmt.days(product.shelf_life_days) if product.shelf_life_days else None,
        marketplaces=tuple((m.name, m.url) for m in product.marketplaces),
        updated=fmt.date(product.updated) if product.updated else None,
        updated_iso=product.updated.isoformat() if product.updated else None,
        producer=producer_summary,
        contact=contact_view(lc, producer) if producer else None,
        events=events,
    )


def producer_view(lc: LanguageContext, producer: Producer, summary: ProducerCard,
                  products: tuple[ProductCard, ...], events: tuple[EventCard, ...], body_html: str) -> ProducerView:
    return ProducerView(
        card=summary,
        body_html=body_html,
        body_words=body_words(lc, producer),
        founded=lc.fmt.integer(producer.founded) if producer.founded else None,
        founded_year=producer.founded,
        contact=contact_view(lc, producer),
        products=products,
        events=events,
    )


def event_view(lc: LanguageContext, event: Event, summary: EventCard, products: tuple[ProductCard, ...],
               organizer_card: ProducerCard | None, body_html: str) -> EventView:
    return EventView(
        card=summary,
        body_html=body_html,
        body_words=body_words(lc, event),
        markets=tuple(label(lc, "markets", m) for m in event.markets),
        products=products,
        organizer=None if organizer_card else local_shown(lc, event.organizer),
        organizer_card=organizer_card,
        registration=event.registration,
        online_url=event.location.url,
        venue=local(lc, event.location.venue),
        city=local(lc, event.location.city),
        country=event.location.country,
        ics_path=urls.event_ics(lc.code, event.slug),
        all_day=event.start.all_day,
    )


def facet_groups(lc: LanguageContext, counts: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]) -> tuple[FacetGroup, ...]:
    """The product index's filters, with how many products each option has."""
    lists = {"category": "categories", "district": "districts", "certification": "certifications",
             "market": "markets", "producer_type": "producer_types"}
    groups = []
    for facet, options in counts:
        if facet == "stars":
            made = [FacetOption(code, "★" * int(code), n) for code, n in sorted(options, key=lambda kv: -int(kv[0]))]
        else:
            made = sorted((FacetOption(code, lc.fmt.label(lists[facet], code), n) for code, n in options),
                          key=lambda o: o.text.casefold())
        if made:
            groups.append(FacetGroup(facet, tuple(made)))
    return tuple(groups)
