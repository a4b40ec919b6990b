"""build(): config -> load -> validate -> link -> plan -> render -> write, problems collected
throughout. The build cache is one seam (memo.py) around loading and rendering: with it or
without it (--no-cache), build() reads the same and makes the same bytes."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Mapping

from catalogue.build import memory
from catalogue.build.cache import Store
from catalogue.build.inputs import InputScan, scan_inputs
from catalogue.build.keys import package_key, template_closures
from catalogue.build.memo import CachedEvaluator, CachedMedia, CachedRecords, known_digests, remember_digests
from catalogue.build.workers import HelperDied, RenderFailure, RenderJob, cpu_count, render_pages
from catalogue.build.writer import (Manifest, OutputError, OutputLock, Publication, check_output_folder, explain,
                                    manifest_keys)
from catalogue.config import SiteConfig, load_config
from catalogue.content.link import link_site
from catalogue.content.load import BodyChanged, load_content
from catalogue.content.model import Site
from catalogue.content.validate import validate
from catalogue.derive import Derived, digest, digest_of
from catalogue.outputs.files import (FILE_KINDS, FileOutput, plan_calendars, plan_images, plan_web_files,
                                     static_file, static_bytes)
from catalogue.problems import Problems
from catalogue.site import urls
from catalogue.site.edition import Edition
from catalogue.site.index import SiteIndex, index_site
from catalogue.site.locales import Catalogues, Language, load_languages, load_translations
from catalogue.site.media import EntryMedia, ImageChanged, encode_image
from catalogue.site.pages import Page, Planner, plan_pages
from catalogue.site.render import RenderSettings
from catalogue.site.themes import Theme, fingerprinted, resolve_theme
from catalogue.site.views import LanguageContext, language_context

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class LoadedSite:
    """Everything known before planning: what `check` validates and `build` renders."""

    config: SiteConfig
    site: Site
    index: SiteIndex
    media: Mapping[tuple[str, str], EntryMedia]
    languages: Mapping[str, Language]
    theme: Theme
    catalogues: Mapping[str, Catalogues]
    now: datetime


@dataclass
class BuildResult:
    problems: Problems
    pages: int = 0
    files: int = 0  # files written (the others were kept from the last build)
    images: int = 0
    encoded: int = 0  # images resized (the others came from the cache)
    rendered: int = 0  # pages rendered (the others were unchanged since the last build)
    up_to_date: bool = False  # nothing changed since the last build: nothing was done
    languages: int = 0
    seconds: float = 0.0
    out_dir: Path | None = None
    written: list[str] = field(default_factory=list)
    scan: InputScan | None = None  # what the build read, for a watcher's next build
    index_bytes: dict[str, int] = field(default_factory=dict)  # search index size per language

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


def default_cache(root: Path) -> Path:
    return root / ".cache" / "catalogue"


def scan_site(root: Path, store: Store, options: str = "", previous: InputScan | None = None,
              dirty: frozenset[tuple[str, str]] | None = None) -> InputScan:
    scan = scan_inputs(root, f"{package_key()}|{options}", lambda labels: known_digests(store, labels),
                       previous, dirty)
    remember_digests(store, scan.fresh)
    return scan


def load_site(root: Path, problems: Problems, now: datetime | None = None, store: Store | None = None,
              scan: InputScan | None = None, workers: int = 1) -> LoadedSite | None:
    """config -> load -> link -> validate; None when the site cannot be checked further."""
    moment = resolve_now(now)
    store = store if store is not None else Store(None)
    config = load_config(root, problems)
    if config is None:
        return None
    theme = resolve_theme(config, problems)
    languages = load_languages(config)
    catalogues = {lang: load_translations(config, lang, problems) for lang in config.languages}
    scan = scan if scan is not None else scan_site(root, store)
    digests = {key: folder.digest for key, folder in scan.folders.items()}
    content = load_content(config, digests, problems, CachedRecords(store, config, workers).load)
    site = link_site(content)
    entries = [e for table in (site.products, site.producers, site.events) for e in table.values()]
    media = CachedMedia(store, config.root).measure(entries, problems)
    validate(content, moment.date(), {key: m.unreadable for key, m in media.items()}, problems)
    if theme is None:
        return None
    return LoadedSite(config, site, index_site(site, moment), media, languages, theme, catalogues, moment)


@dataclass(frozen=True)
class BuildPlan:
    """Every file of one edition, each with the key it is made from."""

    pages: list[Page]
    page_keys: list[str]
    files: list[FileOutput]
    file_keys: list[str]
    statics: Mapping[str, tuple[Path, Path]]  # out_path -> (file, its folder)
    static_keys: Mapping[str, str]
    settings: RenderSettings


def plan_build(loaded: LoadedSite, edition: Edition, problems: Problems) -> BuildPlan:
    """Every page and file, and its key: a page's is its template's closure, its language's
    settings (site.yaml, UI catalogues, theme files, edition, package) and its data's digest."""
    config, theme = loaded.config, loaded.theme
    statics = dict(theme.statics)
    assets = fingerprinted(statics)
    asset_digest = digest("assets", *(f"{name}={path}" for name, path in sorted(assets.items())))
    settings = digest(package_key(), config.digest, edition.digest, asset_digest)
    contexts = {lang: language_context(config, loaded.languages, lang, loaded.index.listed, settings)
                for lang in config.languages}
    planner = Planner(loaded.index, loaded.media, contexts, edition)
    pages = plan_pages(planner, problems)
    closures = template_closures({name: _source(path) for name, path in theme.templates.items()})
    language_keys = {lang: digest(settings, lang, loaded.catalogues[lang].digest) for lang in config.languages}
    page_keys = []
    for page in pages:
        lang = page.lang or config.source_lang
        page_keys.append(digest("page", language_keys[lang], closures.get(page.template, "missing"), page.out_path,
                                digest_of(page.alternates), page.number, page.pages,
                                page.data.digest if page.data is not None else "-"))
    files = [item for _, plan in FILE_KINDS for item in plan(planner, config)]
    files += list(plan_calendars(planner, config, loaded.now.date()))
    files += list(plan_web_files(pages, planner, config))
    files += list(plan_images(planner))
    file_keys = [digest("file", settings, item.out_path, item.content.digest) for item in files]
    static_files = {}
    static_keys = {}
    for out_path, path in statics.items():
        folder = next((d for d in theme.static_dirs if path.is_relative_to(d)), path.parent)
        fingerprinted_path = assets[out_path[len("static/"):]]
        static_files[fingerprinted_path] = (path, folder)
        static_keys[fingerprinted_path] = static_file(path, folder).digest
    render_settings = RenderSettings(config, loaded.languages, theme,
                                     {lang: c.translations for lang, c in loaded.catalogues.items()}, assets, edition)
    return BuildPlan(pages, page_keys, files, file_keys, static_files, static_keys, render_settings)


