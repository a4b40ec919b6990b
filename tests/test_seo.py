"""What search engines and link previews read: the same alternates in every page and in the
sitemap, a description and an image on every page."""

from __future__ import annotations

from pathlib import Path

import lxml.etree
from conftest import NOW, build_ok, page

from catalogue.build.pipeline import build

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
BASE = "https://example.org/cat/"


def _sitemap(out: Path) -> dict[str, dict[str, str]]:
    tree = lxml.etree.parse(str(out / "sitemap.xml"))
    return {url.findtext("s:loc", namespaces=NS): {link.get("hreflang"): link.get("href")
                                                   for link in url.findall("x:link", NS)}
            for url in tree.findall("s:url", NS)}


def test_every_page_and_the_sitemap_name_the_same_alternates(site: Path, tmp_path: Path) -> None:
    out = build_ok(site, tmp_path / "out")
    listed = _sitemap(out)
    assert BASE in listed, "the root language picker is listed"
    assert listed[BASE]["x-default"] == BASE and listed[f"{BASE}en/"]["x-default"] == BASE
    for loc, alternates in listed.items():
        rel = loc[len(BASE):] + ("index.html" if loc.endswith("/") else "")
        doc = page(out, rel)
        in_html = {link.get("hreflang"): link.get("href") for link in doc.cssselect('link[rel="alternate"][hreflang]')}
        assert in_html == alternates, loc
        assert doc.cssselect('link[rel="canonical"]')[0].get("href") == loc


def test_without_a_site_description_every_page_still_has_one_and_an_image(site: Path, tmp_path: Path) -> None:
    settings = site / "site.yaml"
    settings.write_text("\n".join(line for line in settings.read_text(encoding="utf-8").splitlines()
                                  if not line.startswith("description:")) + "\n", encoding="utf-8")
    result = build(site, tmp_path / "out", NOW, use_cache=False)
    assert result.ok
    out = tmp_path / "out"
    for rel in ("index.html", "en/index.html", "en/products/index.html", "vi/categories/beverage/index.html",
                "ja/producers/index.html", "ar/events/index.html"):
        doc = page(out, rel)
        description = doc.cssselect('meta[name="description"]')[0].get("content")
        assert description and len(description) > 30, rel
    assert page(out, "en/index.html").cssselect('meta[name="description"]')[0].get("content").startswith(
        "Test Products: certified local products")
    for rel in ("en/index.html", "en/products/index.html", "vi/categories/beverage/index.html"):
        image = page(out, rel).cssselect('meta[property="og:image"]')
        assert image and image[0].get("content").startswith(f"{BASE}media/products/che-ta-leng/cover-"), rel


def test_a_page_with_nothing_in_its_language_is_not_offered_as_that_language(site: Path, tmp_path: Path) -> None:
    """mac-ca has a Vietnamese text only: its en, ar and ja pages show it (marked), but are
    not hreflang alternates, not in the sitemap, and ask not to be indexed."""
    out = build_ok(site, tmp_path / "out")
    listed = _sitemap(out)
    assert f"{BASE}vi/products/mac-ca/" in listed and f"{BASE}en/products/mac-ca/" not in listed
    assert listed[f"{BASE}vi/products/mac-ca/"] == {"vi": f"{BASE}vi/products/mac-ca/",
                                                     "x-default": f"{BASE}vi/products/mac-ca/"}
    for lang in ("en", "ar", "ja"):
        doc = page(out, f"{lang}/products/mac-ca/index.html")
        assert doc.cssselect('meta[name="robots"]')[0].get("content") == "noindex, follow"
        assert [link.get("hreflang") for link in doc.cssselect('link[rel="alternate"][hreflang]')] == ["vi", "x-default"]
        assert len(doc.cssselect(".lang-switch a")) == 4  # the reader may still switch to it
    assert not page(out, "vi/products/mac-ca/index.html").cssselect('meta[name="robots"]')
    both = page(out, "en/products/che-ta-leng/index.html")
    assert sorted(link.get("hreflang") for link in both.cssselect('link[rel="alternate"][hreflang]')) == \
        ["en", "vi", "x-default"]
    # a card whose text is another language's says so, quietly
    card = page(out, "ja/products/index.html").cssselect('[data-product="mac-ca"] .card-lang')
    assert card and card[0].cssselect('[aria-hidden="true"]')[0].text == "VI"
    assert not page(out, "vi/products/index.html").cssselect('[data-product="mac-ca"] .card-lang')
