"""Buyers find products: search in every script, facets, URL state, inquiry list; http and file://."""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

import pytest
from conftest import NOW, REPO
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = [pytest.mark.browser]

MACADAMIA = {"hat-mac-ca-say-nut-vo-tam-duong", "nhan-mac-ca-tam-duong"}


@pytest.fixture(params=["http", "file"])
def site_url(request, example_http: str, example_files: Path):
    """Base URL of the example site: served over http, or opened from disk."""
    return example_http if request.param == "http" else example_files.as_uri() + "/"


def index_url(base: str, lang: str) -> str:
    return base + f"{lang}/products/" + ("" if base.startswith("http") else "index.html")


@pytest.fixture
def tab(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # a navigation cancels images still loading (net::ERR_ABORTED): that is not a failure
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url} {r.failure}")
            if r.failure != "net::ERR_ABORTED" else None)
    yield page, errors
    assert errors == [], errors
    context.close()


def visible(page) -> list[str]:
    return page.eval_on_selector_all("#product-list [data-product]:not([hidden])",
                                     "cards => cards.map(c => c.dataset.product)")


def search(page, query: str) -> list[str]:
    page.fill("input[type=search][name=q]", query)
    page.wait_for_function("q => decodeURIComponent(location.hash).includes(q) || !q",
                           arg=urllib.parse.quote_plus(query).replace("+", " ") if False else "", timeout=5000)
    page.wait_for_timeout(250)
    return visible(page)


@pytest.mark.parametrize(("lang", "query", "expected", "exactly"), [
    ("vi", "mac ca", MACADAMIA | {"banh-quy-mac-ca", "dau-mac-ca-ep-lanh", "mat-ong-hoa-mac-ca"}, False),
    ("vi", "dong rieng", {"mien-dong-rieng-tan-uyen", "tinh-bot-dong-rieng-tan-uyen"}, True),
    ("vi", "dong rie", {"mien-dong-rieng-tan-uyen", "tinh-bot-dong-rieng-tan-uyen"}, True),  # as you type
    ("vi", "miến dong", {"mien-dong-rieng-tan-uyen"}, False),
    ("en", "macadamia", MACADAMIA | {"banh-quy-mac-ca", "dau-mac-ca-ep-lanh", "mat-ong-hoa-mac-ca"}, False),
    ("ar", "مكاديميا", MACADAMIA, False),
    ("ar", "مَكاديميا", MACADAMIA, False),  # diacritics ignored
    ("ja", "マカダミア", MACADAMIA | {"dau-mac-ca-ep-lanh", "mat-ong-hoa-mac-ca"}, False),
    ("ja", "マカダミアナッツ", MACADAMIA | {"dau-mac-ca-ep-lanh"}, False),
])
def test_queries_in_every_script(tab, site_url: str, lang: str, query: str, expected: set[str],
                                 exactly: bool) -> None:
    page, _ = tab
    page.goto(index_url(site_url, lang))
    found = search(page, query)
    assert expected <= set(found), (query, found)
    if exactly:
        assert set(found) == expected
    assert found[0] in expected, "best matches first"


def test_name_matches_rank_before_description_matches(tab, site_url: str) -> None:
    page, _ = tab
    page.goto(index_url(site_url, "en"))
    found = search(page, "honey")
    assert found[:2] == ["mat-ong-hoa-mac-ca", "mat-ong-rung-than-uyen"] or \
        set(found[:2]) == {"mat-ong-hoa-mac-ca", "mat-ong-rung-than-uyen"}


def test_facets_narrow_and_counts_follow_the_query(tab, site_url: str) -> None:
    page, _ = tab
    page.goto(index_url(site_url, "en"))
    everything = visible(page)
    assert len(everything) == 28
    page.check("input[name=category][value=beverage]")
    beverages = visible(page)
    assert 0 < len(beverages) < 28
    page.check("input[name=certification][value=halal]")
    both = visible(page)
    assert 0 < len(both) < len(beverages)
    page.check("input[name=market][value=japan]")
    page.check("input[name=market][value=middle-east]")  # OR within a facet
    either = visible(page)
    assert set(either) <= set(both)
    page.uncheck("input[name=market][value=japan]")
    page.uncheck("input[name=market][value=middle-east]")
    page.fill("input[name=q]", "tea")
    page.wait_for_timeout(300)
    count = int(page.inner_text("label:has(input[name=stars][value='5']) [data-count]"))
    assert count == len([s for s in visible(page)
                         if page.get_attribute(f"[data-product={s}] .stars", "aria-label").startswith("5")])
    page.click("#facet-reset")
    page.fill("input[name=q]", "")
    page.wait_for_timeout(300)
    assert len(visible(page)) == 28


