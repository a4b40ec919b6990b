"""Template contexts: the site's records, localised and formatted for one language.

Everything a template shows is decided here (fallback texts, labels, formatted values,
which events are upcoming); templates only lay it out and translate UI words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal, Mapping, Sequence

from markupsafe import Markup

from catalogue.site import urls
from catalogue.config import SiteConfig
from catalogue.site.formatting import EventMoment, Formatter
from catalogue.site.locales import Language
from catalogue.site.media import MediaIndex
from catalogue.content.model import Entry, Event, Producer, Product, Site
from catalogue.content.translations import ShownText, shown_text

Notice = Literal["fallback", "stale"]
LISTS = {"categories": "categories", "districts": "districts", "markets": "markets"}


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
    source_name: str  # the source language's own name, for notices

    @property
    def attrs(self) -> Markup:
        """lang and dir attributes for an element showing this text: they differ from the
        page's only for a text shown in the source language, its translation missing."""
        if self.notice != "fallback":
            return _NO_ATTRIBUTES
        return Markup(' lang="%s" dir="%s"') % (self.lang, self.dir)


_NO_ATTRIBUTES = Markup("")


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
    place: str
    online: bool
    upcoming: bool


@dataclass(frozen=True)
class ProductView:
    card: ProductCard
    body_html: str
    images: tuple[Img, ...]
    ocop_year: str
    certificate: str | None
    valid_until: str | None
    hs_code: str | None
    packaging: tuple[tuple[str, str | None], ...]
    moq: str | None
    shelf_life: str | None
    marketplaces: tuple[tuple[str, str], ...]
    updated: str | None
    updated_iso: str | None
    producer: ProducerCard | None
    contact: "ContactView | None"
    events: tuple[EventCard, ...]


@dataclass(frozen=True)
class ContactView:
    phone: str | None
    email: str | None
    website: str | None
    address: str | None


@dataclass(frozen=True)
class ProducerView:
    card: ProducerCard
    body_html: str
    founded: str | None
    founded_year: int | None
    contact: ContactView
    products: tuple[ProductCard, ...]
    events: tuple[EventCard, ...]


@dataclass(frozen=True)
class EventView:
    card: EventCard
    body_html: str
    markets: tuple[Label, ...]
    products: tuple[ProductCard, ...]
    organizer: str | None
    organizer_card: ProducerCard | None
    registration: str | None
    online_url: str | None
    ics_path: str
    all_day: bool


@dataclass
class LanguageViews:
    """Cards for one language, made once and shared by every page of that language."""

    lang: Language
    fmt: Formatter
    products: dict[str, ProductCard] = field(default_factory=dict)
    producers: dict[str, ProducerCard] = field(default_factory=dict)
    events: dict[str, EventCard] = field(default_factory=dict)
    labels: dict[tuple[str, str], Label] = field(default_factory=dict)


