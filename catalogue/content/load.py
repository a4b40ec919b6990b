"""Content folders -> typed records. Every problem found is collected; nothing raises."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping

from catalogue.config import SiteConfig
from catalogue.content.body import body_image_refs
from catalogue.content.model import (Contact, Entry, EntryKind, Event, EventTime, FieldLines, Location,
                             Money, OcopRating, PackageVariant, Producer, Product, Quantity, Text,
                             WebLink)
from catalogue.content.facts import facts_digest, facts_of, index_digest, product_data
from catalogue.content.files import check_file, folder_refusal, read_input
from catalogue.content.translations import hash_of_source
from catalogue.derive import digest as derive_digest
from catalogue.problems import Problems
from catalogue.content.schema import INVALID, RECORDS, SLUG_RE, TEXT, Ctx, direction_control, unusable_character
from catalogue.content.yamlio import parse_yaml, read_mapping, read_text, split_front_matter

KIND_FOLDERS: Mapping[EntryKind, str] = {"product": "products", "producer": "producers", "event": "events"}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


@dataclass(frozen=True)
class LoadedContent:
    products: Mapping[str, Product]
    producers: Mapping[str, Producer]
    events: Mapping[str, Event]
    folders: Mapping[EntryKind, frozenset[str]]  # every entry folder, loaded or not

    def exists(self, kind: EntryKind, slug: str) -> bool:
        """True for a folder that exists even if its records failed (no cascade of problems)."""
        return slug in self.folders[kind]


EntryLoader = Callable[[SiteConfig, EntryKind, Path, Problems], "Entry | None"]


Work = list[tuple[EntryKind, Path, str]]  # (kind, entry folder, digest of its files)
LoadMany = Callable[[Work, Problems], list["Entry | None"]]


def load_content(config: SiteConfig, digests: Mapping[tuple[str, str], str], problems: Problems,
                 load_many: LoadMany | None = None) -> LoadedContent:
    """Every entry folder. `digests`: of each folder's files, by (kind, folder name) (see
    build/inputs.py); `load_many` may answer from a cache (reporting the same problems)."""
    loaded: dict[EntryKind, dict[str, Any]] = {"product": {}, "producer": {}, "event": {}}
    folders: dict[EntryKind, frozenset[str]] = {}
    work: Work = []
    for kind, folder in KIND_FOLDERS.items():
        entry_dirs = _entry_dirs(config.root / "content" / folder, f"content/{folder}", problems, config.root)
        folders[kind] = frozenset(d.name for d in entry_dirs)
        work.extend((kind, entry_dir, digests.get((kind, entry_dir.name), "")) for entry_dir in entry_dirs)
    if load_many is None:
        results = [load_entry(config, kind, entry_dir, problems, folder_digest)
                   for kind, entry_dir, folder_digest in work]
    else:
        results = load_many(work, problems)
    for (kind, _, _), entry in zip(work, results):
        if entry is not None:
            loaded[kind][entry.slug] = entry
    return LoadedContent(loaded["product"], loaded["producer"], loaded["event"], folders)


def _entry_dirs(folder: Path, rel_folder: str, problems: Problems, root: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    refusal = folder_refusal(folder, root)
    if refusal is not None:
        problems.error(rel_folder, None, None, refusal.message)
        return []
    result = []
    for child in sorted(folder.iterdir()):
        if child.name.startswith("."):
            continue
        rel = f"{rel_folder}/{child.name}"
        if not child.is_dir():
            problems.warning(rel, None, None, "ignored: only folders (one per entry) belong here")
            continue
        refusal = folder_refusal(child, folder)
        if refusal is not None:
            problems.error(rel, None, None, refusal.message)
            continue
        if not SLUG_RE.fullmatch(child.name):
            problems.error(rel, None, None,
                           f"folder name {child.name!r} is not a slug: use lowercase letters a-z, "
                           f"digits and single hyphens (e.g. {_suggest_slug(child.name)!r})")
            continue
        result.append(child)
    return result


def _suggest_slug(name: str) -> str:
    from catalogue.content.slugs import slugify
    return slugify(name) or "my-entry"


def load_entry(config: SiteConfig, kind: EntryKind, entry_dir: Path, problems: Problems,
               digest: str = "") -> Entry | None:
    """One entry folder's records; `digest` is that of its files (see build/inputs.py)."""
    rel_dir = f"content/{KIND_FOLDERS[kind]}/{entry_dir.name}"
    texts = _load_texts(config, entry_dir, rel_dir, problems)
    data_rel = f"{rel_dir}/{kind}.yaml"
    example = {"product": "category: food", "producer": "type: cooperative", "event": "kind: workshop"}[kind]
    doc = read_mapping(entry_dir / f"{kind}.yaml", data_rel, problems,
                       f"missing: every {kind} folder needs a {kind}.yaml",
                       f"must hold the {kind}'s fields, e.g. '{example}'")
    if doc is None:
        return None
    ctx = Ctx(data_rel, doc, config.codes, config.source_lang, problems)
    values = RECORDS[kind](doc.data, "", ctx)
    if kind == "product":  # also when other fields failed: every problem in one run
        images = values.get("images", ()) if values is not INVALID else _listed_images(doc.data.get("images"))
        if not _check_images(entry_dir, images, ctx):
            values = INVALID
    if values is INVALID or texts is None:
        return None
    common = dict(slug=entry_dir.name, src_dir=entry_dir, rel_dir=rel_dir, texts=texts,
                  field_lines=FieldLines(doc.lines), digest=digest)
    made: Entry | None
    if kind == "product":
        made = _product(common, values)
    elif kind == "producer":
        made = _producer(common, values)
    else:
        made = _event(common, values, ctx)
    if made is None:
        return None
    data = facts_digest(product_data(made, config.source_lang)) if isinstance(made, Product) else ""
    return replace(made, facts_digest=facts_digest(facts_of(made, config.source_lang)), index_digest=index_digest(made),
                   data_digest=data)


