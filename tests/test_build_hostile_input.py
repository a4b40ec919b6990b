"""Hostile and careless input: translations, names, links, files and values that tried to
inject script, leak files, blank pages or crash. Each is either shown as the text it is, or
refused with its file and line while the published output stays exactly as it was."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from conftest import NOW, REPO, build_fails, build_ok, messages, page, text_of
from PIL import Image
from sitekit import po_file, published, write

from catalogue.build.pipeline import build

PRODUCT = "content/products/che-ta-leng"
EN_PO = "locales/en/LC_MESSAGES/messages.po"


def edit(site: Path, rel: str, old: str, new: str) -> None:
    path = site / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def refused(site: Path, attack, *expected: str) -> list[str]:
    """Build, attack, build again: the second build fails with every `expected` message
    (each a substring of one message) and leaves the first's output byte for byte."""
    out = build_ok(site)
    before = published(out)
    attack()
    found = messages(build_fails(site))
    for needle in expected:
        assert any(needle in message for message in found), f"{needle!r} not in {found}"
    assert published(out) == before, "the published output changed"
    return found


def html_pages(out: Path, lang: str | None = None):
    for path in sorted(out.rglob("*.html")):
        rel = path.relative_to(out).as_posix()
        if lang is None or rel.startswith(f"{lang}/"):
            yield rel, lxml.html.fromstring(path.read_bytes())


def assert_no_live_script(doc, rel: str) -> None:
    """Only the theme's own scripts (by src) and JSON data blocks; no handler attributes,
    no javascript: address."""
    for script in doc.iter("script"):
        assert script.get("src") or script.get("type") == "application/ld+json", \
            f"{rel}: inline script {lxml.html.tostring(script)[:120]!r}"
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), f"{rel}: <{element.tag} {name}=...>"
            assert not value.strip().lower().startswith("javascript:"), f"{rel}: {name}={value!r}"


# --- translations are text ---------------------------------------------------------------

BREAKOUT = 'Pro"ducts\' autofocus onfocus="alert(1)" x="&amp; <'


def test_a_translation_breaking_out_of_attributes_is_shown_as_text(site: Path) -> None:
    write(site / EN_PO, po_file({"Products": BREAKOUT, "Search products": BREAKOUT, "Main": BREAKOUT,
                                 "Add to inquiry": BREAKOUT}))
    out = build_ok(site)
    pages = list(html_pages(out, "en"))
    assert pages
    for rel, doc in pages:
        assert_no_live_script(doc, rel)
        assert doc.cssselect("nav.main-nav")[0].get("aria-label") == BREAKOUT  # the attribute holds it whole
    nav = [text_of(a) for a in page(out, "en/index.html").cssselect("nav.main-nav a")]
    assert BREAKOUT in nav
    index = page(out, "en/products/index.html")
    assert index.cssselect("label[for=search-q]")[0].text_content() == BREAKOUT
    crumbs = [json.loads(s.text) for s in page(out, f"en/products/che-ta-leng/index.html").cssselect(
        "script[type='application/ld+json']")]
    trail = next(block for block in crumbs if block["@type"] == "BreadcrumbList")["itemListElement"]
    assert trail[1]["name"] == BREAKOUT


def test_markup_in_a_translation_is_refused_with_its_line(site: Path) -> None:
    catalogue = po_file({"Products": "Products</a><script>alert(1)</script>"})
    found = refused(site, lambda: write(site / EN_PO, catalogue), f"{EN_PO}:7: msgid 'Products': a translation is "
                    "text, shown as it is written: remove the HTML tags from it")
    assert len([m for m in found if EN_PO in m]) == 1


