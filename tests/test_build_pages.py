"""Whole builds of the fixture site: every page kind, every fact, every language."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from conftest import build_ok, page, text_of
from sitekit import EVENT_ONLINE, text_file, write
from lxml import etree

SLUG = "che-ta-leng"


def facts(doc) -> dict[str, str]:
    dl = doc.cssselect("dl.facts")[0]
    return {text_of(dt): text_of(dd) for dt, dd in zip(dl.cssselect("dt"), dl.cssselect("dd"))}


def test_product_page_shows_every_fact_in_english(built: Path) -> None:
    doc = page(built, f"en/products/{SLUG}/index.html")
    assert doc.get("lang") == "en" and doc.get("dir") == "ltr"
    assert text_of(doc.cssselect("h1")[0]) == "Ta Leng Shan tuyet tea"
    shown = facts(doc)
    assert shown["Producer"] == "Ta Leng Cooperative (Cooperative)"
    assert shown["District"] == "Tam Duong"
    assert shown["HS code"] == "0902.10"
    assert shown["Minimum order"] == "200 kg"
    assert shown["Shelf life"] == "540 days"
    assert shown["OCOP certificate"] == "1234/QĐ-UBND (valid until December 31, 2027)"
    assert shown["Last reviewed"] == "May 1, 2026"
    stars = doc.cssselect(".rating .stars")[0]
    assert stars.get("aria-label") == "4 OCOP stars out of 5"
    assert text_of(doc.cssselect(".rating")[0]).endswith("OCOP rating 2022")
    chips = [text_of(li) for li in doc.cssselect(".product-head .chips li")]
    assert chips == ["Organic", "Halal", "Middle East", "Japan"]
    rows = [[text_of(td) for td in tr.cssselect("td")] for tr in doc.cssselect("table.packaging tbody tr")]
    assert rows == [["100 g", "₫85,000"], ["500 g", "$12.50"], ["1 kg", "on request"]]
    assert [a.get("href") for a in doc.cssselect(".side a[href^='https://shopee']")] == \
        ["https://shopee.vn/che-ta-leng"]
    images = doc.cssselect(".gallery img")
    srcs = [img.get("src") for img in images]
    assert re.fullmatch(rf"\.\./\.\./\.\./media/products/{SLUG}/cover-120\.[0-9a-f]{{8}}\.jpg", srcs[0]), srcs
    assert re.fullmatch(rf"\.\./\.\./\.\./media/products/{SLUG}/pack-90\.[0-9a-f]{{8}}\.jpg", srcs[1]), srcs
    assert images[0].get("width") == "120" and images[0].get("height") == "90"
    assert images[0].get("fetchpriority") == "high" and images[1].get("loading") == "lazy"
    assert all(img.get("alt") for img in images)
    webp = doc.cssselect(".gallery-main source")[0]
    assert webp.get("type") == "image/webp"
    assert webp.get("srcset") == srcs[0].replace(".jpg", ".webp") + " 120w"
    assert (built / f"{SLUG}".join(["media/products/", "/"]) / srcs[0].rsplit("/", 1)[1]).is_file()
    contact = text_of(doc.cssselect(".side .contact")[0])
    assert "+84 912 345 678" in contact and "taleng@example.org" in contact
    events = [text_of(h) for h in doc.cssselect("#product-events ~ .grid .card-title")]
    assert events == ["Tư vấn xuất khẩu Nhật Bản", "Tea promotion workshop"]
    assert text_of(doc.cssselect(".prose h2")[0]) == "Brewing"


def test_product_facts_are_formatted_per_locale(built: Path) -> None:
    vi = page(built, f"vi/products/{SLUG}/index.html")
    rows = [[td.text_content().strip() for td in tr.cssselect("td")]
            for tr in vi.cssselect("table.packaging tbody tr")]
    assert rows[0][1] == "85.000\xa0₫" and rows[1][1] == "12,50\xa0US$"
    ja = page(built, f"ja/products/{SLUG}/index.html")
    assert "2026年5月1日" in text_of(ja.cssselect("dl.facts")[0])
    ar = page(built, f"ar/products/{SLUG}/index.html")
    assert ar.get("dir") == "rtl" and ar.get("lang") == "ar"
    hs = ar.cssselect("bdi.code")[0]
    assert hs.get("dir") == "ltr" and text_of(hs) == "0902.10"
    assert "2026" in text_of(ar.cssselect("dl.facts")[0]) and "مايو" in text_of(ar.cssselect("dl.facts")[0])


def test_missing_translation_falls_back_with_notice_and_lang(built: Path) -> None:
    """By default a missing translation shows the English text (the site lists English), and
    the notice names English in the reader's language."""
    doc = page(built, f"ja/products/{SLUG}/index.html")
    h1 = doc.cssselect("h1")[0]
    assert text_of(h1) == "Ta Leng Shan tuyet tea"
    assert h1.get("lang") == "en"
    notice = doc.cssselect(".notice-fallback")
    assert len(notice) == 1 and "英語" in text_of(notice[0])
    assert doc.cssselect(".prose")[0].get("lang") == "en"
    translated = page(built, f"en/products/{SLUG}/index.html")
    assert not translated.cssselect(".notice-fallback")
    assert translated.cssselect("h1")[0].get("lang") is None


