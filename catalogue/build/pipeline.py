"""build(): config -> load -> link -> plan -> render -> write, problems collected throughout."""

from __future__ import annotations

import gettext
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Mapping

from catalogue.site import urls
from catalogue.config import SiteConfig, load_config
from catalogue.content.link import link_site
from catalogue.content.load import load_content
from catalogue.site.locales import Language, load_languages, load_translations
from catalogue.build.cache import BuildCache
from catalogue.build.heap import collection_paused, keep_alive_objects, release_kept_objects
from catalogue.build.inputs import InputScan, scan_inputs
from catalogue.build.loading import CachedLoading
from catalogue.site.media import MediaIndex, cached_file, collect_media, ensure_encoded
from catalogue.content.model import Site
from catalogue.outputs.site_files import site_file_work
from catalogue.site.plan import LISTING_KINDS, Page, plan_pages
from catalogue.problems import Problems
from catalogue.build.patch import Snapshot, load_snapshot, save_snapshot, try_patch
from catalogue.build.parallel import RenderJob, cpu_count, render_pages
from catalogue.site.themes import Theme, fingerprinted, resolve_theme, static_files
from catalogue.site.views import ViewBuilder
from catalogue.build.deps import add_content_keys, make_keys
from catalogue.build.writer import IncrementalOutput, OutputError, StagedOutput, check_output_folder

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Edition:
    """What one output is: the published site, the preview, or an offline bundle."""

    languages: tuple[str, ...]
    link_style: urls.LinkStyle = "pretty"
    web: bool = True  # sitemap, robots.txt and 404 pages: only where a web server serves them
    preview: bool = False
    bundle: Mapping[str, object] | None = None  # facts for an offline bundle's cover


@dataclass(frozen=True)
class LoadedSite:
    """Everything known before rendering: what `check` validates and `build` renders."""

    config: SiteConfig
    site: Site
    languages: Mapping[str, Language]
    theme: Theme
    translations: Mapping[str, gettext.NullTranslations]
    media: MediaIndex
    pages: list[Page]
    views: ViewBuilder
    now: datetime


@dataclass
class BuildResult:
    problems: Problems
    pages: int = 0
    files: int = 0
    images: int = 0
    encoded: int = 0  # images that were not in the cache
    rendered: int = 0  # pages rendered (the others were unchanged since the last build)
    up_to_date: bool = False  # nothing changed since the last build: nothing was done
    quick: bool = False  # only texts changed: their pages were patched into the last output
    index_bytes: dict[str, int] = field(default_factory=dict)  # search index size per language
    languages: int = 0
    seconds: float = 0.0
    out_dir: Path | None = None
    written: list[str] = field(default_factory=list)
    scan: InputScan | None = None  # what the build read, for a watcher's next build

    @property
    def ok(self) -> bool:
        return not self.problems.has_errors()


def resolve_now(now: datetime | None = None) -> datetime:
    """The build's notion of today: --now, else SOURCE_DATE_EPOCH, else the clock."""
    if now is not None:
        return now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return datetime.now(timezone.utc).replace(microsecond=0)


def load_site(root: Path, problems: Problems, now: datetime | None = None,
              cache: BuildCache | None = None, scan: InputScan | None = None,
              workers: int | None = None) -> LoadedSite | None:
    moment = resolve_now(now)
    config = load_config(root, problems)
    if config is None:
        return None
    theme = resolve_theme(config, problems)
    languages = load_languages(config)
    enabled = cache is not None and cache.enabled
    translations = {lang: load_translations(config, lang, problems, cache if enabled else None)
                    for lang in config.languages}
    loading = CachedLoading(cache if cache is not None else BuildCache(None), config, scan,
                            workers if workers is not None else cpu_count())
    content = load_content(config, problems, loading.load_many)
    site = link_site(content, moment.date(), problems)
    if enabled:
        loading.fetch_measurements(entry for table in (site.products, site.producers, site.events)
                                   for entry in table.values())
    media = collect_media(site, problems, loading.probe_folder if enabled else None)
    loading.save_measurements()
    for product in site.products.values():  # images named in product.yaml must be readable
        for index, name in enumerate(product.images):
            if (product.rel_dir, name) in media.unreadable:
                problems.error(product.data_file(), product.field_lines.get(f"images[{index}]"),
                               f"images[{index}]", f"{name!r} cannot be used (see the image's own problem)")
    views = ViewBuilder(config, site, dict(languages), media, moment)
    used = {name: views.used_codes(name) for name in LISTING_KINDS}
    pages = plan_pages(config, site, used, problems)
    if theme is None:
        return None
    return LoadedSite(config, site, languages, theme, translations, media, pages, views, moment)


