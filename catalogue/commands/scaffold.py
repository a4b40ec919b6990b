"""`new product|producer|event NAME`: a folder with a commented record and its first text.

Required fields hold the placeholder FILL_IN, which `check` names until it is replaced;
optional fields are listed as comments with the codes they accept.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from catalogue.content.codes import Codes
from catalogue.config import SiteConfig
from catalogue.content.load import KIND_FOLDERS
from catalogue.content.model import EntryKind
from catalogue.content.schema import PLACEHOLDER, SLUG_RE
from catalogue.content.slugs import slugify


@dataclass(frozen=True)
class Scaffolded:
    folder: Path
    files: tuple[Path, ...]


class ScaffoldError(Exception):
    pass


def _codes(codes: Codes, list_name: str, lang: str, source: str) -> str:
    entries = codes.get(list_name)
    return ", ".join(f"{code} ({entries.label(code, lang, source)})" for code in entries.codes()) or "none yet"


def _existing(config: SiteConfig, kind: EntryKind) -> str:
    folder = config.root / "content" / KIND_FOLDERS[kind]
    names = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    return ", ".join(names[:12]) + (" ..." if len(names) > 12 else "") if names else "none yet"


def record_text(config: SiteConfig, kind: EntryKind, today: str) -> str:
    c, lang, src = config.codes, config.source_lang, config.source_lang
    if kind == "product":
        return f"""# Product facts that are the same in every language. docs/content.md explains each field.
# Replace every {PLACEHOLDER}; to use an optional field, remove the "# " in front of it.

# The producer: a folder name under content/producers/ ({_existing(config, "producer")})
producer: {PLACEHOLDER}
# OCOP product group: {_codes(c, "categories", lang, src)}
category: {PLACEHOLDER}
ocop:
  stars: {PLACEHOLDER}    # 1 to 5
  year: {PLACEHOLDER}     # the year the rating was granted, e.g. 2024
  # certificate: "1234/QĐ-UBND"   # decision number, in quotes
  # valid_until: 2027-12-31       # ratings last three years
# Where it is made (declared in site.yaml under codes: districts:): {_codes(c, "districts", lang, src)}
district: {PLACEHOLDER}

# images: [photo.jpg]            # .jpg, .png or .webp files in this folder; the first is the cover
# hs_code: "0902.10"             # customs code, always in quotes
# certifications: []             # any of: {_codes(c, "certifications", lang, src)}
# markets: []                    # any of: {_codes(c, "markets", lang, src)}
# packaging:                     # variants sold; unit_price is optional
#   - {{size: "500 g", unit_price: {{amount: 120000, currency: VND}}}}
# moq: {{quantity: 100, unit: kg}}   # minimum order; units: {", ".join(c.get("units").codes())}
# shelf_life_days: 365
# marketplaces:
#   - {{name: Shopee, url: "https://shopee.vn/..."}}
# updated: {today}               # last review of this record
"""
    if kind == "producer":
        return f"""# Producer facts that are the same in every language. docs/content.md explains each field.
# Replace every {PLACEHOLDER}; to use an optional field, remove the "# " in front of it.

# {_codes(c, "producer_types", lang, src)}
type: {PLACEHOLDER}
# Declared in site.yaml under codes: districts: {_codes(c, "districts", lang, src)}
district: {PLACEHOLDER}

# contact:
#   phone: "+84 213 000 000"     # in quotes
#   email: name@example.org
#   website: "https://example.org"
#   address: "Village, commune, district"
# founded: 2015
"""
    return f"""# Event facts that are the same in every language. docs/content.md explains each field.
# Replace every {PLACEHOLDER}; to use an optional field, remove the "# " in front of it.

# {_codes(c, "event_kinds", lang, src)}
kind: {PLACEHOLDER}
# Date and time with the UTC offset (+07:00 is Vietnam), or a date alone for an all-day event
start: {PLACEHOLDER}             # e.g. 2027-03-15T08:30:00+07:00
# end: 2027-03-15T17:00:00+07:00
# Either a place:  {{venue: "Giang Vo Exhibition Centre", city: "Hà Nội", country: VN}}
# or online:       {{online: true, url: "https://meet.example.org/..."}}
location: {PLACEHOLDER}

# markets: []                    # any of: {_codes(c, "markets", lang, src)}
# products: []                   # product folder names ({_existing(config, "product")})
# organizer: "Sở Công Thương Lai Châu"   # a name, or a producer folder name
# registration: "https://example.org/register"
"""


def text_file(name: str) -> str:
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f"""---
name: "{quoted}"
summary: {PLACEHOLDER}
---
<!--
Write the description below in Markdown, then delete this note.
Use "## " for headings, "- " for lists; a photo of this folder: ![what it shows](photo.jpg)
-->

"""


def scaffold(config: SiteConfig, kind: EntryKind, name: str, lang: str | None, slug: str | None,
             today: str) -> Scaffolded:
    lang = lang or config.source_lang
    if lang not in config.languages:
        raise ScaffoldError(f"--lang {lang!r} is not one of the site's languages {list(config.languages)}")
    if slug is not None and not SLUG_RE.fullmatch(slug):
        raise ScaffoldError(f"--slug {slug!r} is not a slug: use lowercase letters a-z, digits and single hyphens, "
                            f"e.g. {slugify(slug) or 'my-product'!r}")
    slug = slug or shortened(slugify(name))
    if not slug:
        raise ScaffoldError(f"cannot make a folder name from {name!r}: give one with --slug, e.g. --slug my-product")
    if len(slug) > MAX_SLUG:
        raise ScaffoldError(f"--slug is {len(slug)} characters; a folder name of at most {MAX_SLUG} makes a "
                            f"readable address, e.g. {shortened(slug)!r}")
    folder = config.root / "content" / KIND_FOLDERS[kind] / slug
    try:
        if folder.exists():
            raise ScaffoldError(f"{folder.relative_to(config.root)} already exists: edit it, or choose another name")
        folder.mkdir(parents=True)
        record = folder / f"{kind}.yaml"
        record.write_text(record_text(config, kind, today), encoding="utf-8")
        text = folder / f"{lang}.md"
        text.write_text(text_file(name), encoding="utf-8")
        files = [record, text]
        if lang != config.source_lang:
            source = folder / f"{config.source_lang}.md"
            source.write_text(text_file(name), encoding="utf-8")
            files.append(source)
    except OSError as exc:
        raise ScaffoldError(f"cannot write {folder.relative_to(config.root)}: {exc.strerror or exc}") from None
    return Scaffolded(folder, tuple(files))


MAX_SLUG = 80  # characters of a folder name `new` makes: an address a buyer can read


def shortened(slug: str) -> str:
    """A slug made from a long name, cut at the last word that fits in MAX_SLUG."""
    if len(slug) <= MAX_SLUG:
        return slug
    cut = slug[:MAX_SLUG + 1]
    return cut[:cut.rfind("-")] if "-" in cut else slug[:MAX_SLUG]
