"""Offline bundles and the PDF catalogue, opened as a buyer would: unzipped, from file://."""

from __future__ import annotations

import hashlib
import os
import stat
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import NOW, REPO
from sitecheck import crawl

from catalogue.commands.bundle import make_bundle
from catalogue.commands.pdf import pdf_available

MIDDLE_EAST = {"bach-tra-shan-tuyet-ta-leng", "che-xanh-shan-tuyet-ta-leng", "gao-seng-cu-muong-so",
               "gung-say-lat-muong-so", "hat-mac-ca-say-nut-vo-tam-duong"}  # a few of them


@pytest.fixture(scope="module")
def market_bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "me.zip"
    result = make_bundle(REPO, out, ["en", "ar"], "middle-east", NOW, pdf=None)
    assert result.ok, [p.format() for p in result.problems.sorted()]
    return out


@pytest.fixture(scope="module")
def unzipped(market_bundle: Path, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("unzipped")
    with zipfile.ZipFile(market_bundle) as archive:
        archive.extractall(folder)
    return folder


def test_market_bundle_holds_only_that_markets_products(unzipped: Path) -> None:
    import yaml
    expected = sorted(p.name for p in (REPO / "content/products").iterdir()
                      if "middle-east" in (yaml.safe_load((p / "product.yaml").read_text()).get("markets") or []))
    assert MIDDLE_EAST <= set(expected)
    for lang in ("en", "ar"):
        products = sorted(p.name for p in (unzipped / lang / "products").iterdir() if p.is_dir())
        assert products == expected
    assert not (unzipped / "vi").exists() and not (unzipped / "ja").exists()
    events = {p.name for p in (unzipped / "en/events").iterdir() if p.is_dir()}
    for slug in events:
        data = yaml.safe_load((REPO / "content/events" / slug / "event.yaml").read_text())
        assert "middle-east" in data["markets"]
    assert "hoi-thao-xuc-tien-che-lai-chau-vao-trung-dong-bac-phi-nam-a" in events
    media = {p.name for p in (unzipped / "media/products").iterdir()}
    assert media <= set(expected)


def test_bundle_layout_readmes_and_cover(unzipped: Path) -> None:
    import lxml.html
    assert (unzipped / "index.html").is_file()
    assert not list(unzipped.rglob("404.html")) and not (unzipped / "sitemap.xml").exists()
    readme = (unzipped / "README-ar.txt").read_text(encoding="utf-8")
    assert "index.html" in readme and "الشرق الأوسط" in readme
    assert "Middle East" in (unzipped / "README-en.txt").read_text(encoding="utf-8")
    cover = lxml.html.fromstring((unzipped / "index.html").read_bytes())
    assert cover.get("lang") == "en"
    assert "Selected for buyers in: Middle East." in cover.text_content()
    assert [a.get("href") for a in cover.cssselect(".language-list a")] == ["en/index.html", "ar/index.html"]


def test_every_link_in_the_bundle_names_a_file_inside_it(unzipped: Path) -> None:
    broken, checked = crawl(unzipped, "https://ocop.laichau.example.org/", files_only=True)
    assert checked > 500
    assert broken == [], "\n".join(map(str, broken[:20]))


def test_zip_is_reproducible_sorted_and_utf8(market_bundle: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.zip"
    assert make_bundle(REPO, again, ["en", "ar"], "middle-east", NOW).ok
    assert hashlib.sha256(again.read_bytes()).hexdigest() == hashlib.sha256(market_bundle.read_bytes()).hexdigest()
    with zipfile.ZipFile(market_bundle) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert all(not i.filename.startswith(("/", "..")) for i in infos)


def test_bundle_command_line_and_size_report(tmp_path: Path) -> None:
    out = tmp_path / "x.zip"
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "bundle", "--lang", "ja", "--no-pdf",
                           "--out", str(out), "--now", "2026-11-29"], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"bundle: {out} (") and "28 products" in lines[0]
    kinds = {line.split()[0] for line in lines[1:]}
    assert {"HTML", "images", "scripts"} <= kinds
    bad = subprocess.run([sys.executable, str(REPO / "build.py"), "bundle", "--market", "mars",
                          "--out", str(tmp_path / "y.zip")], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1 and "unknown market 'mars'" in bad.stderr and not (tmp_path / "y.zip").exists()


@pytest.mark.browser
def test_bundle_works_from_disk_with_no_request_leaving_it(chromium, unzipped: Path) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    loaded: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"failed {r.url} {r.failure}")
            if r.failure != "net::ERR_ABORTED" else None)
    page.on("request", lambda r: loaded.append(r.url))
    root = unzipped.resolve().as_uri()
    page.goto(root + "/index.html")
    page.click(".language-list a[hreflang=ar]")
    page.wait_for_load_state("load")
    assert page.url == root + "/ar/index.html"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    page.click(".main-nav a[href$='products/index.html']")
    page.wait_for_load_state("load")
    page.fill("input[name=q]", "مكاديميا")
    page.wait_for_timeout(400)
    shown = page.eval_on_selector_all("#product-list [data-product]:not([hidden])", "c => c.map(x => x.dataset.product)")
    assert "hat-mac-ca-say-nut-vo-tam-duong" in shown
    page.fill("input[name=q]", "")
    page.check("input[name=category][value=beverage]")
    page.wait_for_timeout(300)
    beverages = page.eval_on_selector_all("#product-list [data-product]:not([hidden])", "c => c.map(x => x.dataset.product)")
    assert beverages and "gao-seng-cu-muong-so" not in beverages
    page.click(f"[data-product={beverages[0]}] button[data-inquiry]")
    page.click(f"[data-product={beverages[0]}] a.card-link")
    page.wait_for_load_state("load")
    assert page.url == root + f"/ar/products/{beverages[0]}/index.html"
    page.click(".lang-switch a[hreflang=en]")
    page.wait_for_load_state("load")
    assert page.url == root + f"/en/products/{beverages[0]}/index.html"
    assert page.inner_text(".inquiry-link .badge") == "1"
    page.click(".inquiry-link")
    page.wait_for_load_state("load")
    assert page.eval_on_selector_all("#inquiry-table tbody tr", "r => r.map(x => x.dataset.product)") == [beverages[0]]
    assert page.get_attribute("#inquiry-mail", "href").startswith("mailto:")
    page.click("#inquiry-table tbody a")
    page.wait_for_load_state("load")
    assert page.url == root + f"/en/products/{beverages[0]}/index.html"
    images = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)")
    assert images and all(images)
    context.close()
    assert errors == []
    outside = [url for url in loaded if not url.startswith(root + "/")]
    assert outside == []