def test_hreflang_alternates_and_canonical_on_every_language(built: Path) -> None:
    for lang in ("vi", "en", "ar", "ja"):
        doc = page(built, f"{lang}/products/{SLUG}/index.html")
        links = {link.get("hreflang"): link.get("href") for link in doc.cssselect("link[rel=alternate][hreflang]")}
        # the entry has texts in vi and en: only those are offered to search engines as
        # alternates (the ar and ja pages show the English text, and are not indexed)
        assert links == {
            "vi": f"https://example.org/cat/vi/products/{SLUG}/",
            "en": f"https://example.org/cat/en/products/{SLUG}/",
            "x-default": f"https://example.org/cat/vi/products/{SLUG}/",
        }
        assert doc.cssselect("link[rel=canonical]")[0].get("href") == f"https://example.org/cat/{lang}/products/{SLUG}/"


def test_language_switcher_goes_to_the_same_entry(built: Path) -> None:
    doc = page(built, f"ar/producers/htx-ta-leng/index.html")
    switch = {a.get("hreflang"): a.get("href") for a in doc.cssselect(".lang-switch a")}
    assert switch == {"vi": "../../../vi/producers/htx-ta-leng/", "en": "../../../en/producers/htx-ta-leng/",
                      "ar": "./", "ja": "../../../ja/producers/htx-ta-leng/"}
    for lang, href in switch.items():
        target = (built / f"ar/producers/htx-ta-leng/{href}/index.html").resolve()
        assert target == (built / f"{lang}/producers/htx-ta-leng/index.html").resolve()


def test_producer_page_lists_its_products(built: Path) -> None:
    doc = page(built, "en/producers/htx-ta-leng/index.html")
    assert text_of(doc.cssselect("h1")[0]) == "Ta Leng Cooperative"
    cards = doc.cssselect("#producer-products ~ .grid [data-product]")
    assert [c.get("data-product") for c in cards] == [SLUG, "mac-ca"]
    assert "Founded in 2015" in text_of(doc.cssselect(".side")[0])
    organised = [text_of(h) for h in doc.cssselect("#producer-events ~ .grid .card-title")]
    assert organised == ["Tea promotion workshop"]


def test_event_index_splits_upcoming_and_past_by_build_date(built: Path) -> None:
    doc = page(built, "en/events/index.html")
    upcoming = [text_of(h) for h in doc.cssselect("#upcoming-heading ~ .grid .card-title")]
    past = [text_of(h) for h in doc.cssselect("#past-heading ~ .grid .card-title")]
    assert upcoming == ["Tư vấn xuất khẩu Nhật Bản"]
    assert past == ["Tea promotion workshop"]


