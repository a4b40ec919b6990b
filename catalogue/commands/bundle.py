"""Offline bundles: a zip of the catalogue that works from a folder on disk (file://).

Every link names its file, nothing is fetched from the network, search and the inquiry list
work without a server. A README per language says how to open it. The zip is reproducible:
sorted UTF-8 names, fixed timestamps and permissions.
"""

from __future__ import annotations

import os
import stat
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Callable

from babel.dates import format_date

from catalogue.build.cache import Store
from catalogue.build.pipeline import load_site, open_store, plan_build, write_plan
from catalogue.build.stages import BuildResult
from catalogue.build.writer import MARKER, PROTECTED, Publication, file_in_the_way
from catalogue.content.link import restrict_to_market
from catalogue.problems import Problems
from catalogue.site.edition import BundleCover, Edition
from catalogue.site.index import index_site
from catalogue.site.render import render_text

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
BUNDLE_COMMENT = b"catalogue bundle"  # the archive's comment: a later bundle may replace it
KINDS = {".html": "HTML", ".webp": "images", ".jpg": "images", ".png": "images", ".svg": "images",
         ".js": "scripts", ".css": "styles", ".pdf": "PDF", ".ics": "calendars", ".txt": "text"}


@dataclass
class BundleResult:
    problems: Problems
    zip_path: Path | None = None
    files: int = 0
    bytes_by_kind: dict[str, int] = field(default_factory=dict)
    files_by_kind: dict[str, int] = field(default_factory=dict)
    products: int = 0
    pdfs: list[str] = field(default_factory=list)
    pdf_note: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems.has_errors()


def make_bundle(root: Path, out_zip: Path, languages: list[str] | None, market: str | None,
                now: datetime | None = None, pdf: bool | None = None) -> BundleResult:
    problems = Problems()
    result = BundleResult(problems)
    refusal = check_target_file(out_zip, root, is_bundle)
    if refusal:
        problems.error("(bundle)", None, "--out", refusal)
        return result
    store = open_store(root, True, None)
    try:
        return _make_bundle(root, out_zip, languages, market, now, pdf, store, result)
    finally:
        store.close()


def _make_bundle(root: Path, out_zip: Path, languages: list[str] | None, market: str | None,
                 now: datetime | None, pdf: bool | None, store: Store, result: BundleResult) -> BundleResult:
    problems = result.problems
    loaded = load_site(root, problems, now, store)
    if loaded is None or problems.has_errors():
        return result
    config = loaded.config
    chosen = tuple(languages or config.languages)
    unknown = [lang for lang in chosen if lang not in config.languages]
    if unknown:
        problems.error("(bundle)", None, "--lang", f"{', '.join(unknown)} not among the site's languages "
                                                    f"{list(config.languages)}")
    if market is not None and market not in config.codes.get("markets"):
        problems.error("(bundle)", None, "--market", f"unknown market {market!r}; known: "
                                                      f"{', '.join(config.codes.get('markets').codes())}")
    if problems.has_errors():
        return result
    site = restrict_to_market(loaded.site, market) if market else loaded.site
    if not site.products:
        problems.error("(bundle)", None, "--market", f"no product targets the market {market!r}")
        return result
    edition_site = replace(loaded, site=site, index=index_site(site, loaded.now))
    pdf_files = _pdfs(chosen, market, pdf, result)
    formatted = {lang: format_date(loaded.now.date(), "long", locale=loaded.languages[lang].locale) for lang in chosen}
    cover = BundleCover(
        languages=chosen, market_code=market, dates=formatted,
        markets={lang: config.codes.label("markets", market, lang, config.source_lang) for lang in chosen}
        if market else {},
        pdfs=dict(pdf_files), product_count=len(site.products))
    edition = Edition(chosen, "files", web=False, bundle=cover)
    plan = plan_build(edition_site, edition, problems)
    if problems.has_errors():
        return result
    with tempfile.TemporaryDirectory(prefix="catalogue-bundle-") as scratch:
        folder = Path(scratch) / "bundle"
        publication = Publication(folder, None, None)
        write_plan(plan, publication, store, 1, problems, BuildResult(problems))
        if problems.has_errors():
            return result
        for lang in chosen:
            readme = render_text(plan.settings, "bundle_readme.txt", lang, {"bundle": cover}).encode("utf-8")
            publication.claim(f"README-{lang}.txt", "")
            publication.write(f"README-{lang}.txt", readme)
        for lang, name in pdf_files.items():
            from catalogue.commands.pdf import write_pdf
            write_pdf(edition_site, lang, market, Path(scratch) / name, store)
            publication.claim(name, "")
            publication.write(name, (Path(scratch) / name).read_bytes())
            result.pdfs.append(name)
        publication.publish()
        (folder / MARKER).unlink()  # the bundle is a zip: the marker is for folders this program keeps
        result.zip_path = write_zip(folder, out_zip, result)
    result.products = len(site.products)
    return result


