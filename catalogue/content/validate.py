"""Rules between records, and about records as a whole, checked once everything is loaded:
references to folders that do not exist, ratings that have expired, organisers that look
like a misspelt producer, images named in product.yaml that cannot be used.

(Each field's own rules are in schema.py, applied while a file is read.)
"""

from __future__ import annotations

import difflib
from datetime import date
from typing import Mapping

from catalogue.content.load import LoadedContent
from catalogue.content.model import Entry
from catalogue.content.schema import SLUG_RE
from catalogue.problems import Problems


def validate(content: LoadedContent, today: date, unusable_images: Mapping[tuple[str, str], frozenset[str]],
             problems: Problems) -> None:
    """`unusable_images`: per (kind, slug), the image files whose own problems were reported."""
    for product in content.products.values():
        if product.producer not in content.producers and not content.exists("producer", product.producer):
            _dangling(problems, product, "producer", product.producer, "content/producers",
                      sorted(content.producers))
        valid_until = product.ocop.valid_until
        if valid_until is not None and valid_until < today:
            problems.warning(product.data_file(), product.field_lines.get("ocop.valid_until"), "ocop.valid_until",
                             f"the OCOP rating expired on {valid_until.isoformat()}; renew it or update the record")
        broken = unusable_images.get(("product", product.slug), frozenset())
        for index, name in enumerate(product.images):
            if name in broken:
                problems.error(product.data_file(), product.field_lines.get(f"images[{index}]"), f"images[{index}]",
                               f"{name!r} cannot be used (see the image's own problem)")
    for event in content.events.values():
        for index, slug in enumerate(event.products):
            if slug not in content.products and not content.exists("product", slug):
                _dangling(problems, event, f"products[{index}]", slug, "content/products", sorted(content.products))
        organizer = event.organizer
        if organizer and organizer not in content.producers and SLUG_RE.fullmatch(organizer) and "-" in organizer \
                and not content.exists("producer", organizer):
            problems.warning(event.data_file(), event.field_lines.get("organizer"), "organizer",
                             f"{organizer!r} looks like a producer slug, but there is no folder "
                             f"content/producers/{organizer}; fix the slug or write the organiser's name")


def _dangling(problems: Problems, entry: Entry, field: str, slug: str, folder: str, known: list[str]) -> None:
    close = difflib.get_close_matches(slug, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    problems.error(entry.data_file(), entry.field_lines.get(field), field, f"no folder {folder}/{slug}{hint}")