def test_state_in_the_url_restores_the_view(tab, site_url: str) -> None:
    page, _ = tab
    page.goto(index_url(site_url, "en"))
    page.check("input[name=category][value=beverage]")
    page.fill("input[name=q]", "shan tuyet")
    page.wait_for_timeout(400)
    shown = visible(page)
    url = page.url
    assert "q=shan+tuyet" in url and "category=beverage" in url
    page.goto("about:blank")
    page.goto(url)
    page.wait_for_timeout(300)
    assert visible(page) == shown
    assert page.input_value("input[name=q]") == "shan tuyet"
    assert page.is_checked("input[name=category][value=beverage]")
    assert page.inner_text("#result-count").startswith(str(len(shown)))


def test_keyboard_only_filtering(tab, site_url: str) -> None:
    page, _ = tab
    page.goto(index_url(site_url, "en"))
    page.focus("input[name=q]")
    page.keyboard.type("rice")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert set(visible(page)) >= {"gao-seng-cu-muong-so", "gao-nep-cam-phong-tho"}
    assert page.get_attribute("#result-count", "aria-live") == "polite"
    legends = page.eval_on_selector_all("#facet-form legend", "ls => ls.map(l => l.textContent.trim())")
    assert legends[:2] == ["Product group", "OCOP stars"]


def test_without_javascript_everything_is_listed(chromium, site_url: str) -> None:
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(index_url(site_url, "en"))
    assert len(page.query_selector_all("#product-list [data-product] a.card-link[href]")) == 28
    assert page.is_hidden("#facet-form")
    assert page.is_visible(".facet-links")
    context.close()


def test_inquiry_list_survives_navigation_and_makes_a_mailto(tab, site_url: str) -> None:
    page, _ = tab
    page.goto(index_url(site_url, "en"))
    page.click("[data-product=nhan-mac-ca-tam-duong] button[data-inquiry]")
    assert page.get_attribute("[data-product=nhan-mac-ca-tam-duong] button[data-inquiry]", "aria-pressed") == "true"
    page.click("[data-product=che-xanh-shan-tuyet-ta-leng] a.card-link")
    page.wait_for_load_state("load")
    assert page.inner_text(".inquiry-link .badge") == "1"
    page.click(".product-head button[data-inquiry]")
    assert page.inner_text(".inquiry-link .badge") == "2"
    page.click(".inquiry-link")
    page.wait_for_load_state("load")
    rows = page.eval_on_selector_all("#inquiry-table tbody tr", "rs => rs.map(r => r.dataset.product)")
    assert rows == ["nhan-mac-ca-tam-duong", "che-xanh-shan-tuyet-ta-leng"]
    page.fill("#inquiry-table tr[data-product=nhan-mac-ca-tam-duong] input", "2 t")
    page.press("#inquiry-table tr[data-product=nhan-mac-ca-tam-duong] input", "Tab")
    href = page.get_attribute("#inquiry-mail", "href")
    assert href.startswith("mailto:xuctien@laichau.example.org?subject=")
    query = urllib.parse.parse_qs(href.split("?", 1)[1])
    body = query["body"][0]
    assert "Tam Duong Macadamia Kernels — Quantity: 2 t" in body
    assert "Ta Leng Shan Tuyet Green Tea" in body
    assert "Lai Chau OCOP Products" in query["subject"][0]
    page.click("tr[data-product=che-xanh-shan-tuyet-ta-leng] button")
    assert page.eval_on_selector_all("#inquiry-table tbody tr", "rs => rs.length") == 1
    # the list is shared by every language; the mail is written in the buyer's language
    page.goto(site_url + "vi/inquiry/" + ("" if site_url.startswith("http") else "index.html"))
    vi_body = urllib.parse.parse_qs(page.get_attribute("#inquiry-mail", "href").split("?", 1)[1])["body"][0]
    assert "Nhân mắc ca" in vi_body or "mắc ca" in vi_body.lower()


def test_python_and_browser_fold_text_the_same_way(tab, example_http: str) -> None:
    from catalogue.outputs.search import fold
    page, _ = tab
    page.goto(example_http + "en/products/")
    samples = ["Mắc ca Đông Pao", "Miến dong riềng", "المكاديميا", "مُكَادِيمْيَا", "شـاي أخضر إضافي",
               "マカダミアナッツ（生）", "ガラス・瓶", "Chè Shan tuyết – 100%", "  Ấn Độ\u00a0& Nhật\u3000Bản ",
               "हिन्दी चाय", "Ünïcödé—Test", "ﾏｶﾀﾞﾐｱﾅｯﾂ", "ＯＣＯＰ　５ｓｔａｒ", "x²ﬁ"]
    assert fold("ﾏｶﾀﾞﾐｱﾅｯﾂ") == fold("マカダミアナッツ") and fold("ＯＣＯＰ") == "ocop" and fold("x²") == "x²"
    assert page.evaluate("s => s.map(window.catalogueFold)", samples) == [fold(s) for s in samples]


