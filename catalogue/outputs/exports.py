"""Data for importers' systems: catalogue.json (versioned schema) and catalogue.csv per language.

The JSON schema is documented in docs/data.md; `schema_version` changes only when a field is
removed or changes meaning (fields may be added within a version).
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from decimal import Decimal
from typing import Any

from catalogue.site import urls
from catalogue.config import SiteConfig
from catalogue.site.media import EntryMedia
from catalogue.content.facts import ProducerFacts, ProductData
from catalogue.site.views import LanguageContext, product_card

SCHEMA_VERSION = 1
CSV_COLUMNS = ("slug", "name", "summary", "url", "category", "category_label", "ocop_stars", "ocop_year",
               "ocop_certificate", "ocop_valid_until", "district", "district_label", "producer", "producer_name",
               "producer_type", "hs_code", "certifications", "markets", "packaging", "moq_quantity", "moq_unit",
               "shelf_life_days", "marketplaces", "updated", "image", "text_language", "translation_status")


def _amount(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def product_record(lc: LanguageContext, config: SiteConfig, product: ProductData, producer: ProducerFacts | None,
                   media: EntryMedia) -> dict[str, Any]:
    """One product as catalogue.json and catalogue.csv describe it, in one language."""
    lang = lc.code
    facts = product.facts
    card = product_card(lc, facts, producer, media.get(facts.cover) if facts.cover else None)
    images = [urls.absolute(config.base_url, asset.largest.out_path)
              for name in product.images if (asset := media.get(name)) is not None]
    own = facts.texts.get(lang)
    return {
        "slug": facts.slug,
        "url": urls.absolute(config.base_url, card.path),
        "name": card.words.name,
        "summary": card.words.summary,
        "text_language": card.words.lang,
        "translation_status": own.status if own is not None else "missing",
        "category": {"code": facts.category, "label": card.category.text},
        "ocop": {"stars": product.ocop.stars, "year": product.ocop.year,
                 "certificate": product.ocop.certificate,
                 "valid_until": product.ocop.valid_until.isoformat() if product.ocop.valid_until else None},
        "district": {"code": facts.district, "label": card.district.text},
        "producer": {"slug": facts.producer, "name": card.producer_name,
                     "type": producer.type if producer else None,
                     "url": urls.absolute(config.base_url, urls.entry(lang, "producers", facts.producer))},
        "hs_code": product.hs_code,
        "certifications": [{"code": c.code, "label": c.text} for c in card.certifications],
        "markets": [{"code": m.code, "label": m.text} for m in card.markets],
        "packaging": [{"size": p.size,
                       "unit_price": {"amount": _amount(p.unit_price.amount), "currency": p.unit_price.currency}
                       if p.unit_price else None} for p in product.packaging],
        "moq": {"quantity": _amount(product.moq.quantity), "unit": product.moq.unit} if product.moq else None,
        "shelf_life_days": product.shelf_life_days,
        "marketplaces": [{"name": m.name, "url": m.url} for m in product.marketplaces],
        "updated": product.updated.isoformat() if product.updated else None,
        "images": images,
    }


def json_record(lc: LanguageContext, config: SiteConfig, product: ProductData, producer: ProducerFacts | None,
                media: EntryMedia) -> str:
    """A product's element of catalogue.json's "products", as JSON text."""
    return json.dumps(product_record(lc, config, product, producer, media), ensure_ascii=False,
                      separators=(",", ":"), check_circular=False)


def catalogue_json(lc: LanguageContext, config: SiteConfig, records: tuple[bytes, ...]) -> bytes:
    lang = lc.code
    head = {
        "schema_version": SCHEMA_VERSION,
        "language": lang,
        "site": {"title": config.localized(config.title, lang), "url": urls.absolute(config.base_url, urls.home(lang)),
                 "contact": {"email": config.contact.email, "phone": config.contact.phone}},
    }
    opening = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    return (opening + ',"products":[').encode("utf-8") + b",".join(records) + b"]}\n"


_FORMULA_STARTS = frozenset("=+-@")


def spreadsheet_cell(value: object) -> object:
    """A cell a spreadsheet shows as the text it is, never runs as a formula.

    As OWASP advises for CSV injection: a text that begins with =, +, - or @, also after
    leading spaces or tabs and in their full-width or small forms (＝, ﹢ ...), or with a
    tab or carriage return, gets a leading apostrophe, which spreadsheets take as "text"."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "\t\r":
        return "'" + value
    first = value.lstrip()[:1]
    if first and (first in _FORMULA_STARTS or unicodedata.normalize("NFKC", first)[:1] in _FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(lc: LanguageContext, config: SiteConfig, product: ProductData, producer: ProducerFacts | None,
            media: EntryMedia) -> str:
    """A product's line of catalogue.csv (CRLF ended)."""
    r = product_record(lc, config, product, producer, media)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([spreadsheet_cell(cell) for cell in (
        r["slug"], r["name"], r["summary"], r["url"], r["category"]["code"], r["category"]["label"],
        r["ocop"]["stars"], r["ocop"]["year"], r["ocop"]["certificate"] or "", r["ocop"]["valid_until"] or "",
        r["district"]["code"], r["district"]["label"], r["producer"]["slug"], r["producer"]["name"],
        r["producer"]["type"] or "", r["hs_code"] or "",
        "; ".join(c["code"] for c in r["certifications"]), "; ".join(m["code"] for m in r["markets"]),
        "; ".join(p["size"] + (f" = {p['unit_price']['amount']} {p['unit_price']['currency']}"
                               if p["unit_price"] else "") for p in r["packaging"]),
        r["moq"]["quantity"] if r["moq"] else "", r["moq"]["unit"] if r["moq"] else "",
        r["shelf_life_days"] or "", "; ".join(m["url"] for m in r["marketplaces"]), r["updated"] or "",
        r["images"][0] if r["images"] else "", r["text_language"], r["translation_status"],
    )])
    return buffer.getvalue()


def catalogue_csv(rows: tuple[bytes, ...]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(CSV_COLUMNS)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8") + b"".join(rows)  # the BOM makes spreadsheets read UTF-8
