"""Translation status of a whole site: per entry and language, and UI catalogue coverage."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from babel.messages.catalog import Catalog

from catalogue.config import SiteConfig
from catalogue.commands.i18n import extract
from catalogue.content.load import KIND_FOLDERS
from catalogue.site.locales import catalogue_files, read_catalog
from catalogue.content.model import Entry, Site
from catalogue.problems import Problems
from catalogue.site.themes import Theme
from catalogue.content.translations import Status, first_text, source_hash, status_of

TEMPLATE_LANGUAGE = "en"  # msgids are English: an English UI needs no catalogue


@dataclass(frozen=True)
class EntryStatus:
    kind: str
    slug: str
    lang: str
    status: Status
    file: str  # the translation's file, or the file to create
    source_file: str
    source_hash: str
    shows: str = ""  # for a missing text: the language its readers are shown instead (the fallback chain)


@dataclass(frozen=True)
class TranslationReport:
    languages: tuple[str, ...]  # translated languages (the source language excluded)
    entries: tuple[EntryStatus, ...]
    ui_coverage: Mapping[str, float]  # language -> percent of UI messages translated
    ui_missing: Mapping[str, tuple[str, ...]]

    def counts(self) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = {lang: {s: 0 for s in ("translated", "untracked", "stale", "missing")}
                                             for lang in self.languages}
        for item in self.entries:
            result[item.lang][item.status] += 1
        return result

    def incomplete(self) -> bool:
        return any(item.status in ("missing", "stale") for item in self.entries)

    def as_json(self) -> dict[str, object]:
        return {
            "version": 1,
            "languages": list(self.languages),
            "summary": self.counts(),
            "ui_coverage": {lang: round(value, 1) for lang, value in self.ui_coverage.items()},
            "ui_missing": {lang: list(ids) for lang, ids in self.ui_missing.items()},
            "entries": [item.__dict__ for item in self.entries],
        }


def entry_statuses(config: SiteConfig, site: Site) -> list[EntryStatus]:
    rows: list[EntryStatus] = []
    source = config.source_lang
    for entries in (site.products, site.producers, site.events):
        for entry in entries.values():
            digest = source_hash(entry.texts[source])
            for lang in config.languages[1:]:
                status = status_of(entry, lang, source)
                shows = first_text(entry.texts, lang, config.fallback_chain(lang), source).lang \
                    if status == "missing" else ""
                rows.append(EntryStatus(entry.kind, entry.slug, lang, status, f"{entry.rel_dir}/{lang}.md",
                                        f"{entry.rel_dir}/{source}.md", digest, shows))
    return rows


def ui_coverage(config: SiteConfig, theme: Theme, problems: Problems) -> tuple[dict[str, float], dict[str, tuple[str, ...]]]:
    template = extract(config, theme)
    wanted = [m.id for m in template if m.id]
    coverage: dict[str, float] = {}
    missing: dict[str, tuple[str, ...]] = {}
    for lang in config.languages:
        catalogs: list[Catalog] = []
        for po in catalogue_files(config, lang):
            catalog = read_catalog(config, po, lang, str(po), problems)
            if catalog is not None:
                catalogs.append(catalog)
        absent = tuple(_key(msgid) for msgid in wanted
                       if lang != TEMPLATE_LANGUAGE and not any(_translated(c, msgid) for c in catalogs))
        coverage[lang] = 100.0 * (len(wanted) - len(absent)) / len(wanted) if wanted else 100.0
        missing[lang] = absent
    return coverage, missing


def _key(msgid: object) -> str:
    return msgid if isinstance(msgid, str) else str(msgid[0])  # type: ignore[index]


def _translated(catalog: Catalog, msgid: object) -> bool:
    message = catalog.get(msgid)  # type: ignore[arg-type]
    if message is None or message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return all(strings)


def build_report(config: SiteConfig, site: Site, theme: Theme, problems: Problems) -> TranslationReport:
    coverage, missing = ui_coverage(config, theme, problems)
    return TranslationReport(tuple(config.languages[1:]), tuple(entry_statuses(config, site)), coverage, missing)


def format_table(report: TranslationReport) -> str:
    lines = []
    width = max([len(f"{e.kind}/{e.slug}") for e in report.entries] + [20])
    header = f"{'entry':<{width}}  " + "  ".join(f"{lang:<11}" for lang in report.languages)
    lines.append(header)
    lines.append("-" * len(header))
    by_entry: dict[str, dict[str, str]] = {}
    for item in report.entries:  # a missing text with the language shown instead: "missing→en"
        by_entry.setdefault(f"{item.kind}/{item.slug}", {})[item.lang] = \
            f"{item.status}→{item.shows}" if item.shows else item.status
    for name, statuses in by_entry.items():
        lines.append(f"{name:<{width}}  " + "  ".join(f"{statuses.get(l, ''):<11}" for l in report.languages))
    lines.append("")
    lines.append("summary:")
    for lang, counts in report.counts().items():
        parts = ", ".join(f"{count} {status}" for status, count in counts.items())
        lines.append(f"  {lang}: {parts}")
    lines.append("UI catalogue coverage:")
    for lang, value in report.ui_coverage.items():
        extra = f" (missing: {', '.join(report.ui_missing[lang][:5])}{' ...' if len(report.ui_missing[lang]) > 5 else ''})" \
            if report.ui_missing[lang] else ""
        lines.append(f"  {lang}: {value:.1f}%{extra}")
    return "\n".join(lines)


# --- stamping ------------------------------------------------------------------------

_FENCE = re.compile(r"---[ \t]*\r?")
_STAMP = re.compile(r"translation_of[ \t]*:.*?(\r?)")


class StampError(Exception):
    pass


def stamp_text_file(path: Path, digest: str) -> bool:
    """Record `digest` as the file's translation_of, touching no other byte; True if changed.

    Only a regular file of the entry's own folder is written (never through a link, which
    could point anywhere), and it is replaced whole: an interrupted stamp leaves it as it was."""
    if path.is_symlink() or not path.is_file():
        raise StampError(f"{path.name} is a link or not a regular file: stamp the file itself")
    text = path.read_text(encoding="utf-8-sig")
    lines = text.split("\n")
    if not lines or not _FENCE.fullmatch(lines[0]):
        raise ValueError(f"{path}: no front matter")
    close = next((i for i in range(1, len(lines)) if _FENCE.fullmatch(lines[i])), None)
    if close is None:
        raise ValueError(f"{path}: front matter is not closed")
    cr = "\r" if lines[0].endswith("\r") else ""
    new_line = f'translation_of: "{digest}"{cr}'
    for index in range(1, close):
        if _STAMP.fullmatch(lines[index]):
            if lines[index] == new_line:
                return False
            lines[index] = new_line
            break
    else:
        lines.insert(close, new_line)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write("\n".join(lines))
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def find_entry(site: Site, name: str) -> Entry | None:
    """'products/che-ta-leng', 'content/products/che-ta-leng/' or a bare slug if unambiguous."""
    parts = [p for p in name.replace("\\", "/").split("/") if p and p != "content"]
    folders = {folder: kind for kind, folder in KIND_FOLDERS.items()}
    tables = {"product": site.products, "producer": site.producers, "event": site.events}
    if len(parts) >= 2 and parts[0] in folders:
        return tables[folders[parts[0]]].get(parts[1])
    if len(parts) == 1:
        found = [table[parts[0]] for table in tables.values() if parts[0] in table]
        return found[0] if len(found) == 1 else None
    return None