needs_pdf = pytest.mark.skipif(not pdf_available(), reason="WeasyPrint (the pdf extra) is not installed")


def pdf_texts(path: Path) -> list[str]:
    from pypdf import PdfReader
    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


@needs_pdf
@pytest.mark.slow
def test_pdf_catalogue_pages_and_scripts(unzipped: Path, tmp_path: Path) -> None:
    import yaml
    products = [p for p in sorted((REPO / "content/products").iterdir())
                if "middle-east" in (yaml.safe_load((p / "product.yaml").read_text()).get("markets") or [])]
    pages = pdf_texts(unzipped / "catalogue-ar-middle-east.pdf")
    front = 2  # cover, contents
    first_product_page = front
    qr_pages = [i for i, text in enumerate(pages) if "ocop.laichau.example.org/ar/products/" in text.replace("\n", "")]
    # each product from a new page, its link and QR code after its description (which may
    # take a second page), then the producers' contacts
    assert len(qr_pages) == len(products) and qr_pages[0] >= first_product_page
    assert qr_pages == sorted(set(qr_pages)) and len(pages) > qr_pages[-1]
    arabic_name = [line for line in (REPO / "content/products/nhan-mac-ca-tam-duong/ar.md").read_text(
        encoding="utf-8").splitlines() if line.startswith("name:")][0].split(":", 1)[1].strip()
    done = subprocess.run(["pdftotext", str(unzipped / "catalogue-ar-middle-east.pdf"), "-"], capture_output=True,
                          text=True)
    assert arabic_name in done.stdout or arabic_name in "".join(pages)


@needs_pdf
@pytest.mark.slow
def test_pdf_in_japanese_has_cjk_text_and_fonts(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "pdf", "--lang", "ja", "--market", "japan",
                           "--out", str(tmp_path), "--now", "2026-11-29"], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert ".notdef" not in done.stderr
    pdf = tmp_path / "catalogue-ja-japan.pdf"
    text = "".join(pdf_texts(pdf))
    name = [line for line in (REPO / "content/products/nhan-mac-ca-tam-duong/ja.md").read_text(
        encoding="utf-8").splitlines() if line.startswith("name:")][0].split(":", 1)[1].strip()
    assert name in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "CJK" in fonts or "JP" in fonts


@pytest.mark.parametrize("command, target", [("bundle", "site.yaml"), ("bundle", "content/products/x.zip"),
                                             ("bundle", "themes"), ("pdf", "content"), ("pdf", "locales/vi")])