def test_index_size_is_reported_and_small(example_public: Path) -> None:
    for lang in ("vi", "en", "ar", "ja"):
        size = (example_public / lang / "search-index.js").stat().st_size
        assert size < 40_000, f"{lang} index is {size} bytes for 28 products"


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_the_quick_fold_of_plain_ascii_is_the_long_one(text: str) -> None:
    from catalogue.outputs.search import fold, fold_any

    assert fold(text) == fold_any(text)


@settings(max_examples=500)
@given(st.text(alphabet=st.one_of(
    st.characters(max_codepoint=127), st.characters(min_codepoint=0x3000, max_codepoint=0x30FF),
    st.characters(min_codepoint=0x3400, max_codepoint=0x4DBF), st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0xFF00, max_codepoint=0xFFEF))))
def test_the_quick_fold_of_japanese_is_the_long_one(text: str) -> None:
    from catalogue.outputs.search import fold, fold_any

    assert fold(text) == fold_any(text)


# letters with accents and combining marks, Arabic, Japanese, spaces of every kind, punctuation
_MIXED = st.text(alphabet=st.one_of(
    st.characters(max_codepoint=0x024F), st.characters(min_codepoint=0x0300, max_codepoint=0x036F),
    st.characters(min_codepoint=0x0600, max_codepoint=0x06FF), st.characters(min_codepoint=0x3000, max_codepoint=0x30FF),
    st.sampled_from(" \t\n\u00a0\u3000\u2003\x1c\x1f\u0301\u3099.,;:-—ـđĐΣσ"), st.characters()))


@given(st.lists(_MIXED, max_size=3))
def test_body_words_are_the_first_distinct_words_of_the_folded_body(texts: list[str]) -> None:
    """Folded token by token, with what was folded for the bodies before, as the whole."""
    from catalogue.outputs.search import _MARKUP, BODY_BYTES, BODY_WORDS, body_words, fold

    kept: dict[str, tuple[str, ...]] = {}  # shared across bodies, as one language's index shares it
    for text in texts:
        words = [w for w in fold(_MARKUP.sub(" ", text)).split(" ") if len(w) > 1 or (w and not w.isascii())]
        chosen: list[str] = []
        for word in dict.fromkeys(words):  # the first distinct words, within both budgets
            if len(chosen) == BODY_WORDS or sum(len(w.encode("utf-8", "surrogatepass")) + 1 for w in chosen) + len(word.encode("utf-8", "surrogatepass")) > BODY_BYTES:
                break
            chosen.append(word)
        assert body_words(text, kept) == " ".join(chosen)


def test_body_words_keep_the_first_distinct_words() -> None:
    from catalogue.outputs.search import BODY_WORDS, body_words

    body = "## Chè Shan tuyết\n\nChè **shan** tuyết, chè cổ thụ! " + " ".join(f"w{i}" for i in range(100))
    words = body_words(body).split(" ")
    assert words[:5] == ["che", "shan", "tuyet", "co", "thu"]
    assert len(words) == BODY_WORDS and words[-1] == f"w{BODY_WORDS - 6}"


@given(st.text(alphabet=st.sampled_from("<>![]()#*_`|~- ab\n")))
def test_markup_is_blanked_as_the_plain_pattern_would(text: str) -> None:
    """The index pattern's lookahead only skips plain text faster."""
    import re

    from catalogue.outputs.search import _MARKUP

    plain = re.compile(r"<[^>]*>|!\[[^\]]*\]\([^)]*\)|\]\([^)]*\)|[#>*_`|~\[\]-]+")
    assert _MARKUP.sub(" ", text) == plain.sub(" ", text)


@given(_MIXED)
def test_spaces_collapse_as_the_browser_pattern_collapses_them(text: str) -> None:
    import re

    from catalogue.outputs.search import _collapse_spaces

    browser = re.compile(r"[\s\u00a0\u3000]+")  # catalogue.js, before trim()
    assert _collapse_spaces(text) == browser.sub(" ", text).strip()


def _example() -> "object":
    from catalogue.build.pipeline import load_site
    from catalogue.problems import Problems

    loaded = load_site(REPO, Problems(), NOW)
    assert loaded is not None
    return loaded


