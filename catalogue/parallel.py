"""Rendering spread over processes. Workers are forked, so they share the loaded site
copy-on-write; each renders its batches of pages and writes them into the staging folder.
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


def _start(job: RenderJob) -> None:
    global _job, _renderer
    _job = job
    _renderer = _make_renderer(job, job.cache.reopen() if job.cache is not None else None)


def _make_renderer(job: RenderJob, cache: Any) -> Any:
    from catalogue.render import Renderer

    loaded, edition = job.loaded, job.edition
    return Renderer(loaded.config, loaded.site, loaded.languages, loaded.theme, loaded.translations,
                    loaded.views, job.assets, style=edition.link_style, preview=edition.preview,
                    bundle=edition.bundle, fragments=cache, keys=job.keys)


def _render_batch(indices: Sequence[int]) -> tuple[int, RenderFailure | None]:
    assert _job is not None
    return render_batch(_job, _renderer, indices)


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
                 progress: Callable[[int, int], None] | None = None) -> RenderFailure | None:
    """Render the pages at `indices`; the first failure, if any, stops the rest."""
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
        return None
    context = multiprocessing.get_context("fork")
    gc.collect()
    gc.freeze()  # the collector must not touch, and so copy, the site the workers inherit
    try:
        return _render_in_workers(job, batches, workers, context, progress, total)
    finally:
        gc.unfreeze()


def _render_in_workers(job: RenderJob, batches: list[Sequence[int]], workers: int, context: Any,
                       progress: Callable[[int, int], None] | None, total: int) -> RenderFailure | None:
    done = 0
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start,
                             initargs=(job,)) as pool:
        futures = [pool.submit(_render_batch, batch) for batch in batches]
        try:
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
            for other in futures:
                other.cancel()
            raise
    return None


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


