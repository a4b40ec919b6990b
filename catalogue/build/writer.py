"""The one writer: owns the folders it publishes, and swaps a whole new build in at once.

Every output folder it makes holds a marker file (MARKER) naming the build; a folder that is
neither empty nor marked is someone else's and is never replaced. A build is written into a
folder beside the published one, then the two are exchanged in one step (Linux's
renameat2(RENAME_EXCHANGE)): killed or failing at any instant, the published folder is
exactly the old build or exactly the new one. The folder swapped out is kept as the spare
for the next build, which brings it up to date (unchanged files hard-linked from the
published folder, only what changed written) before swapping again; so an incremental build
costs what changed, not the whole site. Where exchange is unavailable, the two folders are
renamed one after the other and a build finding the published folder missing puts the old
one back first. Leftovers of an interrupted build are removed by the next one.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from catalogue.build.codec import from_plain

MARKER = ".catalogue-output"
FORMAT = 1
# the site's sources, its build cache and its history: no output goes in them
PROTECTED = ("content", "themes", "locales", "templates", "static", ".cache", ".git")


class OutputError(Exception):
    """The output cannot be written: says why and what to do."""


def explain(exc: OSError, path: Path | str) -> str:
    """An operating system error as one line a user can act on."""
    reason = {errno.EACCES: "permission denied", errno.EPERM: "not permitted", errno.EROFS: "read-only file system",
              errno.ENOSPC: "no space left on the disk", errno.EDQUOT: "disk quota exceeded",
              errno.ENOTDIR: "a part of the path is a file, not a folder", errno.EMFILE: "too many open files",
              errno.ENFILE: "too many open files on the system", errno.EFBIG: "file too large for this disk",
              errno.EXDEV: "on another file system", errno.ENAMETOOLONG: "a name is too long",
              errno.ELOOP: "too many levels of links"}.get(exc.errno or 0, exc.strerror or str(exc))
    return f"cannot write {path}: {reason}"


def read_marker(folder: Path) -> dict[str, object] | None:
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("generator") == "catalogue":
        return data
    return None


def file_in_the_way(path: Path) -> Path | None:
    """A folder above `path` that is a file, so that nothing can be made at `path`."""
    for parent in Path(os.path.abspath(path)).parents:
        if parent.exists() and not parent.is_dir():
            return parent
    return None


def check_output_folder(out_dir: Path, site_root: Path, ours: bool = False) -> str | None:
    """Why `out_dir` must not be replaced, or None when it is safe to build into.

    `ours`: the caller made the folder (the preview's temporary one)."""
    out = Path(os.path.abspath(out_dir))
    root = Path(os.path.realpath(site_root))
    real = Path(os.path.realpath(out))
    if real == root or root.is_relative_to(real):
        return f"output folder {out_dir} contains the site itself; choose a folder such as public/"
    for protected in PROTECTED:
        if real == root / protected or real.is_relative_to(root / protected):
            return f"output folder {out_dir} is inside the site's {protected}/ folder; choose a folder such as public/"
    if real == root / "site.yaml":
        return f"output folder {out_dir} is the site's site.yaml"
    blocker = file_in_the_way(out)
    if blocker is not None:
        return f"output folder {out_dir} cannot be made: {blocker} is a file, not a folder"
    if out.exists() and not out.is_dir():
        return f"output path {out_dir} is a file, not a folder; choose a folder such as public/"
    if out.is_symlink():
        return f"output folder {out_dir} is a link; give the folder itself"
    if not ours and out.is_dir() and read_marker(out) is None:
        try:
            empty = not any(out.iterdir())
        except OSError as exc:
            return explain(exc, out)
        if not empty:
            return (f"output folder {out_dir} is not empty and was not made by this program (it has no {MARKER}); "
                    "empty it, delete it, or choose another folder with --out")
    return None


def sibling(out_dir: Path, role: str) -> Path:
    return out_dir.parent / f".{out_dir.name}.catalogue-{role}"


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange_function() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_RENAMEAT2 = _exchange_function()


def exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step; False where the system cannot (then nothing changed)."""
    if _RENAMEAT2 is None:
        return False
    result = _RENAMEAT2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(first))


def recover(out_dir: Path) -> None:
    """Undo what an interrupted build left: put the old build back where the published folder
    went missing between two renames, and remove half-written folders."""
    old = sibling(out_dir, "old")
    if old.is_dir() and not out_dir.exists() and read_marker(old) is not None:
        os.rename(old, out_dir)
    for leftover in out_dir.parent.glob(f".{out_dir.name}.catalogue-staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


@dataclass
class Manifest:
    """What a folder holds: the key of every file, and the build that wrote them."""

    build: str
    files: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        return json.dumps({"build": self.build, "files": self.files}, separators=(",", ":")).encode("utf-8")

    @classmethod
    def decode(cls, data: bytes | None) -> "Manifest | None":
        if data is None:
            return None
        try:
            raw = json.loads(data)
            files = from_plain(raw["files"], dict[str, str])
            if not isinstance(raw["build"], str):
                return None
            if not all(map(_PLAIN_PATH.fullmatch, files)):  # the rare path that is not plain
                for out_path in files:
                    checked_path(out_path)
            return cls(raw["build"], files)
        except (ValueError, KeyError, TypeError, OutputError):  # Malformed, a path leaving the folder: damage
            return None


def digest_files(files: Mapping[str, str]) -> str:
    """The name of a build: a digest of its files and their keys, in the paths' order (the
    paths in one text, then the keys in another: no text made per file of 50,000)."""
    paths = sorted(files)
    hasher = hashlib.blake2b(f"{len(paths)}\x1d".encode(), digest_size=8)
    hasher.update("\x1e".join(paths).encode("utf-8", "surrogatepass") + b"\x1d")
    hasher.update("\x1e".join(map(files.__getitem__, paths)).encode("utf-8", "surrogatepass"))
    return hasher.hexdigest()


_PLAIN_PATH = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*")


def checked_path(out_path: str) -> None:
    """Refuse an output path that could leave the output folder (or overwrite its marker).
    Checked on the text, as PurePosixPath would split it (a parse per file cost a second of
    a 50,000-file rebuild); names of letters, digits, '-', '_' and '.' not first in a part
    (no '..', no marker) pass at once."""
    if _PLAIN_PATH.fullmatch(out_path):
        return
    parts = [part for part in out_path.split("/") if part not in ("", ".")]
    if not out_path or out_path.startswith("/") or ".." in parts or not parts or "\\" in out_path \
            or "\x00" in out_path or parts[0] == MARKER:
        raise OutputError(f"refusing to write outside the output folder: {out_path!r}")


def make_parent(target: str) -> None:
    """The folder a file is to go in. Most pages have a folder of their own, whose parent is
    there already: one call."""
    directory = os.path.dirname(target)
    try:
        os.mkdir(directory)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(directory, exist_ok=True)


def write_file(folder: Path, out_path: str, data: bytes) -> None:
    """Write a file of a folder being made, never through an existing file: one there may be
    a hard link shared with the published build, or the spare's copy of a page a web server
    is still sending from the build before the last swap. Writing over a file of the folder's
    own would cost a quarter as much on ext4, but no check can tell it is unread: a page sent
    with sendfile() goes on referring to the file's cached pages after the server closed it."""
    target = os.path.join(folder, out_path)
    try:
        os.unlink(target)
    except FileNotFoundError:
        make_parent(target)
    with open(target, "xb", buffering=0) as handle:
        view = memoryview(data)
        while view:
            view = view[handle.write(view):]