def test_what_buyers_type_finds_what_the_catalogue_has(tab, site_url: str) -> None:
    """Each query of a buyer, with the products it must find, worked out from the content."""
    from catalogue.outputs.search import fold

    site = _example().site  # type: ignore[attr-defined]
    products = site.products
    halal = {s for s, p in products.items() if "halal" in p.certifications}
    tea_codes = {s for s, p in products.items() if (p.hs_code or "").startswith("0902")}
    ja_names = {s: p.texts["ja"].name for s, p in products.items() if "ja" in p.texts}
    teas_ja = {s for s, name in ja_names.items() if "茶" in name}
    producer_slug, producer = next((slug, p) for slug, p in site.producers.items() if "en" in p.texts
                                   and site.products_by_producer.get(slug))
    page, _ = tab
    page.goto(index_url(site_url, "en"))
    assert halal and halal <= set(search(page, "halal"))  # a certification's label
    assert tea_codes and tea_codes <= set(search(page, "0902"))  # an HS code's first digits
    tea = set(search(page, "tea"))
    assert tea and tea <= set(search(page, "teas"))  # a plural
    honey = set(search(page, "honey"))
    assert honey and honey <= set(search(page, "hoeny"))  # one typo
    name = producer.texts["en"].name
    assert set(site.products_by_producer[producer_slug]) <= set(search(page, name))  # the producer
    assert search(page, "xqzwv") == []
    page.goto(index_url(site_url, "ja"))
    assert teas_ja and teas_ja <= set(search(page, "お茶")), ja_names  # お茶 is any 茶
    group = _example().config.codes.label("categories", "beverage", "ja", "vi")  # type: ignore[attr-defined]
    beverages = {s for s, p in products.items() if p.category == "beverage"}
    assert beverages and beverages <= set(search(page, group))  # a group by its name in the page's language
    katakana = set(search(page, "マカダミア"))
    assert katakana and set(search(page, "まかだみあ")) == katakana  # hiragana and katakana alike
    assert set(search(page, "ﾏｶﾀﾞﾐｱ")) == katakana  # half-width
    assert fold("マカダミア") == fold("まかだみあ")
    honey_ja = {s for s, name in ja_names.items() if "はちみつ" in name or "蜂蜜" in name}
    assert honey_ja and honey_ja <= set(search(page, "蜂蜜")) and honey_ja <= set(search(page, "はちみつ"))  # kanji, kana
    rice = {s for s, name in ja_names.items() if "もち米" in name}
    assert rice and rice <= set(search(page, "糯米"))


def test_a_search_index_that_did_not_load_leaves_the_list_and_says_so(chromium, example_http: str) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/search-index*.js", lambda route: route.abort())
    try:
        page.goto(example_http + "en/products/")
        assert page.is_visible("#search-failed")
        assert page.locator("#product-list [data-product]:visible").count() > 0
        assert errors == []
    finally:
        context.close()


