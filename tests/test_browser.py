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


_REACHABLE = """(root) => {
  // every control a user can reach: visible, inside its card, and what a click at its centre hits
  const problems = [];
  const focusable = [...document.querySelector(root || 'body').querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')]
    .filter((el) => !el.closest('[hidden]') && el.tabIndex >= 0 && !el.disabled
                    && getComputedStyle(el).display !== 'none' && !el.closest('[inert]'));
  for (const el of focusable) {
    if (el.closest('details:not([open])') && el.tagName !== 'SUMMARY') continue;  // closed: not in the tab order
    if (el.matches('.skip-link')) continue;  // shown when focused
    if (!el.getClientRects().length) continue;  // not rendered (in a closed menu): not in the tab order either
    // the page scrolled, never the element's boxes: scrollIntoView would scroll a card's
    // overflow: hidden too, and bring into view what a user can never see
    const before = el.getBoundingClientRect();
    window.scrollTo(0, before.top + window.scrollY - window.innerHeight / 2);
    const r = el.getClientRects()[0] || el.getBoundingClientRect();  // a link broken over lines: its first line
    const name = el.outerHTML.slice(0, 90);
    if (r.width < 1 || r.height < 1 || !el.checkVisibility({visibilityProperty: true, opacityProperty: true})) {
      problems.push('invisible but focusable: ' + name); continue;
    }
    const card = el.closest('.card');
    if (card) {
      const c = card.getBoundingClientRect();
      if (r.left < c.left - 1 || r.right > c.right + 1 || r.top < c.top - 1 || r.bottom > c.bottom + 1) {
        problems.push('outside its card: ' + name); continue;
      }
    }
    const x = r.left + Math.min(r.width / 2, 20), y = r.top + r.height / 2;
    const hit = document.elementFromPoint(x, y);
    if (el.matches('input[type=checkbox], input[type=radio]') && hit && hit.closest('label') === el.closest('label')) continue;
    if (!hit || !(hit === el || el.contains(hit) || (el.labels && [...el.labels].some((l) => l.contains(hit))))) {
      problems.push('covered at its centre: ' + name + ' by ' + (hit ? hit.outerHTML.slice(0, 60) : 'nothing'));
    }
  }
  return problems;
}"""


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("kind", ["home", "product_index", "listing", "producer", "event"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_control_is_visible_inside_its_card_and_clickable(chromium, example_http: str, kind: str,
                                                                 lang: str, width: int) -> None:
    context, page, errors, _ = open_page(chromium, example_http + PAGES[kind].format(lang=lang), width)
    try:
        page.wait_for_timeout(150)  # the scripts show the inquiry buttons
        assert page.locator(".card-actions .inquiry-add:not([hidden])").count() > 0 or kind == "event" \
            or kind == "producer" and not page.locator(".product-card").count()
        assert page.evaluate(_REACHABLE) == []
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_a_phone_sees_the_first_product_under_a_compact_header(chromium, example_http: str, lang: str) -> None:
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="en-US", has_touch=True)
    page = context.new_page()
    try:
        page.goto(example_http + PAGES["product_index"].format(lang=lang), wait_until="load")
        header = page.locator(".site-header").bounding_box()
        assert header is not None and header["height"] <= 64
        card = page.locator(".product-card").first.bounding_box()
        assert card is not None and card["y"] < 844 - 100  # its photo starts within the first screen
        assert page.locator("#facet-form input").first.is_hidden()  # the filters wait behind their button
        page.locator(".facets-toggle").click()
        first_filter = page.locator("#facet-form input").first
        assert first_filter.is_visible()
        first_filter.check()
        assert first_filter.is_checked()
        # the menu: behind its button, then every link visible and clickable
        assert page.locator(".main-nav a").first.is_hidden()
        assert page.evaluate(_REACHABLE) == []
        page.locator(".menu-toggle").click()
        assert page.locator(".menu-toggle").get_attribute("aria-expanded") == "true"
        page.evaluate("window.scrollTo(0, 0)")
        assert page.evaluate(_REACHABLE, "#site-menu") == []
        assert page.locator(".main-nav a").first.is_visible() and page.locator(".lang-switch a").first.is_visible()
        page.keyboard.press("Escape")
        assert page.locator(".main-nav a").first.is_hidden()
    finally:
        context.close()


@pytest.mark.parametrize("width", [320, 768, 1024, 1280, 1440])
def test_the_header_never_wraps_untidily(chromium, example_http: str, width: int) -> None:
    """One row under 1100 px (the brand and the menu button), at most two above (the brand,
    then the menu), in every language: nothing overlaps, nothing overflows."""
    for lang in LANGS:
        context, page, _, _ = open_page(chromium, example_http + PAGES["product"].format(lang=lang), width)
        try:
            found = page.evaluate("""() => {
              const boxes = [...document.querySelectorAll('.brand, .menu-toggle, .main-nav li, .lang-switch li')]
                .filter((e) => e.getClientRects().length).map((e) => e.getBoundingClientRect());
              const centres = boxes.map((b) => (b.top + b.bottom) / 2).sort((a, b) => a - b);
              const rows = {size: centres.filter((c, i) => i === 0 || c - centres[i - 1] > 16).length};
              let overlaps = 0;
              for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
                const a = boxes[i], b = boxes[j];
                if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) overlaps++;
              }
              return {height: document.querySelector('.site-header').getBoundingClientRect().height,
                      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
                      overlaps, rows: rows.size,
                      brand: document.querySelector('.brand').getBoundingClientRect().right <= innerWidth};
            }""")
            assert found["overflow"] == 0 and found["overlaps"] == 0 and found["brand"], (lang, width, found)
            assert found["height"] <= (64 if width < 1100 else 110), (lang, width, found)
            assert found["rows"] <= (1 if width < 1100 else 2), (lang, width, found)
        finally:
            context.close()


def test_japanese_headings_break_between_phrases(chromium, example_http: str) -> None:
    context, page, _, _ = open_page(chromium, example_http + PAGES["product_index"].format(lang="ja"), 390)
    try:
        styles = page.evaluate("""() => [document.querySelector('h1'), document.querySelector('.card-title')]
                                  .map((e) => getComputedStyle(e).wordBreak)""")
        assert styles == ["auto-phrase", "auto-phrase"]
    finally:
        context.close()
    context, page, _, _ = open_page(chromium, example_http + PAGES["product_index"].format(lang="en"), 390)
    try:
        assert page.evaluate("getComputedStyle(document.querySelector('h1')).wordBreak") == "normal"
    finally:
        context.close()
