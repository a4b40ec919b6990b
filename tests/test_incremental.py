"""The build cache: a cached rebuild after any edit gives the same bytes as a cold build, does
work in proportion to the edit, and never leaves anything stale. Parallel equals serial."""

from __future__ import annotations

import hashlib
import io
import multiprocessing.process
import os
import shutil
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pytest
from conftest import NOW, REPO

from catalogue.content.model import EntryKind
from catalogue.build.pipeline import build, load_site
from catalogue.problems import Problems


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def body(site: Path) -> None:
    edit(site / "content/products/che-ta-leng/vi.md", "Dùng nước 85 °C.", "Dùng nước 90 °C.")


def producer_name(site: Path) -> None:
    edit(site / "content/producers/htx-ta-leng/en.md", "name: Ta Leng Cooperative", "name: Ta Leng Tea Cooperative")


def template(site: Path) -> None:
    (site / "templates").mkdir(exist_ok=True)
    base = (REPO / "themes/default/templates/product.html").read_text(encoding="utf-8")
    (site / "templates/product.html").write_text(base.replace("<h1", "<h1 data-edited=\"1\""), encoding="utf-8")


def catalogue_string(site: Path) -> None:
    po = site / "locales/en/LC_MESSAGES/messages.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "Producers"\nmsgstr "Makers"\n', encoding="utf-8")


def site_yaml(site: Path) -> None:
    edit(site / "site.yaml", 'en: "Test Products"', 'en: "Test Catalogue"')


def deleted_product(site: Path) -> None:
    shutil.rmtree(site / "content/products/mac-ca")
    edit(site / "content/events/tu-van-nhat-ban/event.yaml", "[che-ta-leng, mac-ca]", "[che-ta-leng]")


def producer_body(site: Path) -> None:
    edit(site / "content/producers/htx-ta-leng/en.md", "Founded 2015.", "Founded in 2015 by 12 families.")


def event_body(site: Path) -> None:
    edit(site / "content/events/tu-van-nhat-ban/vi.md", "Nội dung.", "Nội dung mới.")


def stamped_source_body(site: Path) -> None:
    """The translation names the source it was made from: a source edit makes it stale."""
    from catalogue.commands.cli import main

    assert main(["i18n", "stamp", "products/che-ta-leng", "en", "--site", str(site)]) == 0
    assert "translation_of:" in (site / "content/products/che-ta-leng/en.md").read_text(encoding="utf-8")
    assert build(site, site.parent / "published", NOW).ok  # the stamp matches: not stale yet
    body(site)


def body_then_name(site: Path) -> None:
    """A quick text-only rebuild followed by an edit that needs the whole build."""
    body(site)
    assert build(site, site.parent / "published", NOW).ok
    edit(site / "content/products/che-ta-leng/en.md", "name: Ta Leng Shan tuyet tea", "name: Ta Leng tea")


def body_there_and_back(site: Path) -> None:
    """A quick rebuild, then the text back as it was and a full build for another reason: the
    page made by the quick rebuild must not pass for the one made from the first text."""
    body(site)
    assert build(site, site.parent / "published", NOW).quick
    edit(site / "content/products/che-ta-leng/vi.md", "Dùng nước 90 °C.", "Dùng nước 85 °C.")
    edit(site / "content/products/mac-ca/vi.md", "name: Hạt mắc ca Tam Đường", "name: Mắc ca Tam Đường")


def body_and_another_name(site: Path) -> None:
    """A text edit in a build that is not a quick one: the entry's own key must change."""
    body(site)
    edit(site / "content/products/mac-ca/vi.md", "name: Hạt mắc ca Tam Đường", "name: Mắc ca Tam Đường")


