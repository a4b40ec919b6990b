"""The site-wide files of a build, as a table of producers like the pages': per language the
search index, feeds, calendars and data exports; for a hosted site the sitemap and
robots.txt; and every theme file and resized image.

Each file's content is a derived value (derive.py). The big ones are made of derived pieces,
each a run of about RUN products (their search items, JSON records or CSV rows), which the
build cache keeps: a rebuild after one edit makes one run again and joins the rest. Runs, not
single products: at 10,000 products a piece per product meant 40,000 keys to make and rows to
read per file kind at every rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from catalogue.config import SiteConfig
from catalogue.content.files import Refusal, read_input
from catalogue.content.model import Event
from catalogue.derive import Derived, derive, digest, digest_bytes, digest_of
from catalogue.outputs import ics
from catalogue.outputs.exports import catalogue_csv, catalogue_json, csv_row, json_record
from catalogue.outputs.feeds import FeedEntry, as_datetime, atom
from catalogue.outputs.search import index_script, search_item, search_labels
from catalogue.outputs.sitemap import SitemapEntries, SitemapEntry, robots_txt, sitemap_file, sitemap_names
from catalogue.site import urls
from catalogue.site.media import ImageAsset, Variant, encode_image, variant_bytes
from catalogue.site.index import SiteIndex
from catalogue.site.pages import Page, Planner, everything
from catalogue.site.views import EventCard, LanguageContext, ProductCard

FEED_ENTRIES = 50  # the newest products in a feed: a reader wants news, catalogue.json has them all


@dataclass(frozen=True)
class FileOutput:
    out_path: str
    content: Derived[bytes]


RUN = 32  # products per piece, on average (a run of more than 256 is about as rare as 1 in 3,000)


def runs(slugs: Sequence[str]) -> list[Sequence[str]]:
    """The products in runs, in their order. Where a run ends depends on the slug alone (after
    one whose digest falls on a boundary), so a product added or removed changes its own run,
    not every run after it, as cutting at fixed counts would."""
    return list(_runs(tuple(slugs)))


@lru_cache(maxsize=8)
def _runs(slugs: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """runs(), remembered: a function of the slugs alone (the preview plans at every save)."""
    found, start = [], 0
    for position, slug in enumerate(slugs):
        if int(digest("run", slug)[:8], 16) % RUN == 0:
            found.append(slugs[start:position + 1])
            start = position + 1
    if start < len(slugs):
        found.append(slugs[start:])
    return tuple(found)


class Run(tuple):
    """A run of products as (product, producer, media) triples, flat, with a digest made of
    theirs once: the same run is an argument of every language's piece."""

    digest: str


def _runs_of(planner: Planner, entry: Callable[[str], tuple[object, object, object]]) -> list[Run]:
    made = []
    for slugs in runs(planner.index.products):
        run = Run(part for slug in slugs for part in entry(slug))
        run.digest = digest("run", *map(digest_of, run))
        made.append(run)
    return made


def _triples(run: tuple[Any, ...]) -> Iterator[tuple[Any, Any, Any]]:
    return (run[at:at + 3] for at in range(0, len(run), 3))


# A run's piece is kept as the bytes of the file (UTF-8), so that a file is its pieces
# joined: no text decoded and encoded again when one product of 10,000 changed.

def _search_run(lc: LanguageContext, run: tuple[Any, ...]) -> bytes:
    return ",".join(search_item(lc, *triple) for triple in _triples(run)).encode("utf-8")


def _json_run(lc: LanguageContext, config: SiteConfig, run: tuple[Any, ...]) -> bytes:
    return ",".join(json_record(lc, config, *triple) for triple in _triples(run)).encode("utf-8")


def _csv_run(lc: LanguageContext, config: SiteConfig, run: tuple[Any, ...]) -> bytes:
    return "".join(csv_row(lc, config, *triple) for triple in _triples(run)).encode("utf-8")


def _pieces(function: Callable[..., bytes], args: tuple[object, ...], made: list[Run]) -> tuple[Derived[bytes], ...]:
    """One stored piece per run of products, `function(*args, run)`; each goes into one file
    only, so it is not kept in memory once joined (92 MB of them at 10,000 products)."""
    return tuple(derive(function, *args, run, stored=True, once=True) for run in made)


def plan_search(planner: Planner, config: SiteConfig) -> Iterator[FileOutput]:
    site = planner.site
    made: list[Run] = []
    for lang in planner.edition.languages:
        if not planner.wanted(urls.search_index(lang)):
            continue
        if not made:
            made = _runs_of(planner, lambda slug: (site.products[slug], planner.producer_of(slug),
                                                   planner.entry_media(site.products[slug])))
        lc = planner.lc(lang)
        labels = derive(search_labels, lc, planner.index.facet_counts)
        yield FileOutput(urls.search_index(lang), derive(index_script, lang, labels, _pieces(_search_run, (lc,), made)))


