"""Every page of every language, planned before anything is rendered: a table of page kinds,
each turning the indexed site into pages whose data is a derived value (derive.py).

A page's key is its template's and its data's; its data is made by a view function from
exactly the records, cards and settings named as its arguments, so what a page shows and what
its key covers cannot drift apart. Address collisions are found here, before rendering.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any, Callable, Iterable, Iterator, Literal, Mapping, Sequence

from catalogue.content.load import body_text
from catalogue.content.model import Entry, EntryKind, Event, Producer, Product, Site
from catalogue.content.translations import shown_text
from catalogue.content.facts import facts_of
from catalogue.content.facts import product_data as exported_data
from catalogue.derive import Derived, derive, derive_as, digest
from catalogue.problems import Problems
from catalogue.site import urls, views
from catalogue.site.edition import Edition
from catalogue.site.index import SiteIndex
from catalogue.site.markup import render_markdown
from catalogue.site.media import EntryMedia
from catalogue.site.views import LanguageContext

PageKind = Literal[
    "root", "home", "product_index", "product", "producer_index", "producer", "event_index", "event",
    "listing", "not_found", "inquiry",
]
PER_PAGE = 36  # cards on a page of a listing: light pages at any size of catalogue
ENTRY_SECTIONS: Mapping[str, str] = {"product": "products", "producer": "producers", "event": "events"}


@dataclass(frozen=True, slots=True)
class Page:
    kind: PageKind
    lang: str | None  # None for the language-neutral root page
    out_path: str
    template: str
    data: Derived[dict[str, Any]] | None = None  # what the page shows of the site
    alternates: Mapping[str, str] | None = None  # language -> out_path of the same page
    indexable: bool = True  # listed in the sitemap
    subject: str | None = None  # entry slug or listing code
    list_name: str | None = None
    number: int = 1  # of a paginated listing
    pages: int = 1
    # an entry's page: the languages its entry has a text of; in the others the page shows
    # another language's text, and is neither an hreflang alternate nor in the sitemap
    translated: frozenset[str] | None = None

    @property
    def untranslated(self) -> bool:
        return self.translated is not None and self.lang not in self.translated

    def search_alternates(self) -> dict[str, str]:
        """The alternates a search engine is told of: the languages the page is written in."""
        return {lang: path for lang, path in (self.alternates or {}).items()
                if self.translated is None or lang in self.translated}

    @property
    def is_html(self) -> bool:
        return self.out_path.endswith(".html")


@dataclass(frozen=True)
class BodyChoice:
    """The Markdown body a page in `lang` shows: that language's, or the first of the
    fallback chain that has one. Stands for it by the entry's digest (any of its files)."""

    entry: Entry
    lang: str
    chain: tuple[str, ...]
    source_lang: str

    @property
    def digest(self) -> str:
        return digest("body", self.entry.digest, self.lang, *self.chain, self.source_lang)


def body_html(choice: BodyChoice, media: EntryMedia, depth: int, style: urls.LinkStyle) -> str:
    """The body as safe HTML, its images pointing at their resized copies from a page
    `depth` folders down."""
    shown = shown_text(choice.entry, choice.lang, choice.chain, choice.source_lang).body
    links = {name: (urls.relative("x/" * depth + "index.html", asset.largest.out_path, style),
                    asset.largest.width, asset.largest.height) for name, asset in media.named()}
    return render_markdown(body_text(choice.entry, shown), links.get)


Wanted = Callable[[str], bool]  # which output paths to plan (a rebuild plans only what changed)


def everything(out_path: str) -> bool:
    return True