def test_event_page_shows_local_time_offset_and_calendar(built: Path) -> None:
    doc = page(built, "en/events/hoi-thao-che/index.html")
    (when,) = doc.cssselect(".side time")  # one day: its hours as one CLDR interval
    assert when.get("datetime") == "2022-06-14T08:30:00+07:00"
    assert text_of(when) == "Tuesday, June 14, 2022, 8:30 AM – 4:30 PM (GMT+07:00)"
    assert "Lai Châu, Vietnam" in text_of(doc.cssselect(".side")[0])
    ics_link = doc.cssselect("a[href$='.ics']")[0].get("href")
    ics = (built / "en/events/hoi-thao-che" / ics_link).read_bytes()
    assert b"DTSTART:20220614T013000Z\r\n" in ics and b"DTEND:20220614T093000Z\r\n" in ics
    assert ics.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and ics.endswith(b"END:VCALENDAR\r\n")
    online = (built / "en/events/tu-van-nhat-ban/tu-van-nhat-ban.ics").read_bytes()
    assert b"DTSTART;VALUE=DATE:20270310\r\n" in online and b"DTEND;VALUE=DATE:20270311\r\n" in online


def test_listing_pages_per_category_district_and_market(built: Path) -> None:
    for rel, expected in (("en/categories/beverage/index.html", [SLUG]),
                          ("en/categories/food/index.html", ["mac-ca"]),
                          ("en/districts/sin-ho/index.html", ["mac-ca"]),
                          ("en/markets/japan/index.html", [SLUG])):
        doc = page(built, rel)
        assert [c.get("data-product") for c in doc.cssselect("[data-product]")] == expected
    assert not (built / "en/markets/eu").exists()  # no product targets it


def test_root_page_offers_every_language(built: Path) -> None:
    doc = page(built, "index.html")
    links = {a.get("hreflang"): a.get("href") for a in doc.cssselect(".language-list a")}
    assert links == {"vi": "vi/", "en": "en/", "ar": "ar/", "ja": "ja/"}
    (script,) = [s.get("src") for s in doc.cssselect("script[src]")]
    assert re.fullmatch(r"static/js/language\.[0-9a-f]{10}\.js", script)
    assert (built / script).is_file()


def test_not_found_pages_use_root_based_links(built: Path) -> None:
    doc = page(built, "404.html")
    assert doc.get("lang") == "vi"
    hrefs = [a.get("href") for a in doc.cssselect("main a")]
    assert hrefs == ["/cat/vi/", "/cat/vi/products/"]
    assert re.fullmatch(r"/cat/static/css/site\.[0-9a-f]{10}\.css", doc.cssselect("link[rel=stylesheet]")[0].get("href"))
    assert doc.cssselect("meta[name=robots]")[0].get("content") == "noindex"


def test_sitemap_lists_pages_with_alternates_and_robots(built: Path) -> None:
    tree = etree.parse(str(built / "sitemap.xml"))
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    locs = tree.xpath("//s:url/s:loc/text()", namespaces=ns)
    assert f"https://example.org/cat/en/products/{SLUG}/" in locs
    assert not any(loc.endswith("404.html") for loc in locs)
    assert f"https://example.org/cat/ja/products/{SLUG}/" not in locs  # nothing on it is Japanese
    entry = tree.xpath(f"//s:url[s:loc='https://example.org/cat/en/products/{SLUG}/']", namespaces=ns)[0]
    alternates = {link.get("hreflang"): link.get("href") for link in entry.xpath("x:link", namespaces=ns)}
    assert set(alternates) == {"vi", "en", "x-default"}
    assert entry.xpath("s:lastmod/text()", namespaces=ns) == ["2026-05-01"]
    robots = (built / "robots.txt").read_text()
    assert "Sitemap: https://example.org/cat/sitemap.xml" in robots


