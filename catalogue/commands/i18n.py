"""UI catalogue workflow on Babel's API: extract, update, compile.

`extract` reads the theme's templates into locales/messages.pot; `update` merges it into
every language's messages.po (standard files for Weblate, Crowdin, Poedit); `compile` writes
.mo files for tools that want them; builds compile in memory and need none.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from catalogue import __version__
from catalogue.config import SiteConfig
from catalogue.content.files import leaves_refusal
from catalogue.site.locales import DOMAIN, read_catalog
from catalogue.problems import Problems
from catalogue.site.themes import Theme

METHOD_MAP = [("**.html", "jinja2"), ("**.xml", "jinja2"), ("**.txt", "jinja2")]
OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "false"},
           "**.xml": {"extensions": "jinja2.ext.i18n"}, "**.txt": {"extensions": "jinja2.ext.i18n"}}
FIXED_DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)  # keeps .pot headers stable in Git


def pot_path(config: SiteConfig) -> Path:
    return config.root / "locales" / f"{DOMAIN}.pot"


def po_path(config: SiteConfig, lang: str) -> Path:
    return config.root / "locales" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def refuse_outside(config: SiteConfig, languages: list[str], problems: Problems) -> bool:
    """Whether a file these commands write (the .pot, each .po and .mo) would land outside
    the site's folder through a linked `locales/` or language folder: each one is reported,
    and nothing is written."""
    before = len(problems.errors)
    for path in [pot_path(config)] + [po_path(config, lang) for lang in languages]:
        refusal = leaves_refusal(path, config.root)
        if refusal is not None:
            problems.error(path.relative_to(config.root).as_posix(), None, None, refusal.message)
    return len(problems.errors) > before


def extract(config: SiteConfig, theme: Theme) -> Catalog:
    catalog = Catalog(project="catalogue", version=__version__, charset="utf-8",
                      creation_date=FIXED_DATE, revision_date=FIXED_DATE, fuzzy=False)
    for folder in reversed(theme.template_dirs):
        for filename, lineno, message, comments, context in extract_from_dir(
                str(folder), METHOD_MAP, OPTIONS, keywords={"_": None, "gettext": None,
                                                            "ngettext": (1, 2)}):
            location = (_location(folder, filename, config.root), lineno)
            catalog.add(message, None, [location], auto_comments=comments, context=context)
    return catalog


def _location(folder: Path, filename: str, root: Path) -> str:
    path = (folder / filename).resolve()
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return f"{folder.parent.name}/templates/{filename}"


def write_pot(config: SiteConfig, catalog: Catalog) -> Path:
    target = pot_path(config)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=False, omit_header=False)
    return target


def update(config: SiteConfig, template: Catalog, languages: list[str]) -> list[Path]:
    written = []
    for lang in languages:
        target = po_path(config, lang)
        if target.is_file():
            with target.open("rb") as handle:
                catalog = read_po(handle, locale=lang.replace("-", "_"))
        else:
            catalog = Catalog(locale=lang.replace("-", "_"), project="catalogue", charset="utf-8",
                              creation_date=FIXED_DATE, revision_date=FIXED_DATE, fuzzy=False)
        catalog.update(template, update_header_comment=False, no_fuzzy_matching=True)
        catalog.revision_date = FIXED_DATE
        catalog.obsolete.clear()
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            write_po(handle, catalog, width=100, ignore_obsolete=True)
        written.append(target)
    return written


def compile_all(config: SiteConfig, languages: list[str], problems: Problems) -> list[Path]:
    written = []
    for lang in languages:
        source = po_path(config, lang)
        if not source.is_file():
            continue
        catalog = read_catalog(config, source, lang, source.relative_to(config.root).as_posix(), problems)
        if catalog is None:
            continue
        target = source.with_suffix(".mo")
        with target.open("wb") as handle:
            write_mo(handle, catalog)
        written.append(target)
    return written
