"""The one seam between the stages and the build cache.

Stages are pure and know nothing of the cache: the scan asks `KnownDigests` for folder
digests, loading asks a loader for each entry folder, rendering asks an evaluator for each
derived value. Here each of those answers from the store when it can and keeps what it made.
With --no-cache the same classes run over a store that holds nothing.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from catalogue.build.cache import Store
from catalogue.build.codec import Malformed, decode, encode, from_plain
from catalogue.build.inputs import InputScan
from catalogue.build.keys import package_key
from catalogue.build.processes import own_process
from catalogue.config import SiteConfig
from catalogue.content.load import IMAGE_SUFFIXES, load_entry
from catalogue.content.model import Entry, EntryKind, Event, Producer, Product
from catalogue.derive import Derived, Evaluator, digest
from catalogue.problems import Problem, Problems
from catalogue.site.media import EntryMedia, measure_entry

ENTRY_TYPES: Mapping[str, type] = {"product": Product, "producer": Producer, "event": Event}


class KnownDigests:
    """Folder stamp -> content digest, as earlier builds found them. The last scan's are kept
    in one row (as Git keeps its index in one file): read at once, where 11,000 rows cost a
    tenth of a second; a stamp it lacks is looked up in the rows of every digest made (a
    stamp is a digest: the key of its row). A line of that row that does not read is skipped."""

    ROW = "scan index"

    def __init__(self, store: Store):
        self.store = store
        self.indexed: dict[str, str] = {}
        for line in (store.get("files", self.ROW) or b"").decode("ascii", "replace").split("\n"):
            stamp, _, content = line.partition(" ")
            if stamp and content:
                self.indexed[stamp] = content

    def known(self, labels: list[tuple[str, str]]) -> dict[str, str]:
        found = {stamp: self.indexed[stamp] for _, stamp in labels if stamp in self.indexed}
        rows = self.store.get_many("files", [stamp for _, stamp in labels if stamp not in found])
        found.update((stamp, value.decode("ascii", "replace")) for stamp, value in rows.items())
        return found

    def remember(self, scan: InputScan) -> None:
        """Keep the digests made anew, and the scan's as the index where it changed."""
        self.store.put_many("files", {stamp: content.encode("ascii") for stamp, content in scan.fresh.items()})
        now = {folder.stamp: folder.digest for folder in scan.folders.values()}
        if now != self.indexed:
            self.store.put_many("files", {self.ROW: "\n".join(f"{s} {d}" for s, d in now.items()).encode("ascii")})
            self.indexed = now


@dataclass(frozen=True)
class Loaded:
    entry: Entry | None
    problems: tuple[Problem, ...]


def record_key(config: SiteConfig, kind: str, folder_digest: str) -> str:
    """Where the store keeps the record of an entry folder with these files, read with this
    code and these settings, at this place."""
    return digest("record", package_key(), config.digest, str(config.root.resolve()), kind, folder_digest)