def test_every_kind_of_catalogue_mistake_is_located(site: Path) -> None:
    raw = ('msgid "Products"\nmsgstr "Sản phẩm\n\n'  # line 7: not closed
           'msgid "OCOP rating %(year)s"\nmsgstr "Hạng OCOP %(nam)s"\n\n'  # 10: unknown placeholder
           'msgid "Home"\nmsgstr "100% Trang chủ"\n\n')  # 13: a lone %
    write(site / "locales/vi/LC_MESSAGES/messages.po", po_file({}, "vi", "nplurals=1; plural=0;", raw))
    found = messages(build_fails(site))
    rel = "locales/vi/LC_MESSAGES/messages.po"
    assert f"{rel}:8: the text is not closed: it must start and end with \" (write a \" inside it as \\\")" in found
    write(site / "locales/vi/LC_MESSAGES/messages.po", po_file({}, "vi", "nplurals=1; plural=0;", raw.replace(
        'Sản phẩm\n', 'Sản phẩm"\n')))
    found = messages(build_fails(site))
    assert (f"{rel}:10: msgid 'OCOP rating %(year)s': the translation uses %(nam)s, which the original does not "
            "have (placeholders of the original: %(year)s)") in found
    assert f"{rel}:13: msgid 'Home': a lone % at character 4: write %% for a percent sign" in found


def test_a_placeholder_padded_by_a_translation_is_refused(site: Path) -> None:
    """A width or precision in a translation's placeholder pads or cuts the value: one line
    of a .po made every page twenty megabytes. Refused with its line; the plain one builds."""
    raw = 'msgid "OCOP rating %(year)s"\nmsgstr "Hạng OCOP %(year)9999999s"\n\n'
    write(site / "locales/vi/LC_MESSAGES/messages.po", po_file({}, "vi", "nplurals=1; plural=0;", raw))
    found = messages(build_fails(site))
    assert ("locales/vi/LC_MESSAGES/messages.po:7: msgid 'OCOP rating %(year)s': %(year)9999999s has a width or "
            "precision: write %(year)s") in found, found
    for padded in ("%(year)-5s", "%(year).2s", "%(year)05d", "%(year)ls"):
        write(site / "locales/vi/LC_MESSAGES/messages.po",
              po_file({}, "vi", "nplurals=1; plural=0;", raw.replace("%(year)9999999s", padded)))
        assert any("has a width or precision" in m for m in messages(build_fails(site))), padded
    write(site / "locales/vi/LC_MESSAGES/messages.po",
          po_file({}, "vi", "nplurals=1; plural=0;", raw.replace("%(year)9999999s", "%(year)s")))
    build_ok(site)


@pytest.mark.parametrize(("plural_forms", "expected"), [
    ("nplurals=2; plural=" + "(" * 60 + "n != 1" + ")" * 60 + ";", "does not work (plural form expression is too complex)"),
    ("nplurals=2; plural=n % 7;", "for n=2 the expression gives form 2, but nplurals=2 (forms 0 to 1)"),
    ("nplurals=2; plural=__import__('os');", "does not work (invalid token in plural form: __import__)"),
])
def test_a_broken_plural_forms_header_is_refused(site: Path, plural_forms: str, expected: str) -> None:
    write(site / EN_PO, po_file({"Products": "Goods"}, plural_forms=plural_forms))
    found = messages(build_fails(site))
    assert any(m.startswith(f"{EN_PO}:5: Plural-Forms: ") and expected in m for m in found), found


def test_ui_functions_escape_every_translation_and_value(tmp_path: Path) -> None:
    """The template side of it: gettext, ngettext and {% trans %} write a translation, and the
    values filled into it, as text, in text and in attributes."""
    import gettext

    from catalogue.problems import Problems
    from catalogue.site.themes import make_environment, theme_of_folders

    class Hostile(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return "<script>x()</script>\" %(v)s" if "%(v)s" in message else '<b onclick="x()">'

        def ngettext(self, singular: str, plural: str, n: int) -> str:
            return "<i>%(num)d</i>"

    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "p.html").write_text(
        '<a title="{{ _("A") }}">{{ _("B") }}</a>|{{ _("C %(v)s", v="<u>") }}|{{ ngettext("x", "y", 3) }}|'
        '{% trans %}A{% endtrans %}|{% trans v="<u>" %}C %(v)s{% endtrans %}', encoding="utf-8")
    theme = theme_of_folders("t", (tmp_path / "t",), (), tmp_path, Problems())
    html = make_environment(theme, Hostile(), {}).get_template("p.html").render()
    assert "<script" not in html and "<b" not in html and "<i>" not in html and "<u>" not in html
    doc = lxml.html.fromstring(f"<div>{html}</div>")
    assert doc.cssselect("a")[0].get("title") == '<b onclick="x()">'
    assert doc.text_content().count('<script>x()</script>" <u>') == 2