class Planner:
    """Derived cards and bodies, each made once per build and shared by the pages using it.

    The site's structure comes from the index; of a record, planning takes only its name and
    digests (`digest`, `facts_digest`), which a record from the build cache has without being
    read: so planning a few pages reads only the records they show."""

    def __init__(self, index: SiteIndex, site: Site, media: Mapping[tuple[str, str], EntryMedia],
                 contexts: Mapping[str, LanguageContext], edition: Edition, wanted: Wanted = everything,
                 fresh: frozenset[str] | None = None):
        """`wanted`: the outputs to plan (a rebuild's); `fresh`: the entries ("kind/slug")
        whose images to plan, where only some changed (None: every entry's)."""
        self.index = index
        self.fresh = fresh
        self.site = site
        self.media = media
        self.contexts = contexts
        self.edition = edition
        self.wanted = wanted
        self._cards: dict[tuple[str, str, str], Derived[Any]] = {}
        self._facts: dict[tuple[str, str], Derived[Any]] = {}
        self._no_media = EntryMedia({}, frozenset(), "none")  # one for all the entries without images
        self.source_lang = contexts[edition.languages[0]].source_lang

    def lc(self, lang: str) -> LanguageContext:
        return self.contexts[lang]

    def entry_media(self, entry: Entry) -> EntryMedia:
        found = self.media.get((entry.kind, entry.slug))
        return found if found is not None else self._no_media

    def facts(self, entry: Entry) -> Derived[Any]:
        """What an entry's cards show, keyed by the digest of exactly that (content/facts.py)."""
        key = (entry.kind, entry.slug)
        found = self._facts.get(key)
        if found is None:
            found = self._facts[key] = derive_as(entry.facts_digest, facts_of, entry, self.source_lang)
        return found

    def data(self, product: Entry) -> Derived[Any]:
        """What data exports take of a product, keyed by the digest of exactly that."""
        return derive_as(product.data_digest, exported_data, product, self.source_lang)

    def producer_of(self, slug: str) -> Entry | None:
        producer = self.index.producer_of.get(slug)
        return self.site.producers[producer] if producer else None

    def product_card(self, lang: str, slug: str) -> Derived[views.ProductCard]:
        key = ("product", slug, lang)
        found = self._cards.get(key)
        if found is None:
            product = self.site.products[slug]
            producer = self.producer_of(slug)
            name = self.index.cover_of.get(slug)
            cover = self.entry_media(product).get(name) if name else None
            found = self._cards[key] = derive(views.product_card, self.lc(lang), self.facts(product),
                                              self.facts(producer) if producer else None, cover)
        return found

    def producer_card(self, lang: str, slug: str) -> Derived[views.ProducerCard]:
        key = ("producer", slug, lang)
        found = self._cards.get(key)
        if found is None:
            count = len(self.index.products_by_producer.get(slug, ()))
            found = self._cards[key] = derive(views.producer_card, self.lc(lang), self.facts(self.site.producers[slug]),
                                              count)
        return found

    def event_card(self, lang: str, slug: str) -> Derived[views.EventCard]:
        key = ("event", slug, lang)
        found = self._cards.get(key)
        if found is None:
            found = self._cards[key] = derive(views.event_card, self.lc(lang), self.facts(self.site.events[slug]),
                                              self.index.is_upcoming(slug))
        return found

    def body(self, entry: Entry, lang: str, out_path: str) -> Derived[str]:
        lc = self.lc(lang)
        media = self.entry_media(entry)
        return derive(body_html, BodyChoice(entry, lang, lc.chain, lc.source_lang), media, out_path.count("/"),
                      self.edition.link_style, stored=True, once=True)

    def events_of(self, lang: str, slugs: Sequence[str]) -> tuple[Derived[views.EventCard], ...]:
        events = sorted(slugs, key=lambda s: (self.index.event_day[s], s), reverse=True)
        return tuple(self.event_card(lang, s) for s in events)


# --- page data: pure functions of their arguments ---------------------------------------

def product_data(lc: LanguageContext, product: Product, media: EntryMedia, producer: Producer | None,
                 producer_summary: views.ProducerCard | None, events: tuple[views.EventCard, ...],
                 body: str, rating_lapsed: bool) -> dict[str, Any]:
    view = views.product_view(lc, product, media, producer, producer_summary, events, body, rating_lapsed)
    return {"product": view, "record": product}


def producer_data(lc: LanguageContext, producer: Producer, summary: views.ProducerCard,
                  products: tuple[views.ProductCard, ...], events: tuple[views.EventCard, ...],
                  body: str) -> dict[str, Any]:
    return {"producer": views.producer_view(lc, producer, summary, products, events, body)}


def event_data(lc: LanguageContext, event: Event, summary: views.EventCard, products: tuple[views.ProductCard, ...],
               organizer: views.ProducerCard | None, body: str) -> dict[str, Any]:
    return {"event": views.event_view(lc, event, summary, products, organizer, body), "record": event}


def listing_data(lc: LanguageContext, list_name: str, code: str, cards: tuple[views.ProductCard, ...],
                 total: int) -> dict[str, Any]:
    return {"label": views.label(lc, list_name, code), "list_name": list_name, "products": cards, "total": total}


def product_index_data(lc: LanguageContext, cards: tuple[views.ProductCard, ...], total: int,
                       facet_counts: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]) -> dict[str, Any]:
    return {"products": cards, "total": total, "facet_groups": views.facet_groups(lc, facet_counts),
            "facets": {name: [views.label(lc, name, code) for code in sorted(lc.listed.get(name, ()))]
                       for name in views.LISTS}}


def home_data(lc: LanguageContext, featured: tuple[views.ProductCard, ...], upcoming: tuple[views.EventCard, ...],
              product_count: int, producer_count: int, upcoming_count: int) -> dict[str, Any]:
    return {"featured": featured, "upcoming": upcoming, "product_count": product_count,
            "producer_count": producer_count, "upcoming_count": upcoming_count,
            "facets": {name: [views.label(lc, name, code) for code in sorted(lc.listed.get(name, ()))]
                       for name in views.LISTS}}


