"""The site-wide files of a build, as a table of producers like the pages': per language the
search index, feeds, calendars and data exports; for a hosted site the sitemap and
robots.txt; and every theme file and resized image.

Each file's content is a derived value (derive.py). The big ones are made of one derived
piece per product (a search item, a JSON record, a CSV row), which the build cache keeps: a
rebuild after one edit makes one piece again and joins the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from catalogue.config import SiteConfig
from catalogue.content.files import Refusal, read_input
from catalogue.content.model import Event, Product, Site
from catalogue.derive import Derived, derive, digest
from catalogue.outputs import ics
from catalogue.outputs.exports import catalogue_csv, catalogue_json, csv_row, json_record
from catalogue.outputs.feeds import FeedEntry, as_datetime, atom
from catalogue.outputs.search import index_script, search_item, search_labels
from catalogue.outputs.sitemap import SitemapEntry, robots_txt, sitemap_file, sitemap_names
from catalogue.site import urls
from catalogue.site.media import ImageAsset, Variant, encode_image, variant_bytes
from catalogue.site.pages import Page, Planner
from catalogue.site.views import EventCard, LanguageContext, ProductCard

FEED_ENTRIES = 50  # the newest products in a feed: a reader wants news, catalogue.json has them all


@dataclass(frozen=True)
class FileOutput:
    out_path: str
    content: Derived[bytes]


def plan_search(planner: Planner, config: SiteConfig) -> Iterator[FileOutput]:
    site = planner.site
    for lang in planner.edition.languages:
        lc = planner.lc(lang)
        items = tuple(derive(search_item, lc, product, site.producers.get(product.producer),
                             planner.entry_media(product), stored=True) for product in site.products.values())
        labels = derive(search_labels, lc, planner.index.facet_counts)
        yield FileOutput(urls.search_index(lang), derive(index_script, lang, labels, items))


def plan_exports(planner: Planner, config: SiteConfig) -> Iterator[FileOutput]:
    site = planner.site
    for lang in planner.edition.languages:
        lc = planner.lc(lang)
        products = list(site.products.values())
        records = tuple(derive(json_record, lc, config, p, site.producers.get(p.producer), planner.entry_media(p),
                               stored=True) for p in products)
        rows = tuple(derive(csv_row, lc, config, p, site.producers.get(p.producer), planner.entry_media(p),
                            stored=True) for p in products)
        yield FileOutput(urls.data_file(lang, "json"), derive(catalogue_json, lc, config, records))
        yield FileOutput(urls.data_file(lang, "csv"), derive(catalogue_csv, rows))


def _product_time(product: Product) -> date:
    return product.updated or date(product.ocop.year, 1, 1)


def products_feed(lc: LanguageContext, config: SiteConfig, cards: tuple[ProductCard, ...],
                  times: tuple[date, ...], newest: datetime) -> bytes:
    entries = [FeedEntry(urls.absolute(config.base_url, card.path), card.words.name, card.words.summary,
                         urls.absolute(config.base_url, card.path), as_datetime(when), card.words.lang,
                         (card.category.text,), urls.absolute(config.base_url, card.cover.path) if card.cover else None)
               for card, when in zip(cards, times)]
    return _feed(lc, config, "products", entries, newest)


def events_feed(lc: LanguageContext, config: SiteConfig, cards: tuple[EventCard, ...], events: tuple[Event, ...],
                newest: datetime) -> bytes:
    entries = [FeedEntry(urls.absolute(config.base_url, card.path), card.words.name, card.words.summary,
                         urls.absolute(config.base_url, card.path), as_datetime(event.start.value), card.words.lang,
                         (card.kind.text,)) for card, event in zip(cards, events)]
    entries.sort(key=lambda e: (e.updated, e.id), reverse=True)
    return _feed(lc, config, "events", entries, newest)


def _feed(lc: LanguageContext, config: SiteConfig, name: str, entries: list[FeedEntry], newest: datetime) -> bytes:
    lang = lc.code
    title = config.localized(config.title, lang)
    address = urls.absolute(config.base_url, urls.feed(lang, name))
    return atom(address, title, address, urls.absolute(config.base_url, urls.home(lang)), title, lang, entries, newest)


def plan_feeds(planner: Planner, config: SiteConfig) -> Iterator[FileOutput]:
    site = planner.site
    newest = sorted(site.products.values(), key=lambda p: (_product_time(p), p.slug), reverse=True)[:FEED_ENTRIES]
    # the feed's own date where it lists nothing: the newest record's, so it stays the same from day to day
    quiet = datetime(2000, 1, 1, tzinfo=timezone.utc)
    for lang in planner.edition.languages:
        lc = planner.lc(lang)
        cards = tuple(planner.product_card(lang, p.slug) for p in newest)
        yield FileOutput(urls.feed(lang, "products"), derive(products_feed, lc, config, cards,
                                                             tuple(_product_time(p) for p in newest), quiet))
        events = tuple(site.events.values())
        yield FileOutput(urls.feed(lang, "events"), derive(
            events_feed, lc, config, tuple(planner.event_card(lang, e.slug) for e in events), events, quiet))


def event_lines(config: SiteConfig, card: EventCard, event: Event, stamp: date) -> tuple[str, ...]:
    host = urls.absolute(config.base_url, "").split("://", 1)[-1].strip("/")
    return tuple(ics.vevent(uid=f"{event.slug}@{host}", stamp=stamp, start=event.start, end=event.end,
                            summary=card.words.name, description=card.words.summary,
                            location=event.location.url if event.location.online else card.place,
                            url=urls.absolute(config.base_url, card.path), lang=card.words.lang))


def one_calendar(lines: tuple[str, ...]) -> bytes:
    return ics.calendar([list(lines)])


def all_calendar(lc: LanguageContext, config: SiteConfig, events: tuple[tuple[str, ...], ...]) -> bytes:
    return ics.calendar([list(lines) for lines in events], config.localized(config.title, lc.code))


def plan_calendars(planner: Planner, config: SiteConfig, today: date) -> Iterator[FileOutput]:
    for lang in planner.edition.languages:
        every = []
        for slug, event in planner.site.events.items():
            lines = derive(event_lines, config, planner.event_card(lang, slug), event, today)
            every.append(lines)
            yield FileOutput(urls.event_ics(lang, slug), derive(one_calendar, lines))
        yield FileOutput(f"{lang}/events/events.ics", derive(all_calendar, planner.lc(lang), config, tuple(every)))


def one_sitemap(config: SiteConfig, entries: tuple[SitemapEntry, ...], name: str) -> bytes:
    return sitemap_file(config.base_url, entries, config.source_lang, name)


def sitemap_entries(pages: list[Page], site: Site) -> tuple[SitemapEntry, ...]:
    """One entry per page a search engine should list, with its alternates and review date."""
    entries = []
    for page in pages:
        if not page.indexable or not page.is_html:
            continue
        updated = site.products[page.subject].updated if page.kind == "product" and page.subject else None
        entries.append(SitemapEntry(page.out_path, tuple(sorted((page.alternates or {}).items())), updated))
    return tuple(entries)


def plan_web_files(pages: list[Page], planner: Planner, config: SiteConfig) -> Iterator[FileOutput]:
    """What only a web server uses: the sitemap (split past the protocol's limits) and robots.txt."""
    if not planner.edition.web:
        return
    listed = sitemap_entries(pages, planner.site)
    for name in sitemap_names(config.base_url, listed):
        yield FileOutput(name, derive(one_sitemap, config, listed, name))
    yield FileOutput("robots.txt", derive(robots_txt, config.base_url))


@dataclass(frozen=True)
class StaticFile:
    """A theme or site file copied as it is; its digest is of its bytes."""

    path: Path
    folder: Path
    digest: str


def static_file(path: Path, folder: Path) -> StaticFile:
    data = read_input(path, folder, "theme")
    return StaticFile(path, folder, digest("static", data if isinstance(data, bytes) else data.message))


def static_bytes(static: StaticFile) -> bytes:
    data = read_input(static.path, static.folder, "theme")
    if isinstance(data, Refusal):
        raise OSError(f"{static.path}: {data.message}")
    return data


def plan_images(planner: Planner) -> Iterator[FileOutput]:
    """Every variant of every image of the entries the edition shows."""
    seen: set[str] = set()
    for table in (planner.site.products, planner.site.producers, planner.site.events):
        for entry in table.values():
            for _, asset in planner.entry_media(entry).named():
                encoded = derive(encode_image, asset, stored=True)
                for variant in asset.variants:
                    if variant.out_path not in seen:
                        seen.add(variant.out_path)
                        yield FileOutput(variant.out_path, derive(_variant, encoded, asset, variant))


def _variant(encoded: bytes, asset: ImageAsset, variant: Variant) -> bytes:
    return variant_bytes(encoded, asset, variant)


OutputPlan = Callable[[Planner, SiteConfig], Iterator[FileOutput]]
# The site-wide files of every edition (the web files and images are planned beside them).
FILE_KINDS: tuple[tuple[str, OutputPlan], ...] = (
    ("search", plan_search), ("exports", plan_exports), ("feeds", plan_feeds),
)