def _source(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def write_plan(plan: BuildPlan, publication: Publication, store: Store, workers: int, problems: Problems,
               result: BuildResult, progress: Progress | None = None) -> None:
    """Render what changed into the publication; keep the rest from the last build."""
    todo = [index for index, (page, key) in enumerate(zip(plan.pages, plan.page_keys))
            if not publication.reuse(page.out_path, key)]
    result.pages, result.rendered = len(plan.pages), len(todo)
    order = {lang: rank for rank, lang in enumerate(plan.settings.config.languages)}
    todo.sort(key=lambda index: (order.get(plan.pages[index].lang or "", -1), index))  # a language at a time
    evaluator = CachedEvaluator(store)
    files = [(item, key) for item, key in zip(plan.files, plan.file_keys) if not publication.reuse(item.out_path, key)]

    def site_files() -> None:
        evaluator.prefetch([part for item, _ in files for part in item.content.args
                            if isinstance(part, Derived)] +
                           [sub for item, _ in files for part in item.content.args if isinstance(part, tuple)
                            for sub in part if isinstance(sub, Derived)])
        for item, _ in files:
            data = evaluator.value_once(item.content)
            publication.write(item.out_path, data)
            if item.out_path.endswith("search-index.js"):
                result.index_bytes[item.out_path.split("/", 1)[0]] = len(data)
        evaluator.flush()

    evaluator.compute_many([item.content.args[0] for item, _ in files if item.out_path.startswith("media/")], workers)
    job = RenderJob(plan.pages, plan.settings, publication.folder, store)
    failure = render_pages(job, todo, workers, progress, [site_files])
    if failure is not None:
        problems.error(_shown_template(failure, plan), failure.line, None, failure.message)
        return
    for out_path, (path, folder) in plan.statics.items():
        if not publication.reuse(out_path, plan.static_keys[out_path]):
            publication.write(out_path, static_bytes_of(path, folder))
    result.images = len({item.content.args[0].digest for item in plan.files if item.out_path.startswith("media/")})
    result.encoded = evaluator.made.get(f"{encode_image.__module__}.{encode_image.__qualname__}", 0)
    result.written = sorted(publication.written)
    result.files = len(publication.written)


def static_bytes_of(path: Path, folder: Path) -> bytes:
    return static_bytes(static_file(path, folder))


def _shown_template(failure: RenderFailure, plan: BuildPlan) -> str:
    root = plan.settings.config.root
    path = plan.settings.theme.templates.get(failure.template)
    if path is None:
        return failure.template
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def open_store(root: Path, use_cache: bool, cache_dir: Path | None) -> tuple[Store, Path | None]:
    """The build cache, or with --no-cache a store that holds nothing (and a folder to drop)."""
    if use_cache:
        return Store(cache_dir or default_cache(root)), None
    return Store(None), None


def build(root: Path, out_dir: Path, now: datetime | None = None, progress: Progress | None = None,
          preview: bool = False, replace_any: bool = False, cache_dir: Path | None = None, use_cache: bool = True,
          workers: int | None = None, link_style: urls.LinkStyle = "pretty", known: InputScan | None = None,
          dirty: frozenset[tuple[str, str]] | None = None, release_memory: bool = True) -> BuildResult:
    """Build the site at `root` into `out_dir`. `known`, `dirty`: see scan_inputs (the preview's
    watcher knows what it saw change). `release_memory=False`: the objects kept out of the
    garbage collector stay out after the build (a process that ends with it)."""
    started = time.perf_counter()
    problems = Problems()
    result = BuildResult(problems, out_dir=out_dir)
    refusal = check_output_folder(out_dir, root, ours=replace_any)
    if refusal:
        problems.error(str(out_dir), None, None, refusal)
        return result
    store, _ = open_store(root, use_cache, cache_dir)
    jobs = workers if workers is not None else cpu_count()
    edition_options = f"{link_style}|{preview}"
    try:
        with OutputLock(out_dir):
            published_key, spare_key = manifest_keys(out_dir)
            found = store.get_many("outputs", (published_key, spare_key))
            published, spare = Manifest.decode(found.get(published_key)), Manifest.decode(found.get(spare_key))
            stamp_key = f"{published_key}#inputs"
            scan = result.scan = scan_site(root, store, edition_options, known, dirty)
            if published is not None and store.get("outputs", stamp_key) == f"{published.build}:{scan.stamp}".encode() \
                    and Publication.is_current(out_dir, published):
                result.up_to_date = True
                return result
            with memory.collection_paused():
                loaded = load_site(root, problems, now, store, scan, jobs)
            memory.keep_alive_objects()
            if loaded is None or problems.has_errors():
                return result
            edition = Edition(loaded.config.languages, link_style, web=True, preview=preview)
            plan = plan_build(loaded, edition, problems)
            if problems.has_errors():
                return result
            publication = Publication(out_dir, published, spare)
            try:
                write_plan(plan, publication, store, jobs, problems, result, progress)
                if problems.has_errors():
                    publication.discard()
                    return result
                publication.publish()
            except BaseException:
                publication.discard()
                raise
            store.put_many("outputs", {published_key: publication.new.encode(),
                                       spare_key: (publication.published or Manifest("")).encode()})
            if not problems.warnings:  # a build with warnings is not "up to date": they are shown again
                store.put_many("outputs", {stamp_key: f"{publication.build}:{scan.stamp}".encode()})
            else:
                store.delete("outputs", [stamp_key])
            result.languages = len(loaded.config.languages)
    except OutputError as exc:
        problems.error(str(out_dir), None, None, str(exc))
    except (BodyChanged, ImageChanged) as exc:
        problems.error(str(exc), None, None, "the file changed while the build ran; build again")
    except OSError as exc:
        problems.error(str(out_dir), None, None, explain(exc, getattr(exc, "filename", None) or out_dir))
    except HelperDied as exc:
        problems.error(str(out_dir), None, None, str(exc))
    finally:
        for line in store.report():
            problems.warning("(build cache)", None, None, line)
        store.close()
        if release_memory:
            memory.release_kept_objects()
        result.seconds = time.perf_counter() - started
    return result
