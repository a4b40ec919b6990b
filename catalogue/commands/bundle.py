"""Offline bundles: a zip of the catalogue that works from a folder on disk (file://).

Every link names its file, nothing is fetched from the network, search and the inquiry list
work without a server. A README per language says how to open it. The zip is reproducible:
sorted UTF-8 names, fixed timestamps and permissions.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path


from catalogue.content.link import restrict_to_market
from catalogue.build.pipeline import BuildResult, Edition, LoadedSite, default_cache, load_site, write_site
from catalogue.site.plan import LISTING_KINDS, plan_pages
from catalogue.problems import Problems
from catalogue.site.views import ViewBuilder
from catalogue.build.writer import StagedOutput

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
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
    loaded = load_site(root, problems, now)
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
    views = ViewBuilder(config, site, dict(loaded.languages), loaded.media, loaded.now)
    used = {name: views.used_codes(name) for name in LISTING_KINDS}
    pages = plan_pages(config, site, used, problems, languages=chosen, web=False)
    edition_site = replace(loaded, site=site, views=views, pages=pages)
    pdf_files = _pdfs(edition_site, chosen, market, pdf, result)
    cover = {
        "languages": list(chosen),
        "market_code": market,
        "dates": {lang: views.for_language(lang).fmt.date(loaded.now.date()) for lang in chosen},
        "markets": {lang: config.codes.label("markets", market, lang, config.source_lang) for lang in chosen}
        if market else {},
        "pdfs": {lang: name for lang, name in pdf_files.items()},
        "product_count": len(site.products),
    }
    with tempfile.TemporaryDirectory(prefix="catalogue-bundle-") as scratch:
        output = StagedOutput(Path(scratch) / "bundle")
        build_result = BuildResult(problems)
        edition = Edition(chosen, "files", web=False, bundle=cover)
        write_site(edition_site, output, problems, None, build_result, edition, default_cache(root), 1)
        if problems.has_errors():
            return result
        for lang in chosen:
            output.write(f"README-{lang}.txt", _readme(edition_site, edition, lang))
        for lang, name in pdf_files.items():
            from catalogue.commands.pdf import write_pdf
            write_pdf(edition_site, lang, market, Path(scratch) / name, default_cache(root))
            output.copy(name, Path(scratch) / name)
            result.pdfs.append(name)
        output.commit()
        result.zip_path = write_zip(Path(scratch) / "bundle", out_zip, result)
    result.products = len(site.products)
    return result


def _pdfs(loaded: LoadedSite, languages: tuple[str, ...], market: str | None, wanted: bool | None,
          result: BundleResult) -> dict[str, str]:
    """PDF catalogues to include, when WeasyPrint is installed (the `pdf` extra)."""
    if wanted is False:
        return {}
    try:
        from catalogue.commands.pdf import pdf_available
    except ImportError:  # pragma: no cover - the module itself has no hard dependency
        return {}
    if not pdf_available():
        result.pdf_note = "no PDF: install the pdf extra (pip install 'catalogue[pdf]')"
        if wanted:
            result.problems.error("(bundle)", None, "--pdf", result.pdf_note)
        return {}
    return {lang: f"catalogue-{lang}{'-' + market if market else ''}.pdf" for lang in languages}


def _readme(loaded: LoadedSite, edition: Edition, lang: str) -> bytes:
    from catalogue.site.render import render_text

    return render_text(loaded, "bundle_readme.txt", lang, {"bundle": edition.bundle}).encode("utf-8")


def write_zip(folder: Path, out_zip: Path, result: BundleResult) -> Path:
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=".bundle-", suffix=".zip", dir=out_zip.parent)
    import os
    os.close(handle)
    bytes_by_kind: Counter[str] = Counter()
    files_by_kind: Counter[str] = Counter()
    try:
        with zipfile.ZipFile(temp_name, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
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