def producer_index_data(cards: tuple[views.ProducerCard, ...], total: int) -> dict[str, Any]:
    return {"producers": cards, "total": total}


def event_index_data(cards: tuple[views.EventCard, ...], total: int, upcoming_total: int) -> dict[str, Any]:
    """A page of the events, upcoming first: the page's cards under their two headings."""
    return {"upcoming": tuple(card for card in cards if card.upcoming),
            "past": tuple(card for card in cards if not card.upcoming),
            "total": total, "upcoming_total": upcoming_total}


# --- the page kinds ------------------------------------------------------------------------

def _alternates(languages: Sequence[str], path_of: Callable[[str], str]) -> dict[str, str]:
    return {lang: path_of(lang) for lang in languages}


def paged(path: str, number: int) -> str:
    """The address of page `number` of a listing whose first page is `path` (…/index.html)."""
    if number == 1:
        return path
    return path[: -len("index.html")] + f"page/{number}/index.html"


def _paginated(planner: Planner, kind: PageKind, template: str, first_path: Callable[[str], str],
               members: Sequence[str], data: Callable[[str, tuple[Any, ...], int], Derived[dict[str, Any]]],
               card: Callable[[str, str], Derived[Any]], subject: str | None = None,
               list_name: str | None = None) -> Iterator[Page]:
    languages = planner.edition.languages
    pages = max(1, ceil(len(members) / PER_PAGE))
    for number in range(1, pages + 1):
        chunk = members[(number - 1) * PER_PAGE:number * PER_PAGE]
        alternates = _alternates(languages, lambda lang: paged(first_path(lang), number))
        for lang in languages:
            if not planner.wanted(alternates[lang]):
                continue
            cards = tuple(card(lang, slug) for slug in chunk)
            yield Page(kind, lang, alternates[lang], template, data(lang, cards, len(members)), alternates,
                       subject=subject, list_name=list_name, number=number, pages=pages)


def plan_root(planner: Planner) -> Iterator[Page]:
    languages = planner.edition.languages
    if planner.wanted("index.html"):
        yield Page("root", languages[0] if planner.edition.bundle else None, "index.html", "root.html",
                   alternates={code: urls.home(code) for code in languages} if not planner.edition.bundle else None,
                   indexable=not planner.edition.bundle)


def plan_home(planner: Planner) -> Iterator[Page]:
    index = planner.index
    alternates = _alternates(planner.edition.languages, urls.home)
    for lang in planner.edition.languages:
        if not planner.wanted(alternates[lang]):
            continue
        featured = tuple(planner.product_card(lang, slug) for slug in index.featured)
        upcoming = tuple(planner.event_card(lang, slug) for slug in index.upcoming[:3])
        data = derive(home_data, planner.lc(lang), featured, upcoming, len(index.products), len(index.producers),
                      len(index.upcoming))
        yield Page("home", lang, alternates[lang], "home.html", data, alternates)


def plan_product_index(planner: Planner) -> Iterator[Page]:
    counts = planner.index.facet_counts
    yield from _paginated(
        planner, "product_index", "product_index.html", lambda lang: urls.section(lang, "products"),
        planner.index.products,
        lambda lang, cards, total: derive(product_index_data, planner.lc(lang), cards, total, counts),
        planner.product_card)


def plan_listings(planner: Planner) -> Iterator[Page]:
    for key, members in planner.index.listings.items():
        list_name, code = key.split("/", 1)
        yield from _listing(planner, list_name, code, members)


def _listing(planner: Planner, list_name: str, code: str, members: Sequence[str]) -> Iterator[Page]:
    def first(lang: str) -> str:
        return urls.listing(lang, list_name, code)

    def data(lang: str, cards: tuple[Any, ...], total: int) -> Derived[dict[str, Any]]:
        return derive(listing_data, planner.lc(lang), list_name, code, cards, total)

    yield from _paginated(planner, "listing", "listing.html", first, members, data, planner.product_card,
                          subject=code, list_name=list_name)


def plan_producer_index(planner: Planner) -> Iterator[Page]:
    yield from _paginated(
        planner, "producer_index", "producer_index.html", lambda lang: urls.section(lang, "producers"),
        planner.index.producers, lambda lang, cards, total: derive(producer_index_data, cards, total),
        planner.producer_card)


def plan_event_index(planner: Planner) -> Iterator[Page]:
    index = planner.index
    yield from _paginated(
        planner, "event_index", "event_index.html", lambda lang: urls.section(lang, "events"),
        (*index.upcoming, *index.past),
        lambda lang, cards, total: derive(event_index_data, cards, total, len(index.upcoming)), planner.event_card)


