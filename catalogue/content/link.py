"""Back-references: loaded records -> a linked Site (the rules between records: validate.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from catalogue.content.load import LoadedContent
from catalogue.content.model import Site


def link_site(content: LoadedContent) -> Site:
    """The records, sorted, with their references resolved into back-references (a reference
    to a missing record is left out here; validate.py reports it)."""
    products_by_producer: dict[str, list[str]] = defaultdict(list)
    events_by_product: dict[str, list[str]] = defaultdict(list)
    events_by_producer: dict[str, list[str]] = defaultdict(list)
    for product in content.products.values():
        if product.producer in content.producers:
            products_by_producer[product.producer].append(product.slug)
    for event in content.events.values():
        for slug in event.products:
            if slug in content.products:
                events_by_product[slug].append(event.slug)
        if event.organizer_slug is not None and event.organizer_slug in content.producers:
            events_by_producer[event.organizer_slug].append(event.slug)
    return Site(
        products=dict(sorted(content.products.items())),
        producers=dict(sorted(content.producers.items())),
        events=dict(sorted(content.events.items())),
        products_by_producer={k: tuple(sorted(v)) for k, v in products_by_producer.items()},
        events_by_product={k: tuple(sorted(v)) for k, v in events_by_product.items()},
        events_by_producer={k: tuple(sorted(v)) for k, v in events_by_producer.items()},
    )


def restrict_to_market(site: Site, market: str) -> Site:
    """The part of a site a buyer in one market needs: its products, their producers, its events."""
    products = {slug: p for slug, p in site.products.items() if market in p.markets}
    producer_slugs = {p.producer for p in products.values()}
    events = {slug: e for slug, e in site.events.items() if market in e.markets}
    producers = {slug: p for slug, p in site.producers.items()
                 if slug in producer_slugs or any(e.organizer_slug == slug for e in events.values())}

    def keep(mapping: dict[str, tuple[str, ...]], allowed: set[str]) -> dict[str, tuple[str, ...]]:
        return {key: tuple(v for v in values if v in allowed) for key, values in mapping.items()}

    return Site(
        products=products,
        producers=producers,
        events={slug: replace(e, products=tuple(p for p in e.products if p in products)) for slug, e in events.items()},
        products_by_producer=keep(dict(site.products_by_producer), set(products)),
        events_by_product=keep(dict(site.events_by_product), set(events)),
        events_by_producer=keep(dict(site.events_by_producer), set(events)),
    )
