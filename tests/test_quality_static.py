"""Quality gates on built sites, without a browser: valid HTML, no broken links."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sitecheck import crawl, validate_html, vnu_jar


def test_example_site_has_no_broken_links_or_anchors(example_public: Path) -> None:
    broken, checked = crawl(example_public, "https://ocop.laichau.example.org/")
    assert checked > 1000
    assert broken == [], "\n".join(map(str, broken[:30]))


def test_fixture_site_has_no_broken_links(fixture_public: Path) -> None:
    broken, checked = crawl(fixture_public, "https://example.org/cat/")
    assert checked > 100
    assert broken == [], "\n".join(map(str, broken[:30]))


def test_crawler_catches_a_dead_link_and_a_missing_anchor(fixture_public: Path, tmp_path: Path) -> None:
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(fixture_public, copy)
    page = copy / "en/products/index.html"
    page.write_text(page.read_text().replace("</main>", '<a href="../nowhere/">x</a><a href="#nope">y</a>'
                                             '<img src="../../media/gone.jpg" alt="g"></main>'))
    broken, _ = crawl(copy, "https://example.org/cat/")
    assert {(b.target, b.reason) for b in broken} == {
        ("../nowhere/", "no such file"), ("#nope", "no element with id 'nope'"),
        ("../../media/gone.jpg", "no such file")}


needs_vnu = pytest.mark.skipif(vnu_jar() is None and not os.environ.get("CI"),
                               reason="vnu.jar not installed (make vnu)")


@needs_vnu
@pytest.mark.slow
def test_example_site_is_valid_html(example_public: Path) -> None:
    errors = validate_html(example_public)
    assert errors == [], "\n".join(errors[:30])


@needs_vnu
@pytest.mark.slow
def test_validator_catches_an_unclosed_tag(fixture_public: Path, tmp_path: Path) -> None:
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(fixture_public, copy)
    page = copy / "en/index.html"
    page.write_text(page.read_text().replace("<main id=\"main\" tabindex=\"-1\">", "<main id=\"main\"><div><span>"
                                             ).replace("</main>", "</div></main>", 1))
    errors = validate_html(copy)
    assert any("en/index.html" in e for e in errors), errors
