"""What the whole site says about each entry's neighbours: listing pages and their members,
which events are upcoming, what is featured, how many products each filter option has.

Made from the linked site and the build's date at every build (a few passes over the
records, no rendering); pages.py plans the pages from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from catalogue.content.model import Product, Site
from catalogue.site.views import LISTS, is_upcoming, sort_instant

FACETS = ("category", "stars", "district", "certification", "market", "producer_type")
FEATURED = 8


@dataclass(frozen=True)
class SiteIndex:
    site: Site
    listed: Mapping[str, frozenset[str]]  # list -> codes that have a listing page
    listings: Mapping[tuple[str, str], tuple[str, ...]]  # (list, code) -> product slugs, in site order
    upcoming: tuple[str, ...]  # event slugs, soonest first
    past: tuple[str, ...]  # event slugs, most recent first
    featured: tuple[str, ...]  # product slugs for the home page
    facet_counts: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]  # facet -> (code, products)
    upcoming_set: frozenset[str]

    def is_upcoming(self, slug: str) -> bool:
        return slug in self.upcoming_set


def facet_values(product: Product, producer_type: str | None) -> dict[str, list[str]]:
    return {
        "category": [product.category],
        "stars": [str(product.ocop.stars)],
        "district": [product.district],
        "certification": list(product.certifications),
        "market": list(product.markets),
        "producer_type": [producer_type] if producer_type else [],
    }


def index_site(site: Site, now: datetime) -> SiteIndex:
    listings: dict[tuple[str, str], list[str]] = {}
    counts: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
    for product in site.products.values():
        for key in (("categories", product.category), ("districts", product.district),
                    *(("markets", market) for market in dict.fromkeys(product.markets))):
            listings.setdefault(key, []).append(product.slug)
        producer = site.producers.get(product.producer)
        for facet, codes in facet_values(product, producer.type if producer else None).items():
            for code in codes:
                counts[facet][code] = counts[facet].get(code, 0) + 1
    listed = {name: frozenset(code for list_name, code in listings if list_name == name) for name in LISTS}
    ordered = sorted(site.events.values(), key=lambda e: (sort_instant(e), e.slug))
    upcoming = tuple(e.slug for e in ordered if is_upcoming(e, now))
    past = tuple(e.slug for e in reversed(ordered) if not is_upcoming(e, now))
    featured = tuple(p.slug for p in sorted(site.products.values(), key=lambda p: (-p.ocop.stars, p.slug))[:FEATURED])
    return SiteIndex(site, listed, {key: tuple(slugs) for key, slugs in sorted(listings.items())}, upcoming, past,
                     featured, tuple((facet, tuple(sorted(counts[facet].items()))) for facet in FACETS),
                     frozenset(upcoming))
