"""The plan of a build's output: every page and file with the key it is made from, and the
writing of those whose key the last build did not have (rendering them in processes)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from catalogue.build.cache import Store
from catalogue.build.keys import package_key, reference_values, template_closures
from catalogue.build.memo import CachedEvaluator
from catalogue.build.stages import BuildResult, LoadedSite
from catalogue.build.workers import RenderFailure, RenderJob, render_pages
from catalogue.build.writer import Publication
from catalogue.derive import Derived, Evaluator, digest, digest_of
from catalogue.outputs.files import FILE_KINDS, FileOutput, plan_calendars, plan_images, plan_web_files, static_bytes, static_file
from catalogue.problems import Problems
from catalogue.site.edition import Edition
from catalogue.site.media import encode_image
from catalogue.site.pages import Page, Planner, Wanted, everything, plan_pages
from catalogue.site.render import RenderSettings
from catalogue.site.themes import fingerprinted
from catalogue.site.views import language_context

Progress = Callable[[int, int], None]
_PAGE_FIELDS = tuple(f.name for f in dataclasses.fields(Page) if f.name not in ("data", "alternates"))


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
    settings_digest: str  # of everything but the content its keys are made of
    made_of: tuple[Derived[Any], ...] = ()  # stored values the plan itself was made with (template references)


def plan_build(loaded: LoadedSite, edition: Edition, problems: Problems, wanted: Wanted = everything,
               fresh: frozenset[str] | None = None, evaluator: Evaluator | None = None) -> BuildPlan:
    """Every page and file, and its key: a page's is its template's closure, its language's
    settings (site.yaml, UI catalogues, theme files, edition, package) and its data's digest.
    `evaluator`: where the templates' references are looked up (see keys.template_closures)."""
    config, theme = loaded.config, loaded.theme
    statics = dict(theme.statics)
    assets = fingerprinted(statics)
    asset_digest = digest("assets", *(f"{name}={path}" for name, path in sorted(assets.items())))
    settings = digest(package_key(), config.digest, edition.digest, asset_digest)
    contexts = {lang: language_context(config, loaded.languages, lang, loaded.index.listed, settings)
                for lang in config.languages}
    planner = Planner(loaded.index, loaded.site, loaded.media, contexts, edition, wanted, fresh)
    pages = plan_pages(planner, problems)
    sources = {name: _source(path) for name, path in theme.templates.items()}
    references = reference_values(sources)
    closures = template_closures(sources, evaluator, references)
    language_keys = {lang: digest(settings, lang, loaded.catalogues[lang].digest) for lang in config.languages}
    page_keys = []
    alternates: dict[int, str] = {}  # the pages of one entry share one mapping of alternates
    for page in pages:
        lang = page.lang or config.source_lang
        shared = alternates.get(id(page.alternates))
        if shared is None:
            shared = alternates[id(page.alternates)] = digest_of(page.alternates)
        # every field of the page is in its key (its data and alternates by their digests)
        page_keys.append(digest("page", language_keys[lang], closures.get(page.template, "missing"), shared,
                                page.data.digest if page.data is not None else "-",
                                *(digest_of(getattr(page, name)) for name in _PAGE_FIELDS)))
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
    return BuildPlan(pages, page_keys, files, file_keys, static_files, static_keys, render_settings,
                     digest(settings, *(f"{lang}={key}" for lang, key in sorted(language_keys.items())),
                            *(f"{name}={key}" for name, key in sorted(closures.items()))),
                     tuple(references.values()))


def _source(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def write_plan(plan: BuildPlan, publication: Publication, store: Store, workers: int, problems: Problems,
               result: BuildResult, progress: Progress | None = None,
               carried: Mapping[str, str] | None = None, envs: Mapping[str, Any] | None = None) -> None:
    """Render what changed into the publication; keep the rest from the last build.
    `carried`: the outputs a rebuild did not plan, kept with the keys the last build gave them.
    `envs`: Jinja environments made for `plan.settings` and kept by the preview."""
    missing = publication.carry(carried or {})
    if missing is not None:  # the last build's file is gone: plan it all again
        raise MissingOutput(missing)
    todo = [index for index, (page, key) in enumerate(zip(plan.pages, plan.page_keys))
            if not publication.reuse(page.out_path, key)]
    result.pages, result.rendered = len(plan.pages) + len([p for p in (carried or ()) if p.endswith(".html")]), len(todo)
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
    job = RenderJob(plan.pages, plan.settings, publication.folder, store, envs)
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




class MissingOutput(Exception):
    """A file the last build made is no longer there to keep (a rebuild plans everything)."""