class CachedRecords:
    """Entry folders whose files did not change are not parsed again: their records and
    problems come from the store (as plain data), keyed by the digest of their files."""

    def __init__(self, store: Store, config: SiteConfig, workers: int = 1):
        self.store = store
        self.config = config
        self.workers = workers
        self.reused = 0

    def key(self, kind: str, folder_digest: str) -> str:
        return record_key(self.config, kind, folder_digest)

    def load(self, work: Sequence[tuple[EntryKind, Path, str]], problems: Problems) -> list[Entry | None]:
        """`work`: (kind, folder, digest of its files) per entry folder, in order."""
        keys = [self.key(kind, folder_digest) for kind, _, folder_digest in work]
        found = self.store.get_many("records", keys)
        results: list[Loaded | None] = [None] * len(work)
        for index, key in enumerate(keys):
            data = found.get(key)
            if data is not None:
                results[index] = self._decode(work[index][0], data)
        missing = [index for index, result in enumerate(results) if result is None]
        self.reused = len(work) - len(missing)
        fresh: dict[str, bytes] = {}
        for index, loaded in zip(missing, parse_folders(self.config, [work[i] for i in missing], self.workers)):
            results[index] = loaded
            fresh[keys[index]] = encode_loaded(loaded)
        self.store.put_many("records", fresh)
        entries = []
        for result in results:
            assert result is not None
            problems.extend(result.problems)
            entries.append(result.entry)
        return entries

    def decode_record(self, kind: str, data: bytes) -> Entry | None:
        """A record from the store (None when it does not read back)."""
        loaded = self._decode(kind, data)
        return loaded.entry if loaded is not None else None

    def _decode(self, kind: str, data: bytes) -> Loaded | None:
        try:
            raw = decode(data, dict[str, Any])
            entry = None if raw["entry"] is None else from_plain(raw["entry"], ENTRY_TYPES[kind])
            found = from_plain(raw["problems"], tuple[Problem, ...])
        except (Malformed, KeyError, TypeError):
            self.store.dropped += 1
            return None
        if entry is not None:  # where the site is now (the digest covers contents, not places)
            entry = replace(entry, src_dir=self.config.root / entry.rel_dir)
        return Loaded(entry, found)


def encode_loaded(loaded: Loaded) -> bytes:
    """A record as the store keeps it (the bodies stay in their files)."""
    return encode({"entry": loaded.entry, "problems": loaded.problems})


PARSE_BATCH = 64


def parse_folders(config: SiteConfig, work: Sequence[tuple[EntryKind, Path, str]],
                  workers: int = 1) -> Iterator[Loaded]:
    """Each folder parsed, in order; a big site's folders by `workers` forked processes."""
    if workers <= 1 or len(work) < PARSE_BATCH * 4 or "fork" not in multiprocessing.get_all_start_methods():
        yield from (parse_folder(config, *item) for item in work)
        return

    batches = [list(work[i:i + PARSE_BATCH]) for i in range(0, len(work), PARSE_BATCH)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=own_process, initargs=(os.getpid(),)) as pool:
        for done in pool.map(_parse_batch, [(config, batch) for batch in batches]):
            yield from pickle.loads(done)  # between our own processes, never from a file


def _parse_batch(job: tuple[SiteConfig, list[tuple[EntryKind, Path, str]]]) -> bytes:
    config, batch = job
    return pickle.dumps([parse_folder(config, *item) for item in batch], protocol=pickle.HIGHEST_PROTOCOL)


def parse_folder(config: SiteConfig, kind: EntryKind, folder: Path, folder_digest: str) -> Loaded:
    local = Problems()
    entry = load_entry(config, kind, folder, local, folder_digest)
    return Loaded(entry, tuple(local.items))


def value_key(derived_digest: str) -> str:
    """Where the store keeps a derived value (the same only with the same code and libraries)."""
    return digest("value", package_key(), derived_digest)