def _load_texts(config: SiteConfig, entry_dir: Path, rel_dir: str,
                problems: Problems) -> dict[str, Text] | None:
    texts: dict[str, Text] = {}
    ok = True
    for path in sorted(entry_dir.glob("*.md")):
        lang = path.stem
        rel = f"{rel_dir}/{path.name}"
        if lang not in config.languages:
            problems.error(rel, None, None, f"language {lang!r} is not in site.yaml languages "
                                            f"{list(config.languages)}: rename the file or add the language")
            ok = False
            continue
        text = load_text(config, path, rel, lang, problems)
        if text is None:
            ok = False
        else:
            texts[lang] = text
    if config.source_lang not in texts and ok:
        problems.error(f"{rel_dir}/{config.source_lang}.md", None, None,
                       f"missing: the source-language text ({config.source_lang}.md) is required")
        return None
    return texts if ok else None


def load_text(config: SiteConfig, path: Path, rel: str, lang: str, problems: Problems) -> Text | None:
    source = read_text(path, rel, problems)
    if source is None:
        return None
    front = split_front_matter(source, rel, problems)
    if front is None:
        return None
    body_ok = _check_body(path.parent, rel, front.body, front.body_line, problems)
    doc = parse_yaml(front.yaml_text, rel, problems, line_offset=front.yaml_line_offset)
    if doc is None:
        return None
    if not isinstance(doc.data, dict):
        problems.error(rel, 2, None, "front matter must hold fields: name: ... and summary: ...")
        return None
    ctx = Ctx(rel, doc, config.codes, config.source_lang, problems)
    values = TEXT(doc.data, "", ctx)
    if values is INVALID or not body_ok:
        return None
    translation_of = values.get("translation_of")
    if translation_of and lang == config.source_lang:
        ctx.warning("translation_of", "only translations carry translation_of; "
                                      "remove it from the source-language file")
        translation_of = None
    return Text(lang=lang, name=values["name"], summary=values["summary"],
                body_digest=derive_digest("body", front.body), has_body=bool(front.body.strip()),
                source_hash=hash_of_source(values["name"], values["summary"], front.body),
                body_line=front.body_line, translation_of=translation_of, rel_path=rel,
                field_lines=tuple((name, line) for name in ("name", "summary")
                                  if (line := doc.line(name)) is not None))


class BodyChanged(Exception):
    """A text file changed after the build read it: the next build takes the new text."""


def body_text(entry: Entry, text: Text) -> str:
    """The Markdown body of `text`, read again from its file and checked to be the body the
    record was made from."""
    path = entry.src_dir / text.rel_path.rpartition("/")[2]
    data = read_input(path, entry.src_dir, "text")
    source = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else ""
    if source.startswith("\ufeff"):
        source = source[1:]
    front = split_front_matter(source, text.rel_path, Problems())
    body = front.body if front is not None else ""
    if derive_digest("body", body) != text.body_digest:
        raise BodyChanged(text.rel_path)
    return body


