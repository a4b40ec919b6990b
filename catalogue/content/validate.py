"""Rules between records, and about records as a whole, checked once everything is loaded:
references to folders that do not exist, ratings that have expired, organisers that look
like a misspelt producer, images named in product.yaml that cannot be used, translations
that are copies of the source text.

(Each field's own rules are in schema.py, applied while a file is read.)
"""

from __future__ import annotations

import difflib
from datetime import date
from typing import Callable, Mapping

from catalogue.content.load import LoadedContent
from catalogue.content.model import Entry, Event, Product
from catalogue.content.schema import SLUG_RE
from catalogue.problems import Problems


def validate(content: LoadedContent, today: date, unusable_images: Mapping[tuple[str, str], frozenset[str]],
             source_lang: str, problems: Problems) -> None:
    """`unusable_images`: per (kind, slug), the image files whose own problems were reported."""
    for table in (content.products, content.producers, content.events):
        for entry in table.values():
            check_entry(entry, today, source_lang, problems)
    for product in content.products.values():
        if product.producer not in content.producers and not content.exists("producer", product.producer):
            _dangling(problems, product, "producer", product.producer, "content/producers",
                      sorted(content.producers))
        broken = unusable_images.get(("product", product.slug), frozenset())
        for index, name in enumerate(product.images):
            if name in broken:
                problems.error(product.data_file(), product.field_lines.get(f"images[{index}]"), f"images[{index}]",
                               f"{name!r} cannot be used (see the image's own problem)")
    for event in content.events.values():
        for index, slug in enumerate(event.products):
            if slug not in content.products and not content.exists("product", slug):
                _dangling(problems, event, f"products[{index}]", slug, "content/products", sorted(content.products))
        check_organizer(event, lambda slug: slug in content.producers or content.exists("producer", slug), problems)


def check_organizer(event: Event, is_producer: Callable[[str], bool], problems: Problems) -> None:
    """An organiser written like a slug of no producer (a rebuild that reads only the events
    that changed checks those with this, knowing the producers from the index)."""
    organizer = event.organizer_slug
    if organizer and SLUG_RE.fullmatch(organizer) and "-" in organizer and not is_producer(organizer):
        problems.warning(event.data_file(), event.field_lines.get("organizer"), "organizer",
                         f"{organizer!r} looks like a producer slug, but there is no folder "
                         f"content/producers/{organizer}; fix the slug or write the organiser's name")


def check_entry(entry: Entry, today: date, source_lang: str, problems: Problems) -> None:
    """The rules about one entry alone (a rebuild that reads only the entries that changed
    checks those with these)."""
    for lang, text in sorted(entry.texts.items()):
        for part in untranslated_parts(entry, lang, source_lang):
            line = text.body_line if part == "body" else text.line_of(part)
            problems.warning(text.rel_path, line, None if part == "body" else part,
                             f"the {part} is the same as in {source_lang}.md: translate it, or delete "
                             f"{lang}.md and readers of {lang} are shown another language's text, marked "
                             "as untranslated")
    if not isinstance(entry, Product):
        return
    valid_until = entry.ocop.valid_until
    if valid_until is not None and valid_until < today:
        problems.warning(entry.data_file(), entry.field_lines.get("ocop.valid_until"), "ocop.valid_until",
                         f"the OCOP rating expired on {valid_until.isoformat()}; renew it or update the record")
    elif valid_until is None and entry.ocop.lapsed(today):
        problems.warning(entry.data_file(), entry.field_lines.get("ocop.year"), "ocop.year",
                         f"the OCOP rating of {entry.ocop.year} has no valid_until, and ratings last "
                         f"{entry.ocop.LASTS_YEARS} years: it is shown as expired since "
                         f"{entry.ocop.expires.isoformat()}; add valid_until, or the year of its renewal")


def untranslated_parts(entry: Entry, lang: str, source_lang: str) -> list[str]:
    """What the `lang` text of `entry` has exactly as the source language wrote it: a file
    copied and never translated (a name or a summary of a few characters may be the same in
    every language: a brand, a code)."""
    text, source = entry.texts.get(lang), entry.texts.get(source_lang)
    if text is None or source is None or lang == source_lang:
        return []
    same = [name for name, mine, theirs in (("name", text.name, source.name), ("summary", text.summary, source.summary))
            if mine.strip() == theirs.strip() and len(theirs.strip()) > 12]
    if text.has_body and text.body_digest == source.body_digest:
        same.append("body")
    return same


def _dangling(problems: Problems, entry: Entry, field: str, slug: str, folder: str, known: list[str]) -> None:
    close = difflib.get_close_matches(slug, known, n=1, cutoff=0.6)
    kind = {"content/producers": "producer", "content/products": "product"}.get(folder, "")
    create = f'create it with: python build.py new {kind} "NAME" --slug {slug}' if kind and SLUG_RE.fullmatch(slug) else ""
    hint = f"did you mean {close[0]!r}? Or {create}" if close and create else \
        f"did you mean {close[0]!r}?" if close else create[:1].upper() + create[1:]
    problems.error(entry.data_file(), entry.field_lines.get(field), field,
                   f"no folder {folder}/{slug}" + (f"; {hint}" if hint else ""))