# --- JSON inside <script> ---------------------------------------------------------------

TOKENIZER_TRAP = "Bánh <!--<script> x"


def test_a_name_that_opens_a_script_comment_blanks_no_page(site: Path) -> None:
    edit(site, f"{PRODUCT}/en.md", "name: Ta Leng Shan tuyet tea", f'name: "{TOKENIZER_TRAP}"')
    edit(site, "site.yaml", 'en: "Test Products"', f'en: "{TOKENIZER_TRAP} catalogue"')
    out = build_ok(site)
    for rel, doc in html_pages(out, "en"):
        assert_no_live_script(doc, rel)
        if rel.endswith("404.html"):
            continue
        main = doc.cssselect("main")
        assert main and text_of(main[0]), f"{rel}: <main> is empty"
        for script in doc.cssselect("script[type='application/ld+json']"):
            assert "<" not in script.text and ">" not in script.text and "&" not in script.text
            json.loads(script.text)
    doc = page(out, f"en/products/che-ta-leng/index.html")
    assert text_of(doc.cssselect("main h1")[0]) == TOKENIZER_TRAP
    blocks = [json.loads(s.text) for s in doc.cssselect("script[type='application/ld+json']")]
    assert next(b for b in blocks if b["@type"] == "Product")["name"] == TOKENIZER_TRAP
    index = (out / "en/search-index.js").read_text(encoding="utf-8")
    assert "<" not in index and "\u2028" not in index
    assert "Bánh \\u003c!--\\u003cscript\\u003e x" in index


# --- CSV ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ['=HYPERLINK("https://evil.example","x")', "  +1+1", "\t-2", "@SUM(A1)",
                                  "＝1+1", "﹢cmd"])
def test_csv_cells_never_start_a_formula(site: Path, name: str) -> None:
    edit(site, f"{PRODUCT}/en.md", "name: Ta Leng Shan tuyet tea", f"name: {json.dumps(name)}")
    edit(site, f"{PRODUCT}/product.yaml", 'size: "1 kg"', f"size: {json.dumps(name)}")
    out = build_ok(site)
    rows = list(csv.DictReader(io.StringIO((out / "en/catalogue.csv").read_text(encoding="utf-8-sig"))))
    row = next(r for r in rows if r["slug"] == "che-ta-leng")
    assert row["name"] == "'" + name.strip() if name != "\t-2" else row["name"] == "'-2"
    assert row["packaging"].startswith("100 g")  # the cell is neutralised as a whole, not each part
    for cell in (value for r in rows for value in r.values()):
        assert not cell.lstrip()[:1] in ("=", "+", "-", "@", "＝", "﹢"), cell


@pytest.mark.parametrize(("cell", "shown"), [
    ("  =1+1", "'  =1+1"), ("\t=cmd", "'\t=cmd"), ("\r@x", "'\r@x"), ("\u3000＠x", "'\u3000＠x"),
    ("a = b", "a = b"), ("Tea", "Tea"), ("", ""), (7, 7),
])
def test_the_csv_rule_looks_past_leading_spaces(cell: object, shown: object) -> None:
    """Text fields are stripped when read, so these arrive only from elsewhere: the rule
    holds for any cell all the same."""
    from catalogue.outputs.exports import spreadsheet_cell

    assert spreadsheet_cell(cell) == shown