EDITS: dict[str, Callable[[Path], None]] = {
    "body": body, "producer_name": producer_name, "template": template,
    "catalogue_string": catalogue_string, "site_yaml": site_yaml, "deleted_product": deleted_product,
    "producer_body": producer_body, "event_body": event_body, "stamped_source_body": stamped_source_body,
    "body_then_name": body_then_name, "body_there_and_back": body_there_and_back,
    "body_and_another_name": body_and_another_name,
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_cached_rebuild_equals_a_cold_build(site: Path, tmp_path: Path, name: str) -> None:
    published = site.parent / "published"
    first = build(site, published, NOW)
    assert first.ok and first.rendered == first.pages
    before = snapshot(published)
    EDITS[name](site)
    cached = build(site, published, NOW)
    assert cached.ok, [p.format() for p in cached.problems.sorted()]
    cold = build(site, tmp_path / "cold", NOW, use_cache=False)
    assert cold.ok
    after = snapshot(published)
    assert after == snapshot(tmp_path / "cold")
    assert after != before
    assert cached.quick == (name in ("body", "producer_body", "event_body"))
    assert 0 < cached.rendered < cached.pages or name in ("template", "site_yaml", "catalogue_string",
                                                          "deleted_product")
    if name == "deleted_product":
        assert not (published / "en/products/mac-ca").exists()
        assert not any("mac-ca" in path for path in after)


def test_work_follows_the_edit(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.html")}
    body(site)
    again = build(site, out, NOW)
    # the pages that show the edited text: vi, and ar and ja, which have no translation
    assert again.rendered == 3
    changed = {p.relative_to(out).as_posix() for p, t in stamps.items() if p.stat().st_mtime_ns != t}
    assert changed == {f"{lang}/products/che-ta-leng/index.html" for lang in ("vi", "ar", "ja")}
    assert set(again.written) == changed | {"vi/search-index.js", "ar/search-index.js", "ja/search-index.js"}
    producer_name(site)
    again = build(site, out, NOW)
    rendered = again.rendered
    assert 4 <= rendered < again.pages / 2  # the producer, its products, its events, indexes that list it


def test_nothing_changed_means_nothing_done(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    second = build(site, out, NOW)
    assert second.ok and second.up_to_date
    (out / "en/products/che-ta-leng/index.html").unlink()
    third = build(site, out, NOW)
    assert not third.up_to_date and third.rendered == 1
    assert (out / "en/products/che-ta-leng/index.html").is_file()


def test_the_cache_can_be_deleted_at_any_time(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    shutil.rmtree(site / ".cache")
    body(site)
    assert build(site, out, NOW).ok
    assert (out / "en/index.html").is_file()
    assert build(site, tmp_path / "cold", NOW, use_cache=False).ok
    assert snapshot(out) == snapshot(tmp_path / "cold")


def test_a_damaged_cache_is_started_afresh(site: Path, tmp_path: Path) -> None:
    assert build(site, tmp_path / "out", NOW).ok
    (site / ".cache/catalogue/cache.sqlite").write_bytes(b"not a database")
    for suffix in ("-wal", "-shm"):
        Path(str(site / ".cache/catalogue/cache.sqlite") + suffix).unlink(missing_ok=True)
    body(site)
    assert build(site, tmp_path / "out", NOW).ok


@pytest.mark.slow
def test_parallel_and_serial_builds_are_identical(tmp_path: Path) -> None:
    serial = build(REPO, tmp_path / "serial", NOW, use_cache=False, workers=1)
    parallel = build(REPO, tmp_path / "parallel", NOW, use_cache=False, workers=2)
    assert serial.ok and parallel.ok
    assert snapshot(tmp_path / "serial") == snapshot(tmp_path / "parallel")


def _failing_helpers(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """Make every forked helper fail its first batch in the way `how` says; the main process renders fine."""
    import os

    from catalogue.build import parallel

    main, real = os.getpid(), parallel.render_batch

    def render_batch(job, renderer, indices):  # type: ignore[no-untyped-def]
        if os.getpid() != main:
            if how == "raise":
                raise OSError(28, "No space left on device")
            if how == "die":
                os._exit(3)
            return 0, parallel.RenderFailure("product.html", 7, "UndefinedError: 'nope' is undefined")
        return real(job, renderer, indices)

    monkeypatch.setattr(parallel, "render_batch", render_batch)


def test_a_page_failing_in_a_helper_process_fails_the_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _failing_helpers(monkeypatch, "fail")
    result = build(REPO, tmp_path / "out", NOW, use_cache=False, workers=2)
    assert not result.ok
    assert [(p.path, p.line) for p in result.problems.errors] == [("themes/default/templates/product.html", 7)]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("how, error", [("raise", OSError), ("die", RuntimeError)])
def test_a_helper_process_that_breaks_stops_the_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                      how: str, error: type) -> None:
    _failing_helpers(monkeypatch, how)
    with pytest.raises(error):
        build(REPO, tmp_path / "out", NOW, use_cache=False, workers=2)
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no staging folder left behind


@contextmanager
def _stderr_held_at_a_fork() -> Iterator[list[bool]]:
    """The preview server builds in one thread while another logs requests to stderr. The
    first fork made while the yielded list holds True happens while a thread blocks in a
    flush of stderr: the forked process inherits the lock as taken. The parent gets it back
    once forked."""
    reading, writing = os.pipe()
    stream = io.TextIOWrapper(io.BufferedWriter(io.FileIO(writing, "w"), buffer_size=1 << 20))
    saved = sys.stderr
    sys.stderr = stream
    holders: list[threading.Thread] = []
    armed: list[bool] = []

    def drain() -> None:
        while os.read(reading, 1 << 16):
            pass

    draining = threading.Thread(target=drain, daemon=True)

    def hold() -> None:  # just before the fork: a thread blocks in a flush, the lock taken
        if armed and not holders and sys.stderr is stream:
            stream.write("x" * (1 << 19))
            holders.append(threading.Thread(target=stream.flush, daemon=True))
            holders[0].start()
            time.sleep(0.3)

    def release() -> None:  # in the parent, once forked: the pipe is read, the flush ends
        if holders and not draining.is_alive() and draining.ident is None:
            draining.start()
            holders[0].join()

    os.register_at_fork(before=hold, after_in_parent=release)
    try:
        yield armed
        assert holders, "no process was forked with stderr's lock taken"
    finally:
        armed.clear()
        release()
        sys.stderr = saved
        stream.close()  # the end of the pipe for the draining thread
        if draining.ident is not None:
            draining.join()
        os.close(reading)


def test_helpers_leave_even_when_another_thread_held_stderr_at_the_fork(monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: Path) -> None:
    from catalogue.build import parallel

    stopped: list[int | None] = []
    monkeypatch.setattr(parallel, "HELPER_EXIT_WAIT", 5.0)
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "terminate",
                        lambda self: stopped.append(self.pid) or os.kill(self.pid, 9))
    rendering = parallel._render_with_helpers
    with _stderr_held_at_a_fork() as armed:
        def render_with_helpers(*args, **kwargs):  # type: ignore[no-untyped-def]
            armed.append(True)  # the helper's fork, not another one of the build
            try:
                return rendering(*args, **kwargs)
            finally:
                armed.clear()

        monkeypatch.setattr(parallel, "_render_with_helpers", render_with_helpers)
        assert build(REPO, tmp_path / "out", NOW, use_cache=False, workers=2).ok
    assert stopped == []  # the helper was forked with the lock taken, and left by itself


def _finishes(work: Callable[[], object], seconds: float = 30.0) -> bool:
    """Whether `work` ends in time; forked processes left waiting are killed."""
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        for child in multiprocessing.active_children():
            child.kill()
        return False
    return True


def test_parsing_processes_leave_even_when_another_thread_held_stderr_at_the_fork() -> None:
    from catalogue.build import loading
    from catalogue.config import load_config
    from catalogue.problems import Problems

    config = load_config(REPO, Problems())
    assert config is not None
    folder = next((REPO / "content/products").iterdir())
    work: list[tuple[EntryKind, Path]] = [("product", folder)] * (loading.PARSE_BATCH * 4)
    parsed: list[list[bytes]] = []
    with _stderr_held_at_a_fork() as armed:
        armed.append(True)
        assert _finishes(lambda: parsed.append(list(loading.parsed_folders(config, work, workers=2))))
    assert len(parsed[0]) == len(work)


def test_image_encoders_leave_even_when_another_thread_held_stderr_at_the_fork(tmp_path: Path) -> None:
    from catalogue.site.media import ensure_encoded, is_cached

    loaded = load_site(REPO, Problems(), NOW)
    assert loaded is not None
    images = sorted(loaded.media.images.values(), key=lambda asset: asset.rel_path)[:3]
    assert len(images) == 3
    with _stderr_held_at_a_fork() as armed:
        armed.append(True)
        assert _finishes(lambda: ensure_encoded(images, tmp_path, workers=2))
    assert all(is_cached(tmp_path, asset) for asset in images)


def test_a_template_edit_re_renders_only_the_pages_that_use_it(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    template(site)
    again = build(site, out, NOW)
    assert again.rendered == 2 * 4  # two products, four languages: no other page uses product.html
    assert 'data-edited="1"' in (out / "en/products/mac-ca/index.html").read_text(encoding="utf-8")


def test_a_failed_build_leaves_the_quick_way_open(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    vi = site / "content/products/che-ta-leng/vi.md"
    good = vi.read_text(encoding="utf-8")
    vi.write_text(good.replace("name: Chè Shan tuyết Tả Lèng\n", ""), encoding="utf-8")
    failed = build(site, out, NOW)
    assert not failed.ok and any(p.field == "name" for p in failed.problems.errors)
    vi.write_text(good.replace("Dùng nước 85 °C.", "Dùng nước 90 °C."), encoding="utf-8")
    fixed = build(site, out, NOW)
    assert fixed.ok and fixed.quick
    assert build(site, tmp_path / "cold", NOW, use_cache=False).ok
    assert snapshot(out) == snapshot(tmp_path / "cold")


def test_memory_freed_by_a_big_page_is_given_back() -> None:
    from catalogue.build import parallel

    if parallel._TRIM is None:
        pytest.skip("the C library cannot give memory back on demand")

    def resident() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    pieces = [("card %d " % i) * 300 for i in range(30_000)]  # the cards of a big index page
    pinned = [bytearray(600) for _ in range(100)]  # later allocations keep the heap's top in use
    before = resident()
    del pieces
    parallel.give_back_freed_memory()
    assert before - resident() > 30 << 20
    assert len(pinned) == 100


def test_a_quick_rebuild_takes_the_templates_compiled_by_the_build(site: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import jinja2

    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    body(site)
    compiled: list[str | None] = []
    compile_source = jinja2.Environment.compile

    def counting_compile(self, source, name=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        compiled.append(name)
        return compile_source(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting_compile)
    again = build(site, out, NOW)
    assert again.quick and again.rendered > 0
    assert compiled == []  # the preview's save-to-reload time must not pay for compiling
    assert "90 °C" in (out / "vi/products/che-ta-leng/index.html").read_text(encoding="utf-8")
