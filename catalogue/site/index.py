"""What the whole site says about each entry's neighbours: listing pages and their members,
references and back-references, which events are upcoming, what is featured, how many
products each filter option has.

Planning (pages.py, outputs/files.py) reads the site's structure from here only, never from
the records themselves: a record is, to planning, a name with digests. So a rebuild that
changed no entry's part of the index (content/facts.py index_facts) can plan only the
pages the changed entries are on, from the index the last build kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Mapping

from catalogue.content.model import Product, Site
from catalogue.site.views import LISTS, is_upcoming, sort_instant, timed_end

FACETS = ("category", "stars", "district", "certification", "market", "producer_type")
FEATURED = 8


@dataclass(frozen=True)
class SiteIndex:
    products: tuple[str, ...]  # slugs, in site order
    producers: tuple[str, ...]
    events: tuple[str, ...]
    producer_of: Mapping[str, str | None]  # product -> its producer, where that exists
    cover_of: Mapping[str, str | None]  # product -> its first image's file name
    published: Mapping[str, date]  # product -> its review date, else the start of its rating's year
    lastmod: Mapping[str, date | None]  # product -> its review date
    event_day: Mapping[str, date]  # event -> the day it starts
    event_products: Mapping[str, tuple[str, ...]]  # event -> the products it shows that exist
    organizer_of: Mapping[str, str | None]  # event -> the producer organising it, where that exists
    products_by_producer: Mapping[str, tuple[str, ...]]
    events_by_product: Mapping[str, tuple[str, ...]]
    events_by_producer: Mapping[str, tuple[str, ...]]
    listed: Mapping[str, frozenset[str]]  # list -> codes that have a listing page
    listings: Mapping[str, tuple[str, ...]]  # "list/code" -> product slugs, in site order
    upcoming: tuple[str, ...]  # event slugs, soonest first
    past: tuple[str, ...]  # event slugs, most recent first
    featured: tuple[str, ...]  # product slugs for the home page
    facet_counts: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]  # facet -> (code, products)
    upcoming_set: frozenset[str]
    day: date  # the build's date, which decided upcoming and past
    # The instants between which a build on that day makes the same upcoming and past: after
    # the last end of a timed event that had passed, up to the next one still to come.
    after: datetime | None = None
    until: datetime | None = None

    def is_upcoming(self, slug: str) -> bool:
        return slug in self.upcoming_set

    def holds_at(self, now: datetime) -> bool:
        """Whether a build at `now` would make this same index's dates (day, upcoming, past)."""
        return _dates_hold(self.day, self.after, self.until, now)

    def dates(self) -> str:
        """The day and instants holds_at() goes by, as a text kept beside the build's inputs."""
        return "\n".join([self.day.isoformat(), self.after.isoformat() if self.after else "",
                          self.until.isoformat() if self.until else ""])


def dates_hold_at(dates: str, now: datetime) -> bool:
    """SiteIndex.holds_at() for the text its dates() made; False for any other text."""
    try:
        day, after, until = dates.split("\n")
        return _dates_hold(date.fromisoformat(day), datetime.fromisoformat(after) if after else None,
                           datetime.fromisoformat(until) if until else None, now)
    except ValueError:
        return False


def _dates_hold(day: date, after: datetime | None, until: datetime | None, now: datetime) -> bool:
    return now.date() == day and (after is None or now > after) and (until is None or now <= until)


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
    listings: dict[str, list[str]] = {}
    counts: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
    for product in site.products.values():
        for list_name, code in (("categories", product.category), ("districts", product.district),
                                *(("markets", market) for market in dict.fromkeys(product.markets))):
            listings.setdefault(f"{list_name}/{code}", []).append(product.slug)
        producer = site.producers.get(product.producer)
        for facet, codes in facet_values(product, producer.type if producer else None).items():
            for code in codes:
                counts[facet][code] = counts[facet].get(code, 0) + 1
    listed = {name: frozenset(key.split("/", 1)[1] for key in listings if key.split("/", 1)[0] == name)
              for name in LISTS}
    ordered = sorted(site.events.values(), key=lambda e: (sort_instant(e), e.slug))
    upcoming = tuple(e.slug for e in ordered if is_upcoming(e, now))
    past = tuple(e.slug for e in reversed(ordered) if not is_upcoming(e, now))
    ends = [end for end in map(timed_end, site.events.values()) if end is not None]
    featured = tuple(p.slug for p in sorted(site.products.values(), key=lambda p: (-p.ocop.stars, p.slug))[:FEATURED])
    products = site.products.values()
    return SiteIndex(
        products=tuple(site.products), producers=tuple(site.producers), events=tuple(site.events),
        producer_of={p.slug: p.producer if p.producer in site.producers else None for p in products},
        cover_of={p.slug: p.images[0] if p.images else None for p in products},
        published={p.slug: p.updated or date(p.ocop.year, 1, 1) for p in products},
        lastmod={p.slug: p.updated for p in products},
        event_day={e.slug: e.start.day for e in site.events.values()},
        event_products={e.slug: tuple(s for s in e.products if s in site.products) for e in site.events.values()},
        organizer_of={e.slug: e.organizer_slug if e.organizer_slug in site.producers else None for e in site.events.values()},
        products_by_producer=dict(site.products_by_producer), events_by_product=dict(site.events_by_product),
        events_by_producer=dict(site.events_by_producer),
        listed=listed, listings={key: tuple(slugs) for key, slugs in sorted(listings.items())},
        upcoming=upcoming, past=past, featured=featured,
        facet_counts=tuple((facet, tuple(sorted(counts[facet].items()))) for facet in FACETS),
        upcoming_set=frozenset(upcoming), day=now.date(),
        after=max((end for end in ends if end < now), default=None),
        until=min((end for end in ends if end >= now), default=None))
