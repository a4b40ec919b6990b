"""Cross-record rules and back-references: loaded records -> a linked Site."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date

from catalogue.content.load import LoadedContent
from catalogue.content.model import Entry, Site
from catalogue.problems import Problems
from catalogue.content.schema import SLUG_RE


def link_site(content: LoadedContent, today: date, problems: Problems) -> Site:
    products_by_producer: dict[str, list[str]] = defaultdict(list)
    events_by_product: dict[str, list[str]] = defaultdict(list)
    events_by_producer: dict[str, list[str]] = defaultdict(list)

    for product in content.products.values():
        if product.producer in content.producers:
            products_by_producer[product.producer].append(product.slug)
        elif not content.exists("producer", product.producer):  # else its own problems are reported
            _dangling(problems, product, "producer", product.producer, "content/producers",
                      sorted(content.producers))
        valid_until = product.ocop.valid_until
        if valid_until is not None and valid_until < today:
            problems.warning(product.data_file(), product.field_lines.get("ocop.valid_until"),
                             "ocop.valid_until",
                             f"the OCOP rating expired on {valid_until.isoformat()}; renew it or "
                             "update the record")

    for event in content.events.values():
        for index, slug in enumerate(event.products):
            if slug not in content.products:
                if content.exists("product", slug):
                    continue
                _dangling(problems, event, f"products[{index}]", slug, "content/products",
                          sorted(content.products))
            else:
                events_by_product[slug].append(event.slug)
        if event.organizer is not None and event.organizer in content.producers:
            events_by_producer[event.organizer].append(event.slug)
        elif event.organizer and SLUG_RE.fullmatch(event.organizer) and "-" in event.organizer \
                and not content.exists("producer", event.organizer):
            problems.warning(event.data_file(), event.field_lines.get("organizer"), "organizer",
                             f"{event.organizer!r} looks like a producer slug, but there is no folder "
                             f"content/producers/{event.organizer}; fix the slug or write the organiser's name")

    return Site(
        products=dict(sorted(content.products.items())),
        producers=dict(sorted(content.producers.items())),
        events=dict(sorted(content.events.items())),
        products_by_producer={k: tuple(sorted(v)) for k, v in products_by_producer.items()},
        events_by_product={k: tuple(sorted(v)) for k, v in events_by_product.items()},
        events_by_producer={k: tuple(sorted(v)) for k, v in events_by_producer.items()},
    )


def _dangling(problems: Problems, entry: Entry, field: str, slug: str, folder: str,
              known: list[str]) -> None:
    import difflib
    close = difflib.get_close_matches(slug, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    problems.error(entry.data_file(), entry.field_lines.get(field), field,
                   f"no folder {folder}/{slug}{hint}")


def restrict_to_market(site: Site, market: str) -> Site:
    """The part of a site a buyer in one market needs: its products, their producers, its events."""
    products = {slug: p for slug, p in site.products.items() if market in p.markets}
    producer_slugs = {p.producer for p in products.values()}
    events = {slug: e for slug, e in site.events.items() if market in e.markets}
    producers = {slug: p for slug, p in site.producers.items()
                 if slug in producer_slugs or any(e.organizer == slug for e in events.values())}

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
