"""Languages of a site: Babel locales, text direction, and the UI catalogues along the chain."""

from __future__ import annotations

import gettext
import io
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, Mapping

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po

from catalogue.builtin import builtin_root
from catalogue.config import SiteConfig
from catalogue.content.files import Refusal, leaves_refusal, read_input
from catalogue.derive import digest, digest_bytes
from catalogue.problems import Problem, Problems
from catalogue.site.pocheck import check_messages, check_plural_forms, check_syntax, header_line


Direction = Literal["ltr", "rtl"]
DOMAIN = "messages"


@dataclass(frozen=True)
class Language:
    code: str  # as written in site.yaml; also the URL segment and the file name
    locale: Locale
    direction: Direction
    native_name: str  # "Tiếng Việt", "العربية"
    og_locale: str  # "vi_VN", for Open Graph

    @property
    def hreflang(self) -> str:
        return self.code


def make_language(code: str) -> Language:
    locale = Locale.parse(code, sep="-")
    direction: Direction = "rtl" if locale.character_order == "right-to-left" else "ltr"
    name = locale.get_display_name(locale) or code
    territory = locale.territory or _likely_territory(locale)
    og = f"{locale.language}_{territory}" if territory else locale.language
    return Language(code, locale, direction, name[:1].upper() + name[1:], og)


def _likely_territory(locale: Locale) -> str | None:
    from babel.core import get_global
    likely = get_global("likely_subtags").get(locale.language, "")
    parts = likely.split("_")
    return parts[-1] if len(parts) > 1 and parts[-1].isupper() else None


def load_languages(config: SiteConfig) -> Mapping[str, Language]:
    return {code: make_language(code) for code in config.languages}


def catalogue_sources(config: SiteConfig, lang: str) -> list[tuple[Path, Path]]:
    """The .po files for `lang`, most specific first (site, theme, package), each with the
    locales folder it must stay inside."""
    candidates = [
        config.root / "locales",
        config.root / "themes" / config.theme / "locales",
        builtin_root() / "locales",
    ]
    seen: set[str] = set()
    files: list[tuple[Path, Path]] = []
    for folder in candidates:
        po = folder / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        key = os.path.realpath(po)
        if (po.exists() or po.is_symlink()) and key not in seen:
            seen.add(key)
            files.append((po, folder))
    return files


def po_bytes(config: SiteConfig, po: Path, folder: Path | None = None) -> bytes | Refusal:
    """A catalogue's bytes, or why they are not read: the file must lie in its locales folder
    and, every link on the way followed, in the site's folder (the package's, for its own): a
    linked `locales/` or `locales/en/` leading elsewhere is refused as a linked file is."""
    folder = folder if folder is not None else po.parent
    boundary = config.root if folder.is_relative_to(config.root) else builtin_root()
    return leaves_refusal(po, boundary) or read_input(po, folder, "catalogue")


def catalogue_files(config: SiteConfig, lang: str) -> list[Path]:
    """The .po files for `lang`, most specific first: site, theme, package."""
    return [po for po, _ in catalogue_sources(config, lang)]


def read_catalog(config: SiteConfig, po_path: Path, lang: str, rel_path: str, problems: Problems,
                 folder: Path | None = None) -> Catalog | None:
    """A .po file, checked line by line and message by message (see pocheck.py); None when
    it has an error (each one reported with its line)."""
    data = po_bytes(config, po_path, folder)
    if isinstance(data, Refusal):
        problems.error(rel_path, None, None, data.message)
        return None
    return parse_catalog(data, lang, rel_path, problems)


def parse_catalog(data: bytes, lang: str, rel_path: str, problems: Problems) -> Catalog | None:
    """The checks and the reading of read_catalog, on the file's bytes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.error(rel_path, data.count(b"\n", 0, exc.start) + 1, None,
                       f"file is not valid UTF-8 (byte 0x{data[exc.start]:02X}); save it as UTF-8")
        return None
    before = len(problems.errors)
    if not check_syntax(text, rel_path, problems):
        return None
    try:
        catalog = read_po(io.BytesIO(data), locale=lang.replace("-", "_"), abort_invalid=True)
    except (PoFileError, ValueError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None) or header_line(text, "Plural-Forms")
        problems.error(rel_path, line, None, f"cannot read catalogue: {exc}")
        return None
    check_plural_forms(catalog, text, rel_path, problems)
    check_messages(catalog, rel_path, problems)
    for message, errors in catalog.check():
        for error in errors:
            problems.error(rel_path, message.lineno, str(message.id if isinstance(message.id, str)
                                                         else message.id[0]), str(error))
    return catalog if len(problems.errors) == before else None


@dataclass(frozen=True)
class Catalogues:
    """The UI strings of one language: the chain of its .po files, compiled; `digest` stands
    for what they say (the bytes of each file, in order)."""

    translations: gettext.NullTranslations
    digest: str


def load_translations(config: SiteConfig, lang: str, problems: Problems) -> Catalogues:
    """Compile the chain of catalogues in memory; the site's strings win over the package's.
    Each .po file is checked as it is read (pocheck.py), every build: they are few."""
    chain: gettext.NullTranslations = gettext.NullTranslations()
    parts: list[str] = []
    for po, folder in reversed(catalogue_sources(config, lang)):
        rel = _display_path(po, config.root)
        data = po_bytes(config, po, folder)
        if isinstance(data, Refusal):
            problems.error(rel, None, None, data.message)
            continue
        compiled, said = _compiled(data, lang, rel)
        problems.extend(said)
        if compiled is None:
            continue
        try:
            translations = gettext.GNUTranslations(io.BytesIO(compiled))
        except (ValueError, OSError, UnicodeDecodeError) as exc:  # checked above
            problems.error(rel, None, None, f"cannot use catalogue: {exc}")
            continue
        parts.append(digest_bytes("catalogue", compiled))
        translations.add_fallback(chain)
        chain = translations
    return Catalogues(chain, digest("catalogues", lang, *parts))


@lru_cache(maxsize=64)
def _compiled(data: bytes, lang: str, rel_path: str) -> tuple[bytes | None, tuple[Problem, ...]]:
    """A .po file's bytes, checked and compiled (None where it has an error), and what the
    checks said: a function of the bytes alone, remembered (the preview builds at every save)."""
    local = Problems()
    catalog = parse_catalog(data, lang, rel_path, local)
    if catalog is None:
        return None, tuple(local.items)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue(), tuple(local.items)


def _display_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
