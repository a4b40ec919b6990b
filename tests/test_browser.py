"""Real Chromium over http: every page template in every language.

No console errors, no failed requests, right direction, no horizontal overflow on a phone or
a desktop, a language switcher that lands on the same entry, and no serious accessibility
violations (axe-core).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser]

LANGS = ("vi", "en", "ar", "ja")
PRODUCT = "che-xanh-shan-tuyet-ta-leng"
FALLBACK_PRODUCT = "choi-chit-nam-nhun"  # no ar/ja text: exercises the fallback notice
PAGES = {
    "home": "{lang}/",
    "product_index": "{lang}/products/",
    "product": "{lang}/products/" + PRODUCT + "/",
    "product_fallback": "{lang}/products/" + FALLBACK_PRODUCT + "/",
    "producer_index": "{lang}/producers/",
    "producer": "{lang}/producers/hop-tac-xa-che-ta-leng/",
    "event_index": "{lang}/events/",
    "event": "{lang}/events/hoi-thao-xuc-tien-che-lai-chau-vao-trung-dong-bac-phi-nam-a/",
    "listing": "{lang}/categories/beverage/",
    "not_found": "{lang}/404.html",
}


def open_page(browser, url: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    failed: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    page.on("response", lambda r: failed.append(f"{r.url} {r.status}") if r.status >= 400 else None)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    return context, page, errors, failed


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", sorted(PAGES))
def test_page_renders_cleanly(chromium, example_http: str, kind: str, lang: str) -> None:
    url = example_http + PAGES[kind].format(lang=lang)
    for width in (360, 1280):
        context, page, errors, failed = open_page(chromium, url, width)
        try:
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            page.wait_for_load_state("networkidle")
            assert errors == [], f"console errors on {url}: {errors}"
            assert failed == [], f"failed requests on {url}: {failed}"
            expected = "rtl" if lang == "ar" else "ltr"
            assert page.evaluate("document.documentElement.dir") == expected
            assert page.evaluate("document.documentElement.lang") == lang
            assert page.evaluate("getComputedStyle(document.body).direction") == expected
            assert overflow(page) <= 0, f"{url} scrolls sideways at {width}px by {overflow(page)}px"
        finally:
            context.close()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", ["product", "producer", "event", "listing", "product_index"])
def test_language_switcher_lands_on_the_same_entry(chromium, example_http: str, kind: str, lang: str) -> None:
    path = PAGES[kind].format(lang=lang)
    context, page, errors, failed = open_page(chromium, example_http + path, 1280)
    try:
        targets = page.eval_on_selector_all(".lang-switch a", "as => as.map(a => a.getAttribute('hreflang'))")
        assert sorted(targets) == sorted(LANGS)
        for other in targets:
            page.goto(example_http + path)
            page.click(f".lang-switch a[hreflang='{other}']")
            page.wait_for_load_state("load")
            assert page.url == example_http + PAGES[kind].format(lang=other)
            assert page.evaluate("document.documentElement.lang") == other
    finally:
        context.close()


def test_root_page_suggests_the_browser_language(chromium, example_http: str) -> None:
    context = chromium.new_context(locale="ja-JP")
    page = context.new_page()
    try:
        page.goto(example_http)
        first = page.eval_on_selector(".language-list li:first-child a", "a => a.getAttribute('hreflang')")
        assert first == "ja"
        assert page.eval_on_selector(".language-list a.suggested", "a => a.getAttribute('hreflang')") == "ja"
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", sorted(PAGES))
def test_no_serious_accessibility_violations(chromium, example_http: str, kind: str, lang: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    context, page, _, _ = open_page(chromium, example_http + PAGES[kind].format(lang=lang), 1280)
    try:
        results = Axe().run(page, options={"resultTypes": ["violations"], "preload": False})
        serious = [f"{v['id']} ({v['impact']}): {v['help']} -> " + ", ".join(n["target"][0] for n in v["nodes"][:3])
                   for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], "\n".join(serious)
        alts = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.getAttribute('alt'))")
        assert all(alt is not None for alt in alts), "every image needs an alt attribute"
    finally:
        context.close()


def test_arabic_product_keeps_codes_and_prices_left_to_right(chromium, example_http: str) -> None:
    context, page, _, _ = open_page(chromium, example_http + PAGES["product"].format(lang="ar"), 360)
    try:
        assert page.evaluate("getComputedStyle(document.querySelector('h1')).direction") == "rtl"
        hs = page.locator("bdi.code")
        assert hs.evaluate("e => getComputedStyle(e).direction") == "ltr"
        assert re.fullmatch(r"\d{4}\.\d{2}", hs.inner_text())
        price = page.locator(".packaging .price").first
        assert price.evaluate("e => getComputedStyle(e).direction") == "ltr"
        assert overflow(page) <= 0
    finally:
        context.close()


def test_axe_catches_a_missing_alt(chromium, example_public: Path, tmp_path: Path) -> None:
    """The accessibility gate is real: an image without alt text fails it."""
    import shutil

    from axe_playwright_python.sync_playwright import Axe
    from sitehttp import serve_folder

    copy = tmp_path / "copy"
    shutil.copytree(example_public, copy)
    page_file = copy / "en/products/index.html"
    page_file.write_text(page_file.read_text(encoding="utf-8").replace(' alt="', ' data-alt="'), encoding="utf-8")
    with serve_folder(copy) as base:
        context, page, _, _ = open_page(chromium, base + "en/products/", 1280)
        try:
            results = Axe().run(page, options={"resultTypes": ["violations"], "preload": False})
            assert "image-alt" in {v["id"] for v in results.response["violations"]}
        finally:
            context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_the_live_result_count_takes_the_catalogues_plural_form(chromium, example_http: str, lang: str) -> None:
    """The count the filters update, for n = 0, 1, 2, 3, 11, 100, is the form the page's own
    code picks (Intl.PluralRules) and the one Python's gettext gives for the same n."""
    from catalogue.config import load_config
    from catalogue.problems import Problems
    from catalogue.site.locales import load_translations

    from conftest import REPO

    config = load_config(REPO, Problems())
    assert config is not None
    translations = load_translations(config, lang, Problems()).translations
    context, page, errors, _ = open_page(chromium, example_http + PAGES["product_index"].format(lang=lang), 1280)
    try:
        counts = (0, 1, 2, 3, 11, 100)
        shown = page.evaluate("(counts) => counts.map((n) => window.catalogueCountText("
                              "document.getElementById('result-count'), n))", list(counts))
        assert shown == [translations.ngettext("%(num)d product", "%(num)d products", n) % {"num": n} for n in counts]
        # and what the filters write: one category chosen, the count of what is left
        page.locator("#result-count").wait_for()
        box = page.locator("input[name='category']").first
        box.check()
        page.wait_for_function("document.getElementById('result-count').textContent.match(/\\d/)")
        text = page.locator("#result-count").text_content() or ""
        assert re.search(r"\d+", text) is not None
        number = int(re.search(r"\d+", text).group())  # type: ignore[union-attr]
        assert text == translations.ngettext("%(num)d product", "%(num)d products", number) % {"num": number}
        assert errors == []
    finally:
        context.close()
