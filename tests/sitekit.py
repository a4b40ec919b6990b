"""A small, valid fixture site written into a temporary folder; tests change what they need."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

from PIL import Image

SITE_YAML = """\
title: {vi: "Sản phẩm thử", en: "Test Products", ar: "منتجات تجريبية", ja: "テスト製品"}
description: {vi: "Danh mục thử nghiệm.", en: "A test catalogue."}
base_url: https://example.org/cat/
languages: [vi, en, ar, ja]
contact: {email: trade@example.org, phone: "+84 213 000 000"}
codes:
  districts:
    tam-duong: {vi: "Tam Đường", en: "Tam Duong", ja: "タムドゥオン"}
    sin-ho: {vi: "Sìn Hồ", en: "Sin Ho"}
"""

PRODUCT_YAML = """\
producer: htx-ta-leng
category: beverage
ocop: {stars: 4, year: 2022, certificate: "1234/QĐ-UBND", valid_until: 2027-12-31}
district: tam-duong
images: [cover.jpg, pack.png]
hs_code: "0902.10"
certifications: [organic, halal]
markets: [middle-east, japan]
packaging:
  - {size: "100 g", unit_price: {amount: 85000, currency: VND}}
  - {size: "500 g", unit_price: {amount: 12.5, currency: USD}}
  - {size: "1 kg"}
moq: {quantity: 200, unit: kg}
shelf_life_days: 540
marketplaces:
  - {name: Shopee, url: "https://shopee.vn/che-ta-leng"}
updated: 2026-05-01
"""

TEXTS = {
    ("products", "che-ta-leng", "vi"): ("Chè Shan tuyết Tả Lèng", "Chè xanh từ cây cổ thụ.",
                                        "## Cách pha\n\nDùng nước 85 °C.\n\n- Lá xoăn\n- Hương cốm\n"),
    ("products", "che-ta-leng", "en"): ("Ta Leng Shan tuyet tea", "Green tea from ancient trees.",
                                        "## Brewing\n\nUse water at 85 °C.\n"),
    ("products", "mac-ca", "vi"): ("Hạt mắc ca Tam Đường", "Mắc ca sấy nứt vỏ.", "Hạt to, béo.\n"),
    ("producers", "htx-ta-leng", "vi"): ("Hợp tác xã Tả Lèng", "Hợp tác xã chè.", "Thành lập 2015.\n"),
    ("producers", "htx-ta-leng", "en"): ("Ta Leng Cooperative", "A tea cooperative.", "Founded 2015.\n"),
    ("events", "hoi-thao-che", "vi"): ("Hội thảo xúc tiến chè", "Chè vào Trung Đông.", "Chương trình.\n"),
    ("events", "hoi-thao-che", "en"): ("Tea promotion workshop", "Tea for the Middle East.", "Agenda.\n"),
    ("events", "tu-van-nhat-ban", "vi"): ("Tư vấn xuất khẩu Nhật Bản", "Trực tuyến.", "Nội dung.\n"),
}

MAC_CA_YAML = """\
producer: htx-ta-leng
category: food
ocop: {stars: 3, year: 2024}
district: sin-ho
"""

PRODUCER_YAML = """\
type: cooperative
district: tam-duong
contact: {phone: "+84 912 345 678", email: taleng@example.org, website: "https://taleng.example.org", address: "Bản Tả Lèng"}
founded: 2015
"""

EVENT_WORKSHOP = """\
kind: workshop
start: 2022-06-14T08:30:00+07:00
end: 2022-06-14T16:30:00+07:00
location: {venue: "Hội trường Sở Công Thương", city: "Lai Châu", country: VN}
markets: [middle-east, north-africa, south-asia]
products: [che-ta-leng]
organizer: htx-ta-leng
"""

EVENT_ONLINE = """\
kind: online-consultation
start: 2027-03-10
location: {online: true, url: "https://meet.example.org/jp"}
markets: [japan]
products: [che-ta-leng, mac-ca]
organizer: "Cục Xúc tiến thương mại"
registration: "https://example.org/register"
"""


def jpeg_bytes(size: tuple[int, int] = (64, 48), colour: str = "#2a7", fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    return buffer.getvalue()


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(textwrap.dedent(content) if content.startswith("\n") else content, encoding="utf-8")
    return path


def text_file(name: str, summary: str, body: str, extra: str = "") -> str:
    return f"---\nname: {name}\nsummary: {summary}\n{extra}---\n{body}"


def make_site(root: Path) -> Path:
    write(root / "site.yaml", SITE_YAML)
    content = root / "content"
    write(content / "products/che-ta-leng/product.yaml", PRODUCT_YAML)
    write(content / "products/che-ta-leng/cover.jpg", jpeg_bytes((120, 90)))
    write(content / "products/che-ta-leng/pack.png", jpeg_bytes((90, 90), "#c93", "PNG"))
    write(content / "products/mac-ca/product.yaml", MAC_CA_YAML)
    write(content / "producers/htx-ta-leng/producer.yaml", PRODUCER_YAML)
    write(content / "events/hoi-thao-che/event.yaml", EVENT_WORKSHOP)
    write(content / "events/tu-van-nhat-ban/event.yaml", EVENT_ONLINE)
    for (folder, slug, lang), (name, summary, body) in TEXTS.items():
        write(content / folder / slug / f"{lang}.md", text_file(name, summary, body))
    return root


PO_HEADER = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"
"Language: {lang}\\n"
"Plural-Forms: {plural_forms}\\n"

"""


def po_file(messages: dict[str, str], lang: str = "en", plural_forms: str = "nplurals=2; plural=(n != 1);",
            raw: str = "") -> str:
    """A site catalogue: `messages` msgid -> msgstr (quoted as .po writes them), then `raw` lines."""
    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    body = "".join(f"msgid {quote(k)}\nmsgstr {quote(v)}\n\n" for k, v in messages.items())
    return PO_HEADER.format(lang=lang, plural_forms=plural_forms) + body + raw


def published(folder: Path) -> dict[str, bytes]:
    """Every file of an output folder and its bytes (to show it is left exactly as it was)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
