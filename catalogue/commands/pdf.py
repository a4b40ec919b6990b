"""A printable PDF catalogue per language, made with WeasyPrint (the optional `pdf` extra).

Cover, table of contents, one page per product (photo, facts, a QR code to its online page),
then the producers' contacts. Arabic is laid out right-to-left and shaped by HarfBuzz through
Pango; Japanese needs a CJK font (Debian: fonts-noto-cjk; Arabic and Vietnamese: fonts-noto-core).
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from datetime import timezone
from pathlib import Path
from typing import Any, Mapping


from catalogue.build.cache import Store
from catalogue.build.keys import package_key
from catalogue.build.memo import CachedEvaluator
from catalogue.build.stages import LoadedSite
from catalogue.content.facts import producer_facts
from catalogue.derive import Evaluator, derive, digest
from catalogue.site import urls
from catalogue.site.pages import BodyChoice, body_html
from catalogue.site.media import EntryMedia, encode_image, variant_bytes
from catalogue.site.themes import make_environment
from catalogue.site.views import contact_view, language_context, producer_card, product_view


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


def confined_fetcher(allowed: Mapping[str, Path | tuple[bytes, str]]) -> Any:
    """WeasyPrint's URL fetcher, serving only what this catalogue put in its HTML: its photos
    (by the addresses it gave them, from memory or from their files) and data: addresses (the
    QR codes). Anything else, a file elsewhere on the machine, an address on the network, an
    attachment, is refused: the PDF is made from text that translators and editors wrote."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ConfinedFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            found = allowed.get(url)
            if found is None:
                raise ValueError(f"not a file of this catalogue: {url[:80]}")
            if isinstance(found, tuple):
                data, mime = found
                return URLFetcherResponse(url, body=data, headers={"Content-Type": mime})
            return super().fetch(found.resolve().as_uri(), headers)

    return ConfinedFetcher(allowed_protocols={"file", "data"}, allow_redirects=False)


def pdf_html(loaded: LoadedSite, lang: str, market: str | None, images: dict[str, tuple[bytes, str]],
             evaluator: Evaluator) -> str:
    """The catalogue as HTML for WeasyPrint; `images` gets the bytes of every photo it shows,
    by the address it shows it at (and only those may be fetched)."""
    config, site = loaded.config, loaded.site
    language = loaded.languages[lang]
    settings = digest(package_key(), config.digest, "pdf")
    lc = language_context(config, loaded.languages, lang, loaded.index.listed, settings)
    products = []
    for slug, product in site.products.items():
        producer = site.producers.get(product.producer)
        media = loaded.media.get(("product", slug)) or EntryMedia({}, frozenset(), "none")
        summary = producer_card(lc, producer_facts(producer, config.source_lang), len(site.products_by_producer.get(producer.slug, ()))) \
            if producer else None
        # the description without its pictures: the PDF shows the product's own photo
        body = body_html(BodyChoice(product, lang, lc.chain, lc.source_lang), EntryMedia({}, frozenset(), "none"), 0,
                         "pretty")
        view = product_view(lc, product, media, producer, summary, (), body, product.ocop.lapsed(loaded.now.date()))
        photo = None
        asset = media.get(product.images[0]) if product.images else None
        if asset is not None:
            variant = next((v for v in asset.of(asset.fallback_mime) if v.width >= 640), asset.largest)
            photo = f"https://images.catalogue.invalid/{variant.out_path}"
            images[photo] = (variant_bytes(evaluator.value(derive(encode_image, asset, stored=True)), asset, variant),
                             variant.mime)
        online = urls.absolute(config.base_url, view.card.path)
        products.append({"view": view, "photo": photo, "qr": qr_data_uri(online), "online": online})
    # by product group, then by name, as the catalogue's language reads them
    products.sort(key=_reading_order)
    producers = [(producer_card(lc, producer_facts(p, config.source_lang), len(site.products_by_producer.get(slug, ()))), contact_view(lc, p))
                 for slug, p in site.producers.items()]
    env = make_environment(loaded.theme, loaded.catalogues[lang].translations,
                           {"config": config, "all_languages": loaded.languages})
    return env.get_template("print/catalogue.html").render(
        lang=language, site_title=config.localized(config.title, lang),
        site_description=config.localized(config.description, lang) if config.description else "",
        contact=config.contact,
        contact_address=config.localized(config.contact.address, lang) if config.contact.address else None,
        market=config.codes.label("markets", market, lang, config.source_lang) if market else None,
        date=lc.fmt.date(loaded.now.date()), created=loaded.now.date().isoformat(),
        products=products, producers=producers, site_url=config.base_url + lang + "/")


def _reading_order(item: dict[str, Any]) -> tuple[str, str]:
    card = item["view"].card
    return card.category.text.casefold(), card.words.name.casefold()


def write_pdf(loaded: LoadedSite, lang: str, market: str | None, target: Path, store: Store) -> Path:
    from weasyprint import HTML

    images: dict[str, tuple[bytes, str]] = {}
    evaluator = CachedEvaluator(store)
    html = pdf_html(loaded, lang, market, images, evaluator)
    evaluator.flush()
    digest_value = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    # base_url: no relative address means a file of the site; every photo comes from `images`
    document = HTML(string=html, base_url="about:blank", url_fetcher=confined_fetcher(images)).render()
    created = loaded.now.astimezone(timezone.utc).replace(microsecond=0).isoformat()
    document.metadata.created = created
    document.metadata.modified = created
    target.parent.mkdir(parents=True, exist_ok=True)
    # written beside it, then renamed over it: a killed or failing run leaves the last PDF whole
    handle, temp_name = tempfile.mkstemp(prefix=".catalogue-", suffix=".pdf", dir=target.parent)
    os.close(handle)
    try:
        document.write_pdf(temp_name, pdf_identifier=digest_value, pdf_tags=True)  # tagged: read aloud, reflowed
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target


def is_pdf(path: Path) -> bool:
    """Whether a file already at a PDF's place may be replaced: a PDF (the names are this
    program's own, catalogue-LANG.pdf, in the folder given)."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        with open(path, "rb") as handle:
            return handle.read(5) == b"%PDF-"
    except OSError:
        return False
