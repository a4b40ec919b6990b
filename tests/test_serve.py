"""The preview server, as an editor uses it: real process, real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import NOW, REPO

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the preview")


@pytest.fixture
def server(site: Path, tmp_path: Path):
    port = free_port()
    log = (tmp_path / "serve.log").open("w", buffering=1)
    process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "serve", "--port", str(port),
                                "--now", "2026-11-29"], cwd=site, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_for(lambda: get(base + "en/")[0] == 200)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def status(base: str) -> dict:
    return json.loads(get(base + "_preview/status.json")[1])


def test_rebuilds_after_an_edit_and_serves_the_new_text(server: str, site: Path) -> None:
    code, body = get(server + "en/products/che-ta-leng/")
    assert code == 200 and "Green tea from ancient trees." in body
    assert "livereload.js" in body and "/_preview/overlay.js" in body
    en = site / "content/products/che-ta-leng/en.md"
    en.write_text(en.read_text(encoding="utf-8").replace("ancient trees", "hundred-year-old trees"),
                  encoding="utf-8")
    wait_for(lambda: "hundred-year-old trees" in get(server + "en/products/che-ta-leng/")[1])


def test_broken_content_shows_problems_then_recovers(server: str, site: Path) -> None:
    data = site / "content/products/che-ta-leng/product.yaml"
    good = data.read_text(encoding="utf-8")
    data.write_text(good.replace('hs_code: "0902.10"', "hs_code: 0902.10"), encoding="utf-8")
    expected = ["content/products/che-ta-leng/product.yaml:6: hs_code: must be text, not the number "
                "902.1 (YAML read 0902.10 as the number 902.1, losing characters); write it in quotes: "
                'hs_code: "0902.10"']
    # a save can reach the watcher in two parts (emptied, then written): wait for the whole file's build
    wait_for(lambda: status(server)["problems"] == expected)
    assert not status(server)["ok"]
    # said in the site's source language (vi), with English beside it
    assert status(server)["heading"] == [
        {"lang": "vi", "dir": "ltr", "text": "Dựng trang thất bại: 1 lỗi. Trang đang hiển thị bản dựng thành công gần nhất."},
        {"lang": "en", "dir": "ltr", "text": "Build failed: 1 problem(s). The page shows the last good build."}]
    code, body = get(server + "en/products/che-ta-leng/")
    assert code == 200 and "Ta Leng Shan tuyet tea" in body  # the last good build is still served
    data.write_text(good, encoding="utf-8")
    wait_for(lambda: status(server)["ok"])
    assert status(server)["problems"] == []


def test_the_terminal_shows_one_line_per_rebuild_and_no_request_log(server: str, site: Path, tmp_path: Path) -> None:
    get(server + "en/")
    en = site / "content/products/che-ta-leng/en.md"
    en.write_text(en.read_text(encoding="utf-8").replace("ancient trees", "old trees"), encoding="utf-8")
    wait_for(lambda: "old trees" in get(server + "en/products/che-ta-leng/")[1])
    # the page is published before the rebuild's line is printed: wait for the line too
    wait_for(lambda: "rebuilt product/che-ta-leng:" in (tmp_path / "serve.log").read_text(encoding="utf-8"))
    log = (tmp_path / "serve.log").read_text(encoding="utf-8")
    rebuilt = [line for line in log.splitlines() if "rebuilt product/che-ta-leng:" in line]
    assert rebuilt and re.fullmatch(r"\[\d\d:\d\d:\d\d\] rebuilt product/che-ta-leng: \d+ of \d+ pages rendered in "
                                    r"\d+\.\d\d s", rebuilt[-1]), log
    # no web server's log lines ("[I 261202 01:08:44 server:331] Serving on ...", requests)
    assert not [line for line in log.splitlines() if re.match(r"\[[IWE] \d{6} ", line)], log
    assert " GET /" not in log, log


def test_a_first_build_that_fails_does_not_claim_a_last_good_one(site: Path, tmp_path: Path) -> None:
    data = site / "content/products/che-ta-leng/product.yaml"
    data.write_text(data.read_text(encoding="utf-8").replace('hs_code: "0902.10"', "hs_code: 0902.10"), encoding="utf-8")
    port = free_port()
    with (tmp_path / "serve.log").open("w", buffering=1) as log:
        process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "serve", "--port", str(port),
                                    "--now", "2026-11-29"], cwd=site, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}/"
        try:
            wait_for(lambda: bool(status(base)["problems"]))
            found = status(base)
            assert found["last_good"] is False
            assert found["heading"][0]["text"].endswith("Chưa có bản dựng nào thành công: hãy sửa các lỗi dưới đây.")
            assert found["heading"][1]["text"] == ("Build failed: 1 problem(s). No build has succeeded yet: fix the "
                                                   "problems below.")
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert "build failed: 1 problem(s); nothing to show yet" in (tmp_path / "serve.log").read_text(encoding="utf-8")


def test_serve_out_replaces_only_a_folder_of_its_own(site: Path, tmp_path: Path) -> None:
    """A web root given to `serve --out` is refused whatever it holds (a `.preview` file
    once let it be replaced and then deleted); a folder a preview made is taken again, and
    what it holds is only what a build makes."""
    import contextlib
    import io

    from catalogue.build.pipeline import build
    from catalogue.commands.serve import Preview

    root = tmp_path / "www"
    root.mkdir()
    for name, text in ((".preview", "catalogue preview\n"), ("important.txt", "keep"), ("sitemap.xml", "<urlset/>")):
        (root / name).write_text(text, encoding="utf-8")
    before = {path.name: path.read_bytes() for path in root.iterdir()}
    with contextlib.redirect_stdout(io.StringIO()):
        refused = Preview(site, root, NOW, owned=False).rebuild()
        assert not refused.ok
        assert "is not empty and was not made by this program" in refused.problems.errors[0].format()
        assert {path.name: path.read_bytes() for path in root.iterdir()} == before
        assert sorted(path.name for path in tmp_path.iterdir()) == ["site", "www"]  # nothing set aside
        ours = tmp_path / "preview"
        for _ in range(2):  # made, then taken again
            assert Preview(site, ours, NOW, owned=False).rebuild().ok
    assert build(site, tmp_path / "cold", NOW, preview=True, use_cache=False).ok
    assert sorted(p.relative_to(ours).as_posix() for p in ours.rglob("*")) == \
        sorted(p.relative_to(tmp_path / "cold").as_posix() for p in (tmp_path / "cold").rglob("*"))


def test_a_preview_stopped_by_sigterm_removes_its_temporary_folder(site: Path, tmp_path: Path) -> None:
    """As Ctrl+C does: a service manager or a terminal closing stops it with SIGTERM."""
    import os
    import signal

    temporary = tmp_path / "tmp"
    temporary.mkdir()
    port = free_port()
    process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "serve", "--port", str(port),
                                "--now", "2026-11-29"], cwd=site, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "TMPDIR": str(temporary)})
    try:
        wait_for(lambda: status(f"http://127.0.0.1:{port}/")["last_good"] is True)
        assert [p.name[:len("catalogue-preview-")] for p in temporary.iterdir()] == ["catalogue-preview-"]
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "stopped" in err and "Traceback" not in err
    assert list(temporary.iterdir()) == []


def test_translation_report_page_is_served_but_not_published(server: str, site: Path) -> None:
    code, body = get(server + "_preview/translations.html")
    assert code == 200
    import lxml.html
    doc = lxml.html.fromstring(body)
    rows = {(r.cssselect("td")[0].text_content(), r.cssselect("td")[1].text_content()):
            r.cssselect("td")[2].text_content() for r in doc.cssselect("tr.missing, tr.stale, tr.untracked")}
    assert rows[("product/mac-ca", "en")] == "missing"
    assert rows[("product/che-ta-leng", "en")] == "untracked"
    link = doc.cssselect("a[href$='che-ta-leng/en.md']")[0].get("href")
    code, source = get(server + link.lstrip("/"))
    assert code == 200 and source.startswith("---\nname: Ta Leng Shan tuyet tea")
    assert get(server + "_preview/source/../../../etc/passwd")[0] == 404
    assert not (site / "public").exists()


def test_a_busy_port_is_a_short_message(server: str, site: Path) -> None:
    port = server.rsplit(":", 1)[1].strip("/")
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "serve", "--port", port], cwd=site,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == f"serve: port {port} is in use (another preview?); choose another with --port"


def reload_signals(base: str, edits: list, timeout: float = 20.0) -> list[str]:
    """Connect as livereload.js does, make each edit, and collect the reload messages."""
    import asyncio

    from tornado.websocket import websocket_connect

    async def run() -> list[str]:
        connection = await websocket_connect(base.replace("http://", "ws://") + "livereload")
        await connection.write_message(json.dumps({"command": "hello",
                                                   "protocols": ["http://livereload.com/protocols/official-7"]}))
        assert json.loads(await connection.read_message())["command"] == "hello"
        await connection.write_message(json.dumps({"command": "info", "url": base, "plugins": {}}))
        await asyncio.sleep(0.3)
        received = []
        for edit in edits:
            edit()
            while True:
                message = json.loads(await asyncio.wait_for(connection.read_message(), timeout))
                if message.get("command") == "reload":
                    received.append(message["path"])
                    break
        connection.close()
        return received

    # a thread of its own: the browser tests may hold a running event loop in this one
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def test_every_save_sends_a_reload_even_in_quick_succession(server: str, site: Path) -> None:
    vi = site / "content/products/che-ta-leng/vi.md"

    def replace(old: str, new: str):
        return lambda: vi.write_text(vi.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")

    signals = reload_signals(server, [replace("Dùng nước 85 °C.", "Dùng nước 90 °C."),
                                      replace("Dùng nước 90 °C.", "Dùng nước 95 °C.")])
    assert len(signals) == 2  # livereload's own poller drops a second change within 3 s
    assert "95 °C" in get(server + "vi/products/che-ta-leng/")[1]


def test_a_save_made_before_the_watch_began_is_built(site: Path, tmp_path: Path) -> None:
    # The server answers as soon as its first build is done; the watcher may begin a moment
    # later, and an editor's save in between must not be lost.
    import threading

    from catalogue.commands.serve import ChangeWatcher, Preview

    class NoBrowsers:  # stands for the server's loop: there is nobody to tell about reloads
        def add_callback(self, callback: object) -> None:
            pass

    out = tmp_path / "out"
    preview = Preview(site, out, NOW, owned=True)
    assert preview.rebuild().ok
    page = out / "en/products/che-ta-leng/index.html"
    assert "Green tea from ancient trees." in page.read_text(encoding="utf-8")
    en = site / "content/products/che-ta-leng/en.md"
    en.write_text(en.read_text(encoding="utf-8").replace("ancient trees", "hundred-year-old trees"),
                  encoding="utf-8")
    watcher = ChangeWatcher([site / "content"], preview.rebuild)
    thread = threading.Thread(target=watcher._run, args=(NoBrowsers(),), daemon=True)  # as start() does
    thread.start()
    try:
        wait_for(lambda: "hundred-year-old trees" in page.read_text(encoding="utf-8"))
    finally:
        watcher.stop()
        thread.join(timeout=10)


def test_the_browsers_are_told_before_the_cache_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A save's reload is sent as soon as the pages are published; the rebuild's last step
    (keeping the cache) waits for it, rather than holding the interpreter while the server's
    loop sends it."""
    import threading

    from livereload.handlers import LiveReloadHandler

    from catalogue.commands.serve import ChangeWatcher

    events: list[str] = []
    monkeypatch.setattr(LiveReloadHandler, "reload_waiters", classmethod(lambda cls: events.append("told")))

    class SlowLoop:  # the server's loop, busy for a moment before it runs what it is given
        def add_callback(self, callback) -> None:
            threading.Timer(0.1, callback).start()

    def rebuild(changed=None, quiet=False, on_published=None):
        if on_published is not None:
            on_published()
            events.append("kept")

        class Result:
            up_to_date = True
        return Result()

    watcher = ChangeWatcher([tmp_path], rebuild)
    thread = threading.Thread(target=watcher._run, args=(SlowLoop(),), daemon=True)
    thread.start()
    try:
        time.sleep(0.5)
        (tmp_path / "saved.md").write_text("a save\n", encoding="utf-8")
        wait_for(lambda: "kept" in events, timeout=10)
    finally:
        watcher.stop()
        thread.join(timeout=10)
    assert events[:2] == ["told", "kept"]


def test_the_preview_makes_its_spare_once_the_first_build_is_shown(site: Path, tmp_path: Path) -> None:
    """The first save then brings the spare up to date instead of linking every page anew."""
    port, out = free_port(), tmp_path / "out"
    process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "serve", "--port", str(port),
                                "--out", str(out), "--now", "2026-11-29"], cwd=site,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: get(f"http://127.0.0.1:{port}/en/")[0] == 200)
        spare = tmp_path / ".out.catalogue-spare"
        wait_for(lambda: (spare / "en/index.html").is_file() and (spare / ".catalogue-output").is_file())
        assert (spare / "en/index.html").read_bytes() == (out / "en/index.html").read_bytes()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_spare_that_cannot_be_made_is_one_line_not_a_traceback(site: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from catalogue.commands import serve

    preview = serve.Preview(site, tmp_path / "out", NOW, owned=True)
    assert preview.rebuild().ok

    def broken(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("the disk went away")
    monkeypatch.setattr(serve, "prepare_spare", broken)
    assert preview.prepare_spare() is False
    said = capsys.readouterr().err
    assert "no spare folder made" in said and "the disk went away" in said and "Traceback" not in said
