"""A printable PDF catalogue per language, made with WeasyPrint (the optional `pdf` extra).

Cover, table of contents, one page per product (photo, facts, a QR code to its online page),
then the producers' contacts. Arabic is laid out right-to-left and shaped by HarfBuzz through
Pango; Japanese needs a CJK font (Debian: fonts-noto-cjk; Arabic and Vietnamese: fonts-noto-core).
"""

from __future__ import annotations

import hashlib
from datetime import timezone
from pathlib import Path
from typing import Any, Mapping


from catalogue.site import urls
from catalogue.site.media import cached_file, ensure_encoded
from catalogue.build.pipeline import LoadedSite
from catalogue.site.themes import make_environment


def pdf_available() -> bool:
    try:
        import segno  # noqa: F401
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: Pango missing on the system
        return False
    return True


def qr_data_uri(url: str) -> str:
    import segno
    return segno.make(url, error="m").svg_data_uri(scale=3, border=1, dark="#0f3b2c")


def confined_fetcher(allowed: Mapping[str, Path]) -> Any:
    """WeasyPrint's URL fetcher, serving only the files this catalogue put in its HTML (the
    resized photos, by their file:// addresses) and data: addresses (the QR codes). Anything
    else, a file elsewhere on the machine, an address on the network, an attachment, is
    refused: the PDF is made from text that translators and editors wrote."""
    from weasyprint.urls import URLFetcher

    class ConfinedFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = allowed.get(url)
            if path is None:
                raise ValueError(f"not a file of this catalogue: {url[:80]}")
            return super().fetch(path.resolve().as_uri(), headers)

    return ConfinedFetcher(allowed_protocols={"file", "data"}, allow_redirects=False)


def pdf_html(loaded: LoadedSite, lang: str, market: str | None, cache_root: Path,
             files: dict[str, Path] | None = None) -> str:
    """The catalogue as HTML for WeasyPrint; `files` gets the file:// address of every local
    file it shows (and only those may be fetched)."""
    config, views = loaded.config, loaded.views
    language = loaded.languages[lang]
    lv = views.for_language(lang)
    image_assets = [loaded.media.get(p.rel_dir, p.images[0]) for p in loaded.site.products.values() if p.images]
    ensure_encoded([a for a in image_assets if a], cache_root)
    products = []
    for slug, product in loaded.site.products.items():
        view = views.product(slug, lang, "")
        photo = None
        asset = loaded.media.get(product.rel_dir, product.images[0]) if product.images else None
        if asset is not None:
            variant = next((v for v in asset.of(asset.fallback_mime) if v.width >= 640), asset.largest)
            photo_path = cached_file(cache_root, asset, variant).resolve()
            photo = photo_path.as_uri()
            if files is not None:
                files[photo] = photo_path
        online = urls.absolute(config.base_url, view.card.path)
        products.append({"view": view, "photo": photo, "qr": qr_data_uri(online), "online": online})
    producers = [(lv.producers[slug], views.contact(p)) for slug, p in loaded.site.producers.items()]
    env = make_environment(loaded.theme, loaded.translations[lang],
                           {"config": config, "all_languages": loaded.languages})
    return env.get_template("print/catalogue.html").render(
        lang=language, site_title=config.localized(config.title, lang),
        site_description=config.localized(config.description, lang) if config.description else "",
        contact=config.contact,
        contact_address=config.localized(config.contact.address, lang) if config.contact.address else None,
        market=config.codes.label("markets", market, lang, config.source_lang) if market else None,
        date=lv.fmt.date(loaded.now.date()), created=loaded.now.date().isoformat(),
        products=products, producers=producers, site_url=config.base_url + lang + "/")


def write_pdf(loaded: LoadedSite, lang: str, market: str | None, target: Path, cache_root: Path) -> Path:
    from weasyprint import HTML

    files: dict[str, Path] = {}
    html = pdf_html(loaded, lang, market, cache_root, files)
    digest = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    # base_url: a folder of its own, so that no relative address means a file of the site
    document = HTML(string=html, base_url="about:blank", url_fetcher=confined_fetcher(files)).render()
    created = loaded.now.astimezone(timezone.utc).replace(microsecond=0).isoformat()
    document.metadata.created = created
    document.metadata.modified = created
    target.parent.mkdir(parents=True, exist_ok=True)
    document.write_pdf(target, pdf_identifier=digest)
    return target


