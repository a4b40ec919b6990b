"""Preview server: build, serve on 127.0.0.1 with live reload, rebuild on every change.

A failed rebuild keeps the last good pages and shows the problems over them, until fixed.
Editors also get pages that are never published: /_preview/translations.html (what is
missing or stale, with links to the files) and the source files themselves.
"""

from __future__ import annotations

import html
import json
import logging
import mimetypes
import shutil
import signal
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import unquote

from livereload.watcher import Watcher

from catalogue.build.inputs import entry_folder_of
from catalogue.build.pipeline import BuildResult, build, load_site, prepare_spare
from catalogue.build.recall import Recall
from catalogue.build.writer import read_marker
from catalogue.problems import Problems

PREVIEW = "/_preview/"
WATCHED = ("site.yaml", "content", "themes", "locales", "templates", "static")
SOURCE_SUFFIXES = (".md", ".yaml", ".po")

OVERLAY_JS = r"""/* Preview only: shows build problems over the page until they are fixed. */
(function () {
  "use strict";
  var box = null;
  function line(tag, text, lang, dir) {
    var el = document.createElement(tag);
    el.textContent = text;
    el.lang = lang;
    el.dir = dir;
    el.style.display = "block";
    return el;
  }
  function show(status) {
    var problems = status.problems || [];
    if (!problems.length) { if (box) { box.remove(); box = null; } return; }
    if (!box) {
      box = document.createElement("section");
      box.id = "catalogue-problems";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:auto 1rem 1rem 1rem;max-height:60vh;overflow:auto;" +
        "background:#2b0d0d;color:#ffe9e9;font:15px/1.55 system-ui,'Segoe UI','Noto Sans',Roboto,Arial,sans-serif;" +
        "padding:1rem 1.2rem;border-radius:12px;box-shadow:0 10px 40px rgba(0,0,0,.4);z-index:99999;text-align:start";
      document.body.appendChild(box);
    }
    box.textContent = "";
    (status.heading || []).forEach(function (h, i) {
      var el = line(i ? "span" : "strong", h.text, h.lang, h.dir);
      if (i) { el.style.opacity = ".8"; }
      box.appendChild(el);
    });
    var list = document.createElement("ul");
    list.dir = "ltr";
    list.style.cssText = "margin:.5rem 0 0;padding-inline-start:1.2rem";
    problems.forEach(function (p) {
      var li = document.createElement("li");
      li.textContent = p;
      list.appendChild(li);
    });
    box.appendChild(list);
  }
  function poll() {
    fetch("/_preview/status.json", {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(show).catch(function () {});
  }
  poll();
  setInterval(poll, 1000);
})();
"""

# What the problem box says, in the site's source language (and in English beside it): the
# preview is an editor's tool, apart from the theme's catalogues. {n}: the number of problems.
FAILED = {
    "en": ("Build failed: {n} problem(s).", "The page shows the last good build.",
           "No build has succeeded yet: fix the problems below."),
    "vi": ("Dựng trang thất bại: {n} lỗi.", "Trang đang hiển thị bản dựng thành công gần nhất.",
           "Chưa có bản dựng nào thành công: hãy sửa các lỗi dưới đây."),
    "ar": ("فشل البناء: عدد المشكلات {n}.", "تعرض الصفحة آخر بناء ناجح.",
           "لم ينجح أي بناء بعد: أصلح المشكلات أدناه."),
    "ja": ("ビルドに失敗しました：問題 {n} 件。", "表示中のページは最後に成功したビルドです。",
           "まだ成功したビルドがありません。下の問題を直してください。"),
}
RTL = ("ar", "he", "fa", "ur", "ps", "sd", "ug", "yi", "dv", "ckb")


