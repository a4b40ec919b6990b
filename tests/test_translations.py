"""Translation workflow: source hash, stale detection, status report, stamping, new languages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import NOW, REPO, build_ok, page, text_of
from sitekit import text_file


from catalogue.content.translations import hash_of_source

EN = "content/products/che-ta-leng/en.md"
VI = "content/products/che-ta-leng/vi.md"


def cli(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args, "--now", "2026-11-29"], cwd=site,
                          capture_output=True, text=True, timeout=120)


def status(site: Path) -> dict[tuple[str, str], str]:
    done = cli(site, "i18n", "status", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    return {(f"{e['kind']}/{e['slug']}", e["lang"]): e["status"] for e in report["entries"]}


def text(name: str, summary: str, body: str) -> str:
    """The hash a translation of this source text names."""
    return hash_of_source(name, summary, body)


def test_hash_ignores_line_endings_and_trailing_spaces() -> None:
    base = text("Chè", "Ngon.", "Dòng 1\nDòng 2\n")
    assert len(base) == 8 and int(base, 16) >= 0
    assert text("Chè ", "Ngon.", "Dòng 1  \r\nDòng 2\r\n\r\n") == base
    assert text("Chè", "Ngon.", "\nDòng 1\nDòng 2") == base
    assert text("Chè", "Ngon.", "Dòng 1\nDòng 3\n") != base
    assert text("Chè xanh", "Ngon.", "Dòng 1\nDòng 2\n") != base
    assert text("Chè", "Rất ngon.", "Dòng 1\nDòng 2\n") != base


@pytest.fixture
def stamped(site: Path) -> Path:
    done = cli(site, "i18n", "stamp", "products/che-ta-leng", "en")
    assert done.returncode == 0, done.stderr
    assert "stamped content/products/che-ta-leng/en.md" in done.stdout
    return site


def test_stamp_writes_only_the_hash_line(site: Path) -> None:
    before = (site / EN).read_text(encoding="utf-8")
    cli(site, "i18n", "stamp", "products/che-ta-leng", "en")
    after = (site / EN).read_text(encoding="utf-8")
    digest = text("Chè Shan tuyết Tả Lèng", "Chè xanh từ cây cổ thụ.",
                  "## Cách pha\n\nDùng nước 85 °C.\n\n- Lá xoăn\n- Hương cốm\n")
    assert after == before.replace("---\n## Brewing", f'translation_of: "{digest}"\n---\n## Brewing')
    assert cli(site, "i18n", "stamp", "products/che-ta-leng", "en").stdout.strip() == "0 file(s) stamped"


def test_statuses_translated_missing_untracked(stamped: Path) -> None:
    statuses = status(stamped)
    assert statuses[("product/che-ta-leng", "en")] == "translated"
    assert statuses[("product/mac-ca", "en")] == "missing"
    assert statuses[("producer/htx-ta-leng", "en")] == "untracked"
    assert statuses[("product/che-ta-leng", "ar")] == "missing"
    report = json.loads(cli(stamped, "i18n", "status", "--format", "json").stdout)
    shows = {(f"{e['kind']}/{e['slug']}", e["lang"]): e["shows"] for e in report["entries"]}
    assert shows[("product/che-ta-leng", "ar")] == "en" and shows[("product/mac-ca", "ja")] == "vi"
    assert shows[("product/che-ta-leng", "en")] == ""


def test_editing_the_source_body_makes_the_translation_stale(stamped: Path) -> None:
    vi = stamped / VI
    vi.write_text(vi.read_text(encoding="utf-8").replace("85 °C", "90 °C"), encoding="utf-8")
    assert status(stamped)[("product/che-ta-leng", "en")] == "stale"


def test_editing_the_source_name_makes_the_translation_stale(stamped: Path) -> None:
    vi = stamped / VI
    vi.write_text(vi.read_text(encoding="utf-8").replace("name: Chè Shan tuyết Tả Lèng",
                                                         "name: Chè Shan tuyết cổ thụ Tả Lèng"), encoding="utf-8")
    assert status(stamped)[("product/che-ta-leng", "en")] == "stale"


def test_whitespace_only_changes_do_not_make_it_stale(stamped: Path) -> None:
    vi = stamped / VI
    content = vi.read_text(encoding="utf-8")
    vi.write_bytes((content.replace("\n", "   \r\n") + "\r\n\r\n").encode("utf-8"))
    assert status(stamped)[("product/che-ta-leng", "en")] == "translated"


def test_stale_translation_still_builds_with_a_notice(stamped: Path) -> None:
    vi = stamped / VI
    vi.write_text(vi.read_text(encoding="utf-8").replace("85 °C", "90 °C"), encoding="utf-8")
    out = build_ok(stamped)
    doc = page(out, "en/products/che-ta-leng/index.html")
    assert text_of(doc.cssselect("h1")[0]) == "Ta Leng Shan tuyet tea"
    notice = doc.cssselect(".notice-stale")
    assert len(notice) == 1 and "may be out of date" in text_of(notice[0])
    vi_doc = page(out, "vi/products/che-ta-leng/index.html")
    assert not vi_doc.cssselect(".notice")


def test_strict_exit_codes(stamped: Path) -> None:
    assert cli(stamped, "i18n", "status", "--strict").returncode == 1  # missing texts
    assert cli(stamped, "i18n", "status").returncode == 0
    import shutil
    for folder in ("products/mac-ca", "events/tu-van-nhat-ban"):
        shutil.rmtree(stamped / "content" / folder)
    (stamped / "site.yaml").write_text(
        "title: Test\nbase_url: https://example.org/\nlanguages: [vi, en]\n"
        "codes: {districts: {tam-duong: {vi: Tam Đường}, sin-ho: {vi: Sìn Hồ}}}\n", encoding="utf-8")
    for rel in ("content/producers/htx-ta-leng", "content/events/hoi-thao-che"):
        assert cli(stamped, "i18n", "stamp", rel.replace("content/", ""), "en").returncode == 0
    done = cli(stamped, "i18n", "status", "--strict")
    assert done.returncode == 0, done.stdout
    vi = stamped / VI
    vi.write_text(vi.read_text(encoding="utf-8").replace("85 °C", "90 °C"), encoding="utf-8")
    assert cli(stamped, "i18n", "status", "--strict").returncode == 1


def test_status_table_and_ui_coverage(stamped: Path) -> None:
    done = cli(stamped, "i18n", "status")
    lines = done.stdout.splitlines()
    # a missing text says which language its readers see instead (English, then the source)
    assert any(line.split()[:3] == ["product/che-ta-leng", "translated", "missing→en"] for line in lines)
    assert any(line.split()[:3] == ["product/mac-ca", "missing→vi", "missing→vi"] for line in lines)
    assert "  en: 1 translated, 2 untracked, 0 stale, 2 missing" in lines
    assert "  ar: 100.0%" in lines and "  ja: 100.0%" in lines
    report = json.loads(cli(stamped, "i18n", "status", "--format", "json").stdout)
    assert report["version"] == 1 and report["ui_coverage"]["vi"] == 100.0


def test_a_new_language_by_configuration_and_a_po_file(site: Path) -> None:
    site_yaml = site / "site.yaml"
    site_yaml.write_text(site_yaml.read_text(encoding="utf-8").replace("languages: [vi, en, ar, ja]",
                                                                      "languages: [vi, en, ar, ja, ko]"),
                         encoding="utf-8")
    po = site / "locales/ko/LC_MESSAGES/messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
                  '"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
                  'msgid "Products"\nmsgstr "제품"\n\n'
                  'msgid "%(num)d product"\nmsgid_plural "%(num)d products"\nmsgstr[0] "제품 %(num)d개"\n\n'
                  'msgid "This text has not been translated into %(language)s yet. It is shown in %(source)s."\n'
                  'msgstr "이 글은 아직 %(language)s로 번역되지 않았습니다. %(source)s로 표시됩니다."\n',
                  encoding="utf-8")
    out = build_ok(site)
    vi_pages = sorted(p.relative_to(out / "vi").as_posix() for p in (out / "vi").rglob("*.html"))
    ko_pages = sorted(p.relative_to(out / "ko").as_posix() for p in (out / "ko").rglob("*.html"))
    assert ko_pages == vi_pages and len(ko_pages) > 10
    for rel in ko_pages:
        doc = page(out, f"ko/{rel}")
        assert doc.get("lang") == "ko" and doc.get("dir") == "ltr"
    doc = page(out, "ko/products/che-ta-leng/index.html")
    notice = text_of(doc.cssselect(".notice-fallback")[0])
    assert notice == "이 글은 아직 한국어로 번역되지 않았습니다. 영어로 표시됩니다."  # English, named in Korean
    prices = [td.text_content() for td in doc.cssselect("table.packaging .price")]
    assert prices == ["₫85,000", "US$12.50"]  # CLDR's Korean currency format
    assert "2026년 5월 1일" in text_of(doc.cssselect("dl.facts")[0])
    assert text_of(doc.cssselect(".main-nav a")[1]) == "제품"
    index = page(out, "ko/producers/htx-ta-leng/index.html")
    assert text_of(index.cssselect("#producer-products")[0]) == "제품 2개"
    sitemap = (out / "sitemap.xml").read_text()
    assert 'hreflang="ko" href="https://example.org/cat/ko/products/"' in sitemap
    # no entry has a Korean text yet: its Korean page is not offered as Korean
    assert 'hreflang="ko" href="https://example.org/cat/ko/products/che-ta-leng/"' not in sitemap


@pytest.mark.parametrize(("lang", "count", "expected"), [
    ("en", 1, "1 product"), ("en", 3, "3 products"),
    ("ar", 0, "0 منتج"), ("ar", 1, "1 منتج"), ("ar", 2, "2 منتجان"), ("ar", 3, "3 منتجات"),
    ("ar", 11, "11 منتجًا"), ("ar", 100, "100 منتج"),
    ("ja", 5, "5"), ("vi", 5, "5"),
])
def test_plural_forms_in_every_language(lang: str, count: int, expected: str) -> None:
    from catalogue.config import load_config
    from catalogue.site.locales import load_translations
    from catalogue.problems import Problems

    problems = Problems()
    config = load_config(REPO, problems)
    assert config is not None
    translations = load_translations(config, lang, problems).translations
    shown = translations.ngettext("%(num)d product", "%(num)d products", count) % {"num": count}
    assert expected in shown, shown
    assert not problems.items


def test_ui_catalogues_are_complete_for_the_four_languages() -> None:
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "i18n", "status", "--format", "json"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    coverage = json.loads(done.stdout)["ui_coverage"]
    assert coverage == {"vi": 100.0, "en": 100.0, "ar": 100.0, "ja": 100.0}


def test_a_translation_copied_from_the_source_is_flagged_and_not_stamped(site: Path) -> None:
    folder = site / "content/products/che-ta-leng"
    copied = (folder / "vi.md").read_text(encoding="utf-8")
    (folder / "en.md").write_text(copied, encoding="utf-8")
    done = cli(site, "check")
    assert done.returncode == 0, done.stderr
    body_line = copied.split("\n").index("---", 1) + 2
    assert [line for line in done.stdout.splitlines() if "en.md" in line] == [
        "content/products/che-ta-leng/en.md:2: warning: name: the name is the same as in vi.md: translate it, or "
        "delete en.md and readers of en are shown another language's text, marked as untranslated",
        "content/products/che-ta-leng/en.md:3: warning: summary: the summary is the same as in vi.md: translate it, "
        "or delete en.md and readers of en are shown another language's text, marked as untranslated",
        f"content/products/che-ta-leng/en.md:{body_line}: warning: the body is the same as in vi.md: translate it, "
        "or delete en.md and readers of en are shown another language's text, marked as untranslated"]
    refused = cli(site, "i18n", "stamp", "products/che-ta-leng", "en")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "en.md: not stamped: its name and summary and body are the same as in vi.md" in refused.stderr
    assert (folder / "en.md").read_text(encoding="utf-8") == copied
    forced = cli(site, "i18n", "stamp", "products/che-ta-leng", "en", "--force")
    assert forced.returncode == 0 and "stamped content/products/che-ta-leng/en.md" in forced.stdout
    # a short name the same in both (a brand) is not a copy
    (folder / "en.md").write_text(text_file("Ta Leng", "Green tea from ancient trees.", "Use water at 85 °C.\n"),
                                  encoding="utf-8")
    (folder / "vi.md").write_text(text_file("Ta Leng", "Chè xanh từ cây cổ thụ.", "Dùng nước 85 °C.\n"),
                                  encoding="utf-8")
    done = cli(site, "check")
    assert done.returncode == 0 and "same as in" not in done.stdout, done.stdout


def test_a_rebuild_after_a_copied_translation_warns_as_a_full_build_does(site: Path, tmp_path: Path) -> None:
    from catalogue.build.pipeline import build

    build_ok(site, tmp_path / "out")
    folder = site / "content/products/che-ta-leng"
    (folder / "en.md").write_text((folder / "vi.md").read_text(encoding="utf-8"), encoding="utf-8")
    again = build(site, tmp_path / "out", NOW)
    cold = build(site, tmp_path / "cold", NOW, use_cache=False)
    assert again.replanned and again.ok
    assert [p.format() for p in again.problems.warnings] == [p.format() for p in cold.problems.warnings]
    assert sum("same as in vi.md" in p.message for p in again.problems.warnings) == 3


COUNTS = (0, 1, 2, 3, 11, 100)


@pytest.mark.parametrize("lang", ["vi", "en", "ar", "ja"])
def test_every_count_takes_the_form_cldr_gives_its_number(lang: str) -> None:
    """Each plural message of the shipped catalogue, for n = 0, 1, 2, 3, 11, 100: the form the
    catalogue's Plural-Forms picks is the one of Babel's (CLDR's) category for n."""
    from babel import Locale
    from babel.messages.pofile import read_po

    from catalogue.config import load_config
    from catalogue.problems import Problems
    from catalogue.site.locales import load_translations

    rule = Locale.parse(lang).plural_form
    order = [tag for tag in ("zero", "one", "two", "few", "many", "other") if tag in rule.tags or tag == "other"]
    with (REPO / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    # one form for every number where the language writes every count alike (Vietnamese's
    # nouns do not change with the number, whatever categories CLDR gives it); else all of them
    single = catalog.num_plurals == 1 and lang in ("vi", "ja")
    assert single or catalog.num_plurals == len(order)
    config = load_config(REPO, Problems())
    assert config is not None
    translations = load_translations(config, lang, Problems()).translations
    plurals = [m for m in catalog if m.id and isinstance(m.id, tuple)]
    assert len(plurals) >= 6
    for message in plurals:
        forms = message.string if lang != "en" else (message.id[0], message.id[1])
        for n in COUNTS:
            expected = forms[0] if single else forms[order.index(rule(n))] if lang != "en" else \
                forms[0 if n == 1 else 1]
            assert translations.ngettext(message.id[0], message.id[1], n) == expected, (lang, message.id, n)


def test_place_parts_in_another_language_carry_their_language(example_public: Path) -> None:
    """On the Arabic list of events, the Osaka venue has no Arabic name and is shown in English:
    that part alone is marked English, left to right; the city and country, in Arabic, are not."""
    for card in page(example_public, "ar/events/index.html").cssselect(".event-card"):
        if "tuan-le-tra-lai-chau-tai-osaka-2027" in card.cssselect(".card-link")[0].get("href"):
            (place,) = card.cssselect(".muted bdi")
            break
    marked = place.cssselect("[lang]")
    assert [(m.get("lang"), m.get("dir"), text_of(m)) for m in marked] == [("en", "ltr", "INTEX Osaka")]
    assert text_of(place) == "INTEX Osaka، أوساكا، اليابان"
    assert not page(example_public, "en/events/index.html").cssselect(".event-card .muted bdi [lang]")