def check_target_file(target: Path, root: Path, ours: Callable[[Path], bool] | None = None) -> str | None:
    """Why a file (a zip, a PDF) must not be written at `target`, or None. `ours`: whether a
    file already there is one this program made, and may be replaced (the writer's rule for
    folders, for files): `--out README.md` or a file of someone else's is never overwritten."""
    real = Path(os.path.realpath(target))
    site = Path(os.path.realpath(root))
    if real == site / "site.yaml" or any(real == site / name or real.is_relative_to(site / name) for name in PROTECTED):
        return f"{target} is one of the site's own files or folders; write it elsewhere, e.g. dist/"
    if real.is_dir():
        return f"{target} is a folder; give a file name, e.g. dist/catalogue.zip"
    blocker = file_in_the_way(target)
    if blocker is not None:
        return f"{target} cannot be made: {blocker} is a file, not a folder"
    if ours is not None and os.path.lexists(target) and not ours(target):
        return (f"{target} exists and was not made by this program; move it away, or give another name "
                "(only a file this program wrote is replaced)")
    return None


def is_bundle(path: Path) -> bool:
    """Whether `path` is a bundle this program wrote: a zip archive with its comment."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        with zipfile.ZipFile(path) as archive:
            return archive.comment == BUNDLE_COMMENT
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def _pdfs(languages: tuple[str, ...], market: str | None, wanted: bool | None,
          result: BundleResult) -> dict[str, str]:
    """PDF catalogues to include, when WeasyPrint is installed (the `pdf` extra)."""
    if wanted is False:
        return {}
    from catalogue.commands.pdf import pdf_available

    if not pdf_available():
        result.pdf_note = "no PDF: install the pdf extra (pip install 'catalogue[pdf]')"
        if wanted:
            result.problems.error("(bundle)", None, "--pdf", result.pdf_note)
        return {}
    return {lang: f"catalogue-{lang}{'-' + market if market else ''}.pdf" for lang in languages}


def write_zip(folder: Path, out_zip: Path, result: BundleResult) -> Path:
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=".bundle-", suffix=".zip", dir=out_zip.parent)
    os.close(handle)
    bytes_by_kind: Counter[str] = Counter()
    files_by_kind: Counter[str] = Counter()
    try:
        with zipfile.ZipFile(temp_name, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            archive.comment = BUNDLE_COMMENT
            for path in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix()):
                if not path.is_file():
                    continue
                name = path.relative_to(folder).as_posix()
                info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
                info.external_attr = 0o644 << 16
                info.create_system = 3
                info.compress_type = zipfile.ZIP_STORED if path.suffix in (".webp", ".jpg", ".png", ".pdf") \
                    else zipfile.ZIP_DEFLATED
                data = path.read_bytes()
                archive.writestr(info, data)
                kind = KINDS.get(path.suffix.lower(), "other")
                bytes_by_kind[kind] += len(data)
                files_by_kind[kind] += 1
        os.replace(temp_name, out_zip)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    result.files = sum(files_by_kind.values())
    result.bytes_by_kind = dict(sorted(bytes_by_kind.items()))
    result.files_by_kind = dict(sorted(files_by_kind.items()))
    return out_zip


def size_report(result: BundleResult) -> str:
    lines = [f"bundle: {result.zip_path} ({result.zip_path.stat().st_size / 1e6:.1f} MB zipped, "
             f"{result.files} files, {result.products} products)" if result.zip_path else "bundle: not written"]
    for kind, size in sorted(result.bytes_by_kind.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {kind:<10} {result.files_by_kind[kind]:>6} files {size / 1e6:>8.2f} MB")
    if result.pdf_note:
        lines.append(f"  ({result.pdf_note})")
    return "\n".join(lines)