def failure_heading(lang: str, count: int, had_good_build: bool) -> list[dict[str, str]]:
    """The box's heading: in `lang` where the preview knows it, then in English."""
    lines = []
    for code in dict.fromkeys((lang.split("-")[0], "en")):
        if code in FAILED:
            failed, last_good, none_yet = FAILED[code]
            lines.append({"lang": code, "dir": "rtl" if code in RTL else "ltr",
                          "text": f"{failed.format(n=count)} {last_good if had_good_build else none_yet}"})
    return lines


WAITING_HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Preview</title></head>
<body><h1>No preview yet</h1><p>The first build failed; fix the problems shown below.</p>
<script src="/_preview/overlay.js"></script></body></html>
"""


def rebuild_line(result: BuildResult, seconds: float, stamp: str, had_good_build: bool) -> str:
    """One line per rebuild: what changed, how many pages were made, how long it took."""
    if not result.ok:
        errors = len(result.problems.errors)
        shown = "showing the last good build" if had_good_build else "nothing to show yet"
        return f"[{stamp}] build failed: {errors} problem(s); {shown}"
    if result.up_to_date:
        return f"[{stamp}] up to date ({seconds:.2f} s)"
    changed = result.changed
    what = (", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")) if changed \
        else "site"
    warnings = len(result.problems.warnings)
    return (f"[{stamp}] rebuilt {what}: {result.rendered} of {result.pages} pages rendered in {seconds:.2f} s"
            + (f"; {warnings} warning(s)" if warnings else ""))


class Preview:
    """The preview's state: where the pages are, and what the last build said."""

    def __init__(self, site: Path, out_dir: Path, now: datetime | None, owned: bool):
        self.site = site
        self.out_dir = out_dir
        self.now = now
        self.owned = owned
        self.result: BuildResult | None = None
        self.had_good_build = False  # whether the folder served holds a build at all
        self.source_lang = "en"
        self.lock = threading.Lock()
        self.recall = Recall()  # what the rebuilds keep in memory, one after the other

    def rebuild(self, changed: Iterable[Path] | None = None, quiet: bool = False,
                on_published: Callable[[], None] | None = None) -> BuildResult:
        """`changed`: the files a watcher saw change; when all are inside entry folders, the
        other folders keep the stamps of the last scan. `quiet`: say nothing if nothing changed.
        `on_published`: called once the new pages are in place (the cache is kept after)."""
        started = time.perf_counter()
        with self.lock:
            known = self.result.scan if self.result is not None else None
            dirty = self._dirty(changed) if known is not None else None

            def published() -> None:  # the pages are new and good: what the browsers ask says so
                self.result = BuildResult(Problems(), scan=self.result.scan if self.result else None)
                if on_published is not None:
                    on_published()
            try:
                # a folder of ours carries the writer's marker: nothing else vouches for one
                result = build(self.site, self.out_dir, self.now, preview=True, replace_any=self.owned,
                               known=known, dirty=dirty, recall=self.recall, on_published=published)
                if result.ok:
                    self.had_good_build = True
            except Exception as exc:  # a half-saved file must never stop the preview
                problems = Problems()
                problems.error("(build)", None, None, f"{exc.__class__.__name__}: {exc}")
                result = BuildResult(problems)
            self.result = result
        if quiet and result.up_to_date:
            return result
        print(rebuild_line(result, time.perf_counter() - started, time.strftime("%H:%M:%S"), self.had_good_build),
              flush=True)
        for problem in result.problems.errors if not result.ok else ():
            print("  " + problem.format(), flush=True)
        return result

    def prepare_spare(self) -> bool:
        """After the first build: the folder its next rebuild brings up to date (see
        pipeline.prepare_spare), made while the editor reads the pages. A first rebuild into
        a new folder would link every published file first (seconds at 10,000 products); a
        save meanwhile waits for it, and is then as quick as any."""
        with self.lock:
            if self.result is None or not self.result.ok:
                return False
            try:
                return prepare_spare(self.site, self.out_dir, recall=self.recall)
            except Exception as exc:  # noqa: BLE001 - only a quicker first save is lost; never a traceback
                print(f"serve: no spare folder made ({exc.__class__.__name__}: {exc}); the first save takes longer",
                      file=sys.stderr, flush=True)
                return False

    def _dirty(self, changed: Iterable[Path] | None) -> frozenset[tuple[str, str]] | None:
        if changed is None:
            return None
        folders = set()
        for path in changed:
            folder = entry_folder_of(self.site, Path(path))
            if folder is None:
                return None  # settings, templates, a new or removed folder: scan everything
            folders.add(folder)
        return frozenset(folders)

    def status(self) -> dict[str, Any]:
        result = self.result
        errors = [p.format() for p in result.problems.errors] if result and not result.ok else []
        return {"ok": bool(result and result.ok), "problems": errors, "last_good": self.had_good_build,
                "heading": failure_heading(self.source_lang, len(errors), self.had_good_build) if errors else []}

    # --- the WSGI application ---------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = unquote(environ.get("PATH_INFO", "/"))
        if not loopback_host(environ.get("HTTP_HOST", "")):
            # another site's page that made its name point at 127.0.0.1 (DNS rebinding) must
            # not read the preview, its sources or its report
            status, content_type, body = "403 Forbidden", "text/plain; charset=utf-8", \
                b"the preview answers only to http://127.0.0.1 and http://localhost\n"
        elif "\x00" in path:
            status, content_type, body = "400 Bad Request", "text/plain; charset=utf-8", b"bad address\n"
        elif path.startswith(PREVIEW):
            status, content_type, body = self.preview_page(path[len(PREVIEW):])
        else:
            status, content_type, body = self.output_file(path)
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body))),
                                ("Cache-Control", "no-store")])
        return [body]

    def output_file(self, path: str) -> tuple[str, str, bytes]:
        target = _inside(self.out_dir, path.lstrip("/"))
        if target is not None and target.is_dir():
            target = target / "index.html"
        if target is None or not target.is_file():
            if not (self.out_dir / "index.html").is_file():
                return "200 OK", "text/html; charset=utf-8", WAITING_HTML.encode()
            missing = self.out_dir / "404.html"
            body = missing.read_bytes() if missing.is_file() else b"not found"
            return "404 Not Found", "text/html; charset=utf-8", body
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "image/svg+xml"):
            content_type += "; charset=utf-8"
        return "200 OK", content_type, target.read_bytes()

    def preview_page(self, name: str) -> tuple[str, str, bytes]:
        if name == "status.json":
            return "200 OK", "application/json", json.dumps(self.status(), ensure_ascii=False).encode()
        if name == "overlay.js":
            return "200 OK", "application/javascript; charset=utf-8", OVERLAY_JS.encode()
        if name in ("", "translations.html"):
            return "200 OK", "text/html; charset=utf-8", self.translation_page().encode()
        if name.startswith("source/"):
            target = _inside(self.site, name[len("source/"):])
            if target is not None and target.is_file() and target.suffix in SOURCE_SUFFIXES:
                return "200 OK", "text/plain; charset=utf-8", target.read_bytes()
        return "404 Not Found", "text/plain; charset=utf-8", b"not found"

    def translation_page(self) -> str:
        from catalogue.commands.report import build_report

        problems = Problems()
        loaded = load_site(self.site, problems, self.now)
        if loaded is None:
            return _page("Translations", "<p>The site cannot be loaded; see the problems.</p>"
                         "<script src='/_preview/overlay.js'></script>")
        report = build_report(loaded.config, loaded.site, loaded.theme, problems)
        return render_translation_report(report)