def entry_alternates(kind: EntryKind, slug: str, languages: Sequence[str]) -> dict[str, str]:
    return _alternates(languages, lambda lang: urls.entry(lang, ENTRY_SECTIONS[kind], slug))


def _wanted(planner: Planner, alternates: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(lang, out_path) for lang, out_path in alternates.items() if planner.wanted(out_path)]


def plan_products(planner: Planner) -> Iterator[Page]:
    site, index = planner.site, planner.index
    for slug in index.products:
        alternates = entry_alternates("product", slug, planner.edition.languages)
        planned = _wanted(planner, alternates)
        if not planned:  # a rebuild's unchanged product: its records are not even looked up
            continue
        product = site.products[slug]
        producer = planner.producer_of(slug)
        translated = frozenset(product.texts)  # one for the pages of every language
        for lang, out_path in planned:
            data = derive(product_data, planner.lc(lang), product, planner.entry_media(product), producer,
                          planner.producer_card(lang, producer.slug) if producer else None,
                          planner.events_of(lang, index.events_by_product.get(slug, ())),
                          planner.body(product, lang, out_path), product.ocop.lapsed(index.day), once=True)
            yield Page("product", lang, out_path, "product.html", data, alternates, subject=slug,
                       translated=translated)


def plan_producers(planner: Planner) -> Iterator[Page]:
    site, index = planner.site, planner.index
    for slug in index.producers:
        alternates = entry_alternates("producer", slug, planner.edition.languages)
        planned = _wanted(planner, alternates)
        if not planned:
            continue
        producer = site.producers[slug]
        translated = frozenset(producer.texts)  # one for the pages of every language
        for lang, out_path in planned:
            data = derive(producer_data, planner.lc(lang), producer, planner.producer_card(lang, slug),
                          tuple(planner.product_card(lang, p) for p in index.products_by_producer.get(slug, ())),
                          planner.events_of(lang, index.events_by_producer.get(slug, ())),
                          planner.body(producer, lang, out_path), once=True)
            yield Page("producer", lang, out_path, "producer.html", data, alternates, subject=slug,
                       translated=translated)


def plan_events(planner: Planner) -> Iterator[Page]:
    site, index = planner.site, planner.index
    for slug in index.events:
        alternates = entry_alternates("event", slug, planner.edition.languages)
        planned = _wanted(planner, alternates)
        if not planned:
            continue
        event = site.events[slug]
        organizer = index.organizer_of.get(slug)
        translated = frozenset(event.texts)  # one for the pages of every language
        for lang, out_path in planned:
            data = derive(event_data, planner.lc(lang), event, planner.event_card(lang, slug),
                          tuple(planner.product_card(lang, p) for p in index.event_products.get(slug, ())),
                          planner.producer_card(lang, organizer) if organizer else None,
                          planner.body(event, lang, out_path), once=True)
            yield Page("event", lang, out_path, "event.html", data, alternates, subject=slug,
                       translated=translated)


def plan_inquiry(planner: Planner) -> Iterator[Page]:
    alternates = _alternates(planner.edition.languages, lambda lang: urls.section(lang, "inquiry"))
    for lang in planner.edition.languages:
        if planner.wanted(alternates[lang]):
            yield Page("inquiry", lang, alternates[lang], "inquiry.html", None, alternates, indexable=False)


def plan_not_found(planner: Planner) -> Iterator[Page]:
    if not planner.edition.web:  # only a web server serves them
        return
    alternates = _alternates(planner.edition.languages, urls.not_found)
    for lang in planner.edition.languages:
        if planner.wanted(alternates[lang]):
            yield Page("not_found", lang, alternates[lang], "404.html", None, alternates, indexable=False)
    if planner.wanted("404.html"):
        yield Page("not_found", planner.source_lang, "404.html", "404.html", None, alternates, indexable=False)


# The page kinds, in the order their pages are listed (and rendered).
PAGE_KINDS: tuple[tuple[str, Callable[[Planner], Iterable[Page]]], ...] = (
    ("root", plan_root), ("home", plan_home), ("product_index", plan_product_index),
    ("producer_index", plan_producer_index), ("event_index", plan_event_index),
    ("product", plan_products), ("producer", plan_producers), ("event", plan_events),
    ("listing", plan_listings), ("inquiry", plan_inquiry), ("not_found", plan_not_found),
)


def plan_pages(planner: Planner, problems: Problems) -> list[Page]:
    pages = [page for _, plan in PAGE_KINDS for page in plan(planner)]
    seen: dict[str, Page] = {}
    for page in pages:
        other = seen.get(page.out_path)
        if other is not None:
            problems.error(page.out_path, None, None, f"two pages want the same address: {other.kind} "
                                                      f"{other.subject!r} and {page.kind} {page.subject!r}")
        seen[page.out_path] = page
    return pages