class OutputLock:
    """One build at a time per output folder (a second one is told, not queued)."""

    def __init__(self, out_dir: Path):
        self.path = sibling(Path(os.path.abspath(out_dir)), "lock")
        self.handle: int | None = None

    def __enter__(self) -> "OutputLock":
        import fcntl

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            for _ in range(100):
                self.handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                # the build before may have removed the file between our open and our lock
                # (it removes it while it holds it): a lock on a file no longer there locks
                # nothing, and the next build would make a new one. Then open it again.
                if self._still_there():
                    break
                os.close(self.handle)
                self.handle = None
            else:
                raise OutputError(f"cannot lock {self.path}: it keeps being removed")
        except BlockingIOError:
            os.close(self.handle) if self.handle is not None else None
            self.handle = None
            raise OutputError(f"another build is writing {self.path.parent / self.path.name.split('.catalogue-')[0][1:]} "
                              "now; wait for it to finish") from None
        except OSError as exc:
            if self.handle is not None:
                os.close(self.handle)
                self.handle = None
            raise OutputError(explain(exc, self.path.parent)) from None
        return self

    def _still_there(self) -> bool:
        assert self.handle is not None
        held = os.fstat(self.handle)
        try:
            named = os.stat(self.path)
        except FileNotFoundError:
            return False
        return (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino)

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            try:
                os.unlink(self.path)  # still held: nothing is left beside the output
            except OSError:
                pass
            os.close(self.handle)
            self.handle = None