class ViewBuilder:
    def __init__(self, config: SiteConfig, site: Site, languages: dict[str, Language],
                 media: MediaIndex, now: datetime, used: Mapping[str, Sequence[str]] | None = None):
        """`used`: the codes with a listing page, when `site` holds only part of the entries."""
        self.config = config
        self.site = site
        self.languages = languages
        self.media = media
        self.now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
        self._cache: dict[str, LanguageViews] = {}
        self._listings: dict[tuple[str, str], list[str]] | None = None
        self._used = {name: frozenset(used[name] if used is not None else self.used_codes(name))
                      for name in LISTS}

    # --- shared pieces -------------------------------------------------------------------
    def for_language(self, lang: str) -> LanguageViews:
        if lang not in self._cache:
            language = self.languages[lang]
            fmt = Formatter(language.locale, lang, self.config.source_lang, self.config.codes)
            views = LanguageViews(language, fmt)
            for slug, producer in self.site.producers.items():
                views.producers[slug] = self._producer_card(producer, views)
            for slug, product in self.site.products.items():
                views.products[slug] = self._product_card(product, views)
            for slug, event in self.site.events.items():
                views.events[slug] = self._event_card(event, views)
            self._cache[lang] = views
        return self._cache[lang]

    def words(self, entry: Entry, lang: str) -> tuple[Words, ShownText]:
        shown = shown_text(entry, lang, self.config.source_lang)
        notice: Notice | None = "fallback" if shown.is_fallback else "stale" if shown.is_stale else None
        text_lang = self.languages[shown.text.lang]
        source = self.languages[self.config.source_lang]
        return Words(shown.text.name, shown.text.summary, text_lang.code, text_lang.direction, notice,
                     source.native_name), shown

    def label(self, views: LanguageViews, list_name: str, code: str) -> Label:
        """One shared object per language, list and code: thousands of cards carry them."""
        key = (list_name, code)
        found = views.labels.get(key)
        if found is None:
            has_page = list_name in LISTS and code in self._used[list_name]
            path = urls.listing(views.lang.code, list_name, code) if has_page else None
            found = views.labels[key] = Label(code, views.fmt.label(list_name, code), path)
        return found

    def image(self, entry: Entry, name: str, alt: str) -> Img | None:
        asset = self.media.get(entry.rel_dir, name)
        if asset is None:
            return None
        largest = asset.largest
        return Img(largest.out_path, largest.width, largest.height, alt,
                   tuple((v.out_path, v.width) for v in asset.of(asset.fallback_mime)),
                   tuple((v.out_path, v.width) for v in asset.of("image/webp")), asset.fallback_mime)

    def _product_card(self, product: Product, views: LanguageViews) -> ProductCard:
        lang = views.lang.code
        words, _ = self.words(product, lang)
        producer = views.producers.get(product.producer)
        cover = self.image(product, product.images[0], words.name) if product.images else None
        return ProductCard(
            slug=product.slug,
            path=urls.entry(lang, "products", product.slug),
            words=words,
            cover=cover,
            stars=product.ocop.stars,
            category=self.label(views, "categories", product.category),
            district=self.label(views, "districts", product.district),
            producer_name=producer.words.name if producer else product.producer,
            certifications=tuple(self.label(views, "certifications", c) for c in product.certifications),
            markets=tuple(self.label(views, "markets", m) for m in product.markets),
        )

    def _producer_card(self, producer: Producer, views: LanguageViews) -> ProducerCard:
        lang = views.lang.code
        words, _ = self.words(producer, lang)
        return ProducerCard(
            slug=producer.slug,
            path=urls.entry(lang, "producers", producer.slug),
            words=words,
            type=self.label(views, "producer_types", producer.type),
            district=self.label(views, "districts", producer.district),
            product_count=len(self.site.products_by_producer.get(producer.slug, ())),
        )

    def _event_card(self, event: Event, views: LanguageViews) -> EventCard:
        lang = views.lang.code
        words, _ = self.words(event, lang)
        where = event.location
        place = ", ".join(p for p in (where.venue, where.city, self._country(where.country, views)) if p)
        return EventCard(
            slug=event.slug,
            path=urls.entry(lang, "events", event.slug),
            words=words,
            kind=self.label(views, "event_kinds", event.event_kind),
            start=views.fmt.moment(event.start),
            end=views.fmt.moment(event.end) if event.end else None,
            place=place,
            online=where.online,
            upcoming=self.is_upcoming(event),
        )

    def _country(self, country: str | None, views: LanguageViews) -> str | None:
        if country and len(country) == 2 and country.isalpha():
            return views.lang.locale.territories.get(country.upper(), country)
        return country

    def is_upcoming(self, event: Event) -> bool:
        last = event.end or event.start
        if last.all_day:
            return last.day >= self.now.date()
        assert isinstance(last.value, datetime)
        return last.value >= self.now

    # --- full pages ----------------------------------------------------------------------
    def product(self, slug: str, lang: str, body_html: str) -> ProductView:
        views = self.for_language(lang)
        product = self.site.products[slug]
        card = views.products[slug]
        fmt = views.fmt
        images = tuple(img for i, name in enumerate(product.images)
                       if (img := self.image(product, name, card.words.name if i == 0 else
                                             f"{card.words.name} ({i + 1})")))
        producer = self.site.producers.get(product.producer)
        return ProductView(
            card=card,
            body_html=body_html,
            images=images,
            ocop_year=fmt.integer(product.ocop.year),
            certificate=product.ocop.certificate,
            valid_until=fmt.date(product.ocop.valid_until) if product.ocop.valid_until else None,
            hs_code=product.hs_code,
            packaging=tuple((p.size, fmt.money(p.unit_price) if p.unit_price else None)
                            for p in product.packaging),
            moq=fmt.quantity(product.moq) if product.moq else None,
            shelf_life=fmt.days(product.shelf_life_days) if product.shelf_life_days else None,
            marketplaces=tuple((m.name, m.url) for m in product.marketplaces),
            updated=fmt.date(product.updated) if product.updated else None,
            updated_iso=product.updated.isoformat() if product.updated else None,
            producer=views.producers.get(product.producer),
            contact=self.contact(producer) if producer else None,
            events=self.sorted_events(views, self.site.events_by_product.get(slug, ())),
        )

    def contact(self, producer: Producer) -> ContactView:
        c = producer.contact
        return ContactView(c.phone, c.email, c.website, c.address)

    def producer(self, slug: str, lang: str, body_html: str) -> ProducerView:
        views = self.for_language(lang)
        producer = self.site.producers[slug]
        return ProducerView(
            card=views.producers[slug],
            body_html=body_html,
            founded=views.fmt.integer(producer.founded) if producer.founded else None,
            founded_year=producer.founded,
            contact=self.contact(producer),
            products=tuple(views.products[s] for s in self.site.products_by_producer.get(slug, ())),
            events=self.sorted_events(views, self.site.events_by_producer.get(slug, ())),
        )

    def event(self, slug: str, lang: str, body_html: str) -> EventView:
        views = self.for_language(lang)
        event = self.site.events[slug]
        organizer_card = views.producers.get(event.organizer) if event.organizer else None
        return EventView(
            card=views.events[slug],
            body_html=body_html,
            markets=tuple(self.label(views, "markets", m) for m in event.markets),
            products=tuple(views.products[s] for s in event.products if s in views.products),
            organizer=None if organizer_card else event.organizer,
            organizer_card=organizer_card,
            registration=event.registration,
            online_url=event.location.url,
            ics_path=urls.event_ics(lang, slug),
            all_day=event.start.all_day,
        )

    def sorted_events(self, views: LanguageViews, slugs: Sequence[str]) -> tuple[EventCard, ...]:
        events = [self.site.events[s] for s in slugs]
        events.sort(key=lambda e: (e.start.day, e.slug), reverse=True)
        return tuple(views.events[e.slug] for e in events)

    def events_split(self, lang: str) -> tuple[tuple[EventCard, ...], tuple[EventCard, ...]]:
        """(upcoming soonest first, past most recent first)."""
        views = self.for_language(lang)
        ordered = sorted(self.site.events.values(), key=lambda e: (_sort_instant(e), e.slug))
        upcoming = tuple(views.events[e.slug] for e in ordered if self.is_upcoming(e))
        past = tuple(views.events[e.slug] for e in reversed(ordered) if not self.is_upcoming(e))
        return upcoming, past

    def listing_products(self, lang: str, list_name: str, code: str) -> tuple[ProductCard, ...]:
        views = self.for_language(lang)
        return tuple(views.products[slug] for slug in self._listed().get((list_name, code), ()))

    def _listed(self) -> dict[tuple[str, str], list[str]]:
        """(list, code) -> the products a listing page shows, in site order; made once."""
        if self._listings is None:
            listed: dict[tuple[str, str], list[str]] = {}
            for product in self.site.products.values():
                for key in (("categories", product.category), ("districts", product.district),
                            *(("markets", market) for market in dict.fromkeys(product.markets))):
                    listed.setdefault(key, []).append(product.slug)
            self._listings = listed
        return self._listings

    def facet_groups(self, lang: str) -> list[FacetGroup]:
        """The product index's filters, with how many products each option has."""
        from catalogue.outputs.search import FACETS, facet_values

        views = self.for_language(lang)
        counts: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
        for product in self.site.products.values():
            producer = self.site.producers.get(product.producer)
            for facet, codes in facet_values(product, producer.type if producer else None).items():
                for code in codes:
                    counts[facet][code] = counts[facet].get(code, 0) + 1
        lists = {"category": "categories", "district": "districts", "certification": "certifications",
                 "market": "markets", "producer_type": "producer_types"}
        groups = []
        for facet in FACETS:
            if facet == "stars":
                options = [FacetOption(code, "★" * int(code), n)
                           for code, n in sorted(counts[facet].items(), key=lambda kv: -int(kv[0]))]
            else:
                options = sorted((FacetOption(code, views.fmt.label(lists[facet], code), n)
                                  for code, n in counts[facet].items()), key=lambda o: o.text.casefold())
            if options:
                groups.append(FacetGroup(facet, tuple(options)))
        return groups

    def used_codes(self, list_name: str) -> list[str]:
        """Codes of a list that at least one product uses: the listing pages to make."""
        used: set[str] = set()
        for product in self.site.products.values():
            if list_name == "categories":
                used.add(product.category)
            elif list_name == "districts":
                used.add(product.district)
            elif list_name == "markets":
                used.update(product.markets)
        return sorted(used)


@dataclass(frozen=True)
class FacetOption:
    code: str
    text: str
    count: int


@dataclass(frozen=True)
class FacetGroup:
    name: str  # category, stars, district, certification, market, producer_type
    options: tuple[FacetOption, ...]


def _sort_instant(event: Event) -> str:
    value = event.start.value
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return value.isoformat()