def outputs_exist(cache: BuildCache, out_dir: Path) -> bool:
    manifest = cache.manifest(out_dir)
    base = str(out_dir)
    return bool(manifest) and all(os.path.isfile(os.path.join(base, path)) for path in manifest)


def default_cache(root: Path) -> Path:
    return root / ".cache" / "catalogue"


def build(root: Path, out_dir: Path, now: datetime | None = None,
          progress: Progress | None = None, preview: bool = False, replace_any: bool = False,
          cache_dir: Path | None = None, use_cache: bool = True, workers: int | None = None,
          link_style: urls.LinkStyle = "pretty", known: InputScan | None = None,
          dirty: frozenset[tuple[str, str]] | None = None, release_memory: bool = True) -> BuildResult:
    """`known`, `dirty`: see scan_inputs (the preview's watcher knows what it saw change).
    `release_memory=False`: the objects the build kept are left out of collections after it
    too, for a process that ends with it (the command line), whose last collection need not
    scan them."""
    started = time.perf_counter()
    problems = Problems()
    result = BuildResult(problems)
    refusal = check_output_folder(out_dir, root, ours=replace_any)
    if refusal:
        problems.error(str(out_dir), None, None, refusal)
        return result
    scratch = None
    if use_cache:
        cache_root = cache_dir or default_cache(root)
    else:  # --no-cache: work in a throw-away cache, leave the real one alone
        scratch = Path(tempfile.mkdtemp(prefix="catalogue-nocache-"))
        cache_root = scratch
    cache = BuildCache(cache_root if use_cache else None)
    try:
        scan = scan_inputs(root, resolve_now(now), (link_style, preview), known, dirty) if cache.enabled else None
        result.scan = scan
        snapshot = load_snapshot(cache, out_dir) if scan is not None else None
        if scan is not None and snapshot is not None and snapshot.describes(scan) and outputs_exist(cache, out_dir):
            result.out_dir = out_dir
            result.up_to_date = True
            result.seconds = time.perf_counter() - started
            return result
        patched = try_patch(root, out_dir, scan, snapshot, cache, resolve_now(now), link_style, preview) \
            if scan is not None and out_dir.is_dir() else None
        if patched is not None:
            result.out_dir, result.quick = out_dir, True
            result.pages, result.rendered, result.images = patched.pages, patched.rendered, patched.images
            result.languages, result.written = patched.languages, patched.written
            result.files = len(patched.written)
            result.seconds = time.perf_counter() - started
            return result
        jobs = workers if workers is not None else cpu_count()
        with collection_paused():
            loaded = load_site(root, problems, now, cache, scan, jobs)
        keep_alive_objects()
        if loaded is None or problems.has_errors():
            return result
        manifest = cache.manifest(out_dir) if out_dir.is_dir() else {}
        published = dict(manifest)
        for out_path in snapshot.patched if snapshot is not None else ():
            if out_path in manifest:
                manifest[out_path] = "patched"  # made outside the page keys: made again
        output = IncrementalOutput(out_dir, manifest) if manifest else StagedOutput(out_dir)
        try:
            edition = Edition(loaded.config.languages, link_style, web=True, preview=preview)
            cache.forget_manifest(out_dir)  # until the new output is in place
            save_snapshot(cache, out_dir, None)
            write_site(loaded, output, problems, progress, result, edition, cache_root, jobs, cache)
            if problems.has_errors():
                output.discard()
                if manifest:  # the published output is as it was, and so is what describes it
                    cache.save_manifest(out_dir, published)
                    save_snapshot(cache, out_dir, snapshot)
                return result
            output.commit()
            cache.save_manifest(out_dir, output.manifest)
            if scan is not None and not problems.warnings:  # warnings must be shown again next time
                save_snapshot(cache, out_dir, snapshot_of(loaded, scan, result.images))
        except BaseException:
            output.discard()
            raise
    finally:
        cache.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        if release_memory:
            release_kept_objects()
    result.out_dir = out_dir
    result.languages = len(loaded.config.languages)
    result.seconds = time.perf_counter() - started
    return result


