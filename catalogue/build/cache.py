"""The build cache: what earlier builds learnt, as plain bytes, never trusted.

It lives in SITE/.cache/catalogue/ (another folder with --cache-dir), may be deleted at any
time, and is ignored with --no-cache. One SQLite file holds tables of (key, bytes, seal):
- files: the content digest of each input file, by its path, size, times and inode;
- records: parsed entry folders, by the digest of their files and the settings;
- values: derived values worth keeping (rendered bodies, search items, export rows, images);
- outputs: per output folder, the key of every file the last build wrote.

The cache is a file a user or a pull request can place, so nothing in it is code: values are
JSON or bytes, read back by type (codec.py). Each row is sealed with a keyed digest whose key
lives outside the site (in the user's own cache folder): a row that was damaged, or made by
hand or on another machine, does not verify and is dropped. A file SQLite cannot read is
started afresh. Either way the build goes on, with one warning line, and makes what it would
have made without the cache.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
from pathlib import Path
from typing import Iterable, Mapping

SCHEMA = 6


class _OtherSchema(sqlite3.DatabaseError):
    """A cache laid out by another version of this program."""
TABLES = ("files", "records", "values_", "outputs")
PAGE_SIZE = 16384  # rows of a few KB: fewer pages to write than with SQLite's 4 KB
SECRET_ENV = "CATALOGUE_CACHE_SECRET"


def secret_path() -> Path:
    """Where the sealing key lives: $CATALOGUE_CACHE_SECRET, else the user's cache folder."""
    chosen = os.environ.get(SECRET_ENV)
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "catalogue" / "cache-secret"


def load_secret() -> bytes | None:
    """The key that seals cache rows (made on first use); None when it cannot be kept, in
    which case nothing from an earlier build can be trusted and the cache is not used."""
    path = secret_path()
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data[:64]
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = secrets.token_bytes(32)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        return data
    except FileExistsError:  # made by a build running beside this one
        try:
            data = path.read_bytes()
            return data[:64] if len(data) >= 32 else None
        except OSError:
            return None
    except OSError:
        return None


class RowMemory:
    """Rows a process that builds again and again (the preview) keeps in memory, from the
    tables whose keys are digests of what their rows are made of (records, values): a key
    always holds the same bytes, so a row kept is never stale. Only rows verified or written
    by this process; bounded in bytes, the oldest going first."""

    TABLES = ("records", "values_")

    def __init__(self, limit: int = 768 << 20):
        self.rows: dict[tuple[str, str], bytes] = {}
        self.sealed: dict[tuple[str, str], tuple[bytes, bytes]] = {}  # see SEALED
        self.size = 0
        self.limit = limit

    def get(self, table: str, key: str) -> bytes | None:
        return self.rows.get((table, key))

    def put(self, table: str, key: str, value: bytes) -> None:
        if table not in self.TABLES or len(value) > self.limit // 8:
            return
        self.drop(table, key)
        self.rows[(table, key)] = value
        self.size += len(value)
        while self.size > self.limit:
            self.size -= len(self.rows.pop(next(iter(self.rows))))

    def drop(self, table: str, key: str) -> None:
        old = self.rows.pop((table, key), None)
        if old is not None:
            self.size -= len(old)
        self.sealed.pop((table, key), None)

    def clear(self) -> None:
        self.rows.clear()
        self.sealed.clear()
        self.size = 0

    # The outputs table's big rows (the manifests, the plan state: megabytes, read at every
    # rebuild) change from build to build, and another process may write them: one is kept
    # with its seal, and taken from here only while the file holds that same seal (which
    # only those bytes verify against), so a row changed by anyone is read from the file.
    SEALED, SEALED_FROM = ("outputs",), 64 << 10

    def get_sealed(self, table: str, key: str, seal: object) -> bytes | None:
        kept = self.sealed.get((table, key))
        return kept[1] if kept is not None and kept[0] == seal else None

    def put_sealed(self, table: str, key: str, seal: bytes, value: bytes) -> None:
        if table in self.SEALED and self.SEALED_FROM <= len(value) <= self.limit // 8:
            self.sealed[(table, key)] = (seal, value)
        else:
            self.sealed.pop((table, key), None)