def render_translation_report(report: Any) -> str:
    """The editors' report as one self-contained HTML page."""
    esc = html.escape
    parts = ["<h1>Translation status</h1>",
             "<p>Not published. <strong>missing</strong>: no file yet; <strong>stale</strong>: the source "
             "text changed after the translation was stamped; <strong>untracked</strong>: no "
             "<code>translation_of</code> yet. After checking a translation, run "
             "<code>python build.py i18n stamp products/SLUG LANG</code>.</p>",
             "<h2>Summary</h2><table><thead><tr><th scope='col'>Language</th>"]
    statuses = ("translated", "untracked", "stale", "missing")
    parts += [f"<th scope='col'>{s}</th>" for s in statuses] + ["<th scope='col'>UI strings</th></tr></thead><tbody>"]
    for lang, counts in report.counts().items():
        parts.append(f"<tr><th scope='row'>{esc(lang)}</th>" + "".join(f"<td>{counts[s]}</td>" for s in statuses)
                     + f"<td>{report.ui_coverage.get(lang, 100.0):.1f}%</td></tr>")
    parts.append("</tbody></table><h2>Entries needing work</h2>")
    todo = [e for e in report.entries if e.status != "translated"]
    if not todo:
        parts.append("<p>Everything is translated and up to date.</p>")
    else:
        parts.append("<table><thead><tr><th scope='col'>Entry</th><th scope='col'>Language</th>"
                     "<th scope='col'>Status</th><th scope='col'>Files</th></tr></thead><tbody>")
        for item in todo:
            translation = (f"<a href='/_preview/source/{esc(item.file)}'>{esc(item.file)}</a>"
                           if item.status != "missing" else f"{esc(item.file)} (to create)")
            parts.append(f"<tr class='{item.status}'><td>{esc(item.kind)}/{esc(item.slug)}</td>"
                         f"<td>{esc(item.lang)}</td><td>{item.status}</td><td>{translation}<br>"
                         f"source: <a href='/_preview/source/{esc(item.source_file)}'>{esc(item.source_file)}</a>"
                         f" (hash {esc(item.source_hash)})</td></tr>")
        parts.append("</tbody></table>")
    return _page("Translation status", "".join(parts))