def snapshot_of(loaded: LoadedSite, scan: InputScan, images: int) -> Snapshot:
    site = loaded.site
    return Snapshot(scan.settings, dict(scan.folders), site.products_by_producer, site.events_by_product,
                    site.events_by_producer, {name: loaded.views.used_codes(name) for name in LISTING_KINDS},
                    len(loaded.pages), images)


def write_site(loaded: LoadedSite, output: StagedOutput, problems: Problems,
               progress: Progress | None, result: BuildResult, edition: Edition, cache_root: Path,
               workers: int, cache: BuildCache | None = None) -> None:
    statics = static_files(loaded.theme)
    assets = fingerprinted(statics)
    # A full build renders every page: the pages' keys are for the next build, and are made
    # while the pages render (the render processes need only the settings' keys).
    full = not output.reuses
    keys = make_keys(loaded, edition, statics, content=not full)
    total = len(loaded.pages)
    try:
        todo = []
        first: list[Callable[[], None]] = []
        if full:
            for index, page in enumerate(loaded.pages):
                output.claim(page.out_path)
                todo.append(index)
            for lang in edition.languages:  # made here once, and shared with the render processes
                loaded.views.for_language(lang)

            def page_keys() -> None:
                add_content_keys(keys, loaded, edition)
                for page in loaded.pages:
                    output.set_key(page.out_path, keys.page(page, loaded))
            first.append(page_keys)
        else:
            for index, page in enumerate(loaded.pages):
                key = keys.page(page, loaded)
                if not output.reuse(page.out_path, key):
                    output.claim(page.out_path, key)
                    todo.append(index)
        result.rendered = len(todo)
        order = {lang: rank for rank, lang in enumerate(loaded.config.languages)}
        # language by language: a process keeps the cards of one language only
        todo.sort(key=lambda index: (order.get(loaded.pages[index].lang or "", -1), index))
        job = RenderJob(loaded, edition, assets, output.staging, keys, cache,
                        stored=cache is not None and cache.has_rows("fragments"))
        index_bytes: dict[str, int] = {}
        failure = render_pages(job, todo, workers, progress,
                               first + site_file_work(loaded, output, edition.languages, edition.web, index_bytes,
                                                      keys, cache))
        result.index_bytes = index_bytes
        if failure is not None:
            problems.error(_theme_rel(failure.template, loaded), failure.line, None, failure.message)
            return
        for out_path, src in statics.items():
            output.copy(assets[out_path[len("static/"):]], src)
        folders = {e.rel_dir for table in (loaded.site.products, loaded.site.producers, loaded.site.events)
                   for e in table.values()}
        images = [a for (rel_dir, _), a in sorted(loaded.media.images.items()) if rel_dir in folders]
        result.encoded = ensure_encoded(images, cache_root, workers)
        for asset in images:
            for variant in asset.variants:
                if not output.reuse(variant.out_path, asset.digest):  # the content is in the name
                    output.copy(variant.out_path, cached_file(cache_root, asset, variant), asset.digest)
    except OutputError as exc:
        problems.error("(output)", None, None, str(exc))
        return
    result.pages = total
    result.files = len(output.written)
    result.images = len(images)


def _theme_rel(template: str, loaded: LoadedSite) -> str:
    for folder in loaded.theme.template_dirs:
        candidate = folder / template
        if candidate.is_file() or template.startswith(str(folder)):
            path = candidate if candidate.is_file() else Path(template)
            try:
                return path.relative_to(loaded.config.root.resolve()).as_posix()
            except ValueError:
                return str(path)
    return template
