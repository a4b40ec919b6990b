"""Site -> every page of every language, planned before anything is rendered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal, Mapping, Sequence

from catalogue.site import urls
from catalogue.config import SiteConfig
from catalogue.content.model import EntryKind, Site
from catalogue.problems import Problems

PageKind = Literal[
    "root", "home", "product_index", "product", "producer_index", "producer", "event_index", "event",
    "listing", "not_found", "inquiry",
]
LISTING_KINDS = ("categories", "districts", "markets")


@dataclass(frozen=True)
class Page:
    kind: PageKind
    lang: str | None  # None for the language-neutral root page
    out_path: str
    template: str
    key: str | None = None  # entry slug or listing code
    list_name: str | None = None  # for listing pages
    alternates: Mapping[str, str] | None = None  # language -> out_path of the same page
    indexable: bool = True  # listed in the sitemap

    @property
    def is_html(self) -> bool:
        return self.out_path.endswith(".html")


def plan_pages(config: SiteConfig, site: Site, used_codes: Mapping[str, list[str]],
               problems: Problems, languages: Sequence[str] | None = None, web: bool = True) -> list[Page]:
    """Every page; `languages` limits them (an offline bundle), `web` adds the 404 pages."""
    chosen = tuple(languages or config.languages)
    pages: list[Page] = [Page("root", chosen[0] if languages else None, "index.html", "root.html",
                              indexable=False)]

    def each_language(kind: PageKind, template: str, path_of, key: str | None = None,
                      list_name: str | None = None, indexable: bool = True) -> None:
        alternates = {lang: path_of(lang) for lang in chosen}
        for lang in chosen:
            pages.append(Page(kind, lang, alternates[lang], template, key, list_name, alternates, indexable))

    each_language("home", "home.html", urls.home)
    each_language("product_index", "product_index.html", lambda l: urls.section(l, "products"))
    each_language("producer_index", "producer_index.html", lambda l: urls.section(l, "producers"))
    each_language("event_index", "event_index.html", lambda l: urls.section(l, "events"))
    entries: tuple[tuple[EntryKind, Iterable[str]], ...] = (
        ("product", site.products), ("producer", site.producers), ("event", site.events))
    for kind, slugs in entries:
        for slug in slugs:
            pages.extend(entry_pages(kind, slug, chosen))
    for list_name in LISTING_KINDS:
        for code in used_codes.get(list_name, []):
            each_language("listing", "listing.html",
                          lambda l, n=list_name, c=code: urls.listing(l, n, c), code, list_name)
    each_language("inquiry", "inquiry.html", lambda l: urls.section(l, "inquiry"), indexable=False)
    if web:  # per language, and the site-wide one hosts serve for any missing address
        each_language("not_found", "404.html", urls.not_found, indexable=False)
        pages.append(Page("not_found", config.source_lang, "404.html", "404.html", indexable=False,
                          alternates={lang: urls.not_found(lang) for lang in chosen}))
    _check_collisions(pages, problems)
    return pages


ENTRY_SECTIONS = {"product": "products", "producer": "producers", "event": "events"}


def entry_pages(kind: EntryKind, slug: str, languages: Sequence[str]) -> list[Page]:
    """The pages of one entry, one per language."""
    section = ENTRY_SECTIONS[kind]
    alternates = {lang: urls.entry(lang, section, slug) for lang in languages}
    return [Page(kind, lang, alternates[lang], f"{kind}.html", slug, None, alternates) for lang in languages]


def _check_collisions(pages: list[Page], problems: Problems) -> None:
    seen: dict[str, Page] = {}
    for page in pages:
        other = seen.get(page.out_path)
        if other is not None:
            problems.error(page.out_path, None, None,
                           f"two pages want the same address: {other.kind} {other.key!r} and "
                           f"{page.kind} {page.key!r}")
        seen[page.out_path] = page