def _page(title: str, body: str) -> str:
    style = ("body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1c2421}"
             "table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border-bottom:1px solid #dde3df;"
             "padding:.35rem .5rem;text-align:start;vertical-align:top}.stale td{background:#fbe9e1}"
             ".missing td{background:#f6ecd4}code{background:#eef3f0;padding:0 .2em}")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>{body}</body></html>")


class ChangeWatcher(Watcher):
    """Rebuilds as soon as the operating system reports a change (inotify and the like, through
    watchfiles), then tells the browsers to reload: no polling interval, no reload throttle."""

    def __init__(self, paths: list[Path], rebuild: Callable[..., Any]):
        super().__init__()
        self.paths = paths
        self.rebuild = rebuild
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        for path in paths:  # known to livereload too, which otherwise adds the working folder
            super().watch(str(path))

    def start(self, callback: Callable[[], None]) -> bool:
        from tornado.ioloop import IOLoop

        loop = IOLoop.current()
        self.thread = threading.Thread(target=self._run, args=(loop,), name="watcher", daemon=True)
        self.thread.start()
        return True  # livereload must not poll

    def _run(self, loop: Any) -> None:
        from livereload.handlers import LiveReloadHandler
        from watchfiles import watch

        polling = False
        caught_up = False
        while not self.stopping.is_set():
            try:
                # an empty set every 200 ms without changes: the first says the watch has begun;
                # a change is given once 20 ms pass without another (a save's writes come
                # together), or 400 ms after it at most
                for changes in watch(*self.paths, debounce=400, step=20, stop_event=self.stopping,
                                     raise_interrupt=False, force_polling=polling or None,
                                     rust_timeout=200, yield_on_timeout=True):
                    if not changes:
                        if not caught_up:  # a save made before the watch began was not reported
                            caught_up = True
                            if not self.rebuild(None, quiet=True).up_to_date:
                                loop.add_callback(LiveReloadHandler.reload_waiters)
                        continue
                    told = []

                    def reload() -> None:  # as soon as the pages are there
                        told.append(True)
                        tell(loop, LiveReloadHandler.reload_waiters)
                    self.rebuild(sorted(Path(path) for _, path in changes), on_published=reload)
                    if not told:  # failed: the browsers show the problems
                        loop.add_callback(LiveReloadHandler.reload_waiters)
                return
            except (OSError, RuntimeError) as exc:  # e.g. the system's limit of watched folders
                if polling:
                    raise
                reason = str(exc).split(". ")[0]
                print(f"serve: the system cannot report changes ({reason}); looking for them every 0.3 s instead",
                      file=sys.stderr, flush=True)
                polling = True

    def stop(self) -> None:
        self.stopping.set()


