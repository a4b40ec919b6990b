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
# an address a mail program would read as a Bcc and a body, unless the link encodes it
SNOOP = "trade?bcc=spy%40evil.example&body=x,other@example.org"


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
    for path, old in (("site.yaml", "email: trade@example.org"), ("content/producers/htx-ta-leng/producer.yaml",
                                                                  "email: taleng@example.org")):
        text = (site / path).read_text(encoding="utf-8")
        assert old in text, path
        (site / path).write_text(text.replace(old, f"email: '{SNOOP}'"), encoding="utf-8")
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


def _recipients(href: str) -> tuple[list[str], dict[str, list[str]]]:
    """(the addresses of a mailto: link, its header fields), as RFC 6068 reads it."""
    import urllib.parse

    assert href.startswith("mailto:"), href
    to, _, query = href[len("mailto:"):].partition("?")
    return [urllib.parse.unquote(part) for part in to.split(",")], urllib.parse.parse_qs(query)


def test_an_address_holding_query_characters_stays_one_recipient(chromium, hostile_http) -> None:
    """Every mailto: link, the inquiry's made by its script included: one recipient, the
    address as written, and no header but the inquiry's own subject and body."""
    base, _ = hostile_http
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(base + "en/producers/htx-ta-leng/", wait_until="load")
        hrefs = page.eval_on_selector_all("a[href^='mailto:']", "as => as.map(a => a.getAttribute('href'))")
        assert len(hrefs) >= 2  # the producer's and the trade office's (in the footer)
        for href in hrefs:
            assert _recipients(href) == ([SNOOP], {}), href
        page.goto(base + "en/products/che-ta-leng/", wait_until="load")
        page.click(".product-head button[data-inquiry]")
        page.goto(base + "en/inquiry/", wait_until="load")
        page.wait_for_selector("#inquiry-table tbody tr")
        to, fields = _recipients(page.get_attribute("#inquiry-mail", "href"))
        assert to == [SNOOP]
        assert sorted(fields) == ["body", "subject"] and len(fields["body"]) == 1, fields
    finally:
        context.close()
