"""What a build reads, by name, size and modification time, in one pass over the site.

Equal scans mean nothing to do. Entry folders are stamped one by one, text files (`*.md`)
apart from the others (data file, images), so a rebuild can tell which entries changed and
whether only their texts did.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Mapping, NamedTuple

from catalogue.build.cache import PACKAGE_KEY, digest

KIND_FOLDERS = (("product", "products"), ("producer", "producers"), ("event", "events"))


class FolderStamp(NamedTuple):  # a tuple: thousands are compared and stored at each build
    texts: str  # the folder's *.md files, as "name:size:mtime" joined
    others: str  # everything else in it: data file, images

    @property
    def whole(self) -> str:
        return digest(self.texts, self.others)


@dataclass(frozen=True)
class InputScan:
    settings: str  # site.yaml, theme, catalogues, templates, options, package, date
    folders: Mapping[tuple[str, str], FolderStamp]  # (kind, folder name) -> stamp

    @property
    def key(self) -> str:
        return digest(self.settings, *(f"{kind}/{name}:{stamp.texts}:{stamp.others}"
                                       for (kind, name), stamp in sorted(self.folders.items())))


def stamp_folder(path: str) -> FolderStamp:
    texts: list[str] = []
    others: list[str] = []
    with os.scandir(path) as found:
        for item in found:
            if item.is_dir(follow_symlinks=False):
                continue
            try:
                stat = item.stat()
                part = f"{item.name}:{stat.st_size}:{stat.st_mtime_ns}"
            except OSError:  # a dangling link: its problem is reported when it is read
                part = f"{item.name}:-1:0"
            (texts if item.name.endswith(".md") else others).append(part)
    texts.sort()
    others.sort()
    return FolderStamp("|".join(texts), "|".join(others))


def _tree(folder: str, parts: list[str]) -> None:
    """Every file under `folder`, recursively, in a stable order."""
    try:
        with os.scandir(folder) as found:
            items = sorted(found, key=lambda item: item.name)
    except OSError:
        return
    for item in items:
        if item.is_dir(follow_symlinks=False):  # a linked folder is the loader's to refuse
            _tree(item.path, parts)
        else:
            try:
                stat = item.stat()
                parts.append(f"{item.path}:{stat.st_size}:{stat.st_mtime_ns}")
            except OSError:
                parts.append(f"{item.path}:-1:0")


def entry_folder_of(root: Path, path: Path) -> tuple[str, str] | None:
    """(kind, folder name) of a file inside an entry folder, else None."""
    try:
        parts = path.relative_to(root / "content").parts
    except ValueError:
        return None
    kinds = {folder: kind for kind, folder in KIND_FOLDERS}
    if len(parts) == 3 and parts[0] in kinds:
        return kinds[parts[0]], parts[1]
    return None


def scan_inputs(root: Path, now: datetime, options: tuple[object, ...], known: InputScan | None = None,
                dirty: frozenset[tuple[str, str]] | None = None) -> InputScan:
    """`known` and `dirty`: a watcher that saw which entry folders changed since `known` was
    made lets the others keep their stamps (the folders are still listed, for additions)."""
    from catalogue.builtin import builtin_root

    reuse = known.folders if known is not None and dirty is not None else {}

    parts: list[str] = [PACKAGE_KEY, now.date().isoformat(), repr(options)]
    site_file = root / "site.yaml"
    if site_file.is_file():
        stat = site_file.stat()
        parts.append(f"site.yaml:{stat.st_size}:{stat.st_mtime_ns}")
    for base in (root, builtin_root()):
        for name in ("themes", "locales", "templates", "static"):
            _tree(str(base / name), parts)
    folders: dict[tuple[str, str], FolderStamp] = {}
    for kind, name in KIND_FOLDERS:
        kind_folder = str(root / "content" / name)
        try:
            with os.scandir(kind_folder) as found:
                items = sorted(found, key=lambda item: item.name)
        except OSError:
            parts.append(f"{kind_folder}:absent")
            continue
        for item in items:
            if item.is_dir():
                key = (kind, item.name)
                if key in reuse and key not in dirty:  # type: ignore[operator]
                    folders[key] = reuse[key]
                    continue
                try:
                    folders[key] = stamp_folder(item.path)
                except OSError:
                    parts.append(f"{item.path}:unreadable")
            else:
                parts.append(f"{item.path}:file")
    return InputScan(digest(*parts), folders)
