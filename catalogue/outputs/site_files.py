"""The site-wide files of a build, per language: calendars, search indexes, feeds, data
exports; and, for a hosted site, the sitemap and robots.txt."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any, Callable

from catalogue.site import urls
from catalogue.build.cache import PACKAGE_KEY, BuildCache, digest
from catalogue.outputs import ics
from catalogue.outputs.exports import catalogue_csv, catalogue_json, product_records
from catalogue.outputs.feeds import FeedEntry, as_datetime, atom
from catalogue.outputs.search import index_script, search_index
from catalogue.outputs.sitemap import robots_txt, sitemap_files
from catalogue.build.writer import StagedOutput

if TYPE_CHECKING:
    from catalogue.build.pipeline import LoadedSite


def site_file_work(loaded: LoadedSite, output: StagedOutput, languages: tuple[str, ...], web: bool,
                   sizes: dict[str, int], keys: Any = None,
                   cache: BuildCache | None = None) -> list[Callable[[], None]]:
    """The site-wide files as separate pieces of work, biggest first, so that a build can
    take its render processes' reports between them. Search index sizes go into `sizes`."""
    folded_names: dict[str, str] = {}  # each language's index folds every language's names

    def search(lang: str) -> None:
        sizes.update(write_search_indexes(loaded, output, (lang,), keys, cache, folded_names))

    work: list[Callable[[], None]] = [partial(search, lang) for lang in languages]
    work += [partial(write_data_files, loaded, output, (lang,)) for lang in languages]
    if web:
        work.append(partial(write_web_files, loaded, output))
    work.append(partial(write_calendars, loaded, output, languages))
    return work


def write_web_files(loaded: LoadedSite, output: StagedOutput) -> None:
    """What only a web server uses: the sitemap and robots.txt."""
    config = loaded.config
    lastmod = {p.out_path: loaded.site.products[p.key].updated for p in loaded.pages
               if p.kind == "product" and p.key and loaded.site.products[p.key].updated}
    for name, data in sitemap_files(config.base_url, loaded.pages, {k: v for k, v in lastmod.items() if v},
                                    config.source_lang).items():
        output.write(name, data)
    output.write("robots.txt", robots_txt(config.base_url))


def write_data_files(loaded: LoadedSite, output: StagedOutput, languages: tuple[str, ...]) -> None:
    """Per language: Atom feeds of products and events, catalogue.json and catalogue.csv."""
    config, site = loaded.config, loaded.site
    fallback = loaded.now
    for lang in languages:
        views = loaded.views.for_language(lang)
        title = config.localized(config.title, lang)
        home_url = urls.absolute(config.base_url, urls.home(lang))
        products = []
        for slug, product in site.products.items():
            card = views.products[slug]
            when = product.updated or date(product.ocop.year, 1, 1)
            image = urls.absolute(config.base_url, card.cover.path) if card.cover else None
            products.append(FeedEntry(urls.absolute(config.base_url, card.path), card.words.name, card.words.summary, urls.absolute(config.base_url, card.path),
                                      as_datetime(when), card.words.lang, (card.category.text,), image))
        products.sort(key=lambda e: (e.updated, e.id), reverse=True)
        output.write(urls.feed(lang, "products"), atom(
            urls.absolute(config.base_url, urls.feed(lang, "products")), title, urls.absolute(config.base_url, urls.feed(lang, "products")),
            home_url, title, lang, products, fallback))
        events = []
        for slug, event in site.events.items():
            event_card = views.events[slug]
            events.append(FeedEntry(urls.absolute(config.base_url, event_card.path), event_card.words.name,
                                    event_card.words.summary, urls.absolute(config.base_url, event_card.path),
                                    as_datetime(event.start.value), event_card.words.lang, (event_card.kind.text,)))
        events.sort(key=lambda e: (e.updated, e.id), reverse=True)
        output.write(urls.feed(lang, "events"), atom(
            urls.absolute(config.base_url, urls.feed(lang, "events")), title, urls.absolute(config.base_url, urls.feed(lang, "events")),
            home_url, title, lang, events, fallback))
        records = product_records(config, site, views, loaded.media)
        output.write(urls.data_file(lang, "json"), catalogue_json(config, site, views, loaded.media, records))
        output.write(urls.data_file(lang, "csv"), catalogue_csv(config, site, views, loaded.media, records))


def write_search_indexes(loaded: LoadedSite, output: StagedOutput, languages: tuple[str, ...],
                         keys: Any = None, cache: BuildCache | None = None,
                         folded_names: dict[str, str] | None = None) -> dict[str, int]:
    names = {slug: [t.name for t in product.texts.values()] for slug, product in loaded.site.products.items()}
    sizes = {}
    for lang in languages:
        item_keys = {}
        if keys is not None and cache is not None and cache.enabled:
            item_keys = {slug: digest("search", PACKAGE_KEY, keys.entries[("product", slug)],
                                      keys.cards[("product", slug, lang)]) for slug in loaded.site.products}
        known = cache.get_many("fragments", item_keys.values()) if item_keys and cache else {}
        by_slug = {slug: known[key] for slug, key in item_keys.items() if key in known}
        index = search_index(loaded.site, loaded.views.for_language(lang), names, by_slug, folded_names)
        items: list[dict[str, Any]] = index["items"]  # type: ignore[assignment]
        if item_keys and cache is not None:
            cache.put_many("fragments", {item_keys[item["id"]]: item for item in items if item["id"] not in by_slug})
        data = index_script(index)
        output.write(urls.search_index(lang), data)
        sizes[lang] = len(data)
    return sizes


def write_calendars(loaded: LoadedSite, output: StagedOutput, languages: tuple[str, ...]) -> None:
    config = loaded.config
    stamp: date = loaded.now.date()
    for lang in languages:
        views = loaded.views.for_language(lang)
        every = []
        for slug, event in loaded.site.events.items():
            card = views.events[slug]
            page_url = urls.absolute(config.base_url, card.path)
            lines = ics.vevent(
                uid=f"{slug}@{urls.absolute(config.base_url, '').split('://', 1)[-1].strip('/')}",
                stamp=stamp, start=event.start, end=event.end, summary=card.words.name,
                description=card.words.summary,
                location=event.location.url if event.location.online else card.place,
                url=page_url, lang=card.words.lang)
            every.append(lines)
            output.write(urls.event_ics(lang, slug), ics.calendar([lines]))
        output.write(f"{lang}/events/events.ics",
                     ics.calendar(every, config.localized(config.title, lang)))