def tell(loop: Any, send: Callable[[], None], wait: float = 1.0) -> None:
    """Have the server's loop send the browsers their reload, and wait until it has (or
    `wait` seconds): the rebuild then keeps its cache, which would otherwise hold the
    interpreter while the loop sends (50 ms of every save's reload, at 10,000 products)."""
    sent = threading.Event()

    def send_then_say() -> None:
        try:
            send()
        finally:
            sent.set()
    loop.add_callback(send_then_say)
    sent.wait(wait)


_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def loopback_host(host: str) -> bool:
    """Whether a request's Host header names this machine's loopback address (with any port)."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[: name.find("]") + 1] if "]" in name else name
    else:
        name = name.split(":", 1)[0]
    return name in _LOOPBACK_NAMES or name.endswith(".localhost")


def _warnings_only(record: "logging.LogRecord") -> bool:
    return record.levelno >= logging.WARNING


def _source_language(site: Path) -> str:
    """The site's source language, for the problem box (English where site.yaml says none)."""
    from catalogue.config import load_config

    config = load_config(site, Problems())
    return config.source_lang if config is not None else "en"


def _inside(root: Path, rel: str) -> Path | None:
    """`root/rel`, or None when `rel` tries to leave `root`."""
    base = root.resolve()
    target = (base / rel).resolve()
    return target if target == base or target.is_relative_to(base) else None


def serve(site: Path, port: int, out: Path | None, now: datetime | None, verbose: bool = False) -> int:
    import logging

    from livereload import Server

    if not verbose:  # the web server's log is noise next to one line per rebuild
        # a filter, not a level: livereload sets its logger's level to INFO when it starts
        for name in ("livereload", "tornado.access", "tornado.application", "tornado.general"):
            logging.getLogger(name).addFilter(_warnings_only)

    site = site.resolve()
    temporary = None
    if out is None:
        temporary = Path(tempfile.mkdtemp(prefix="catalogue-preview-"))
        out = temporary / "site"
    import socket
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            port = probe.getsockname()[1]  # --port 0: the free port the system chose
        except OSError:
            print(f"serve: port {port} is in use (another preview?); choose another with --port", file=sys.stderr)
            if temporary is not None:
                shutil.rmtree(temporary, ignore_errors=True)
            return 2
    preview = Preview(site, out.resolve(), now, owned=temporary is not None)
    preview.source_lang = _source_language(site)
    preview.had_good_build = (read_marker(out) or {}).get("complete") is True  # a finished build
    preview.rebuild()
    spare = threading.Thread(target=preview.prepare_spare, name="spare", daemon=True)
    spare.start()
    watcher = ChangeWatcher([site / name for name in WATCHED if (site / name).exists()], preview.rebuild)
    server = Server(app=preview, watcher=watcher)
    print(f"Preview on http://127.0.0.1:{port}/  (translation report: "
          f"http://127.0.0.1:{port}/_preview/translations.html; Ctrl+C to stop)", flush=True)
    def stop(signum: int, frame: object) -> None:  # as Ctrl+C: the temporary folder goes too
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop) if threading.current_thread() is threading.main_thread() else None
    try:
        server.serve(host="127.0.0.1", port=port, open_url_delay=None, restart_delay=0, live_css=False,
                     debug=False)
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        watcher.stop()
        if temporary is not None:
            spare.join(timeout=120)  # a spare still being made would go on filling the folder removed
            shutil.rmtree(temporary, ignore_errors=True)
    print("stopped", file=sys.stderr)
    return 0