def plan_exports(planner: Planner, config: SiteConfig) -> Iterator[FileOutput]:
    site = planner.site

    def exported(slug: str) -> tuple[object, object, object]:
        """What exports take of a product (no text's body) and of its producer."""
        product, producer = site.products[slug], planner.producer_of(slug)
        return planner.data(product), planner.facts(producer) if producer else None, planner.entry_media(product)

    made: list[Run] = []
    for lang in planner.edition.languages:
        lc = planner.lc(lang)
        json_path, csv_path = urls.data_file(lang, "json"), urls.data_file(lang, "csv")
        if not made and (planner.wanted(json_path) or planner.wanted(csv_path)):
            made = _runs_of(planner, exported)
        if planner.wanted(json_path):
            yield FileOutput(json_path, derive(catalogue_json, lc, config, _pieces(_json_run, (lc, config), made)))
        if planner.wanted(csv_path):
            yield FileOutput(csv_path, derive(catalogue_csv, _pieces(_csv_run, (lc, config), made)))


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
    index = planner.index
    newest = sorted(index.products, key=lambda slug: (index.published[slug], slug), reverse=True)[:FEED_ENTRIES]
    # the feed's own date where it lists nothing: fixed, so it stays the same from day to day
    quiet = datetime(2000, 1, 1, tzinfo=timezone.utc)
    for lang in planner.edition.languages:
        lc = planner.lc(lang)
        if planner.wanted(urls.feed(lang, "products")):
            cards = tuple(planner.product_card(lang, slug) for slug in newest)
            yield FileOutput(urls.feed(lang, "products"), derive(products_feed, lc, config, cards,
                                                                 tuple(index.published[slug] for slug in newest), quiet))
        if planner.wanted(urls.feed(lang, "events")):
            events = tuple(planner.site.events[slug] for slug in index.events)
            yield FileOutput(urls.feed(lang, "events"), derive(
                events_feed, lc, config, tuple(planner.event_card(lang, slug) for slug in index.events), events, quiet))


def event_lines(config: SiteConfig, card: EventCard, event: Event, stamp: date) -> tuple[str, ...]:
    host = urls.absolute(config.base_url, "").split("://", 1)[-1].strip("/")
    return tuple(ics.vevent(uid=f"{event.slug}@{host}", stamp=stamp, start=event.start, end=event.end,
                            summary=card.words.name, description=card.words.summary,
                            location=event.location.url if event.location.online else str(card.place),
                            url=urls.absolute(config.base_url, card.path), lang=card.words.lang))


def one_calendar(lines: tuple[str, ...]) -> bytes:
    return ics.calendar([list(lines)])


def all_calendar(lc: LanguageContext, config: SiteConfig, events: tuple[tuple[str, ...], ...]) -> bytes:
    return ics.calendar([list(lines) for lines in events], config.localized(config.title, lc.code))


def plan_calendars(planner: Planner, config: SiteConfig, today: date) -> Iterator[FileOutput]:
    for lang in planner.edition.languages:
        every = []
        for slug in planner.index.events:
            lines = derive(event_lines, config, planner.event_card(lang, slug), planner.site.events[slug], today)
            every.append(lines)
            if planner.wanted(urls.event_ics(lang, slug)):
                yield FileOutput(urls.event_ics(lang, slug), derive(one_calendar, lines))
        if planner.wanted(f"{lang}/events/events.ics"):
            yield FileOutput(f"{lang}/events/events.ics", derive(all_calendar, planner.lc(lang), config, tuple(every)))


def one_sitemap(config: SiteConfig, listed: SitemapEntries, name: str) -> bytes:
    return sitemap_file(config.base_url, listed.entries, config.source_lang, name)


def sitemap_entries(pages: list[Page], index: SiteIndex) -> tuple[SitemapEntry, ...]:
    """One entry per page a search engine should list, with its alternates and review date."""
    entries = []
    shared: dict[tuple[int, frozenset[str] | None], tuple[tuple[str, str], ...]] = {}  # the pages of an entry
    for page in pages:
        if not page.indexable or not page.is_html or page.untranslated:
            continue
        updated = index.lastmod.get(page.subject) if page.kind == "product" and page.subject else None
        # the language picker at the root is the page for a reader of none of the languages,
        # for the root itself and the homes, as their HTML says
        x_default = "index.html" if page.kind in ("root", "home") else None
        # one tuple of alternates for all the languages' pages of an entry (they share one
        # mapping), not one each: a full build holds 36,000 entries at 10,000 products
        key = (id(page.alternates), page.translated)
        alternates = shared.get(key)
        if alternates is None:
            alternates = shared[key] = tuple(sorted(page.search_alternates().items()))
        entries.append(SitemapEntry(page.out_path, alternates, updated, x_default))
    return tuple(entries)


def plan_web_files(pages: list[Page], planner: Planner, config: SiteConfig) -> Iterator[FileOutput]:
    """What only a web server uses: the sitemap (split past the protocol's limits) and robots.txt."""
    if not planner.edition.web or planner.wanted is not everything:  # a rebuild: the same pages, the same sitemap
        return
    listed = SitemapEntries(sitemap_entries(pages, planner.index))
    for name in sitemap_names(config.base_url, listed.entries):
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
    return StaticFile(path, folder, digest_bytes("static", data) if isinstance(data, bytes) else digest("static", data.message))


def static_bytes(static: StaticFile) -> bytes:
    data = read_input(static.path, static.folder, "theme")
    if isinstance(data, Refusal):
        raise OSError(f"{static.path}: {data.message}")
    return data


def plan_images(planner: Planner) -> Iterator[FileOutput]:
    """Every variant of every image of the entries the edition shows."""
    seen: set[str] = set()
    site = planner.site
    index = planner.index
    entries = (*(site.products[s] for s in index.products), *(site.producers[s] for s in index.producers),
               *(site.events[s] for s in index.events))
    for entry in entries:
        if planner.fresh is not None and f"{entry.kind}/{entry.slug}" not in planner.fresh:
            continue  # a rebuild's unchanged entries: their images are as they were
        media = planner.entry_media(entry)
        if not media.has_images:
            continue
        for _, asset in media.named():
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
