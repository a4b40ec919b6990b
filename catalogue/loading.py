"""Loading entry folders through the build cache: a folder whose files did not change is not
parsed again; its records, problems and image measurements come from the cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catalogue.cache import PACKAGE_KEY, BuildCache, digest
from catalogue.config import SiteConfig
from catalogue.inputs import FolderStamp, InputScan, stamp_folder
from catalogue.load import load_entry
from catalogue.markup import body_image_refs
from catalogue.media import entry_images
from catalogue.model import EntryKind, Site
from catalogue.problems import Problems


class CachedLoading:
    """Entry folders whose files did not change are not parsed again: their records, problems
    and image measurements come from the cache."""

    def __init__(self, cache: BuildCache, config: SiteConfig, scan: InputScan | None = None):
        self.cache = cache
        self.config_key = digest(PACKAGE_KEY, repr(config))
        self.stamps: dict[tuple[str, str], FolderStamp] = dict(scan.folders) if scan else {}

    def stamp(self, kind: str, folder: Path) -> FolderStamp:
        found = self.stamps.get((kind, folder.name))
        if found is None:
            found = self.stamps[(kind, folder.name)] = stamp_folder(str(folder))
        return found

    def record_key(self, kind: str, name: str, stamp: FolderStamp) -> str:
        return digest(self.config_key, "entry", kind, name, stamp.whole)

    def load_many(self, config: SiteConfig, work: list[tuple[EntryKind, Path]], problems: Problems) -> list[Any]:
        keys = [self.record_key(kind, folder.name, self.stamp(kind, folder)) for kind, folder in work]
        hits = self.cache.get_many("records", keys)
        results, fresh = [], {}
        for (kind, folder), key in zip(work, keys):
            if key in hits:
                entry, found = hits[key]
            else:
                entry, found = load_checked(config, kind, folder)
                fresh[key] = (entry, found)
            problems.extend(found)
            results.append(entry)
        self.cache.put_many("records", fresh)
        return results

    def probe_folder(self, entry: Any, problems: Problems) -> dict[str, Any]:
        """Image measurements depend on the folder's other files, not on its texts."""
        stamp = self.stamp(entry.kind, entry.src_dir)
        key = digest(self.config_key, "images", entry.rel_dir, stamp.others)
        hit = self.cache.get("records", key)
        if hit is None:
            local = Problems()
            hit = (entry_images(entry, local), local.items)
            self.cache.put_many("records", {key: hit})
        problems.extend(hit[1])
        return dict(hit[0])


def load_checked(config: SiteConfig, kind: EntryKind, folder: Path) -> tuple[Any, list[Any]]:
    """One entry folder's records and their problems (the body images checked too)."""
    local = Problems()
    entry = load_entry(config, kind, folder, local)
    if entry is not None:
        check_bodies_of(entry, local)
    return entry, local.items


def check_bodies(site: Site, problems: Problems) -> None:
    """Images in Markdown bodies must be files of the entry's own folder (or web addresses)."""
    for entries in (site.products, site.producers, site.events):
        for entry in entries.values():
            check_bodies_of(entry, problems)


def check_bodies_of(entry: Any, problems: Problems) -> None:
    """Images in one entry's Markdown bodies must be files of its own folder (or web addresses)."""
    for text in entry.texts.values():
        for offset, target in body_image_refs(text.body):
            if target.startswith(("http://", "https://")):
                continue
            line = text.body_line + offset
            if "/" in target or "\\" in target or target.startswith("."):
                problems.error(text.rel_path, line, None,
                               f"image {target!r} must be a file in this entry's folder "
                               "(no folders, no '..')")
            elif not (entry.src_dir / target).is_file():
                problems.error(text.rel_path, line, None,
                               f"image {target!r} not found in {entry.rel_dir}/")
