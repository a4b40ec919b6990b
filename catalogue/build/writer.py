"""The one writer: stages every output file, refuses clashes and escapes, swaps on success.

A failed build removes its staging folder and leaves the published folder as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath


class OutputError(Exception):
    pass


def check_output_folder(out_dir: Path, site_root: Path, ours: bool = False) -> str | None:
    """Why `out_dir` must not be replaced, or None when it is safe to build into.

    `ours`: the caller owns the folder (the preview server's), so any content may go.
    """
    out = out_dir.resolve()
    root = site_root.resolve()
    if out == root or root.is_relative_to(out):
        return f"output folder {out_dir} contains the site itself; choose a folder such as public/"
    for protected in ("content", "themes", "locales", "templates", "static"):
        if out == root / protected or out.is_relative_to(root / protected):
            return f"output folder {out_dir} is inside the site's {protected}/ folder"
    if out.exists() and not out.is_dir():
        return f"output path {out_dir} is a file, not a folder"
    if not ours and out.is_dir() and any(out.iterdir()) and not (out / "sitemap.xml").is_file():
        return (f"output folder {out_dir} is not empty and does not hold an earlier build; "
                "empty it or choose another folder (it would be replaced)")
    return None


def write_claimed(folder: Path, out_path: str, data: bytes) -> None:
    """Write a claimed file (its path checked by claim()) under `folder`, making its folder.

    Plain os calls: a national build writes tens of thousands of pages, and pathlib objects
    and a buffered file cost about 10 µs more for each, and two more system calls.
    """
    target = os.path.join(folder, out_path)
    directory = os.path.dirname(target)
    try:  # most pages have a folder of their own, whose parent is there: one call
        os.mkdir(directory)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(directory, exist_ok=True)
    with open(target, "wb", buffering=0) as handle:
        view = memoryview(data)
        while view:
            view = view[handle.write(view):]


class StagedOutput:
    reuses = False  # whether reuse() may keep a published file

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir.resolve()
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{self.out_dir.name}.staging-",
                                             dir=self.out_dir.parent))
        self.written: set[str] = set()
        self.manifest: dict[str, str] = {}  # every output file -> the key it was made from
        self._folders: set[Path] = set()  # staging folders made so far

    def reuse(self, out_path: str, key: str) -> bool:
        """Keep the published file if it was made from the same key (never, for a full build)."""
        return False

    def _reserve(self, out_path: str, key: str) -> PurePosixPath:
        pure = PurePosixPath(out_path)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in out_path:
            raise OutputError(f"refusing to write outside the output folder: {out_path!r}")
        if out_path in self.written:
            raise OutputError(f"two outputs want the same file: {out_path}")
        self.written.add(out_path)
        self.manifest[out_path] = key
        return pure

    def _target(self, out_path: str, key: str = "") -> Path:
        target = self.staging.joinpath(*self._reserve(out_path, key).parts)
        if target.parent not in self._folders:  # one mkdir per folder, not per file
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        return target

    def claim(self, out_path: str, key: str = "") -> None:
        """Reserve `out_path` for a file another process writes (see write_claimed)."""
        self._reserve(out_path, key)

    def set_key(self, out_path: str, key: str) -> None:
        """The key of a file claimed before its key was known."""
        if out_path in self.manifest:
            self.manifest[out_path] = key

    def write(self, out_path: str, data: bytes) -> None:
        self._reserve(out_path, "")
        write_claimed(self.staging, out_path, data)

    def copy(self, out_path: str, src_path: Path, key: str = "") -> None:
        shutil.copyfile(src_path, self._target(out_path, key))

    def commit(self) -> None:
        """Replace the published folder with the staged one."""
        old = None
        if self.out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.out_dir.name}.old-", dir=self.out_dir.parent))
            os.rmdir(old)
            os.rename(self.out_dir, old)
        try:
            os.rename(self.staging, self.out_dir)
        except OSError:
            if old is not None:
                os.rename(old, self.out_dir)
            raise
        os.chmod(self.out_dir, 0o755)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


class IncrementalOutput(StagedOutput):
    """Stages only what changed since the last build, then moves it into place.

    Files made from unchanged inputs are not touched (same bytes, same modification time);
    files whose bytes come out identical are not replaced; files the new build no longer makes
    are removed. Nothing is moved until the whole build has succeeded.
    """

    reuses = True

    def __init__(self, out_dir: Path, previous: dict[str, str]):
        super().__init__(out_dir)
        self.previous = previous
        self.replaced: list[str] = []  # files whose bytes changed, set by commit()

    def reuse(self, out_path: str, key: str) -> bool:
        if key and self.previous.get(out_path) == key and out_path not in self.written \
                and (self.out_dir / out_path).is_file():
            self.written.add(out_path)
            self.manifest[out_path] = key
            return True
        return False

    def commit(self) -> None:
        for staged in sorted(p for p in self.staging.rglob("*") if p.is_file()):
            rel = staged.relative_to(self.staging)
            target = self.out_dir / rel
            if target.is_file() and target.stat().st_size == staged.stat().st_size \
                    and target.read_bytes() == staged.read_bytes():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
            self.replaced.append(rel.as_posix())
        for out_path in sorted(set(self.previous) - self.written):
            gone = self.out_dir / out_path
            if gone.is_file() or gone.is_symlink():
                gone.unlink()
                parent = gone.parent
                while parent != self.out_dir and parent.is_dir() and not any(parent.iterdir()):
                    parent.rmdir()
                    parent = parent.parent
        shutil.rmtree(self.staging, ignore_errors=True)
