"""What a build reads, found in one pass over the site: every entry folder with the digest of
its files' contents, and a stamp of everything else (settings, theme, catalogues, package).

A file's content digest is looked up by its name, size, times and inode (as Git's index
does) and computed only when one of them changed, so a rebuild reads only what was touched.
Equal stamps of the whole site mean there is nothing to do.
"""

from __future__ import annotations

import os
import stat
from operator import attrgetter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from catalogue.build.processes import in_two
from catalogue.builtin import builtin_root
from catalogue.derive import digest, digest_bytes

READ_AT_MOST = 64 * 1024 * 1024  # more than any input file may be (content/files.py refuses it)
KIND_FOLDERS = (("product", "products"), ("producer", "producers"), ("event", "events"))
SETTINGS_FOLDERS = ("themes", "locales", "templates", "static")


@dataclass(frozen=True)
class Folder:
    """One entry folder as the scan found it."""

    kind: str
    name: str
    where: str  # its path (a Path is made when asked for: a scan finds 11,000 folders)
    stamp: str  # a digest of its place, and its files' names, sizes, times and inodes
    digest: str  # of its place (kind/name) and its files' names and contents

    @property
    def path(self) -> Path:
        return Path(self.where)


@dataclass(frozen=True)
class InputScan:
    folders: Mapping[tuple[str, str], Folder]  # (kind, folder name) -> folder
    stamp: str  # of everything the build reads: equal stamps, nothing to do
    settings: str  # of all but the entry folders (site.yaml, themes, catalogues, options, package)
    fresh: Mapping[str, str]  # stamp -> content digest, for the folders digested anew


_name = attrgetter("name")


def _stat_part(entry: os.DirEntry[str]) -> str:
    try:
        info = entry.stat()
        return f"{entry.name}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}"
    except OSError:  # a dangling link: its problem is reported when it is read
        return f"{entry.name}:-"


def folder_stamp(path: "Path | str") -> tuple[str, list[str]]:
    """(stamp of a folder's files, their names). What is in a sub-folder is not part of an
    entry, but its name is (a folder named like a text, `en.md/`, is a problem to report)."""
    parts: list[str] = []
    with os.scandir(path) as found:
        items = sorted(found, key=_name)
    for item in items:
        parts.append(f"{item.name}/" if item.is_dir(follow_symlinks=False) else _stat_part(item))
    return "|".join(parts), [item.name for item in items]


def content_digest(path: "Path | str", names: list[str], label: str) -> str:
    """Of the folder's place (`label`: kind/name), file names and contents. Only regular files
    are read (a device or a pipe is never opened: loading refuses it), and only so much of
    each. The place is part of it: an entry's slug is its folder's name, so a folder renamed
    with its files as they were is another entry, never the record kept under the old name."""
    parts = [label]
    for name in names:
        target = os.path.join(path, name)
        try:
            info = os.stat(target)
            if not stat.S_ISREG(info.st_mode) or info.st_size > READ_AT_MOST:
                parts.append(f"{name}=not read:{info.st_mode}:{info.st_size}")
                continue
            descriptor = os.open(target, os.O_RDONLY | os.O_NONBLOCK)
            with os.fdopen(descriptor, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    parts.append(f"{name}=not read")
                    continue
                parts.append(f"{name}={digest_bytes('file', handle.read(READ_AT_MOST))}")
        except OSError:
            parts.append(f"{name}=unreadable")
    return digest("folder", *parts)


def _stamp_row(item: tuple[str, str, str, bool]) -> tuple[str, list[str]] | None:
    """(stamp, file names) of one entry folder (kind, name, path, linked); None where unreadable.
    Plain values: half of a big site's folders are stamped in a forked process."""
    kind, name, where, linked = item
    try:
        stamp, names = folder_stamp(where)
    except OSError:
        return None
    return digest("stamp", kind, name, str(linked), stamp), names


def _content_row(item: tuple[str, list[str], str]) -> str:
    return content_digest(*item)


def _tree(folder: Path, parts: list[str]) -> None:
    """Every file under `folder`, recursively, in a stable order (links not followed)."""
    try:
        with os.scandir(folder) as found:
            items = sorted(found, key=lambda item: item.name)
    except OSError:
        return
    for item in items:
        if item.is_dir(follow_symlinks=False):
            _tree(Path(item.path), parts)
        else:
            parts.append(item.path + "=" + _stat_part(item))


def scan_inputs(root: Path, options: str, known: Callable[[list[tuple[str, str]]], Mapping[str, str]],
                previous: InputScan | None = None, dirty: frozenset[tuple[str, str]] | None = None) -> InputScan:
    """Every entry folder and the stamp of the whole site.

    `known` maps folder stamps (digests) to the content digests an earlier build found (the
    build cache); `previous` and `dirty`: a watcher that saw which entry folders changed lets the
    others keep what the last scan found (the folders are still listed, for additions)."""
    reuse = previous.folders if previous is not None and dirty is not None else {}
    parts: list[str] = [options]
    for path in (root / "site.yaml",):
        try:
            info = path.stat()
            parts.append(f"site.yaml:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}")
        except OSError:
            parts.append("site.yaml:-")
    for base in (root, builtin_root()):
        for name in SETTINGS_FOLDERS:
            _tree(base / name, parts)
    stamps: dict[tuple[str, str], tuple[str, str, list[str]]] = {}
    folders: dict[tuple[str, str], Folder] = {}
    order: list[tuple[str, str]] = []  # (kind, name) sorted, as found: 10,000 keys sorted again cost more
    work: list[tuple[str, str, str, bool]] = []  # the folders to stamp: kind, name, path, linked
    for kind, name in sorted(KIND_FOLDERS):
        kind_folder = root / "content" / name
        try:
            with os.scandir(kind_folder) as found:
                items = sorted(found, key=_name)
        except OSError:
            parts.append(f"{kind_folder}:absent")
            continue
        for item in items:
            key = (kind, item.name)
            order.append(key)
            # a linked folder is read again: the watcher names the files where they really are
            if key in reuse and key not in dirty and not item.is_symlink():  # type: ignore[operator]
                folders[key] = reuse[key]
                continue
            if not item.is_dir():
                parts.append(f"{item.path}:not a folder:{item.is_symlink()}")
                continue
            work.append((kind, item.name, item.path, item.is_symlink()))
    for (kind, name, where, linked), row in zip(work, in_two(_stamp_row, work)):
        if row is None:
            parts.append(f"{where}:unreadable")
            continue
        stamps[(kind, name)] = (where, row[0], row[1])
    found_digests = known([(f"{kind}/{name}", stamp) for (kind, name), (_, stamp, _) in stamps.items()])
    unknown = [key for key, (_, stamp, _) in stamps.items() if stamp not in found_digests]  # all, at a first build
    made = in_two(_content_row, [(stamps[key][0], stamps[key][2], f"{key[0]}/{key[1]}") for key in unknown], least=200)
    fresh = {stamps[key][1]: content for key, content in zip(unknown, made)}
    for (kind, name), (where, stamp, _) in stamps.items():
        content = found_digests[stamp] if stamp in found_digests else fresh[stamp]
        folders[(kind, name)] = Folder(kind, name, where, stamp, content)
    settings = digest(*parts)
    in_order = {key: folders[key] for key in order if key in folders}
    parts.extend(folder.stamp for folder in in_order.values())  # each of its folder's place too
    return InputScan(in_order, digest(*parts), settings, fresh)


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
