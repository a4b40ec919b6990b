"""The build cache: what earlier builds learnt, keyed by content, kept outside the output.

It lives in SITE/.cache/catalogue/ (any other folder with --cache-dir), may be deleted at any
time, and is ignored with --no-cache. One SQLite file holds:
- parsed records per entry folder, keyed by the folder's file signature and the config;
- rendered Markdown bodies, keyed by a hash of everything they are made from;
- per output folder, the manifest of the last build: every file and the key it was made from.
A corrupt or foreign cache is simply started afresh.
"""

from __future__ import annotations

import hashlib
import pickle
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Mapping

from catalogue import __version__

SCHEMA = 4
# Rendered bodies are a few KB each: with 16 KB pages a row seldom needs a page of its own,
# and storing tens of thousands took a third of the time it took with 4 KB pages.
PAGE_SIZE = 16384


def digest(*parts: object) -> str:
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        hasher.update(part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogatepass"))
        hasher.update(b"\x1f")
    return hasher.hexdigest()


def file_digest(path: Path) -> str:
    return digest(path.read_bytes())


class BuildCache:
    def __init__(self, folder: Path | None):
        self.folder = folder
        self.db: sqlite3.Connection | None = None
        if folder is None:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.db = self._open(folder / "cache.sqlite")
        except (OSError, sqlite3.Error):
            self.db = None

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # for a new file; an existing one keeps its own
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA):
                raise sqlite3.DatabaseError("old cache")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            for table in ("records", "fragments", "manifests"):
                db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, value BLOB)")
            db.execute(f"PRAGMA user_version={SCHEMA}")
        except sqlite3.DatabaseError:
            db.close()
            path.unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            db = sqlite3.connect(path, timeout=30, isolation_level=None)
            db.execute(f"PRAGMA page_size={PAGE_SIZE}")
            db.execute("PRAGMA journal_mode=WAL")
            for table in ("records", "fragments", "manifests"):
                db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, value BLOB)")
            db.execute(f"PRAGMA user_version={SCHEMA}")
        return db

    @property
    def enabled(self) -> bool:
        return self.db is not None

    def reopen(self) -> "BuildCache":
        """A connection of its own for a forked worker process."""
        return BuildCache(self.folder) if self.folder is not None else BuildCache(None)

    # --- generic tables -----------------------------------------------------------------
    def get(self, table: str, key: str) -> Any:
        if self.db is None:
            return None
        try:
            row = self.db.execute(f"SELECT value FROM {table} WHERE key=?", (key,)).fetchone()
            return pickle.loads(row[0]) if row else None
        except Exception:  # a damaged row is a miss
            return None

    def has_rows(self, table: str) -> bool:
        if self.db is None:
            return False
        try:
            return self.db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None
        except sqlite3.Error:
            return False

    def get_many(self, table: str, keys: Iterable[str]) -> dict[str, Any]:
        if self.db is None:
            return {}
        found: dict[str, Any] = {}
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            try:
                for key, value in self.db.execute(f"SELECT key, value FROM {table} WHERE key IN ({marks})", chunk):
                    found[key] = pickle.loads(value)
            except Exception:
                continue
        return found

    def put_many(self, table: str, items: Mapping[str, Any]) -> None:
        self.put_pickled(table, {key: pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
                                 for key, value in items.items()})

    def put_pickled(self, table: str, items: Mapping[str, bytes]) -> None:
        """Store values already pickled (as parsing processes hand them over)."""
        if self.db is None or not items:
            return
        rows = sorted(items.items())  # in key order: each page of the table's index is written once
        try:
            self.db.execute("BEGIN")
            self.db.executemany(f"INSERT OR REPLACE INTO {table} (key, value) VALUES (?, ?)", rows)
            self.db.execute("COMMIT")
        except sqlite3.Error:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    # --- manifests of output folders --------------------------------------------------
    def manifest(self, out_dir: Path) -> dict[str, str]:
        value = self.get("manifests", str(out_dir.resolve()))
        return value if isinstance(value, dict) else {}

    def save_manifest(self, out_dir: Path, files: Mapping[str, str]) -> None:
        self.put_many("manifests", {str(out_dir.resolve()): dict(files)})

    def forget_manifest(self, out_dir: Path) -> None:
        if self.db is not None:
            try:
                self.db.execute("DELETE FROM manifests WHERE key=?", (str(out_dir.resolve()),))
            except sqlite3.Error:
                pass

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None


def _package_key() -> str:
    """Version plus the code itself: a cache made by other code is never trusted."""
    package = Path(__file__).resolve().parent.parent
    files = sorted(package.rglob("*.py")) + sorted(package.glob("data/*.yaml"))
    return digest("catalogue", __version__, SCHEMA, *(digest(f.read_bytes()) for f in files))


PACKAGE_KEY = _package_key()
