"""Publishing: structured data, Open Graph, feeds, calendars, data exports, sub-path hosting."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import feedparser
import icalendar
import pytest
from conftest import NOW, build_ok, page
from sitecheck import crawl

from catalogue.build.pipeline import build

BASE = "https://example.org/cat/"
SLUG = "che-ta-leng"


def json_ld(doc) -> dict[str, dict]:
    blocks = [json.loads(s.text) for s in doc.cssselect("script[type='application/ld+json']")]
    return {b["@type"]: b for b in blocks}


def test_product_json_ld_matches_the_record(built: Path) -> None:
    data = json_ld(page(built, f"en/products/{SLUG}/index.html"))
    product = data["Product"]
    assert product["@context"] == "https://schema.org"
    assert product["name"] == "Ta Leng Shan tuyet tea"
    assert product["description"] == "Green tea from ancient trees."
    assert product["url"] == f"{BASE}en/products/{SLUG}/"
    assert product["sku"] == SLUG and product["category"] == "Beverages"
    assert product["brand"] == {"@type": "Brand", "name": "Ta Leng Cooperative"}
    assert product["manufacturer"]["url"] == f"{BASE}en/producers/htx-ta-leng/"
    assert len(product["image"]) == 2 and all(u.startswith(f"{BASE}media/products/{SLUG}/") for u in product["image"])
    assert product["award"] == "OCOP rating 2022: 4 OCOP stars out of 5"
    props = {(p.get("propertyID"), p["name"]): p for p in product["additionalProperty"]}
    assert props[("HS", "HS code")]["value"] == "0902.10"
    assert props[(None, "Shelf life")]["value"] == 540 and props[(None, "Shelf life")]["unitCode"] == "DAY"
    assert sorted(p["value"] for p in product["additionalProperty"] if p.get("propertyID") == "certification") \
        == ["Halal", "Organic"]
    assert props[("OCOP", "OCOP")]["value"] == 4
    offers = [(o["name"], o.get("price"), o.get("priceCurrency"), o.get("description")) for o in product["offers"]]
    assert offers == [("100 g", "85000", "VND", None), ("500 g", "12.5", "USD", None),
                      ("1 kg", None, None, "on request")]  # an offer, with no price claimed
    assert [o.get("availability") for o in product["offers"]] == ["https://schema.org/InStock"] * 2 + [None]
    for offer in product["offers"]:
        assert offer["seller"] == {"@id": f"{BASE}en/producers/htx-ta-leng/#organization"}
        assert offer["eligibleQuantity"] == {"@type": "QuantitativeValue", "minValue": 200, "unitText": "kg"}
        assert offer["businessFunction"] == "http://purl.org/goodrelations/v1#Sell"
    bare = json_ld(page(built, "en/products/mac-ca/index.html"))["Product"]  # no pack sizes, no moq
    assert bare["offers"] == [{"@type": "Offer", "url": f"{BASE}en/products/mac-ca/",
                               "businessFunction": "http://purl.org/goodrelations/v1#Sell",
                               "seller": {"@id": f"{BASE}en/producers/htx-ta-leng/#organization"},
                               "description": "on request"}]
    crumbs = data["BreadcrumbList"]["itemListElement"]
    assert [(c["position"], c["name"], c["item"]) for c in crumbs] == [
        (1, "Home", f"{BASE}en/"), (2, "Products", f"{BASE}en/products/"),
        (3, "Beverages", f"{BASE}en/categories/beverage/"), (4, "Ta Leng Shan tuyet tea", f"{BASE}en/products/{SLUG}/")]


def test_organization_and_event_json_ld(built: Path) -> None:
    org = json_ld(page(built, "en/producers/htx-ta-leng/index.html"))["Organization"]
    assert (org["name"], org["telephone"], org["email"], org["foundingDate"]) == \
        ("Ta Leng Cooperative", "+84 912 345 678", "taleng@example.org", "2015")
    assert org["address"] == {"@type": "PostalAddress", "addressRegion": "Tam Duong", "streetAddress": "Bản Tả Lèng"}
    assert [o["itemOffered"]["name"] for o in org["makesOffer"]] == ["Ta Leng Shan tuyet tea", "Hạt mắc ca Tam Đường"]
    event = json_ld(page(built, "en/events/hoi-thao-che/index.html"))["Event"]
    assert event["startDate"] == "2022-06-14T08:30:00+07:00" and event["endDate"] == "2022-06-14T16:30:00+07:00"
    assert event["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert event["location"]["@type"] == "Place" and event["location"]["address"]["addressCountry"] == "VN"
    assert event["organizer"]["name"] == "Ta Leng Cooperative"
    online = json_ld(page(built, "en/events/tu-van-nhat-ban/index.html"))["Event"]
    assert online["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert online["location"] == {"@type": "VirtualLocation", "url": "https://meet.example.org/jp"}
    assert online["startDate"] == "2027-03-10"


def test_open_graph_with_locales(built: Path) -> None:
    doc = page(built, f"ja/products/{SLUG}/index.html")
    og = {}
    for meta in doc.cssselect("meta[property^='og:']"):
        og.setdefault(meta.get("property"), []).append(meta.get("content"))
    assert og["og:locale"] == ["ja_JP"]
    assert sorted(og["og:locale:alternate"]) == ["ar_EG", "en_US", "vi_VN"]
    assert og["og:type"] == ["product"] and og["og:url"] == [f"{BASE}ja/products/{SLUG}/"]
    assert og["og:image"][0].startswith(f"{BASE}media/products/{SLUG}/cover-120.")
    assert doc.cssselect("meta[name='twitter:card']")[0].get("content") == "summary_large_image"


def test_atom_feeds_parse(built: Path) -> None:
    feed = feedparser.parse((built / "en/products.atom").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Test Products" and feed.feed.language == "en"
    entries = [(e.link, e.updated[:10]) for e in feed.entries]
    assert entries == [(f"{BASE}en/products/{SLUG}/", "2026-05-01"), (f"{BASE}en/products/mac-ca/", "2024-01-01")]
    assert feed.entries[0].summary == "Green tea from ancient trees."
    events = feedparser.parse((built / "vi/events.atom").read_bytes())
    assert not events.bozo and [e.title for e in events.entries] == ["Tư vấn xuất khẩu Nhật Bản", "Hội thảo xúc tiến chè"]
    alternates = page(built, "en/index.html").cssselect("link[type='application/atom+xml']")
    assert [a.get("href") for a in alternates] == ["../en/products.atom", "../en/events.atom"]


def test_icalendar_files_parse_with_offsets_and_escaping(site: Path) -> None:
    event_file = site / "content/events/hoi-thao-che/en.md"
    event_file.write_text("---\nname: \"Tea, coffee; and more: a very long workshop title that needs folding "
                          "across lines in the calendar file\"\nsummary: Line one.\n---\nBody\n", encoding="utf-8")
    out = build_ok(site)
    raw = (out / "en/events/hoi-thao-che/hoi-thao-che.ics").read_bytes()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    calendar = icalendar.Calendar.from_ical(raw)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]).startswith("Tea, coffee; and more: a very long workshop title")
    assert event["DTSTART"].dt == datetime(2022, 6, 14, 8, 30, tzinfo=timezone(timedelta(hours=7)))
    assert event["DTEND"].dt == datetime(2022, 6, 14, 9, 30, tzinfo=timezone.utc)
    assert str(event["UID"]) == "hoi-thao-che@example.org/cat"
    assert event["DTSTAMP"].dt == datetime(2026, 11, 29, tzinfo=timezone.utc)
    assert str(event["URL"]) == f"{BASE}en/events/hoi-thao-che/"
    every = icalendar.Calendar.from_ical((out / "vi/events/events.ics").read_bytes())
    all_day = [e for e in every.walk("VEVENT") if str(e["UID"]).startswith("tu-van-nhat-ban")][0]
    assert all_day["DTSTART"].dt == date(2027, 3, 10) and all_day["DTEND"].dt == date(2027, 3, 11)
    assert len(every.walk("VEVENT")) == 2


def test_catalogue_json_is_versioned_and_complete(built: Path) -> None:
    data = json.loads((built / "en/catalogue.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == 1 and data["language"] == "en"
    record = {r["slug"]: r for r in data["products"]}[SLUG]
    assert record["name"] == "Ta Leng Shan tuyet tea" and record["hs_code"] == "0902.10"
    assert record["ocop"] == {"stars": 4, "year": 2022, "certificate": "1234/QĐ-UBND", "valid_until": "2027-12-31"}
    assert record["packaging"] == [{"size": "100 g", "unit_price": {"amount": "85000", "currency": "VND"}},
                                   {"size": "500 g", "unit_price": {"amount": "12.5", "currency": "USD"}},
                                   {"size": "1 kg", "unit_price": None}]
    assert record["moq"] == {"quantity": "200", "unit": "kg"} and record["shelf_life_days"] == 540
    assert [c["code"] for c in record["certifications"]] == ["organic", "halal"]
    assert record["producer"]["type"] == "cooperative" and record["translation_status"] == "untracked"
    fallback = {r["slug"]: r for r in data["products"]}["mac-ca"]
    assert fallback["text_language"] == "vi" and fallback["translation_status"] == "missing"  # no English either


def test_catalogue_csv_reads_back_in_a_spreadsheet(built: Path) -> None:
    raw = (built / "ja/catalogue.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    by_slug = {r["slug"]: r for r in rows}
    assert set(by_slug) == {SLUG, "mac-ca"}
    row = by_slug[SLUG]
    assert row["hs_code"] == "0902.10" and row["ocop_stars"] == "4" and row["district_label"] == "タムドゥオン"
    assert row["packaging"] == "100 g = 85000 VND; 500 g = 12.5 USD; 1 kg"
    assert row["certifications"] == "organic; halal" and row["text_language"] == "en"  # Japanese falls back to English


def test_sub_path_hosting_resolves_every_link(site: Path) -> None:
    (site / "site.yaml").write_text((site / "site.yaml").read_text().replace("https://example.org/cat/",
                                                                          "https://example.org/ocop/"))
    out = build_ok(site)
    broken, checked = crawl(out, "https://example.org/ocop/")
    assert checked > 200 and broken == [], broken[:10]
    doc = page(out, "404.html")
    assert all(a.get("href").startswith("/ocop/") for a in doc.cssselect("main a"))
    assert page(out, "en/index.html").cssselect("link[rel=canonical]")[0].get("href") == "https://example.org/ocop/en/"
    assert "Sitemap: https://example.org/ocop/sitemap.xml" in (out / "robots.txt").read_text()


@pytest.mark.parametrize("rel", ["docs/publishing.md", "docs/data.md"])
def test_publishing_docs_exist(rel: str) -> None:
    from conftest import REPO
    text = (REPO / rel).read_text(encoding="utf-8")
    assert len(text) > 1500