# --- control characters, slugs, direction controls ---------------------------------------

def test_control_characters_are_refused_with_their_line(site: Path) -> None:
    def attack() -> None:
        edit(site, f"{PRODUCT}/en.md", "name: Ta Leng Shan tuyet tea", 'name: "Tea\\x07 bell"')
        edit(site, f"{PRODUCT}/product.yaml", 'certificate: "1234/QĐ-UBND"', 'certificate: "12\\x00"')
        write(site / "content/producers/htx-ta-leng/en.md", "---\nname: Ta Leng\nsummary: Coop.\n---\nLine\nBad \x1b[31m\n")
    found = refused(site, attack)
    assert (f"{PRODUCT}/en.md:2: name: contains the invisible control character U+0007 at character 4; delete it "
            "(it makes feeds and calendars invalid)") in found
    assert any(m.startswith(f"{PRODUCT}/product.yaml:3: ocop.certificate: contains the invisible control character "
                            "U+0000") for m in found), found
    assert any(m.startswith("content/producers/htx-ta-leng/en.md:6: contains the invisible control character "
                            "U+001B") for m in found), found


def test_a_slug_with_a_final_newline_is_refused(site: Path) -> None:
    os.rename(site / "content/products/mac-ca", site / "content/products/mac-ca\n")
    found = messages(build_fails(site))
    assert any(m.startswith("content/products/mac-ca\\n: folder name 'mac-ca\\n' is not a slug") for m in found), found
    assert all("\n" not in m for m in found)  # one problem, one line
    edit(site, "content/events/hoi-thao-che/event.yaml", "products: [che-ta-leng]", 'products: ["che-ta-leng\\nx"]')
    found = messages(build_fails(site))
    assert any("products[0]: 'che-ta-leng\\nx' is not a slug" in m for m in found), found
    run = subprocess.run([sys.executable, str(REPO / "build.py"), "new", "product", "Trà", "--slug", "tra\n",
                          "--site", str(site)], capture_output=True, text=True)
    assert run.returncode == 1 and "--slug 'tra\\n' is not a slug" in run.stderr
    assert not (site / "content/products/tra\n").exists()


def test_direction_controls_are_flagged_and_names_isolated(site: Path) -> None:
    spoof = "Tea \u202eaet"
    edit(site, f"{PRODUCT}/en.md", "name: Ta Leng Shan tuyet tea", f'name: "{spoof}"')
    edit(site, "content/producers/htx-ta-leng/en.md", "name: Ta Leng Cooperative", 'name: "Ta Leng \u202eCoop"')
    result = build(site, site / "public", NOW)
    assert result.ok
    assert (f"{PRODUCT}/en.md:2: warning: name: contains the invisible direction control U+202E (RIGHT-TO-LEFT "
            "OVERRIDE), which can make the text around it read in a misleading order; delete it") in messages(result)
    doc = page(site / "public", "en/products/che-ta-leng/index.html")
    assert doc.findtext(".//title") == f"\u2068{spoof}\u2069 · Test Products"
    [here] = doc.cssselect(".breadcrumb [aria-current=page]")
    assert here.tag == "bdi" and here.text == spoof
    producer = doc.cssselect(".facts dd a bdi")[0]
    assert producer.text == "Ta Leng \u202eCoop"


# --- files from outside -------------------------------------------------------------------