def _check_body(entry_dir: Path, rel: str, body: str, body_line: int, problems: Problems) -> bool:
    """A Markdown body holds no control character, and its images are files of its own folder
    (or web addresses); checked while the body is at hand as text. False: an error was found."""
    ok = True
    if unusable_character(body) or direction_control(body):  # seldom: then line by line
        for line_offset, text in enumerate(body.split("\n")):
            problem = unusable_character(text)
            if problem:
                problems.error(rel, body_line + line_offset, None, problem)
                ok = False
            warning = direction_control(text)
            if warning:
                problems.warning(rel, body_line + line_offset, None, warning)
    for offset, target in body_image_refs(body):
        if target.startswith(("http://", "https://")):
            continue
        line = body_line + offset
        if "/" in target or "\\" in target or target.startswith("."):
            problems.error(rel, line, None, f"image {target!r} must be a file in this entry's folder "
                                            "(no folders, no '..')")
            ok = False
            continue
        problem = _image_problem(entry_dir, target, rel.rpartition("/")[0] + "/")
        if problem is not None:
            problems.error(rel, line, None, f"image {problem}")
            ok = False
    return ok


def _listed_images(value: Any) -> tuple[str, ...]:
    """The image names of a product.yaml whose other fields may be wrong."""
    if not isinstance(value, list):
        return ()
    return tuple(item.strip() for item in value if isinstance(item, str) and item.strip())


def _check_images(entry_dir: Path, images: tuple[str, ...], ctx: Ctx) -> bool:
    """Whether every image named in product.yaml is a usable file of the entry's folder."""
    usable = True
    for index, name in enumerate(images):
        problem = _image_problem(entry_dir, name)
        if problem is not None:
            ctx.error(f"images[{index}]", problem)
            usable = False
    return usable


def _image_problem(entry_dir: Path, name: str, where: str = "this folder") -> str | None:
    if "/" in name or "\\" in name or name in (".", "..") or name.startswith("."):
        return f"{name!r} must be a file name in this folder, with no folders in it"
    if not name.lower().endswith(IMAGE_SUFFIXES):
        return f"{name!r} is not a .jpg, .jpeg, .png or .webp image"
    path = entry_dir / name
    if not path.exists() and not path.is_symlink():
        present = sorted(p.name for p in entry_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        return f"{name!r} not found in {where}" + (f"; images here: {', '.join(present)}" if present else "")
    refusal = check_file(path, entry_dir, "image")
    return f"{name!r} {refusal.message}" if refusal is not None else None


def _product(common: dict[str, Any], v: dict[str, Any]) -> Product:
    ocop = v["ocop"]
    return Product(
        **common,
        producer=v["producer"],
        category=v["category"],
        ocop=OcopRating(ocop["stars"], ocop["year"], ocop.get("certificate"), ocop.get("valid_until")),
        district=v["district"],
        images=tuple(v.get("images", ())),
        hs_code=v.get("hs_code"),
        certifications=v.get("certifications", ()),
        markets=v.get("markets", ()),
        packaging=tuple(
            PackageVariant(p["size"], Money(p["unit_price"]["amount"], p["unit_price"]["currency"])
                           if "unit_price" in p else None)
            for p in v.get("packaging", ())),
        moq=Quantity(v["moq"]["quantity"], v["moq"]["unit"]) if "moq" in v else None,
        shelf_life_days=v.get("shelf_life_days"),
        marketplaces=tuple(WebLink(m["name"], m["url"]) for m in v.get("marketplaces", ())),
        updated=v.get("updated"),
    )


def _producer(common: dict[str, Any], v: dict[str, Any]) -> Producer:
    contact = v.get("contact", {})
    return Producer(
        **common,
        type=v["type"],
        district=v["district"],
        contact=Contact(contact.get("phone"), contact.get("email"), contact.get("website"),
                        contact.get("address")),
        founded=v.get("founded"),
    )


def _event(common: dict[str, Any], v: dict[str, Any], ctx: Ctx) -> Event | None:
    start = EventTime(v["start"])
    end = EventTime(v["end"]) if "end" in v else None
    if end is not None and _before(end, start):
        ctx.error("end", "is before start; check the date and the UTC offset")
        return None
    where = v["location"]
    location = Location(online=True, url=where.get("url")) if where.get("online") else \
        Location(venue=where["venue"], city=where["city"], country=where["country"])
    return Event(
        **common,
        event_kind=v["kind"],
        start=start,
        end=end,
        location=location,
        markets=v.get("markets", ()),
        products=v.get("products", ()),
        organizer=v.get("organizer"),
        registration=v.get("registration"),
    )


def _before(end: EventTime, start: EventTime) -> bool:
    if end.all_day or start.all_day:
        return end.day < start.day
    return end.value < start.value  # both aware datetimes