class CachedEvaluator(Evaluator):
    """Derived values marked `stored` (rendered bodies, search items, export rows, resized
    images: text or bytes) come from the store when an earlier build made them."""

    def __init__(self, store: Store):
        super().__init__()
        self.store = store
        self._fresh: dict[str, bytes] = {}
        self._fetched: dict[str, Any] = {}  # looked up ahead, each taken once
        self.hits = 0
        self.made: dict[str, int] = {}  # stored values made anew, by kind
        self.settings = package_key()  # a stored value is the same only with the same code and libraries

    def _key(self, item: Derived[Any]) -> str:
        return value_key(item.digest)

    def prefetch(self, items: Sequence[Derived[Any]]) -> None:
        """Look up many stored values in one query (a page of cards, an index of items)."""
        wanted = {self._key(item): item for item in items
                  if item.stored and item.digest not in self._known and item.digest not in self._fetched}
        if not wanted or not self.store.enabled:
            return
        for key, data in self.store.get_many("values_", wanted).items():
            self._fetched[wanted[key].digest] = _unpack(data)

    def compute(self, item: Derived[Any]) -> Any:
        if not item.stored:
            return super().compute(item)
        found = self._fetched.pop(item.digest, _NOT_FOUND)
        if found is not _NOT_FOUND:
            self.hits += 1
            return found
        data = self.store.get("values_", self._key(item)) if self.store.enabled else None
        if data is not None:
            self.hits += 1
            return _unpack(data)
        value = super().compute(item)
        self.made[item.kind] = self.made.get(item.kind, 0) + 1
        self._fresh[self._key(item)] = _pack(value)
        if len(self._fresh) >= 256:
            self.flush()
        return value

    def compute_many(self, items: Sequence[Derived[Any]], workers: int) -> None:
        """Make the stored values among `items` that the store lacks, in `workers` processes
        (resizing photos: seconds each), before they are asked for one by one."""
        self.prefetch(items)
        missing = list({item.digest: item for item in items
                        if item.stored and item.digest not in self._fetched and item.digest not in self._known}.values())
        if workers <= 1 or len(missing) < 2 or "fork" not in multiprocessing.get_all_start_methods():
            return  # each is made when asked for
    
        with ProcessPoolExecutor(max_workers=min(workers, len(missing)), mp_context=multiprocessing.get_context("fork"),
                                 initializer=own_process, initargs=(os.getpid(),)) as pool:
            for item, value in zip(missing, pool.map(_evaluate, missing)):
                self.made[item.kind] = self.made.get(item.kind, 0) + 1
                self._fresh[self._key(item)] = _pack(value)
                self._fetched[item.digest] = value
        self.flush()

    def flush(self) -> None:
        """Keep what was made since the last flush, in one transaction."""
        if self._fresh:
            self.store.put_many("values_", self._fresh)
            self._fresh = {}


_NOT_FOUND = object()


def _evaluate(item: Derived[Any]) -> Any:
    """In a worker process: a value and the values it is made of (inherited through fork)."""
    return Evaluator().value(item)


def _pack(value: Any) -> bytes:
    if isinstance(value, bytes):
        return b"b" + value
    if isinstance(value, str):
        return b"s" + value.encode("utf-8", "surrogatepass")
    raise TypeError(f"a stored value is text or bytes, not {type(value).__name__}")


def _unpack(data: bytes) -> Any:
    if data[:1] == b"b":
        return data[1:]
    return data[1:].decode("utf-8", "surrogatepass")


class MediaMeasures:
    """Image measurements of entry folders whose files did not change come from the store."""

    def __init__(self, store: Store, root: Path):
        self.store = store
        self.settings = digest(package_key(), root.resolve())

    def key(self, entry_digest: str) -> str:
        return digest("media", self.settings, entry_digest)

    def measure(self, entries: Sequence[Entry], problems: Problems) -> dict[tuple[str, str], EntryMedia]:
        with_images = [entry for entry in entries if _has_image_files(entry)]
        keys = {self.key(entry.digest): entry for entry in with_images}
        found = self.store.get_many("records", keys)
        result: dict[tuple[str, str], EntryMedia] = {}
        fresh: dict[str, bytes] = {}
        for key, entry in keys.items():
            measured: EntryMedia | None = None
            local: tuple[Problem, ...] = ()
            data = found.get(key)
            if data is not None:
                try:
                    raw = decode(data, dict[str, Any])
                    measured = from_plain(raw["media"], EntryMedia)
                    local = from_plain(raw["problems"], tuple[Problem, ...])
                except (Malformed, KeyError, TypeError):
                    self.store.dropped += 1
                    measured = None
            if measured is None:
                collected = Problems()
                measured = measure_entry(entry, collected)
                local = tuple(collected.items)
                fresh[key] = encode({"media": measured, "problems": local})
            problems.extend(local)
            result[(entry.kind, entry.slug)] = measured
        self.store.put_many("records", fresh)
        return result


def _has_image_files(entry: Entry) -> bool:
    try:
        return any(name.lower().endswith(IMAGE_SUFFIXES) for name in os.listdir(entry.src_dir))
    except OSError:
        return False