class Publication:
    """One build's new output, made beside the published folder and swapped in by publish()."""

    def __init__(self, out_dir: Path, published: Manifest | None, spare: Manifest | None):
        self.out_dir = Path(os.path.abspath(out_dir))
        self.build = ""  # named by what it holds, once it holds it (publish): the same inputs, the same marker
        self.published = published if published is not None and self._marked(self.out_dir, published) else None
        self.new = Manifest(self.build)
        self.written: list[str] = []  # files whose bytes this build made
        self.linked = 0
        spare_dir = sibling(self.out_dir, "spare")
        try:
            self.out_dir.parent.mkdir(parents=True, exist_ok=True)
            recover(self.out_dir)
            if spare is not None and self._marked(spare_dir, spare):
                self.folder, self.previous = spare_dir, spare  # brought up to date, then swapped
            else:
                if spare_dir.exists():
                    shutil.rmtree(spare_dir)
                self.folder = sibling(self.out_dir, f"staging-{secrets.token_hex(8)}")
                self.previous = Manifest("")
                self.folder.mkdir()
            self._mark(complete=False)
        except OSError as exc:
            raise OutputError(explain(exc, self.out_dir)) from None

    @staticmethod
    def is_current(out_dir: Path, manifest: Manifest) -> bool:
        """The folder is the one `manifest` describes: built and published, and no file of it
        removed since (a page deleted by hand is made again)."""
        folder = os.path.abspath(out_dir)
        return Publication._marked(Path(folder), manifest) and \
            all(os.path.isfile(os.path.join(folder, out_path)) for out_path in manifest.files)

    @staticmethod
    def holds(folder: Path, manifest: Manifest) -> bool:
        """`folder` is a finished build that `manifest` describes (by its marker)."""
        return bool(manifest.build) and Publication._marked(folder, manifest)

    @staticmethod
    def _marked(folder: Path, manifest: Manifest) -> bool:
        marker = read_marker(folder)
        return marker is not None and marker.get("build") == manifest.build and marker.get("complete") is True

    def _mark(self, complete: bool) -> None:
        (self.folder / MARKER).write_text(json.dumps({"generator": "catalogue", "format": FORMAT,
                                                     "build": self.build if complete else "", "complete": complete})
                                          + "\n", encoding="utf-8")

    # --- deciding, file by file -----------------------------------------------------------
    def reuse(self, out_path: str, key: str) -> bool:
        """Keep a file made from the same key by an earlier build; False: it is to be made
        (by this process or a rendering one), and counts as written."""
        checked_path(out_path)
        if out_path in self.new.files:
            raise OutputError(f"two outputs want the same file: {out_path}")
        self.new.files[out_path] = key
        if not self._kept(out_path, key):
            self.written.append(out_path)
            return False
        return True

    def carry(self, files: Mapping[str, str]) -> str | None:
        """Keep the files a rebuild did not plan, as the last build made them, at once; the
        first that is no longer there to keep (then the build plans everything), or None.
        Tens of thousands at each rebuild: taken at once where the folder being brought up to
        date has every one already (the preview's case).

        No path is checked here: one is carried only where the previous or the published
        folder's manifest has it with that key, and a manifest's paths are checked when it is
        read (Manifest.decode) or made (write, reuse)."""
        new, previous = self.new.files, self.previous.files
        if not new.keys().isdisjoint(files):
            raise OutputError(f"two outputs want the same file: {min(new.keys() & files.keys())}")
        if previous.items() >= files.items():
            new.update(files)
            return None
        for out_path, key in files.items():
            if previous.get(out_path) != key and not self._kept(out_path, key):
                self.written.append(out_path)  # the folder's own copy may be gone
                return out_path
            new[out_path] = key  # as it is now in the folder, should this build give up
        return None

    def _kept(self, out_path: str, key: str) -> bool:
        if self.previous.files.get(out_path) == key:
            return True  # the folder being brought up to date has it already
        if self.published is not None and self.published.files.get(out_path) == key:
            # text paths: the first rebuild after a full one links every file (50,000 here)
            source = os.path.join(self.out_dir, out_path)
            target = os.path.join(self.folder, out_path)
            try:
                try:
                    os.unlink(target)
                except FileNotFoundError:
                    make_parent(target)
                try:
                    os.link(source, target)
                except OSError as exc:
                    if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                        raise
                    shutil.copyfile(source, target)
                self.linked += 1
                return True
            except FileNotFoundError:  # the published file went missing: make it again
                return False
            except OSError as exc:
                raise OutputError(explain(exc, target)) from None
        return False

    def claim(self, out_path: str, key: str) -> None:
        """Reserve a file that will be made (by this process or a rendering one)."""
        checked_path(out_path)
        if out_path in self.new.files:
            raise OutputError(f"two outputs want the same file: {out_path}")
        self.new.files[out_path] = key
        self.written.append(out_path)

    def write(self, out_path: str, data: bytes) -> None:
        """Write a claimed file."""
        try:
            write_file(self.folder, out_path, data)
        except OSError as exc:
            raise OutputError(explain(exc, self.out_dir / out_path)) from None

    # --- publishing -------------------------------------------------------------------------
    def _remove_extras(self) -> None:
        """Files the folder holds that the new build does not make (a page no longer made),
        and the folders they leave empty. What the folder holds is what its manifest says: it
        is this program's own, kept beside the published one (a file put into the published
        folder by hand is dropped by the next build that starts afresh, such as --no-cache)."""
        keep = self.new.files
        emptied: set[str] = set()
        for out_path in self.previous.files:
            if out_path not in keep:
                try:
                    os.unlink(self.folder / out_path)
                except FileNotFoundError:
                    pass
                emptied.add(os.path.dirname(out_path))
        for directory in sorted(emptied, key=len, reverse=True):
            while directory:
                try:
                    os.rmdir(self.folder / directory)  # only when empty
                except OSError:
                    break
                directory = os.path.dirname(directory)

    def publish(self) -> None:
        """Swap the new build in; the old one becomes the spare."""
        spare = sibling(self.out_dir, "spare")
        # kept in order: the next rebuild carries them in this order, and sorts them at once
        paths = sorted(self.new.files)
        self.new.files = dict(zip(paths, map(self.new.files.__getitem__, paths)))
        self.build = self.new.build = digest_files(self.new.files)
        try:
            self._remove_extras()
            os.chmod(self.folder, 0o755)
            self._mark(complete=True)
            if not self.out_dir.exists():
                os.rename(self.folder, self.out_dir)
                return
            if exchange(self.folder, self.out_dir):
                if self.folder != spare:
                    os.rename(self.folder, spare)  # the old build, kept for the next one
                return
            old = sibling(self.out_dir, "old")  # no exchange here: two renames, recover() mends
            os.rename(self.out_dir, old)
            os.rename(self.folder, self.out_dir)
            os.rename(old, spare)
        except OSError as exc:
            raise OutputError(explain(exc, self.out_dir)) from None

    def set_aside(self) -> None:
        """Keep the folder as the spare instead of publishing it, where it holds what is
        published (all carried: see make_spare)."""
        assert self.published is not None
        self.new.build = self.build = self.published.build  # the same files: the same build
        try:
            self._mark(complete=True)
            os.rename(self.folder, sibling(self.out_dir, "spare"))
        except OSError as exc:
            self.discard()
            raise OutputError(explain(exc, self.out_dir)) from None

    def discard(self) -> Manifest | None:
        """Leave the published folder as it was. A spare this build began to bring up to date
        is described as it now is (the files it wrote are unknown), so the next build goes on
        from it; a new staging folder is removed."""
        if self.folder.name.startswith(f".{self.out_dir.name}.catalogue-staging-"):
            shutil.rmtree(self.folder, ignore_errors=True)
            return None
        written = set(self.written)
        files = {path: key for path, key in self.previous.files.items() if path not in written}
        for path, key in self.new.files.items():
            if path not in written:  # kept, or linked from the published folder: as the key says
                files[path] = key
        state = Manifest(digest_files(files), files)
        try:
            self.build = state.build
            self._mark(complete=True)
        except OSError:
            return None
        return state

    @property
    def spare_manifest(self) -> Manifest | None:
        """What the folder swapped out holds, for the next build."""
        return self.published


def make_spare(out_dir: Path, published: Manifest) -> bool:
    """A spare for the next build, made now: every published file hard-linked into a folder
    beside it. A first build into a folder leaves none, and the first rebuild after it would
    link all 50,000 files first (seconds); a process with idle time (the preview, once its
    first build is done) makes it then. False where the published folder is not the one
    `published` describes, or a file of it is missing (the next build then starts afresh).
    Killed or failing, it leaves at worst a staging folder, which the next build removes."""
    publication = Publication(out_dir, published, None)  # a fresh folder; a stale spare is removed
    if publication.published is None or publication.carry(published.files) is not None:
        publication.discard()
        return False
    publication.set_aside()
    return True


def manifest_keys(out_dir: Path) -> tuple[str, str]:
    """The store keys of the published folder's manifest and of its spare's."""
    base = os.path.realpath(out_dir)
    return f"{base}#published", f"{base}#spare"


def published_files(manifest: Manifest | None) -> Mapping[str, str]:
    return manifest.files if manifest is not None else {}


def listed(folder: Path) -> Iterable[str]:
    for directory, _, files in os.walk(folder):
        for name in files:
            yield os.path.relpath(os.path.join(directory, name), folder).replace(os.sep, "/")