def test_bundle_and_pdf_refuse_to_write_into_the_sites_sources(site: Path, command: str, target: str) -> None:
    before = {path: path.read_bytes() for path in site.rglob("*") if path.is_file()}
    extra = ["--no-pdf"] if command == "bundle" else []
    done = subprocess.run([sys.executable, str(REPO / "build.py"), command, "--site", str(site), *extra,
                           "--out", str(site / target)], cwd=site, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "site's own files or folders" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert {path: path.read_bytes() for path in site.rglob("*") if path.is_file()} == before


@needs_pdf
@pytest.mark.slow
def test_the_pdf_is_tagged_ordered_and_says_its_ratings_in_words(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from catalogue.build.pipeline import load_site
    from catalogue.problems import Problems

    done = subprocess.run([sys.executable, str(REPO / "build.py"), "pdf", "--lang", "en", "--market", "japan",
                           "--out", str(tmp_path), "--now", "2026-11-29"], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    reader = PdfReader(str(tmp_path / "catalogue-en-japan.pdf"))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root.get("/Lang") == "en"  # tagged, in its language
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "OCOP stars out of 5" in text  # the rating in words, not only ★
    cover = reader.pages[0]  # with photos of its products: three images drawn
    assert len(re.findall(rb"/\w+ Do\b", cover.get_contents().get_data())) == 3
    assert "Contact the trade office" in cover.extract_text()
    loaded = load_site(REPO, Problems())
    assert loaded is not None
    site = loaded.site
    japan = [p for p in site.products.values() if "japan" in p.markets]
    # each product's description is there: the first words of a body's first paragraph
    from catalogue.content.load import body_text

    with_body = next(p for p in japan if "en" in p.texts and p.texts["en"].has_body)
    paragraph = next(line for line in body_text(with_body, with_body.texts["en"]).splitlines()
                     if line.strip() and not line.startswith(("#", "-", "|", "*", ">")))
    assert " ".join(paragraph.split()[:4]) in " ".join(text.split())
    # in order of product group, then name, as English reads them
    label = {code: loaded.config.codes.label("categories", code, "en", "vi") for code in {p.category for p in japan}}
    names = [(p.texts.get("en") or p.texts["vi"]).name for p in japan]
    expected = [name for _, name in sorted(((label[p.category].casefold(), n.casefold()), n)
                                           for p, n in zip(japan, names))]
    flat = " ".join(text.split())
    assert sorted(names, key=lambda name: flat.find(" ".join(name.split()))) == expected


def test_bundle_and_pdf_replace_only_files_they_made(site: Path, tmp_path: Path) -> None:
    """An explicit --out naming a file that is there already: a bundle (or a PDF) of an earlier
    run is replaced, anything else (the site's README, someone's notes, a folder's link) is
    left as it was, with a message saying how to go on."""
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(REPO / "build.py"), *args, "--site", str(site)],
                              cwd=site, capture_output=True, text=True, timeout=300)

    (site / "README.md").write_text("# our site\n", encoding="utf-8")
    notes = tmp_path / "elsewhere/notes.zip"
    notes.parent.mkdir()
    with zipfile.ZipFile(notes, "w") as archive:  # a zip, but not a bundle
        archive.writestr("notes.txt", "precious")
    linked = tmp_path / "elsewhere/link.zip"
    linked.symlink_to(site / "README.md")
    pipe = tmp_path / "elsewhere/pipe.zip"
    os.mkfifo(pipe)  # as /dev/null would be: replaced by a zip, the system's own was lost
    before = {path: path.read_bytes() for path in (site / "README.md", notes)}
    for target in (site / "README.md", notes, linked, pipe):
        done = run("bundle", "--no-pdf", "--lang", "en", "--out", str(target))
        assert done.returncode == 1, done.stdout + done.stderr
        assert f"{target} exists and was not made by this program; move it away, or give another name" \
               in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    assert {path: path.read_bytes() for path in before} == before and linked.is_symlink()
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    ours = tmp_path / "out/catalogue.zip"
    assert run("bundle", "--no-pdf", "--lang", "en", "--out", str(ours)).returncode == 0
    first = ours.read_bytes()
    (site / "content/products/che-ta-leng/en.md").write_text((site / "content/products/che-ta-leng/en.md").read_text(
        encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    again = run("bundle", "--no-pdf", "--lang", "en", "--out", str(ours))
    assert again.returncode == 0, again.stderr  # an earlier bundle: replaced
    assert ours.read_bytes() != first and zipfile.ZipFile(ours).testzip() is None
    if not pdf_available():
        return
    folder = tmp_path / "pdfs"
    folder.mkdir()
    (folder / "catalogue-en.pdf").write_text("not a PDF: someone's notes", encoding="utf-8")
    done = run("pdf", "--lang", "en", "--out", str(folder))
    assert done.returncode == 1 and "catalogue-en.pdf exists and was not made by this program" in done.stderr
    assert (folder / "catalogue-en.pdf").read_text(encoding="utf-8") == "not a PDF: someone's notes"
    (folder / "catalogue-en.pdf").unlink()
    assert run("pdf", "--lang", "en", "--out", str(folder)).returncode == 0
    assert run("pdf", "--lang", "en", "--out", str(folder)).returncode == 0  # its own PDF: replaced
    assert (folder / "catalogue-en.pdf").read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in folder.iterdir()) == ["catalogue-en.pdf"]  # no half-written file beside it