def test_linked_static_files_are_not_published(site: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("KEY=hunter2\n")

    def attack() -> None:
        (site / "static").mkdir()
        (site / "static" / "notes.txt").symlink_to(secret)
        (site / "static" / "proc").symlink_to("/proc/self")
        (site / "themes/mine/static").mkdir(parents=True)
        (site / "themes/mine/static/environ").symlink_to("/proc/self/environ")
        edit(site, "site.yaml", "base_url:", "theme: mine\nbase_url:")
    found = refused(site, attack, "static/notes.txt: is a link to a file outside its folder",
                    "static/proc: is a link to a folder outside static/",
                    "themes/mine/static/environ: is a link to a file outside its folder")
    assert not any("hunter2" in m for m in found)


def test_linked_content_files_and_folders_are_refused(site: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside / "en.md", "---\nname: Outside\nsummary: Not ours.\n---\nSecret.\n")
    write(outside / "product.yaml", (site / f"{PRODUCT}/product.yaml").read_text(encoding="utf-8"))
    write(outside / "entry/vi.md", "---\nname: X\nsummary: Y.\n---\n")
    write(outside / "entry/product.yaml", (site / "content/products/mac-ca/product.yaml").read_text(encoding="utf-8"))

    def attack() -> None:
        (site / f"{PRODUCT}/en.md").unlink()
        (site / f"{PRODUCT}/en.md").symlink_to(outside / "en.md")
        (site / "content/products/mac-ca/product.yaml").unlink()
        (site / "content/products/mac-ca/product.yaml").symlink_to(outside / "product.yaml")
        (site / "content/products/linked").symlink_to(outside / "entry")
        (site / "content/producers/htx-ta-leng/vi.md").unlink()
        (site / "content/producers/htx-ta-leng/vi.md").symlink_to("/dev/zero")
        (site / "content/producers/htx-ta-leng/en.md").unlink()
        os.mkfifo(site / "content/producers/htx-ta-leng/en.md")  # reading it would wait for ever
    refused(site, attack, f"{PRODUCT}/en.md: is a link to a file outside its folder",
            "content/products/mac-ca/product.yaml: is a link to a file outside its folder",
            "content/products/linked: is a link to a folder outside products/",
            "content/producers/htx-ta-leng/vi.md: is a link to a file outside its folder (/dev/zero)",
            "content/producers/htx-ta-leng/en.md: is a device, a pipe or a socket, not a regular file")


def test_linked_theme_and_catalogue_folders_leading_outside_are_refused(site: Path, tmp_path: Path) -> None:
    """A link anywhere above a file counts, not only the file's own: `themes/` or
    `locales/en/` a link to another folder is refused whole, and `i18n update` writes
    nothing through it."""
    import shutil

    from catalogue.builtin import builtin_root

    outside = tmp_path / "outside"
    shutil.copytree(builtin_root() / "themes/default", outside / "themes/mine")
    write(outside / "themes/mine/static/leak.css", "LEAK-THEME")
    write(outside / "en/LC_MESSAGES/messages.po", po_file({"Products": "LEAK-PO"}))

    def attack() -> None:
        (site / "themes").symlink_to(outside / "themes")
        edit(site, "site.yaml", "base_url:", "theme: mine\nbase_url:")
        if (site / "locales/en").exists():
            shutil.rmtree(site / "locales/en")
        (site / "locales").mkdir(exist_ok=True)
        (site / "locales/en").symlink_to(outside / "en")
    found = refused(site, attack, "themes/mine/templates: lies in a linked folder that leads outside the site's folder",
                    "themes/mine/static: lies in a linked folder that leads outside the site's folder",
                    "locales/en/LC_MESSAGES/messages.po: lies in a linked folder that leads outside the site's folder")
    assert not any("LEAK" in m for m in found)
    before = (outside / "en/LC_MESSAGES/messages.po").read_bytes()
    run = subprocess.run([sys.executable, str(REPO / "build.py"), "i18n", "update", "--site", str(site)],
                         capture_output=True, text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "locales/en/LC_MESSAGES/messages.po: lies in a linked folder that leads outside" in run.stderr
    assert (outside / "en/LC_MESSAGES/messages.po").read_bytes() == before


def test_a_link_inside_the_entry_folder_is_read_but_never_stamped_through(site: Path) -> None:
    folder = site / "content/producers/htx-ta-leng"
    (folder / "en-draft.txt").write_text((folder / "en.md").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "en.md").unlink()
    (folder / "en.md").symlink_to("en-draft.txt")
    build_ok(site)
    before = (folder / "en-draft.txt").read_bytes()
    run = subprocess.run([sys.executable, str(REPO / "build.py"), "i18n", "stamp", "producers/htx-ta-leng", "en",
                          "--site", str(site)], capture_output=True, text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "content/producers/htx-ta-leng/en.md: not stamped: en.md is a link or not a regular file" in run.stderr
    assert (folder / "en-draft.txt").read_bytes() == before and (folder / "en.md").is_symlink()


def test_a_linked_template_and_a_theme_name_with_a_path_are_refused(site: Path, tmp_path: Path) -> None:
    (tmp_path / "evil.html").write_text("{% extends 'base.html' %}{% block main %}EVIL{% endblock %}")

    def attack() -> None:
        (site / "templates").mkdir()
        (site / "templates/home.html").symlink_to(tmp_path / "evil.html")
    refused(site, attack, "templates/home.html: is a link to a file outside its folder")
    (site / "templates/home.html").unlink()
    for theme in ("../../etc", "/etc", ".."):
        edit(site, "site.yaml", "base_url:", f"theme: {json.dumps(theme)}\nbase_url:")
        found = messages(build_fails(site))
        assert f"site.yaml: theme: {theme!r} is not a theme folder name: write the name of a folder in themes/ " \
               "(letters, digits, - and _), e.g. default" in found
        edit(site, "site.yaml", f"theme: {json.dumps(theme)}\n", "")


def test_the_pdf_fetches_only_the_catalogues_own_files(tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    import pypdf
    from weasyprint import HTML

    from catalogue.commands.pdf import confined_fetcher

    photo = tmp_path / "photo.png"
    Image.new("RGB", (40, 30), "#2a7").save(photo)
    secret = tmp_path / "secret.txt"
    secret.write_text("KEY=hunter2")
    html = (f'<img src="{photo.as_uri()}"><img src="file:///etc/hostname"><img src="{secret.as_uri()}">'
            f'<img src="https://evil.example/x.png"><a rel="attachment" href="{secret.as_uri()}">a</a>'
            f'<link rel="attachment" href="file:///etc/passwd">')
    target = tmp_path / "out.pdf"
    HTML(string=html, base_url="about:blank", url_fetcher=confined_fetcher({photo.as_uri(): photo})).write_pdf(target)
    reader = pypdf.PdfReader(target)
    images = [image for p in reader.pages for image in p.images]
    assert len(images) == 1  # the catalogue's own photo, nothing else
    assert not reader.attachments
    assert b"hunter2" not in target.read_bytes()


# --- Markdown bodies and images ------------------------------------------------------------

def test_reference_style_images_are_checked_like_inline_ones(site: Path) -> None:
    body = "Intro.\n\n![a][x]\n\n![b]\n\n[x]: ../../../etc/passwd\n[b]: <../secret.png> \"t\"\n"
    refused(site, lambda: write(site / f"{PRODUCT}/en.md", "---\nname: T\nsummary: S.\n---\n" + body),
            f"{PRODUCT}/en.md:11: image '../../../etc/passwd' must be a file in this entry's folder (no folders, no '..')",
            f"{PRODUCT}/en.md:12: image '../secret.png' must be a file in this entry's folder (no folders, no '..')")


def test_an_image_no_check_knows_becomes_its_alt_text() -> None:
    """The renderer's own guard: whatever the checks miss never points at a path elsewhere."""
    from catalogue.site.markup import MarkdownRenderer

    html = MarkdownRenderer().render("![the alt](elsewhere.jpg) ![web](https://example.org/x.jpg) "
                                     "<img src=\"../../x.png\"> ![ok](mine.jpg)",
                                     lambda name: ("../media/mine-640.jpg", 640, 480) if name == "mine.jpg" else None)
    doc = lxml.html.fromstring(f"<div>{html}</div>")
    assert [img.get("src") for img in doc.iter("img")] == ["https://example.org/x.jpg", None, "../media/mine-640.jpg"]
    assert "the alt" in doc.text_content()


def _image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "#c93").save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("cover.jpg", _image_bytes("GIF"), "the file is in GIF format, not JPEG as its name (.jpg) says; save it as JPEG or rename it"),
    ("pack.png", _image_bytes("TIFF"), "the file is in TIFF format, not PNG as its name (.png) says"),
    ("cover.jpg", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",
     "the file is in EPS format, not JPEG as its name (.jpg) says"),
    ("cover.jpg", b"\xff\xd8\xff\xe0 not really", "cannot read image: Truncated File Read (save it again as a JPEG file)"),
    ("cover.jpg", b"just text", "the file is not a JPEG image (damaged, or another kind of file)"),
])
def test_an_image_must_be_what_its_name_says(site: Path, name: str, content: bytes, expected: str) -> None:
    refused(site, lambda: (site / PRODUCT / name).write_bytes(content),
            f"{PRODUCT}/{name}: " + (expected if expected.startswith("cannot") else f"cannot use image: {expected}"))


def test_size_limits_are_enforced_with_a_clear_message(site: Path) -> None:
    huge = "---\nname: Big\nsummary: Big.\n---\n" + ("Lorem ipsum dolor sit amet. " * 20_000)
    refused(site, lambda: write(site / f"{PRODUCT}/en.md", huge),
            f"{PRODUCT}/en.md: is 560 KB; a language file may be at most 524 KB")


# --- every value check accepts renders ----------------------------------------------------

@pytest.mark.parametrize(("rel", "old", "new", "expected"), [
    ("content/events/tu-van-nhat-ban/event.yaml", "start: 2027-03-10", "start: 2027-03-10\nend: 9999-12-31",
     "event.yaml:3: end: the year 9999 is out of range: write a date between 1900 and 2999"),
    ("content/events/hoi-thao-che/event.yaml", "start: 2022-06-14T08:30:00+07:00", "start: 0001-01-01T00:00:00+07:00",
     "event.yaml:2: start: the year 1 is out of range: write a date between 1900 and 2999"),
    (f"{PRODUCT}/product.yaml", "amount: 12.5", "amount: 1e400",
     "product.yaml:11: packaging[1].unit_price.amount: 1e400 is too large: write a number below 1,000,000,000,000,000"),
    (f"{PRODUCT}/product.yaml", "amount: 12.5", "amount: 12.123456",
     "product.yaml:11: packaging[1].unit_price.amount: 12.123456 has too many decimals: at most 4"),
    (f"{PRODUCT}/product.yaml", "quantity: 200", "quantity: 1e30",
     "product.yaml:13: moq.quantity: 1e30 is too large"),
    (f"{PRODUCT}/product.yaml", "updated: 2026-05-01", "updated: 0999-05-01",
     "product.yaml:17: updated: the year 999 is out of range"),
])
def test_values_every_output_cannot_show_are_refused(site: Path, rel: str, old: str, new: str, expected: str) -> None:
    found = refused(site, lambda: edit(site, rel, old, new), expected)
    run = subprocess.run([sys.executable, str(REPO / "build.py"), "check", "--site", str(site)],
                         capture_output=True, text=True)
    assert run.returncode == 1 and expected in run.stdout and "Traceback" not in run.stderr, found


# --- all problems at once -----------------------------------------------------------------

def test_a_site_yaml_error_does_not_hide_the_contents_problems(site: Path) -> None:
    edit(site, "site.yaml", "base_url: https://example.org/cat/", "base_url: example.org")
    edit(site, f"{PRODUCT}/product.yaml", "category: beverage", "category: beverages")
    found = messages(build_fails(site))
    assert any(m.startswith("site.yaml:3: base_url: must be a full web address") for m in found), found
    assert any(m.startswith(f"{PRODUCT}/product.yaml:2: category: unknown category 'beverages'") for m in found), found


def test_a_products_image_problems_come_with_its_other_problems(site: Path) -> None:
    edit(site, f"{PRODUCT}/product.yaml", "category: beverage\n", "")
    edit(site, f"{PRODUCT}/product.yaml", "images: [cover.jpg, pack.png]", "images: [cover.jpg, gone.png]")
    found = messages(build_fails(site))
    assert any(m.startswith(f"{PRODUCT}/product.yaml:1: category: required field is missing") for m in found), found
    assert any(m.startswith(f"{PRODUCT}/product.yaml:4: images[1]: 'gone.png' not found in this folder") for m in found)


# --- the preview server ---------------------------------------------------------------------

def test_preview_port_numbers_are_checked() -> None:
    for port in ("99999", "-1", "http"):
        run = subprocess.run([sys.executable, str(REPO / "build.py"), "serve", "--port", port],
                             capture_output=True, text=True)
        assert run.returncode == 2 and "Traceback" not in run.stderr
        assert "--port" in run.stderr


def test_the_preview_answers_only_to_loopback_names_and_refuses_nul(site: Path, tmp_path: Path) -> None:
    from catalogue.commands.serve import Preview

    preview = Preview(site, tmp_path / "preview", NOW, owned=True)
    preview.rebuild()

    def get(path: str, host: str) -> tuple[str, bytes]:
        answer: list[str] = []
        body = b"".join(preview({"PATH_INFO": path, "HTTP_HOST": host},
                                lambda status, headers: answer.append(status)))
        return answer[0], body

    assert get("/_preview/source/site.yaml", "127.0.0.1:8000")[0] == "200 OK"
    assert get("/vi/index.html", "localhost:8000")[0] == "200 OK"
    assert get("/vi/index.html", "[::1]:8000")[0] == "200 OK"
    for host in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example", ""):
        status, body = get("/_preview/source/site.yaml", host)
        assert status == "403 Forbidden" and b"base_url" not in body, host
    assert get("/vi/%00/index.html".replace("%00", "\x00"), "127.0.0.1")[0] == "400 Bad Request"


HOSTILE = '<img src=x onerror="alert(1)">&amp;'


def test_places_organisers_and_addresses_are_text_in_every_form(site: Path) -> None:
    """A venue, a city, an organiser or an address is shown as text, whether written once
    (no language mark) or per language and shown in another language than the page's (in its
    own marked span): never as markup, on the event's page, its card, the producer's page."""
    event = site / "content/events/hoi-thao-che/event.yaml"
    text = event.read_text(encoding="utf-8")
    text = text.replace('venue: "Hội trường Sở Công Thương"', f"venue: '{HOSTILE}'")
    text = text.replace('city: "Lai Châu"', f"city: {{vi: '{HOSTILE}'}}")  # shown in Vietnamese on en pages
    event.write_text(text, encoding="utf-8")
    online = site / "content/events/tu-van-nhat-ban/event.yaml"
    online.write_text(online.read_text(encoding="utf-8").replace('"Cục Xúc tiến thương mại"', f"'{HOSTILE}'"),
                      encoding="utf-8")
    producer = site / "content/producers/htx-ta-leng/producer.yaml"
    producer.write_text(producer.read_text(encoding="utf-8").replace('address: "Bản Tả Lèng"', f"address: {{vi: '{HOSTILE}'}}"),
                        encoding="utf-8")
    out = build_ok(site)
    for rel in ("en/events/hoi-thao-che/index.html", "en/events/index.html", "en/events/tu-van-nhat-ban/index.html",
                "en/producers/htx-ta-leng/index.html", "vi/events/hoi-thao-che/index.html"):
        doc = page(out, rel)
        assert not doc.cssselect("img[onerror]"), rel
        assert HOSTILE in text_of(doc.cssselect("main")[0]), rel
    marked = page(out, "en/events/hoi-thao-che/index.html").cssselect(".facts span[lang=vi]")
    assert [text_of(m) for m in marked] == [HOSTILE]