def test_a_sitemap_past_the_protocol_limits_is_split_under_an_index() -> None:
    from conftest import NOW, REPO

    from catalogue.build.pipeline import load_site, plan_build
    from catalogue.outputs.files import sitemap_entries
    from catalogue.outputs.sitemap import sitemap_files
    from catalogue.problems import Problems
    from catalogue.site.edition import Edition

    loaded = load_site(REPO, Problems(), NOW)
    assert loaded is not None
    entries = sitemap_entries(plan_build(loaded, Edition(loaded.config.languages), Problems()).pages, loaded.index)
    base, lang = "https://example.org/ocop/", loaded.config.source_lang
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}

    def locs(data: bytes) -> list[str]:
        return etree.fromstring(data).xpath("//s:url/s:loc/text()", namespaces=ns)

    whole = sitemap_files(base, entries, lang)
    assert list(whole) == ["sitemap.xml"]
    every = locs(whole["sitemap.xml"])
    assert len(every) > 40
    for limits in ({"max_urls": 40}, {"max_bytes": 20_000}):
        split = sitemap_files(base, entries, lang, **limits)
        index = etree.fromstring(split["sitemap.xml"])
        assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
        parts = index.xpath("//s:sitemap/s:loc/text()", namespaces=ns)
        assert parts == [f"{base}sitemap-{n}.xml" for n in range(1, len(parts) + 1)] and len(parts) > 1
        assert sorted(split) == sorted(["sitemap.xml", *(p.rsplit("/", 1)[1] for p in parts)])
        pieces = [locs(split[p.rsplit("/", 1)[1]]) for p in parts]
        assert [loc for piece in pieces for loc in piece] == every  # all of them, in order, once
        for p in parts:
            data = split[p.rsplit("/", 1)[1]]
            assert len(locs(data)) <= limits.get("max_urls", 50_000)
            assert len(data) <= limits.get("max_bytes", 50 * 1024 * 1024)


def test_markdown_body_is_sanitised(site: Path) -> None:
    from conftest import build_ok
    (site / "content/products/mac-ca/cover.jpg").write_bytes((site / "content/products/che-ta-leng/cover.jpg").read_bytes())
    (site / "content/products/mac-ca/vi.md").write_text(
        "---\nname: Mắc ca\nsummary: Hạt.\n---\n"
        "Hello <script>alert(1)</script>\n\n<img src=\"cover.jpg\" onerror=\"alert(2)\" alt=\"x\">\n\n"
        "[click](javascript:alert(3)) <a href=\"JaVaScRiPt:alert(4)\">x</a>\n\n"
        "<iframe src=\"https://evil.example\"></iframe><div onclick=\"alert(5)\" style=\"position:fixed\">d</div>\n\n"
        "| a | b |\n|---|--:|\n| 1 | 2 |\n\nNote[^1]\n\n[^1]: A footnote.\n", encoding="utf-8")
    out = build_ok(site)
    doc = page(out, "vi/products/mac-ca/index.html")
    prose = doc.cssselect(".prose")[0]
    html = etree.tostring(prose, encoding="unicode")
    assert not prose.cssselect("script, iframe, object, embed")
    assert "alert" not in html.replace("Hello", "")
    for element in prose.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on")
            assert not value.strip().lower().startswith("javascript:")
    assert prose.cssselect(".table-wrap table td")
    assert prose.cssselect(".footnote li")
    [raw_image] = prose.cssselect("img")  # raw HTML's image shows the entry's resized copy
    assert raw_image.get("src").startswith("../../../media/products/mac-ca/cover-")


def test_html_in_names_is_escaped(site: Path) -> None:
    from conftest import build_ok
    (site / "content/products/mac-ca/vi.md").write_text(
        "---\nname: \"<b>Mắc ca</b> & <script>x</script>\"\nsummary: Hạt.\n---\nBody\n", encoding="utf-8")
    out = build_ok(site)
    doc = page(out, "vi/products/mac-ca/index.html")
    h1 = doc.cssselect("h1")[0]
    assert text_of(h1) == "<b>Mắc ca</b> & <script>x</script>"
    assert not h1.cssselect("b, script")