def _locked(exc: sqlite3.DatabaseError) -> bool:
    """Another build holds the file: not damage, just nothing kept this time."""
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


class Store:
    """A sealed key -> bytes store in one SQLite file. Never raises for what is in the file.
    `memory`: rows kept between the builds of one process (see RowMemory)."""

    def __init__(self, folder: Path | None, secret: bytes | None = None, generation: int | None = None,
                 memory: RowMemory | None = None):
        self.folder = folder
        self.memory = memory
        self.generation = generation or 0  # this build's number: rows it uses are marked with it
        self.warnings: list[str] = []
        self.dropped = 0  # rows that did not verify
        self.db: sqlite3.Connection | None = None
        self._secret = secret if secret is not None else (load_secret() if folder is not None else None)
        if folder is None or self._secret is None:
            if folder is not None:
                self.warnings.append(f"build cache: no place to keep its key ({secret_path()}); building without it")
            return
        self.path = folder / "cache.sqlite"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.db = self._open()
        except (OSError, sqlite3.Error) as exc:
            self.warnings.append(f"build cache: cannot use {folder} ({exc}); building without it")
            self.db = None

    # --- opening ----------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except _OtherSchema:  # made by another version of this program: expected after an upgrade
            self._remove_files()
            return self._connect()
        except sqlite3.DatabaseError:  # not a database, damaged
            self._remove_files()
            self.warnings.append("build cache: the cache file was damaged and has been started afresh")
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # for a new file; an existing one keeps its own
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA):
                raise _OtherSchema(f"cache schema {version}")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            for table in TABLES:
                db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, value BLOB, seal BLOB, "
                           "gen INTEGER NOT NULL DEFAULT 0)")
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER)")
            db.execute(f"PRAGMA user_version={SCHEMA}")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _remove_files(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)

    def _damaged(self, exc: Exception) -> None:
        """SQLite found the file broken in the middle of the build: drop it, go on without."""
        if self.memory is not None:
            self.memory.clear()
        self.close()
        self._remove_files()
        self.warnings.append(f"build cache: the cache file was damaged ({exc}); it was removed and this build "
                             "went on without it")

    @property
    def enabled(self) -> bool:
        return self.db is not None

    def reopen(self) -> "Store":
        """A connection of its own, for a forked worker process."""
        return Store(self.folder if self.enabled else None, self._secret, self.generation, self.memory)

    def begin(self) -> None:
        """Number this build (the rows it uses are kept, those unused for KEEP builds go)."""
        if self.db is None:
            return
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
            self.generation = (row[0] if row and isinstance(row[0], int) else 0) + 1
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('generation', ?)", (self.generation,))
        except sqlite3.DatabaseError as exc:
            self._damaged(exc)

    def retain(self, table: str, keys: Iterable[str]) -> None:
        """Remove every row of `table` but those of `keys` and those this build wrote (what the
        output just published is made of, and nothing older)."""
        if self.db is None:
            return
        try:  # one transaction: in autocommit each row put in `kept` would be one
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS kept (key TEXT PRIMARY KEY)")
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM kept")
            self.db.executemany("INSERT OR IGNORE INTO kept (key) VALUES (?)", ((key,) for key in keys))
            self.db.execute(f"DELETE FROM {table} WHERE gen < ? AND key NOT IN (SELECT key FROM kept)",
                            (self.generation,))
            self.db.execute("DELETE FROM kept")
            self.db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            self._rollback()
            if _locked(exc):
                return  # another build holds it: what is unused stays until a later build
            self._damaged(exc)

    # --- rows ---------------------------------------------------------------------------
    def _seal(self, table: str, key: str, value: bytes) -> bytes:
        """BLAKE2b in its keyed mode (a MAC by design, and several times quicker than HMAC)."""
        assert self._secret is not None
        mac = hashlib.blake2b(key=self._secret[:64], digest_size=20, person=table.encode()[:16])
        mac.update(key.encode("utf-8", "surrogatepass") + b"\x1f")
        mac.update(value)
        return mac.digest()

    def _verified(self, table: str, key: str, value: object, seal: object) -> bytes | None:
        if not isinstance(value, bytes) or not isinstance(seal, bytes) or \
                not hmac.compare_digest(seal, self._seal(table, key, value)):
            self.dropped += 1
            return None
        return value

    def get(self, table: str, key: str) -> bytes | None:
        return self.get_many(table, (key,)).get(key)

    def get_many(self, table: str, keys: Iterable[str]) -> dict[str, bytes]:
        if self.db is None:
            return {}
        found: dict[str, bytes] = {}
        bad: list[str] = []
        wanted = list(dict.fromkeys(keys))
        memory = self.memory if self.memory is not None and table in RowMemory.TABLES else None
        if memory is not None:
            for key in wanted:
                kept = memory.get(table, key)
                if kept is not None:
                    found[key] = kept
            wanted = [key for key in wanted if key not in found]
        sealed = self.memory if self.memory is not None and table in RowMemory.SEALED and self.memory.sealed else None
        try:
            if sealed is not None and wanted:  # the seals first: a row whose seal is the one kept is not read
                seals: dict[str, object] = {}
                for start in range(0, len(wanted), 500):
                    chunk = wanted[start:start + 500]
                    seals.update(self.db.execute(f"SELECT key, seal FROM {table} WHERE key IN "
                                                 f"({','.join('?' * len(chunk))})", chunk).fetchall())
                for key in wanted:
                    kept = sealed.get_sealed(table, key, seals.get(key))
                    if kept is not None:
                        found[key] = kept
                wanted = [key for key in wanted if key in seals and key not in found]
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for key, value, seal in self.db.execute(
                        f"SELECT key, value, seal FROM {table} WHERE key IN ({marks})", chunk):
                    checked = self._verified(table, key, value, seal)
                    if checked is None:
                        bad.append(key)
                    else:
                        found[key] = checked
                        if memory is not None:
                            memory.put(table, key, checked)
                        elif self.memory is not None:
                            self.memory.put_sealed(table, key, seal, checked)
        except sqlite3.DatabaseError as exc:
            self._damaged(exc)
            return {}
        if bad:
            self.delete(table, bad)
        return found

    def put_many(self, table: str, items: Mapping[str, bytes], clear: str | None = None) -> None:
        """`items` kept, in one transaction; with `clear`, every other row whose key starts
        with it removed in the same transaction."""
        if self.db is None or not items and clear is None:
            return
        rows = [(key, value, self._seal(table, key, value), self.generation) for key, value in sorted(items.items())]
        try:
            self.db.execute("BEGIN")
            if clear is not None:
                self.db.execute(f"DELETE FROM {table} WHERE key >= ? AND key < ?", (clear, clear + "\U0010ffff"))
            self.db.executemany(f"INSERT OR REPLACE INTO {table} (key, value, seal, gen) VALUES (?, ?, ?, ?)", rows)
            self.db.execute("COMMIT")
            if self.memory is not None:
                for key, value, seal, _ in rows:
                    self.memory.put(table, key, value)
                    self.memory.put_sealed(table, key, seal, value)
        except sqlite3.DatabaseError as exc:
            self._rollback()
            if _locked(exc):
                return  # another build holds it: this one keeps nothing
            self._damaged(exc)

    def delete(self, table: str, keys: Iterable[str]) -> None:
        if self.db is None:
            return
        keys = list(keys)
        if self.memory is not None:
            for key in keys:
                self.memory.drop(table, key)
        try:
            self.db.executemany(f"DELETE FROM {table} WHERE key=?", [(key,) for key in keys])
        except sqlite3.DatabaseError as exc:
            self._damaged(exc)

    def _rollback(self) -> None:
        try:
            if self.db is not None:
                self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def report(self) -> list[str]:
        """One line per thing that went wrong with the cache in this build."""
        lines = list(self.warnings)
        if self.dropped:
            lines.append(f"build cache: {self.dropped} damaged or foreign entr{'y was' if self.dropped == 1 else 'ies were'}"
                         " dropped and made again")
        return lines

    def close(self) -> None:
        if self.db is not None:
            try:
                self.db.close()
            except sqlite3.Error:
                pass
            self.db = None