def test_an_inquiry_is_a_request_for_quotation_sent_any_way_from_anywhere(tab, site_url: str) -> None:
    """From the site or a bundle on disk: two products from their cards, the buyer's details,
    then the mail (public addresses, never file://), the CSV and the confirmation to empty."""
    import csv as csv_module
    import io

    page, _ = tab
    page.goto(index_url(site_url, "en"))
    for slug in ("nhan-mac-ca-tam-duong", "che-xanh-shan-tuyet-ta-leng"):
        page.click(f"[data-product={slug}] .card-actions button[data-inquiry]")
    page.click(".inquiry-link")
    page.wait_for_load_state("load")
    page.fill("#inquiry-table tr[data-product=nhan-mac-ca-tam-duong] input", "2 t")
    page.press("#inquiry-table tr[data-product=nhan-mac-ca-tam-duong] input", "Tab")
    assert page.get_attribute("#inquiry-table input", "inputmode") == "text"
    for field, value in (("name", "Aisha Rahman"), ("company", "=Gulf Foods"), ("country", "UAE"),
                         ("email", "aisha@example.ae"), ("message", "Halal certificates, please.")):
        page.fill(f"#buyer [name={field}]", value)
    reference = page.inner_text("#rfq-reference")
    assert re.fullmatch(r"RFQ-\d{8}-[0-9A-F]{4}", reference)
    body = urllib.parse.parse_qs(page.get_attribute("#inquiry-mail", "href").split("?", 1)[1])["body"][0]
    base = "https://ocop.laichau.example.org/en/products/"
    assert f"{base}nhan-mac-ca-tam-duong/" in body and f"{base}che-xanh-shan-tuyet-ta-leng/" in body
    assert "file:" not in body and "Aisha Rahman" in body and reference in body
    with page.expect_download() as download_info:
        page.click("#inquiry-csv")
    download = download_info.value
    assert download.suggested_filename == f"{reference}.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv_module.DictReader(io.StringIO(text)))
    assert [r["url"] for r in rows] == [f"{base}nhan-mac-ca-tam-duong/", f"{base}che-xanh-shan-tuyet-ta-leng/"]
    assert rows[0]["quantity"] == "2 t" and rows[0]["code"] and rows[0]["minimum_order"]
    assert rows[0]["company"] == "'=Gulf Foods"  # never a spreadsheet formula
    assert {r["reference"] for r in rows} == {reference} and rows[0]["email"] == "aisha@example.ae"
    # printed, it is a request: the office, the reference, the products; not the page's chrome,
    # its instructions, its buttons or the hints in empty fields
    page.focus("#buyer [name=email]")
    page.emulate_media(media="print")
    assert page.is_visible(".rfq-office") and page.is_visible("#rfq-reference") and page.is_visible("#inquiry-table")
    assert page.is_hidden(".site-header") and page.is_hidden("main .lead") and page.is_hidden("#inquiry-clear")
    empty = "#inquiry-table tr[data-product=che-xanh-shan-tuyet-ta-leng] input"
    assert page.eval_on_selector(empty, "e => getComputedStyle(e, '::placeholder').color") == "rgba(0, 0, 0, 0)"
    assert page.eval_on_selector("#buyer [name=email]", "e => getComputedStyle(e).outlineStyle") == "none"
    page.emulate_media(media="screen")
    # emptying asks first: refused, the list stays; accepted, it goes
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#inquiry-clear")
    assert page.eval_on_selector_all("#inquiry-table tbody tr", "rs => rs.length") == 2
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#inquiry-clear")
    assert page.is_visible("#inquiry-empty") and page.is_hidden("#rfq")


@pytest.fixture(scope="module")
def big_site(tmp_path_factory) -> Path:
    """A catalogue of 90 products: three pages of the product list."""
    import sys as _sys

    _sys.path.insert(0, str(REPO / "bench"))
    from generate import generate  # type: ignore[import-not-found]

    from catalogue.build.pipeline import build

    site = generate(tmp_path_factory.mktemp("big") / "site", 90)
    out = site.parent / "out"
    result = build(site, out, NOW, link_style="files")
    assert result.ok, [p.format() for p in result.problems.sorted()][:5]
    return out


def test_a_search_finds_products_of_every_page_of_the_list(tab, big_site: Path) -> None:
    page, _ = tab
    page.goto((big_site / "en/products/index.html").as_uri())
    assert page.locator("#product-list [data-product]").count() == 36  # the first page's cards
    found = search(page, "Product 87 en")
    assert found[0] == "product-00087"  # on the third page
    card = page.locator("[data-product=product-00087]")
    assert card.locator(".card-title").inner_text() == "Product 87 en"
    assert page.is_hidden("#server-pages")
    card.locator("button[data-inquiry]").click()
    assert card.locator("button[data-inquiry]").get_attribute("aria-pressed") == "true"
    card.locator(".card-link").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/en/products/product-00087/index.html")
    page.go_back()
    page.wait_for_load_state("load")
    # a filter alone shows the first 36 of all that pass, then more on request
    page.fill("input[name=q]", "")
    page.check("input[name=category][value=food]")
    page.wait_for_timeout(300)
    total = int(re.search(r"\d+", page.inner_text("#result-count")).group())  # type: ignore[union-attr]
    assert total > 0 and len(visible(page)) == min(total, 36)
    if total > 36:
        page.click("#more-results button")
        assert len(visible(page)) == min(total, 72)
    page.uncheck("input[name=category][value=food]")
    page.wait_for_timeout(300)
    assert len(visible(page)) == 36 and page.is_visible("#server-pages")


def test_the_view_reaches_the_address_even_when_the_buyer_leaves_at_once(tab, example_http: str) -> None:
    """The address is written just after the results are shown; leaving first writes it too."""
    page, _ = tab
    page.goto(index_url(example_http, "en"))
    page.evaluate("""() => {
      const form = document.getElementById('product-search');
      form.querySelector('input[name=q]').value = 'honey';
      form.dispatchEvent(new Event('submit', {cancelable: true}));
      location.href = '../';
    }""")
    page.wait_for_url(example_http + "en/")
    page.go_back()
    page.wait_for_url(re.compile(r"/en/products/"))
    assert "q=honey" in page.url
    assert page.input_value("input[name=q]") == "honey"
