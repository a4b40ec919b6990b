"""What each output is made from, as one key per page: a page whose key is unchanged since the
last build is not rendered again (and its file is not rewritten).

Keys are built from content, never from times: the site's settings, the theme's files, the
language's UI catalogues, the edition (hosted site, preview or bundle), each entry's records,
and the cards of the other entries a page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from jinja2 import Environment, TemplateSyntaxError, meta

from catalogue.build.cache import PACKAGE_KEY, digest
from catalogue.site.locales import catalogue_files
from catalogue.content.model import Entry
from catalogue.site.plan import Page


def entry_key(entry: Entry) -> str:
    """Everything an entry's own page shows of it (its records in every language)."""
    return digest(entry.kind, *text_parts(entry), repr(facts(entry)))


def text_parts(entry: Entry) -> list[object]:
    """Every field of each of an entry's texts, language by language: bytes (the packed
    body) as they are, after their length, the rest as repr. The repr of a packed body
    took more time than all the rest of a national build's entry keys."""
    parts: list[object] = []
    for lang, text in sorted(entry.texts.items()):
        parts.append(lang)
        for name in text.__dataclass_fields__:
            value = getattr(text, name)
            parts.append(len(value).to_bytes(8, "big") + value if isinstance(value, bytes) else repr(value))
    return parts


def facts(entry: Entry) -> list[tuple[str, Any]]:
    """An entry's data-file fields: everything but its texts and where it was read from."""
    skip = {"texts", "field_lines", "src_dir"}
    return [(name, getattr(entry, name)) for name in entry.__dataclass_fields__ if name not in skip]


@dataclass(frozen=True)
class Keys:
    """Per-build fingerprints, made once and looked up per page. The entries' and cards'
    are filled in by add_content_keys, which a full build runs while its pages render."""

    edition: Mapping[str, str]  # language -> global key (settings, theme, catalogues, edition)
    templates: Mapping[str, str]  # template name -> key of it and every template it uses
    entries: dict[tuple[str, str], str]  # (kind, slug) -> entry key
    cards: dict[tuple[str, str, str], str]  # (kind, slug, lang) -> card key
    all_cards: dict[tuple[str, str], str]  # (kind, lang) -> key of every card of that kind

    def page(self, page: Page, loaded: Any) -> str:
        lang = page.lang or loaded.config.source_lang
        base = (self.edition[lang], self.templates.get(page.template, ""), page.kind, page.out_path,
                page.template, repr(page.alternates))
        site = loaded.site
        if page.kind == "product" and page.key:
            product = site.products[page.key]
            return digest(*base, self.entries[("product", page.key)],
                          self.entries.get(("producer", product.producer), ""),
                          *(self.cards[("event", e, lang)] for e in site.events_by_product.get(page.key, ())))
        if page.kind == "producer" and page.key:
            return digest(*base, self.entries[("producer", page.key)],
                          *(self.cards[("product", p, lang)] for p in site.products_by_producer.get(page.key, ())),
                          *(self.cards[("event", e, lang)] for e in site.events_by_producer.get(page.key, ())))
        if page.kind == "event" and page.key:
            event = site.events[page.key]
            return digest(*base, self.entries[("event", page.key)],
                          self.entries.get(("producer", event.organizer or ""), ""),
                          *(self.cards[("product", p, lang)] for p in event.products if p in site.products))
        if page.kind == "listing":
            return digest(*base, page.list_name, page.key,
                          *(self.cards[("product", card.slug, lang)]
                            for card in loaded.views.listing_products(lang, page.list_name, page.key)))
        if page.kind in ("home", "product_index"):
            return digest(*base, self.all_cards[("product", lang)], self.all_cards[("producer", lang)],
                          self.all_cards[("event", lang)])
        if page.kind == "producer_index":
            return digest(*base, self.all_cards[("producer", lang)])
        if page.kind == "event_index":
            return digest(*base, self.all_cards[("event", lang)])
        if page.kind == "root":
            return digest(*base, *sorted(self.edition.values()))
        return digest(*base)


def template_keys(templates: Mapping[str, Path]) -> dict[str, str]:
    """Per template: a key of its own source and of every template it extends, includes or imports."""
    sources = {name: path.read_text(encoding="utf-8", errors="replace") for name, path in templates.items()}
    env = Environment()
    uses: dict[str, set[str]] = {}
    for name, source in sources.items():
        try:
            found = meta.find_referenced_templates(env.parse(source))
            uses[name] = {ref for ref in found if ref}
            if None in found:  # a dynamic name: depend on every template
                uses[name] = set(sources)
        except TemplateSyntaxError:
            uses[name] = set()
    keys = {}
    for name in sources:
        closure, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current in closure or current not in sources:
                continue
            closure.add(current)
            todo.extend(uses.get(current, ()))
        keys[name] = digest(*(f"{n}:{digest(sources[n])}" for n in sorted(closure)))
    return keys


def make_keys(loaded: Any, edition: Any, static_files: Mapping[str, Any], content: bool = True) -> Keys:
    """The build's keys; without `content`, only those of its settings, theme and catalogues
    (what rendering needs), the entries' and cards' to be added by add_content_keys."""
    config = loaded.config
    shared = digest(PACKAGE_KEY, repr(config), repr(edition), loaded.now.date().isoformat(),
                    *(f"{name}:{digest(path.read_bytes())}" for name, path in sorted(static_files.items())))
    edition_keys = {}
    for lang in config.languages:
        catalogues = [digest(po.read_bytes()) for po in catalogue_files(config, lang)]
        edition_keys[lang] = digest(shared, lang, *catalogues)
    keys = Keys(edition_keys, template_keys(loaded.theme.templates), {}, {}, {})
    if content:
        add_content_keys(keys, loaded, edition)
    return keys


def add_content_keys(keys: Keys, loaded: Any, edition: Any) -> None:
    """Fill in the keys of every entry and card (tens of thousands at national scale)."""
    for table in (loaded.site.products, loaded.site.producers, loaded.site.events):
        for slug, entry in table.items():
            keys.entries[(entry.kind, slug)] = entry_key(entry)
    for lang in edition.languages:
        views = loaded.views.for_language(lang)
        for kind, table in (("product", views.products), ("producer", views.producers), ("event", views.events)):
            made = []
            for slug, card in table.items():
                keys.cards[(kind, slug, lang)] = key = digest(repr(card))
                made.append(key)
            keys.all_cards[(kind, lang)] = digest(*made)
