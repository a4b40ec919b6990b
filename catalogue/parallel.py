"""Rendering spread over processes. Workers are forked, so they share the loaded site
copy-on-write; each renders its batches of pages and writes them into the staging folder.
The site-wide files (search indexes, feeds, exports, sitemap) are made by the same workers,
beside the pages, and handed back to the main process's writer.
Output is the same bytes whatever the number of processes.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Mapping, Sequence

BATCH = 48
Part = tuple[str, "str | None"]  # a part of the site-wide files: see site_files.site_file_parts
TakeFiles = Callable[[list[tuple[str, bytes]], dict[str, int]], None]


@dataclass(frozen=True)
class RenderJob:
    """Everything a worker needs; inherited through fork, never pickled."""

    loaded: Any  # LoadedSite
    edition: Any  # Edition
    assets: Mapping[str, str]
    staging: Path
    keys: Any = None  # deps.Keys: fingerprints for the fragment cache
    cache: Any = None  # cache.BuildCache, reopened in each worker


@dataclass(frozen=True)
class RenderFailure:
    template: str
    line: int | None
    message: str


_job: RenderJob | None = None  # set in each worker process by _start, and only there
_renderer: Any = None
_cache: Any = None


def _start(job: RenderJob) -> None:
    global _job, _renderer, _cache
    _job = job
    _cache = job.cache.reopen() if job.cache is not None else None
    _renderer = _make_renderer(job, _cache)


def _make_renderer(job: RenderJob, cache: Any) -> Any:
    from catalogue.render import Renderer

    loaded, edition = job.loaded, job.edition
    return Renderer(loaded.config, loaded.site, loaded.languages, loaded.theme, loaded.translations,
                    loaded.views, job.assets, style=edition.link_style, preview=edition.preview,
                    bundle=edition.bundle, fragments=cache, keys=job.keys)


def _render_batch(indices: Sequence[int]) -> tuple[int, RenderFailure | None]:
    assert _job is not None
    return render_batch(_job, _renderer, indices)


def _make_part(part: Part) -> tuple[list[tuple[str, bytes]], dict[str, int]]:
    assert _job is not None
    return make_part(_job, _cache, part)


def make_part(job: RenderJob, cache: Any, part: Part) -> tuple[list[tuple[str, bytes]], dict[str, int]]:
    from catalogue.outputs.site_files import CollectedFiles, write_part

    collected = CollectedFiles()
    sizes = write_part(part[0], part[1], job.loaded, collected, job.edition.languages, job.keys, cache)
    return collected.files, sizes


def render_batch(job: RenderJob, renderer: Any, indices: Sequence[int]) -> tuple[int, RenderFailure | None]:
    from catalogue.render import RenderError

    pages = job.loaded.pages
    for done, index in enumerate(indices):
        page = pages[index]
        try:
            data = renderer.render(page)
        except RenderError as exc:
            return done, RenderFailure(exc.template, exc.line, exc.message)
        target = job.staging.joinpath(*PurePosixPath(page.out_path).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    renderer.flush()
    return len(indices), None


def render_pages(job: RenderJob, indices: Sequence[int], workers: int,
                 progress: Callable[[int, int], None] | None = None,
                 parts: Sequence[Part] = (), take_files: TakeFiles | None = None) -> RenderFailure | None:
    """Render the pages at `indices` and make the site-file `parts`, whose files go to
    `take_files` in the order of `parts`; the first failure, if any, stops the rest."""
    total = len(indices)
    batches = [indices[i:i + BATCH] for i in range(0, total, BATCH)]
    done = 0
    if workers <= 1 or total < BATCH * 2 or "fork" not in multiprocessing.get_all_start_methods():
        renderer = _make_renderer(job, job.cache)
        for batch in batches:
            count, failure = render_batch(job, renderer, batch)
            done += count
            if progress:
                progress(done, total)
            if failure:
                return failure
        for part in parts:
            files, sizes = make_part(job, job.cache, part)
            if take_files is not None:
                take_files(files, sizes)
        return None
    context = multiprocessing.get_context("fork")
    gc.collect()
    gc.freeze()  # the collector must not touch, and so copy, the site the workers inherit
    try:
        return _render_in_workers(job, batches, workers, context, progress, total, parts, take_files)
    finally:
        gc.unfreeze()


def _render_in_workers(job: RenderJob, batches: list[Sequence[int]], workers: int, context: Any,
                       progress: Callable[[int, int], None] | None, total: int,
                       parts: Sequence[Part], take_files: TakeFiles | None) -> RenderFailure | None:
    done = 0
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start,
                             initargs=(job,)) as pool:
        # the big site files first, so that small page batches even out the end
        made = [pool.submit(_make_part, part) for part in parts]
        futures = [pool.submit(_render_batch, batch) for batch in batches]
        try:
            for making in made:
                files, sizes = making.result()
                if take_files is not None:
                    take_files(files, sizes)
            for future in futures:
                count, failure = future.result()
                done += count
                if progress:
                    progress(done, total)
                if failure:
                    for other in futures:
                        other.cancel()
                    return failure
        except BaseException:
            for pending in futures:
                pending.cancel()
            for making in made:
                making.cancel()
            raise
    return None


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


