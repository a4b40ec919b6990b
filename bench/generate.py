"""A deterministic synthetic catalogue of N products in vi, en, ar, ja, for benchmarks.

Producers (one per 10 products) and events (one per 50) come in proportion; every text has
a realistic body of about 250 words with a heading, a list, a table and a link.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

LANGS = ("vi", "en", "ar", "ja")
DISTRICTS = ("tam-duong", "sin-ho", "phong-tho", "muong-te", "than-uyen", "tan-uyen", "nam-nhun", "lai-chau-city")
CATEGORIES = ("food", "beverage", "herbal", "textile", "souvenir", "tourism")
MARKETS = ("middle-east", "north-africa", "south-asia", "japan", "korea", "taiwan", "india", "mexico", "eu", "usa")
CERTS = ("vietgap", "globalgap", "organic", "haccp", "iso22000", "halal", "fairtrade")
WORDS = {
    "vi": "chè shan tuyết mắc ca gạo nếp mật ong rừng đồi núi cao nông dân hợp tác xã thu hái sấy khô đóng gói "
          "hương vị đậm đà tự nhiên sạch an toàn xuất khẩu chất lượng vùng trồng bản làng thôn xã huyện tỉnh".split(),
    "en": "tea shan tuyet macadamia rice honey forest hills mountain farmers cooperative harvest dried packed "
          "flavour rich natural clean safe export quality growing village commune district province".split(),
    "ar": "شاي مكاديميا أرز عسل غابة تلال جبال مزارعون تعاونية حصاد مجفف معبأ نكهة غنية طبيعي نظيف آمن تصدير "
          "جودة زراعة قرية منطقة مقاطعة".split(),
    "ja": "茶 マカダミア 米 はちみつ 森 丘 山 農家 協同組合 収穫 乾燥 包装 風味 豊か 自然 清潔 安全 輸出 品質 "
          "栽培 村 地区 県".split(),
}


def paragraph(rng: random.Random, lang: str, words: int) -> str:
    picked = [rng.choice(WORDS[lang]) for _ in range(words)]
    joiner = "" if lang == "ja" else " "
    return joiner.join(picked).capitalize() + ("。" if lang == "ja" else ".")


def body(rng: random.Random, lang: str, slug: str) -> str:
    return "\n".join([
        paragraph(rng, lang, 60), "",
        "## " + paragraph(rng, lang, 4).rstrip(".。"), "",
        paragraph(rng, lang, 50), "",
        *[f"- {paragraph(rng, lang, 8)}" for _ in range(4)], "",
        "| " + " | ".join(paragraph(rng, lang, 1).rstrip(".。") for _ in range(3)) + " |",
        "|---|---|---:|",
        *["| " + " | ".join(paragraph(rng, lang, 2).rstrip(".。") for _ in range(2)) + f" | {rng.randint(1, 99)} |"
          for _ in range(3)], "",
        paragraph(rng, lang, 60) + f" [{paragraph(rng, lang, 2).rstrip('.。')}](https://example.org/{slug}).", "",
    ])


def text_file(rng: random.Random, lang: str, slug: str, name: str) -> str:
    return f"---\nname: \"{name}\"\nsummary: \"{paragraph(rng, lang, 18)}\"\n---\n{body(rng, lang, slug)}"


def generate(root: Path, products: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    content = root / "content"
    districts = "\n".join(f"    {d}: {{vi: \"{d.title()}\", en: \"{d.replace('-', ' ').title()}\"}}" for d in DISTRICTS)
    (root).mkdir(parents=True)
    (root / "site.yaml").write_text(
        "title: {vi: \"Danh mục OCOP quốc gia\", en: \"National OCOP catalogue\", ar: \"كتالوج OCOP\", "
        "ja: \"OCOP全国カタログ\"}\nbase_url: https://bench.example.org/\nlanguages: [vi, en, ar, ja]\n"
        "contact: {email: trade@example.org, phone: \"+84 24 0000 0000\"}\n"
        f"codes:\n  districts:\n{districts}\n", encoding="utf-8")
    n_producers = max(1, products // 10)
    for index in range(n_producers):
        slug = f"producer-{index:05d}"
        folder = content / "producers" / slug
        folder.mkdir(parents=True)
        (folder / "producer.yaml").write_text(
            f"type: {rng.choice(('cooperative', 'enterprise', 'household'))}\n"
            f"district: {rng.choice(DISTRICTS)}\ncontact: {{phone: \"+84 213 {index:06d}\", "
            f"email: p{index}@example.org}}\nfounded: {rng.randint(1990, 2022)}\n", encoding="utf-8")
        for lang in LANGS:
            (folder / f"{lang}.md").write_text(text_file(rng, lang, slug, f"Producer {index} {lang}"), encoding="utf-8")
    for index in range(products):
        slug = f"product-{index:05d}"
        folder = content / "products" / slug
        folder.mkdir(parents=True)
        markets = sorted(rng.sample(MARKETS, rng.randint(1, 4)))
        certs = sorted(rng.sample(CERTS, rng.randint(0, 3)))
        (folder / "product.yaml").write_text(
            f"producer: producer-{index % n_producers:05d}\ncategory: {rng.choice(CATEGORIES)}\n"
            f"ocop: {{stars: {rng.randint(3, 5)}, year: {rng.randint(2019, 2025)}, certificate: \"{index}/QĐ-UBND\"}}\n"
            f"district: {rng.choice(DISTRICTS)}\nhs_code: \"0902.{index % 90 + 10}\"\n"
            f"certifications: [{', '.join(certs)}]\nmarkets: [{', '.join(markets)}]\n"
            f"packaging:\n  - {{size: \"100 g\", unit_price: {{amount: {rng.randint(20, 900) * 1000}, currency: VND}}}}\n"
            f"  - {{size: \"1 kg\", unit_price: {{amount: {rng.randint(5, 90)}.5, currency: USD}}}}\n"
            f"moq: {{quantity: {rng.randint(1, 50) * 10}, unit: kg}}\nshelf_life_days: {rng.randint(90, 720)}\n"
            f"updated: 2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}\n", encoding="utf-8")
        for lang in LANGS:
            (folder / f"{lang}.md").write_text(text_file(rng, lang, slug, f"Product {index} {lang}"), encoding="utf-8")
    for index in range(max(1, products // 50)):
        slug = f"event-{index:05d}"
        folder = content / "events" / slug
        folder.mkdir(parents=True)
        shown = sorted(rng.sample(range(products), min(5, products)))
        (folder / "event.yaml").write_text(
            f"kind: trade-fair\nstart: 20{rng.randint(22, 28)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T08:30:00+07:00\n"
            f"location: {{venue: \"Hall {index}\", city: \"Hà Nội\", country: VN}}\n"
            f"markets: [{rng.choice(MARKETS)}]\nproducts: [{', '.join(f'product-{i:05d}' for i in shown)}]\n",
            encoding="utf-8")
        for lang in LANGS:
            (folder / f"{lang}.md").write_text(text_file(rng, lang, slug, f"Event {index} {lang}"), encoding="utf-8")
    return root


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--products", type=int, default=10_000)
    args = parser.parse_args()
    generate(args.folder, args.products)
    print(f"generated {args.products} products in {args.folder}")