def test_the_root_page_names_the_site_once_in_each_language(built: Path) -> None:
    doc = page(built, "index.html")
    title = text_of(doc.cssselect("h1")[0])
    others = doc.cssselect("#choose bdi")
    assert title == "Sản phẩm thử" and [o.get("lang") for o in others] == ["en", "ar", "ja"]
    assert all(text_of(o) != title for o in others)
    assert others[1].get("dir") == "rtl" and text_of(others[1]) == "منتجات تجريبية"


@pytest.mark.parametrize(("lang", "one_day", "days"), [
    ("en", "Wednesday, February 24, 2027, 2:00 – 4:30 PM (GMT+07:00)", "Thu, Mar 4 – Sun, Mar 7, 2027"),
    ("vi", "14:00–16:30 Thứ Tư, 24 tháng 2, 2027 (GMT+07:00)", "Thứ 5, 4 thg 3 – CN, 7 thg 3, 2027"),
    ("ar", "الأربعاء، 24 فبراير 2027، 2:00–4:30 م (غرينتش+07:00)", "الخميس، 4 – الأحد، 7 مارس، 2027"),
    ("ja", "2027年2月24日水曜日 14時00分～16時30分 (GMT+07:00)", "2027年3月4日(木)～7日(日)"),
])
def test_event_times_are_cldr_intervals(example_public: Path, lang: str, one_day: str, days: str) -> None:
    """A card says when in one phrase of the locale's interval formats; the page of a one-day
    event too, while an event over several days lists its start and end with their hours."""
    online, osaka = "tu-van-xuat-khau-truc-tuyen-thi-truong-trung-dong-2027", "tuan-le-tra-lai-chau-tai-osaka-2027"
    cards = {card.cssselect(".card-link")[0].get("href").rstrip("/").rsplit("/", 1)[-1]:
             text_of(card.cssselect(".event-when")[0]) for card in page(example_public, f"{lang}/events/index.html")
             .cssselect(".event-card")}
    assert (cards[online], cards[osaka]) == (one_day, days)
    assert [text_of(t) for t in page(example_public, f"{lang}/events/{online}/index.html").cssselect(".facts time")] \
        == [one_day]
    rows = page(example_public, f"{lang}/events/{osaka}/index.html").cssselect(".facts time")
    assert [t.get("datetime") for t in rows] == ["2027-03-04T10:00:00+09:00", "2027-03-07T18:00:00+09:00"]


def test_the_event_list_is_paginated_upcoming_first(site: Path) -> None:
    """With 40 more events (28 to come, 12 past) the list has two pages of at most 36 cards,
    linked both ways: the first with every upcoming event and the first past ones, the second
    with the rest of the past, under its heading only."""
    for number in range(40):
        day = f"2027-01-{number + 1:02d}" if number < 28 else f"2025-02-{number - 27:02d}"
        folder = site / "content/events" / f"hoi-cho-{number:02d}"
        write(folder / "event.yaml", EVENT_ONLINE.replace("start: 2027-03-10", f"start: {day}"))
        write(folder / "vi.md", text_file(f"Hội chợ {number:02d}", "Trực tuyến.", "Nội dung.\n"))
    out = build_ok(site)
    first, second = page(out, "en/events/index.html"), page(out, "en/events/page/2/index.html")
    assert len(first.cssselect(".event-card")) == 36 and len(second.cssselect(".event-card")) == 42 - 36
    assert len(first.cssselect("#upcoming-heading ~ .grid .event-card")) == 29  # 28 and the fixture's own
    assert [text_of(h) for h in second.cssselect("h2")] == ["Past events"]
    assert not second.cssselect(".event-card:not(.is-past)")
    base = "https://x.example/en/events/"
    assert urljoin(base, first.cssselect(".pagination a[rel=next]")[0].get("href")) == base + "page/2/"
    assert urljoin(base + "page/2/", second.cssselect(".pagination a[rel=prev]")[0].get("href")) == base
    assert "/en/events/page/2/" in (out / "sitemap.xml").read_text(encoding="utf-8")
