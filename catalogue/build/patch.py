"""The quick rebuild: when only the Markdown bodies of a few entries changed, re-render just
those entries' pages and patch their items of the search index, without loading the site.

A text edit that shows anywhere else (a name or summary is on cards, feeds and listings; a
source edit can make translations stale) or anything beyond texts goes the full way. So does
any problem: the full build reports it. The result is the same bytes as a full build; tests
compare the two after each kind of edit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping, Sequence, cast

from catalogue.site import urls
from catalogue.build.cache import BuildCache
from catalogue.config import load_config
from catalogue.build.deps import facts
from catalogue.build.inputs import FolderStamp, InputScan
from catalogue.build.loading import CachedLoading, load_checked
from catalogue.site.locales import load_languages, load_translations
from catalogue.site.media import collect_media
from catalogue.content.model import Entry, EntryKind, Site
from catalogue.outputs.search import SCRIPT_PREFIX, SCRIPT_SUFFIX, encode, search_index
from catalogue.site.plan import ENTRY_SECTIONS, Page, entry_pages
from catalogue.problems import Problems
from catalogue.site.render import RenderError, Renderer
from catalogue.site.themes import fingerprinted, resolve_theme, static_files
from catalogue.content.translations import shown_text
from catalogue.site.views import ViewBuilder
from catalogue.build.writer import IncrementalOutput

MOST_CHANGED = 16  # more edited entries than this at once: the full build is as quick


@dataclass(frozen=True)
class Snapshot:
    """What the last complete build of an output folder was made from."""

    settings: str
    folders: Mapping[tuple[str, str], FolderStamp]
    products_by_producer: Mapping[str, tuple[str, ...]]
    events_by_product: Mapping[str, tuple[str, ...]]
    events_by_producer: Mapping[str, tuple[str, ...]]
    used: Mapping[str, Sequence[str]]  # codes that have listing pages
    pages: int
    images: int
    patched: frozenset[str] = frozenset()  # files made by quick rebuilds since, outside page keys

    def describes(self, scan: InputScan) -> bool:
        """Made from exactly these inputs."""
        return self.settings == scan.settings and self.folders == scan.folders


def snapshot_key(out_dir: Path) -> str:
    return f"{out_dir.resolve()}#snapshot"


def load_snapshot(cache: BuildCache, out_dir: Path) -> Snapshot | None:
    """None also when the last build had warnings (they must be shown again) or failed."""
    found = cache.get("manifests", snapshot_key(out_dir))
    return found if isinstance(found, Snapshot) else None


def save_snapshot(cache: BuildCache, out_dir: Path, snapshot: Snapshot | None) -> None:
    cache.put_many("manifests", {snapshot_key(out_dir): snapshot})


@dataclass(frozen=True)
class Patched:
    pages: int  # pages of the whole site
    rendered: int
    images: int
    languages: int
    written: list[str]


def try_patch(root: Path, out_dir: Path, scan: InputScan, snapshot: Snapshot | None, cache: BuildCache,
              moment: datetime, link_style: urls.LinkStyle, preview: bool) -> Patched | None:
    """Rebuild by patching the last output, or None when a full build is needed."""
    if snapshot is None or snapshot.settings != scan.settings \
            or snapshot.folders.keys() != scan.folders.keys():
        return None
    changed = [key for key, stamp in scan.folders.items() if snapshot.folders[key] != stamp]
    if not changed or len(changed) > MOST_CHANGED \
            or any(scan.folders[key].others != snapshot.folders[key].others for key in changed):
        return None
    problems = Problems()
    config = load_config(root, problems)
    theme = resolve_theme(config, problems) if config is not None else None
    if config is None or theme is None or problems.items:
        return None
    loading = CachedLoading(cache, config, scan)
    content_root = config.root / "content"
    new: dict[tuple[str, str], Entry] = {}
    wanted: list[tuple[str, str, str]] = []  # (kind, slug, language) of pages to render
    searched: list[tuple[str, str]] = []  # (product, language) of search items to make
    for kind, name in changed:
        old_record = cache.get("records", loading.record_key(kind, name, snapshot.folders[(kind, name)]))
        entry, found = load_checked(config, cast(EntryKind, kind), content_root / ENTRY_SECTIONS[kind] / name)
        if entry is None or found or not old_record or old_record[1] or old_record[0] is None:
            return None
        old: Entry = old_record[0]
        if facts(old) != facts(entry):
            return None
        for lang in config.languages:
            before = shown_text(old, lang, config.source_lang)
            after = shown_text(entry, lang, config.source_lang)
            if (before.text.name, before.text.summary, before.text.lang, before.is_fallback, before.is_stale) != \
                    (after.text.name, after.text.summary, after.text.lang, after.is_fallback, after.is_stale):
                return None  # shown on cards, in feeds and listings
            if before.text.packed_body != after.text.packed_body:
                wanted.append((kind, entry.slug, lang))
                if kind == "product":  # the search index has words of the body shown
                    searched.append((entry.slug, lang))
        new[(kind, entry.slug)] = entry
    site = _neighbourhood(new, snapshot, loading, content_root)
    if site is None:
        return None
    languages = load_languages(config)
    translations = {lang: load_translations(config, lang, problems, cache) for lang in config.languages}
    media = collect_media(site, problems, loading.probe_folder)
    loading.save_measurements()
    if problems.items:
        return None
    views = ViewBuilder(config, site, dict(languages), media, moment, used=snapshot.used)
    renderer = Renderer(config, site, languages, theme, translations, views,
                        fingerprinted(static_files(theme)), style=link_style, preview=preview,
                        fragments=cache)  # for its compiled templates only: no page keys here
    files: dict[str, bytes] = {}
    by_page: dict[tuple[str, str | None, str | None], Page] = {
        (page.kind, page.key, page.lang): page for kind, slug in new
        for page in entry_pages(cast(EntryKind, kind), slug, config.languages)}
    try:
        for kind, slug, lang in wanted:
            page: Page = by_page[(kind, slug, lang)]
            files[page.out_path] = renderer.render(page)
    except RenderError:
        return None
    rendered = frozenset(files)
    for lang in sorted({lang for _, lang in searched}):
        index = _patched_index(out_dir, site, views, lang, [slug for slug, shown in searched if shown == lang])
        if index is None:
            return None
        files[urls.search_index(lang)] = index
    output = IncrementalOutput(out_dir, {})  # nothing to remove: only these files change
    try:
        for out_path, data in sorted(files.items()):
            output.write(out_path, data)
    except BaseException:
        output.discard()
        raise
    output.commit()
    written = output.replaced
    cache.put_many("records", {loading.record_key(kind, name, scan.folders[(kind, name)]): (new[(kind, name)], [])
                               for kind, name in changed})
    save_snapshot(cache, out_dir, replace(snapshot, folders=dict(scan.folders),
                                          patched=snapshot.patched | rendered))
    return Patched(snapshot.pages, len(rendered), snapshot.images, len(config.languages), written)


def _neighbourhood(new: Mapping[tuple[str, str], Entry], snapshot: Snapshot, loading: CachedLoading,
                   content_root: Path) -> Site | None:
    """The edited entries and every entry their pages show, from the cache."""
    needed: set[tuple[str, str]] = set()
    for (kind, slug), entry in new.items():
        if kind == "product":
            needed.add(("producer", getattr(entry, "producer", "")))
            needed.update(("event", e) for e in snapshot.events_by_product.get(slug, ()))
        elif kind == "producer":
            needed.update(("product", p) for p in snapshot.products_by_producer.get(slug, ()))
            needed.update(("event", e) for e in snapshot.events_by_producer.get(slug, ()))
        else:
            needed.update(("product", p) for p in getattr(entry, "products", ()))
            needed.add(("producer", getattr(entry, "organizer", None) or ""))
    needed -= set(new)
    needed = {key for key in needed if key in snapshot.folders}
    records = _records(sorted(needed), snapshot, loading)
    if records is None:
        return None
    tables: dict[str, dict[str, Any]] = {"product": {}, "producer": {}, "event": {}}
    for (kind, slug), entry in list(records.items()) + list(new.items()):
        tables[kind][slug] = entry
    producers_of_shown = {("producer", p.producer) for p in tables["product"].values()} - set(new) - set(records)
    more = _records(sorted(k for k in producers_of_shown if k in snapshot.folders), snapshot, loading)
    if more is None:
        return None
    for (kind, slug), entry in more.items():
        tables[kind][slug] = entry
    return Site(products=dict(sorted(tables["product"].items())),
                producers=dict(sorted(tables["producer"].items())),
                events=dict(sorted(tables["event"].items())),
                products_by_producer=snapshot.products_by_producer,
                events_by_product=snapshot.events_by_product,
                events_by_producer=snapshot.events_by_producer)


def _records(keys: Sequence[tuple[str, str]], snapshot: Snapshot,
             loading: CachedLoading) -> dict[tuple[str, str], Entry] | None:
    wanted = {loading.record_key(kind, name, snapshot.folders[(kind, name)]): (kind, name) for kind, name in keys}
    found = loading.cache.get_many("records", wanted)
    result = {}
    for record_key, (kind, name) in wanted.items():
        hit = found.get(record_key)
        if not hit or hit[0] is None:
            return None
        result[(kind, hit[0].slug)] = hit[0]
    return result


def _patched_index(out_dir: Path, site: Site, views: ViewBuilder, lang: str, slugs: Sequence[str]) -> bytes | None:
    """The last build's search index with the edited products' items made anew.

    Each item is found by its opening bytes and decoded alone, so the rest of the index is
    neither parsed nor encoded again."""
    try:
        data = (out_dir / urls.search_index(lang)).read_bytes()
    except OSError:
        return None
    names = {slug: [t.name for t in site.products[slug].texts.values()] for slug in slugs}
    made: list[dict[str, Any]] = search_index(site, views.for_language(lang), names)["items"]  # type: ignore[assignment]
    fresh = {item["id"]: item for item in made if item["id"] in names}
    text = data.decode("utf-8", errors="replace")
    if not (text.startswith(SCRIPT_PREFIX) and text.endswith(SCRIPT_SUFFIX)):
        return None
    decoder = json.JSONDecoder()
    for slug in slugs:
        opening = '{"id":' + encode(slug) + ","
        start = text.find(opening)
        if start < 0 or text.find(opening, start + 1) >= 0:
            return None
        try:
            old, end = decoder.raw_decode(text, start)
        except ValueError:
            return None
        if encode(old) != text[start:end] or slug not in fresh:
            return None  # not written the way this version writes it: do not guess
        text = text[:start] + encode(fresh[slug]) + text[end:]
    return text.encode("utf-8")
