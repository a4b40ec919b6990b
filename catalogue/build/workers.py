"""Rendering spread over processes. Helpers are forked, so they share the planned pages
copy-on-write; each takes batches of pages from a shared counter, renders them and writes
them into the folder the new build is made in. The main process does its own work meanwhile (the site-wide
files: search indexes, feeds, exports, sitemap), then takes batches too.
Output is the same bytes whatever the number of processes.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from catalogue.build.cache import Store
from catalogue.build.memo import CachedEvaluator
from catalogue.build.memory import keep_alive_objects
from catalogue.build.processes import die_with_parent
from catalogue.build.writer import OutputError, explain, write_file
from catalogue.content.load import BodyChanged
from catalogue.derive import Derived
from catalogue.site.pages import Page
from catalogue.site.render import RenderError, Renderer, RenderSettings

BATCH = 48
BIG_BATCH = 4 << 20  # bytes of pages in a batch past which the memory they took is given back
HELPER_EXIT_WAIT = 60.0  # seconds a finished helper has to exit before it is stopped


@dataclass(frozen=True)
class RenderJob:
    """Everything a helper needs; inherited through fork, never pickled."""

    pages: Sequence[Page]
    settings: RenderSettings
    folder: Path  # where the new build is made
    store: Store  # reopened in each helper, for the stored derived values (rendered bodies)
    envs: Mapping[str, Any] | None = None  # Jinja environments kept by the preview, see warm()


class HelperDied(RuntimeError):
    """A rendering process ended without finishing its work."""


@dataclass(frozen=True)
class RenderFailure:
    template: str
    line: int | None
    message: str


@dataclass
class Helper:
    """What one process renders with: its own renderer, evaluator and cache connection."""

    renderer: Renderer
    evaluator: CachedEvaluator
    lang: str | None = None  # of the pages rendered last


def _make_helper(job: RenderJob, store: Store) -> Helper:
    return Helper(Renderer(job.settings, job.envs), CachedEvaluator(store))


def render_batch(job: RenderJob, helper: Helper, indices: Sequence[int]) -> tuple[int, RenderFailure | None]:
    pages = job.pages
    written = 0
    helper.evaluator.prefetch([item for index in indices for item in stored_parts(pages[index].data)])
    for done, index in enumerate(indices):
        page = pages[index]
        if page.lang != helper.lang:  # pages come a language at a time: the last one's cards are done with
            helper.evaluator.forget()
            helper.lang = page.lang
        try:
            data = helper.evaluator.value_once(page.data) if page.data is not None else {}
            html = helper.renderer.render(page, data)
        except RenderError as exc:
            return done, RenderFailure(exc.template, exc.line, exc.message)
        except BodyChanged as exc:
            return done, RenderFailure(str(exc), None, "the file changed while the build ran; build again")
        try:
            write_file(job.folder, page.out_path, html)
        except OSError as exc:
            raise OutputError(explain(exc, page.out_path)) from None
        written += len(html)
    helper.evaluator.flush()
    if written > BIG_BATCH:
        give_back_freed_memory()
    return len(indices), None


def stored_parts(item: Any) -> list[Derived[Any]]:
    """The stored derived values a value is made of (to look them up in one query)."""
    found: list[Derived[Any]] = []
    todo = [item]
    while todo:
        current = todo.pop()
        if isinstance(current, Derived):
            if current.stored:
                found.append(current)
            todo.extend(current.args)
        elif isinstance(current, tuple):
            todo.extend(current)
    return found


def render_pages(job: RenderJob, indices: Sequence[int], workers: int,
                 progress: Callable[[int, int], None] | None = None,
                 first: Sequence[Callable[[], None]] = ()) -> RenderFailure | None:
    """Render the pages at `indices`; the main process runs `first`, in order, while the
    helpers start on the pages. The first failure, if any, stops the rest."""
    # few pages (a rebuild after one edit): one per batch, so that a helper renders them,
    # compiling each language's templates, while this process makes the site-wide files
    # (with templates compiled already, kept by the preview, a few pages are rendered here:
    # quicker than forking)
    size = BATCH if len(indices) >= BATCH * workers else 1
    batches = [indices[i:i + size] for i in range(0, len(indices), size)]
    if workers <= 1 or len(batches) < 2 and not (first and batches) \
            or job.envs is not None and len(indices) < BATCH \
            or "fork" not in multiprocessing.get_all_start_methods():
        return _render_here(job, batches, progress, len(indices), first)
    warm(job, indices)
    # the collector must not touch, and so copy, the site the helpers inherit; build() releases
    # it. Its garbage is collected first where many pages are to be made: helpers that make a
    # few live a moment, and a collection of the whole heap (30 ms at 10,000 products) would
    # cost more than the little it frees
    keep_alive_objects(collect=size > 1)
    return _render_with_helpers(job, batches, workers - 1, progress, len(indices), first)


def warm(job: RenderJob, indices: Sequence[int]) -> None:
    """Compile the templates the pages need in the environments the preview keeps, before
    forking: helpers inherit them compiled, and so do the preview's next builds. (A template
    that does not compile fails where the page renders.)"""
    if job.envs is None:
        return
    for lang, name in sorted({(job.pages[i].lang or job.settings.config.source_lang, job.pages[i].template)
                              for i in indices}):
        try:
            job.envs[lang].get_template(name)
        except Exception:  # noqa: BLE001 - reported by the render itself
            pass


def _render_here(job: RenderJob, batches: list[Sequence[int]], progress: Callable[[int, int], None] | None,
                 total: int, first: Sequence[Callable[[], None]]) -> RenderFailure | None:
    for work in first:
        work()
    helper = _make_helper(job, job.store)
    done = 0
    for batch in batches:
        count, failure = render_batch(job, helper, batch)
        done += count
        if progress:
            progress(done, total)
        if failure:
            return failure
    return None


class _Batches:
    """The batches still to render, handed out one at a time to whichever process asks."""

    def __init__(self, context: Any, count: int):
        self.count = count
        self.next = context.Value("i", 0)
        self.stopped = context.Value("b", 0)

    def take(self) -> int | None:
        with self.next.get_lock():
            if self.stopped.value or self.next.value >= self.count:
                return None
            taken = int(self.next.value)
            self.next.value = taken + 1
            return taken

    def stop(self) -> None:
        with self.next.get_lock():
            self.stopped.value = 1


def _helper(job: RenderJob, batches: list[Sequence[int]], queue: _Batches, results: Any, parent: int) -> None:
    """A forked process: render batches until none is left, report each one."""
    try:
        die_with_parent(parent)
        store = job.store.reopen()
        helper = _make_helper(job, store)
        while (taken := queue.take()) is not None:
            count, failure = render_batch(job, helper, batches[taken])
            results.send(("done", count, failure))
            if failure:
                queue.stop()
                break
        store.close()
        results.send(("end", 0, None))
    except BaseException as exc:  # noqa: BLE001 - handed to the main process, which raises it
        queue.stop()
        try:
            results.send(("error", 0, exc))
        except Exception:  # an exception that cannot be pickled: its words then
            results.send(("error", 0, RuntimeError(f"{exc.__class__.__name__}: {exc}")))
    finally:
        results.close()
        # Leave at once: the normal exit flushes stdout and stderr, and the build may have
        # been forked from a process whose other thread held their lock at that moment (the
        # preview server's, logging a request); the lock stays taken in the helper forever.
        os._exit(0)


def _render_with_helpers(job: RenderJob, batches: list[Sequence[int]], helpers: int,
                         progress: Callable[[int, int], None] | None, total: int,
                         first: Sequence[Callable[[], None]]) -> RenderFailure | None:
    """The main process works too: it does `first` while the helpers start on the pages,
    then renders batches beside them. One process fewer holds a copy of the site."""
    context = multiprocessing.get_context("fork")
    queue = _Batches(context, len(batches))
    pipes, processes = [], []
    for _ in range(helpers):
        receiving, sending = context.Pipe(duplex=False)
        process = context.Process(target=_helper, args=(job, batches, queue, sending, os.getpid()), daemon=True)
        process.start()
        sending.close()
        pipes.append(receiving)
        processes.append(process)
    done = 0
    failure: RenderFailure | None = None
    problem: BaseException | None = None

    def collect(block: bool) -> None:
        nonlocal done, failure, problem
        for pipe in list(pipes):
            while pipe.poll(None if block else 0):
                try:
                    kind, count, payload = pipe.recv()
                except EOFError:  # the helper died without a word
                    kind, count, payload = "error", 0, HelperDied("a rendering process stopped unexpectedly "
                                                                  "(out of memory?); build again")
                if kind == "done":
                    done += count
                    if progress:
                        progress(done, total)
                    if payload is not None and failure is None:
                        failure = payload
                    continue
                if kind == "error" and problem is None:
                    problem = payload
                pipes.remove(pipe)  # "end" or "error": the helper has finished
                break

    try:
        for work in first:
            work()
            give_back_freed_memory()  # a site-wide file is built whole before it is written
            collect(block=False)
        helper = _make_helper(job, job.store)
        while (taken := queue.take()) is not None:
            count, mine = render_batch(job, helper, batches[taken])
            done += count
            if progress:
                progress(done, total)
            if mine is not None:
                queue.stop()
                failure = failure or mine
                break
            collect(block=False)
        while pipes:
            collect(block=True)
    except BaseException:
        queue.stop()
        raise
    finally:
        for process in processes:
            process.join(timeout=HELPER_EXIT_WAIT)
            if process.is_alive():
                process.terminate()
    if problem is not None:
        raise problem
    return failure


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim = ctypes.CDLL(None).malloc_trim  # GNU libc's; other C libraries have none
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_TRIM = _malloc_trim() if sys.platform.startswith("linux") else None


def give_back_freed_memory() -> None:
    """Hand the memory freed since the last call back to the system.

    A big page (an index of 10,000 cards) is built from many middle-sized strings; once they
    are freed, the C allocator keeps their pages for later use, so each process stayed at the
    size of its biggest page on top of the site, tens of MB more at national scale.
    """
    if _TRIM is not None:
        _TRIM(0)


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


