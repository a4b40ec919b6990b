"""Hostile text opened in real Chromium: a translation breaking out of its attributes and a
name that opens a script comment run nothing, and every page still shows its content."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import build_ok
from sitekit import make_site, po_file, write

pytestmark = [pytest.mark.browser]

BREAKOUT = '" autofocus onfocus="alert(1)" x="'
TRAP = "Bánh <!--<script> <img src=x onerror=alert(2)>"


@pytest.fixture(scope="module")
def hostile_http(tmp_path_factory):
    from sitehttp import serve_folder

    site = make_site(tmp_path_factory.mktemp("hostile") / "site")
    write(site / "locales/en/LC_MESSAGES/messages.po",
          po_file({"Main": BREAKOUT, "Search products": BREAKOUT, "Add to inquiry": BREAKOUT, "Language": BREAKOUT}))
    for path, old in (("content/products/che-ta-leng/en.md", "name: Ta Leng Shan tuyet tea"),
                      ("content/producers/htx-ta-leng/en.md", "name: Ta Leng Cooperative")):
        text = (site / path).read_text(encoding="utf-8")
        (site / path).write_text(text.replace(old, f"name: '{TRAP}'"), encoding="utf-8")
    out = build_ok(site)
    pages = sorted(p.relative_to(out).as_posix() for p in out.glob("en/**/index.html"))
    with serve_folder(out) as base:
        yield base, pages


def test_no_dialog_and_every_main_shows(chromium, hostile_http) -> None:
    base, pages = hostile_http
    assert len(pages) > 8
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        for rel in pages:
            page.goto(base + rel, wait_until="load")
            page.keyboard.press("Tab")  # focus what autofocus or a tab would reach
            page.wait_for_timeout(50)
            shown = page.evaluate("(() => { const m = document.querySelector('main');"
                                  " return m ? m.innerText.trim().length : -1; })()")
            assert shown > 0, f"{rel}: <main> shows nothing"
            assert page.evaluate("document.querySelectorAll('[onfocus], [onerror]').length") == 0, rel
        page.goto(base + "en/products/che-ta-leng/", wait_until="load")
        assert page.inner_text("main h1") == TRAP
    finally:
        context.close()
    assert dialogs == []
