"""Loading entry folders through the build cache: a folder whose files did not change is not
parsed again; its records, problems and image measurements come from the cache."""

from __future__ import annotations

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from catalogue.build.cache import PACKAGE_KEY, BuildCache, digest
from catalogue.config import SiteConfig
from catalogue.build.inputs import FolderStamp, InputScan, stamp_folder
from catalogue.content.load import IMAGE_SUFFIXES, load_entry
from catalogue.site.media import entry_images
from catalogue.content.model import EntryKind
from catalogue.build.parallel import own_std_streams
from catalogue.problems import Problems


class CachedLoading:
    """Entry folders whose files did not change are not parsed again: their records, problems
    and image measurements come from the cache."""

    def __init__(self, cache: BuildCache, config: SiteConfig, scan: InputScan | None = None,
                 workers: int = 1):
        self.cache = cache
        self.workers = workers
        self._measured: dict[str, Any] = {}
        self._fetched: dict[str, Any] = {}
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
        if not self.cache.enabled:
            return load_all(config, work, problems, self.workers)
        keys = [self.record_key(kind, folder.name, self.stamp(kind, folder)) for kind, folder in work]
        hits = self.cache.get_many("records", keys)
        missing = [index for index, key in enumerate(keys) if key not in hits]
        parsed: dict[int, bytes] = {}
        made: dict[int, Any] = {}
        # records are unpickled as they come, while the parsing processes go on
        for index, data in zip(missing, parsed_folders(config, [work[index] for index in missing], self.workers)):
            parsed[index] = data
            made[index] = pickle.loads(data)
        results = []
        for index, key in enumerate(keys):
            entry, found = hits[key] if key in hits else made[index]
            problems.extend(found)
            results.append(entry)
        self.cache.put_pickled("records", {keys[index]: data for index, data in parsed.items()})
        return results

    def _measurement_key(self, entry: Any) -> str | None:
        """Image measurements depend on the folder's other files, not on its texts; None for
        a folder without an image file, which needs none."""
        stamp = self.stamp(entry.kind, entry.src_dir)
        names = stamp.others.lower()
        if not any(suffix in names for suffix in IMAGE_SUFFIXES):
            return None
        return digest(self.config_key, "images", entry.rel_dir, stamp.others)

    def fetch_measurements(self, entries: Iterable[Any]) -> None:
        """The cached measurements of these entries' folders, in one query (not one a folder)."""
        self._fetched = self.cache.get_many("records", filter(None, map(self._measurement_key, entries)))

    def probe_folder(self, entry: Any, problems: Problems) -> dict[str, Any]:
        key = self._measurement_key(entry)
        if key is None:
            return {}
        hit = self._fetched.get(key) or self.cache.get("records", key)
        if hit is None:
            local = Problems()
            hit = self._measured[key] = (entry_images(entry, local), local.items)
        problems.extend(hit[1])
        return dict(hit[0])

    def save_measurements(self) -> None:
        """Keep the image measurements made by probe_folder (one transaction for them all)."""
        self.cache.put_many("records", self._measured)
        self._measured = {}


def load_all(config: SiteConfig, work: list[tuple[EntryKind, Path]], problems: Problems,
             workers: int = 1) -> list[Any]:
    """Every folder's entry (None where it failed), its problems added to `problems`."""
    results = []
    for data in parsed_folders(config, work, workers):
        entry, found = pickle.loads(data)
        problems.extend(found)
        results.append(entry)
    return results


PARSE_BATCH = 64
_config: SiteConfig | None = None  # set in each parsing process, and only there


def parsed_folders(config: SiteConfig, work: Sequence[tuple[EntryKind, Path]], workers: int = 1) -> Iterator[bytes]:
    """Each folder's (entry, problems), pickled as the cache keeps them, as soon as it is
    parsed, in order; a big site's folders are parsed by `workers` forked processes."""
    if workers <= 1 or len(work) < PARSE_BATCH * 4 or "fork" not in multiprocessing.get_all_start_methods():
        yield from (_parse(config, kind, folder) for kind, folder in work)
        return
    batches = [work[i:i + PARSE_BATCH] for i in range(0, len(work), PARSE_BATCH)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=_start_parsing, initargs=(config,)) as pool:
        for done in pool.map(_parse_batch, batches):
            yield from done


def _start_parsing(config: SiteConfig) -> None:
    global _config
    own_std_streams()
    _config = config


def _parse_batch(batch: Sequence[tuple[EntryKind, Path]]) -> list[bytes]:
    assert _config is not None
    return [_parse(_config, kind, folder) for kind, folder in batch]


def _parse(config: SiteConfig, kind: EntryKind, folder: Path) -> bytes:
    return pickle.dumps(load_checked(config, kind, folder), protocol=pickle.HIGHEST_PROTOCOL)


def load_checked(config: SiteConfig, kind: EntryKind, folder: Path) -> tuple[Any, list[Any]]:
    """One entry folder's records and their problems."""
    local = Problems()
    entry = load_entry(config, kind, folder, local)
    return entry, local.items
