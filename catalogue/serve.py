"""Preview server: build, serve on 127.0.0.1 with live reload, rebuild on every change.

A failed rebuild keeps the last good pages and shows the problems over them, until fixed.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from catalogue.pipeline import BuildResult, build
from catalogue.problems import Problems

PREVIEW_DIR = "_preview"
WATCHED = ("site.yaml", "content", "themes", "locales", "templates", "static")

OVERLAY_JS = r"""/* Preview only: shows build problems over the page until they are fixed. */
(function () {
  "use strict";
  var box = null;
  function show(problems) {
    if (!problems.length) { if (box) { box.remove(); box = null; } return; }
    if (!box) {
      box = document.createElement("section");
      box.id = "catalogue-problems";
      box.setAttribute("role", "alert");
      box.setAttribute("dir", "ltr");
      box.style.cssText = "position:fixed;inset:auto 1rem 1rem 1rem;max-height:60vh;overflow:auto;" +
        "background:#2b0d0d;color:#ffe9e9;font:14px/1.5 ui-monospace,monospace;padding:1rem 1.2rem;" +
        "border-radius:12px;box-shadow:0 10px 40px rgba(0,0,0,.4);z-index:99999;text-align:left";
      document.body.appendChild(box);
    }
    box.textContent = "";
    var h = document.createElement("strong");
    h.textContent = "Build failed: " + problems.length + " problem(s). The page shows the last good build.";
    box.appendChild(h);
    var list = document.createElement("ul");
    list.style.cssText = "margin:.5rem 0 0;padding-left:1.2rem";
    problems.forEach(function (p) {
      var li = document.createElement("li");
      li.textContent = p;
      list.appendChild(li);
    });
    box.appendChild(list);
  }
  function poll() {
    fetch("/_preview/status.json", {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (s) { show(s.problems || []); }).catch(function () {});
  }
  poll();
  setInterval(poll, 1000);
})();
"""

WAITING_HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Preview</title></head>
<body><h1>No preview yet</h1><p>The first build failed; fix the problems shown below.</p>
<script src="/_preview/overlay.js"></script></body></html>
"""


def write_status(out_dir: Path, result: BuildResult) -> None:
    folder = out_dir / PREVIEW_DIR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overlay.js").write_text(OVERLAY_JS, encoding="utf-8")
    errors = [p.format() for p in result.problems.errors] if not result.ok else []
    status = {"ok": result.ok, "problems": errors, "built": time.time()}
    (folder / "status.json").write_text(json.dumps(status, ensure_ascii=False), encoding="utf-8")
    if not (out_dir / "index.html").exists():
        (out_dir / "index.html").write_text(WAITING_HTML, encoding="utf-8")


def rebuild(site: Path, out_dir: Path, now: datetime | None, owned: bool = True) -> BuildResult:
    started = time.perf_counter()
    try:
        result = build(site, out_dir, now, preview=True, replace_any=owned or (out_dir / PREVIEW_DIR).is_dir())
    except Exception as exc:  # the preview must survive anything a half-saved file does
        problems = Problems()
        problems.error("(build)", None, None, f"{exc.__class__.__name__}: {exc}")
        result = BuildResult(problems)
    write_status(out_dir, result)
    stamp = time.strftime("%H:%M:%S")
    if result.ok:
        print(f"[{stamp}] rebuilt {result.pages} pages in {time.perf_counter() - started:.2f} s", flush=True)
    else:
        print(f"[{stamp}] build failed; showing the last good build:", flush=True)
        for problem in result.problems.errors:
            print("  " + problem.format(), flush=True)
    return result


def serve(site: Path, port: int, out: Path | None, now: datetime | None) -> int:
    from livereload import Server

    site = site.resolve()
    temporary = None
    if out is None:
        temporary = Path(tempfile.mkdtemp(prefix="catalogue-preview-"))
        out = temporary / "site"
    out = out.resolve()
    owned = temporary is not None
    rebuild(site, out, now, owned)
    server = Server()
    for name in WATCHED:
        path = site / name
        if path.exists():
            server.watch(str(path), lambda: rebuild(site, out, now, owned), delay=0.05)
    print(f"Preview on http://127.0.0.1:{port}/  (Ctrl+C to stop)", flush=True)
    try:
        server.serve(host="127.0.0.1", port=port, root=str(out), open_url_delay=None,
                     restart_delay=0, live_css=False)
    except KeyboardInterrupt:
        pass
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    print("stopped", file=sys.stderr)
    return 0
