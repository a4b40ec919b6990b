"""Reading input files: only regular files inside their own folder, and only so much of them.

Every file a build reads from a site (texts, data files, site.yaml, catalogues, images, theme
files) comes through here. A link may point elsewhere inside its folder, never out of it:
a pull request must not be able to publish /etc/passwd by adding a symbolic link, nor make a
build read /dev/zero until memory runs out.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

# The most a build reads of each kind of file (bytes). An entry's text is a few KB; these
# leave room for very long descriptions while a mistaken paste of a whole book (50 MB took
# minutes and gigabytes to render) is refused with a message.
LIMITS = {
    "text": 512 * 1024,  # a language file (<lang>.md)
    "data": 256 * 1024,  # product.yaml, producer.yaml, event.yaml
    "site": 1024 * 1024,  # site.yaml
    "catalogue": 4 * 1024 * 1024,  # a .po file
    "image": 25_000_000,  # an image (see media.py for its pixel limit)
    "theme": 16 * 1024 * 1024,  # a template or a static file of a theme or of the site
}
KIND_NAMES = {"text": "a language file", "data": "a data file", "site": "site.yaml", "catalogue": "a UI catalogue",
              "image": "an image", "theme": "a theme file"}


def describe_size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} KB"


@dataclass(frozen=True)
class Refusal:
    """Why an input file is not read."""

    message: str


def inside(path: Path, folder: Path) -> bool:
    """Whether `path`, its links followed, is `folder` or lies in it (links followed too)."""
    real = os.path.realpath(path)
    base = os.path.realpath(folder)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def check_file(path: Path, folder: Path, kind: str) -> Refusal | None:
    """Why `path` must not be read as an input of `folder`, or None."""
    try:
        link = path.is_symlink()
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            return Refusal("is a link to a file that does not exist; replace it with the file itself")
        return Refusal("not found")
    except OSError as exc:
        return Refusal(f"cannot be read: {exc.strerror or exc}")
    if link and not inside(path, folder):
        return Refusal(f"is a link to a file outside its folder ({os.path.realpath(path)}); "
                       "put the file itself here instead of a link")
    if not stat.S_ISREG(info.st_mode):
        what = "a folder" if stat.S_ISDIR(info.st_mode) else "a device, a pipe or a socket"
        return Refusal(f"is {what}, not a regular file")
    limit = LIMITS[kind]
    if info.st_size > limit:
        return Refusal(f"is {describe_size(info.st_size)}; {KIND_NAMES[kind]} may be at most "
                       f"{describe_size(limit)}")
    return None


def read_input(path: Path, folder: Path, kind: str) -> bytes | Refusal:
    """The bytes of an input file, or why it was refused (never an exception)."""
    refusal = check_file(path, folder, kind)
    if refusal is not None:
        return refusal
    limit = LIMITS[kind]
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):  # replaced between the check and the open
                return Refusal("is not a regular file")
            data = handle.read(limit + 1)
    except OSError as exc:
        return Refusal(f"cannot be read: {exc.strerror or exc}")
    if len(data) > limit:
        return Refusal(f"is larger than {describe_size(limit)}, the most {KIND_NAMES[kind]} may be")
    return data


def leaves_refusal(path: Path, boundary: Path) -> Refusal | None:
    """Why `path` must not be read as part of `boundary` (the site's folder, or the package's):
    with every link on its way followed, it lies elsewhere. check_file() looks only at a file
    that is itself a link; this catches a linked folder above it (`locales/` or `themes/` a
    link to somewhere else). Used where the files are few: it resolves every part of the path."""
    if inside(path, boundary):
        return None
    return Refusal(f"lies in a linked folder that leads outside the site's folder ({os.path.realpath(path)}); "
                   "put the folder itself here instead of a link")


def folder_refusal(path: Path, parent: Path) -> Refusal | None:
    """Why the folder `path` (an entry folder, content/, a theme) must not be read as part
    of `parent`, or None."""
    if not path.is_dir():
        return Refusal("is not a folder")
    if not inside(path, parent):
        return Refusal(f"is a link to a folder outside {parent.name}/ ({os.path.realpath(path)}); "
                       "put the folder itself here instead of a link")
    return None


def walk_files(folder: Path, kind: str = "theme") -> tuple[list[tuple[str, Path]], list[tuple[str, Refusal]]]:
    """Every file under `folder` ("css/site.css" and its path), names starting with a dot
    left out, in a stable order; and the files refused, with why. A linked folder is followed
    only when it stays inside `folder` (and only once)."""
    files: list[tuple[str, Path]] = []
    refused: list[tuple[str, Refusal]] = []
    base = os.path.realpath(folder)
    seen: set[str] = set()

    def visit(current: Path, rel: str) -> None:
        real = os.path.realpath(current)
        if real in seen:
            return
        seen.add(real)
        try:
            entries = sorted(os.scandir(current), key=lambda item: item.name)
        except OSError as exc:
            refused.append((rel or ".", Refusal(f"cannot be read: {exc.strerror or exc}")))
            return
        for item in entries:
            if item.name.startswith("."):
                continue
            child_rel = f"{rel}/{item.name}" if rel else item.name
            path = Path(item.path)
            if item.is_dir():  # follows a link: then it must stay inside
                if item.is_symlink() and not inside(path, Path(base)):
                    refused.append((child_rel, Refusal(f"is a link to a folder outside {folder.name}/ "
                                                       f"({os.path.realpath(path)}); put the folder itself here")))
                    continue
                visit(path, child_rel)
                continue
            refusal = check_file(path, Path(base), kind)
            if refusal is not None:
                refused.append((child_rel, refusal))
            else:
                files.append((child_rel, path))

    if folder.is_dir():
        visit(folder, "")
    return files, refused
