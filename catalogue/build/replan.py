"""What a rebuild takes from the last build's plan, so that it plans only what changed.

After each build the plan's state is kept in the store: the settings' digest, each entry's
digests (its files', its facts', its part of the index), the index itself, and for every
leaf of every output's derivation (a record, an entry's facts, its images) the outputs that
use it, found by walking the derivations: nothing listed by hand. Those lists are kept one
row per leaf: a rebuild reads the rows of the leaves that changed, not all of them. A rebuild whose settings,
date and set of entries are the same, and whose changed entries left their part of the index
as it was, is planned with the same functions and gets the same keys, for only the outputs
using a changed leaf; the others keep the keys the last build gave them. Records it does not
need stay in the store, unread.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

from catalogue.build.cache import Store
from catalogue.build.codec import Malformed, decode, encode, from_plain
from catalogue.content.model import Entry, Site
from catalogue.derive import Deferred, Derived
from catalogue.problems import Problem
from catalogue.site.index import SiteIndex
from catalogue.site.media import EntryMedia, ImageAsset
from catalogue.site.pages import BodyChoice


@dataclass(frozen=True)
class PlanState:
    settings: str  # of everything but the content: package, site.yaml, catalogues, templates, assets, edition
    entries: Mapping[str, tuple[str, str, str, str, str]]  # "kind/slug" -> digests: files, facts, index, images, data
    index: SiteIndex
    warnings: tuple[Problem, ...]  # what the content's check said, to be said again
    record_keys: Mapping[str, str]  # "kind/slug" -> its record's key in the store

    # Kept in two pieces: what changes at every build (the entries' digests, the warnings),
    # and the index, the same after a rebuild (written only by a build that planned everything).
    def encode_changing(self) -> bytes:
        changing = {"settings": self.settings, "entries": self.entries, "records": self.record_keys,
                    "warnings": [[p.path, p.line, p.field, p.message, p.severity] for p in self.warnings]}
        return json.dumps(changing, separators=(",", ":")).encode("utf-8")

    def encode_index(self) -> bytes:
        return encode(self.index)

    @staticmethod
    def warnings_in(data: bytes | None) -> "tuple[Problem, ...] | None":
        """The warnings kept with a plan state (its changing piece), None where unreadable."""
        if data is None:
            return None
        try:
            return _problems(decode(data, dict[str, Any])["warnings"])
        except (Malformed, TypeError, KeyError):
            return None

    @classmethod
    def decode(cls, data: bytes | None, index: bytes | None) -> "PlanState | None":
        if data is None or index is None:
            return None
        try:
            changing = decode(data, dict[str, Any])
            return PlanState(from_plain(changing["settings"], str),
                             from_plain(changing["entries"], dict[str, tuple[str, str, str, str, str]]),
                             decode(index, SiteIndex),
                             _problems(changing["warnings"]),
                             from_plain(changing["records"], dict[str, str]))
        except (Malformed, TypeError, KeyError):
            return None


LEAF_KINDS = ("record", "facts", "data", "media")


def uses_rows(prefix: str, uses: Mapping[str, tuple[str, ...]], entries: Iterable[str]) -> dict[str, bytes]:
    """The outputs using each leaf, one row per leaf, keyed `prefix` + leaf; every leaf of
    every entry has its row, empty if nothing uses it, so that a row missing is damage."""
    rows = {f"{prefix}{kind}:{ident}": b"[]" for ident in entries for kind in LEAF_KINDS}
    rows.update((prefix + leaf, json.dumps(paths, separators=(",", ":")).encode("utf-8")) for leaf, paths in uses.items())
    return rows


def users_of(store: Store, prefix: str, leaves: Iterable[str]) -> set[str] | None:
    """The outputs using any of `leaves`, from their rows; None where a row is missing or
    damaged (the store drops a row whose seal fails): then everything is planned."""
    keys = [prefix + leaf for leaf in leaves]
    found = store.get_many("outputs", keys)
    if len(found) != len(keys):
        return None
    wanted: set[str] = set()
    for data in found.values():
        try:
            wanted.update(decode(data, list[str]))
        except Malformed:
            return None
    return wanted


# A plan state's warnings (thousands on a big site), read by hand with the codec's checks:
# the codec reads a dataclass field by field. The wrong shape is Malformed.

def _problems(raw: Any) -> tuple[Problem, ...]:
    if type(raw) is not list:
        raise Malformed("not a list of problems")
    found = []
    for row in raw:
        if type(row) is not list or len(row) != 5:
            raise Malformed("a problem is [path, line, field, message, severity]")
        path, line, field, message, severity = row
        if type(path) is not str or type(message) is not str or severity not in ("error", "warning") \
                or not (line is None or type(line) is int) or not (field is None or type(field) is str):
            raise Malformed(f"not a problem: {row!r}"[:200])
        found.append(Problem(path, line, field, message, severity))
    return tuple(found)


def entry_id(entry: Any) -> str:
    return f"{entry.kind}/{entry.slug}"


def _owner_of_asset(asset: ImageAsset) -> str:
    parts = asset.rel_path.split("/")  # content/products/<slug>/<file>
    kind = {"products": "product", "producers": "producer", "events": "event"}.get(parts[1], parts[1])
    return f"{kind}/{parts[2]}"


class Leaves:
    """The leaves of derivations (what their value can change with), each node walked once."""

    def __init__(self) -> None:
        self._known: dict[int, frozenset[str]] = {}
        self._hold: list[Any] = []  # the nodes whose ids are remembered stay alive

    def of(self, item: Any) -> frozenset[str]:
        key = id(item)
        found = self._known.get(key)
        if found is not None:
            return found
        leaves: set[str] = set()
        if isinstance(item, Derived):
            if item.kind == "catalogue.content.facts.facts_of":
                leaves.add("facts:" + entry_id(item.args[0]))  # the facts alone, not the whole record
            elif item.kind == "catalogue.content.facts.product_data":
                leaves.add("data:" + entry_id(item.args[0]))
            else:
                self._union(leaves, item.args)
        elif isinstance(item, tuple):
            self._union(leaves, item)
        elif isinstance(item, (Entry, CachedEntry)):
            leaves.add("record:" + entry_id(item))
        elif isinstance(item, BodyChoice):
            leaves.add("record:" + entry_id(item.entry))
        elif isinstance(item, (EntryMedia, CachedMedia)):
            if item.owner:
                leaves.add("media:" + item.owner)
        elif isinstance(item, ImageAsset):
            leaves.add("media:" + _owner_of_asset(item))
        made = self._known[key] = frozenset(leaves)
        self._hold.append(item)
        return made

    def _union(self, leaves: set[str], parts: Iterable[Any]) -> None:
        """The parts' leaves into `leaves`; a part walked before is looked up here, not called
        (most are: a product's record is part of every language's page, card and index)."""
        known = self._known
        for part in parts:
            found = known.get(id(part))
            leaves |= found if found is not None else self.of(part)


def dependents(outputs: Iterable[tuple[str, Any]]) -> dict[str, tuple[str, ...]]:
    """leaf -> out_paths, for (out_path, derivation) pairs."""
    walker = Leaves()
    found: dict[str, list[str]] = {}
    for out_path, derivation in outputs:
        for leaf in walker.of(derivation):
            found.setdefault(leaf, []).append(out_path)
    return {leaf: tuple(paths) for leaf, paths in sorted(found.items())}


class RecordMissing(Exception):
    """A record the last build kept is gone from the store (or damaged): plan everything."""


def stored_values(derivations: Iterable[Any]) -> set[str]:
    """The digests of the stored derived values these derivations are made of."""
    found: set[str] = set()
    seen: set[int] = set()
    todo = list(derivations)
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Derived):
            if item.stored:
                found.add(item.digest)
            todo.extend(item.args)
        elif isinstance(item, tuple):
            todo.extend(item)
    return found


class RecordSource:
    """Records from the store, read on demand, with a connection of each process's own."""

    def __init__(self, store: Store, decode_record: Any):
        self.store = store
        self.pid = os.getpid()
        self.decode_record = decode_record
        self.read = 0

    def load(self, kind: str, key: str) -> Any:
        if os.getpid() != self.pid:  # a forked worker: SQLite connections do not survive a fork
            self.store = self.store.reopen()
            self.pid = os.getpid()
        data = self.store.get("records", key)
        entry = self.decode_record(kind, data) if data is not None else None
        if entry is None:
            raise RecordMissing(f"{kind} record {key}")
        self.read += 1
        return entry


class CachedEntry(Deferred):
    """A record of the last build, known by its digests, read from the store when needed."""

    __slots__ = ("kind", "slug", "digest", "facts_digest", "index_digest", "data_digest", "_key", "_source", "_entry")

    def __init__(self, kind: str, slug: str, digests: tuple[str, str, str, str, str], key: str, source: RecordSource):
        self.kind, self.slug = kind, slug
        self.digest, self.facts_digest, self.index_digest, _, self.data_digest = digests
        self._key = key
        self._source = source
        self._entry: Entry | None = None

    def resolve(self) -> Entry:
        if self._entry is None:
            self._entry = self._source.load(self.kind, self._key)
        return self._entry

    def __getattr__(self, name: str) -> Any:
        return getattr(self.resolve(), name)


class CachedMedia(Deferred):
    """An entry's measured images from the store, read when needed."""

    __slots__ = ("digest", "owner", "_load", "_media")

    def __init__(self, digest: str, owner: str, load: Any):
        self.digest, self.owner = digest, owner
        self._load = load
        self._media: EntryMedia | None = None

    def resolve(self) -> EntryMedia:
        if self._media is None:
            self._media = self._load()
        return self._media

    def __getattr__(self, name: str) -> Any:
        return getattr(self.resolve(), name)


class LastMedia(Mapping[tuple[str, str], Any]):
    """The entries' measured images for a rebuild: the changed entries' as measured now, the
    others' as the last build measured them, each made (and read from the store) only when
    a page asks for it. `loader(ident, files digest)`: how to read one."""

    def __init__(self, entries: Mapping[str, tuple[str, str, str, str, str]], fresh: Mapping[str, Entry],
                 now: Mapping[tuple[str, str], EntryMedia], loader: Any):
        self._entries, self._fresh, self._now, self._loader = entries, fresh, now, loader
        self._made: dict[tuple[str, str], Any] = {}

    def __getitem__(self, key: tuple[str, str]) -> Any:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def get(self, key: tuple[str, str], default: Any = None) -> Any:
        """Without an exception for each entry that has no images (most, asked at each rebuild)."""
        found = self._made.get(key)
        if found is not None:
            return found
        ident = f"{key[0]}/{key[1]}"
        if ident in self._fresh:
            return self._now.get(key, default)
        digests = self._entries.get(ident)
        if digests is None or digests[3] == "none":  # no images, as the last build measured
            return default
        made = self._made[key] = CachedMedia(digests[3], ident, self._loader(ident, digests[0]))
        return made

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for ident, digests in self._entries.items():
            kind, slug = ident.split("/", 1)
            if (ident in self._fresh and (kind, slug) in self._now) or (ident not in self._fresh and digests[3] != "none"):
                yield kind, slug

    def __len__(self) -> int:
        return sum(1 for _ in self)


def lazy_site(state: PlanState, fresh: Mapping[str, Entry], source: RecordSource) -> Site:
    """The site as the last build knew it, the changed entries as they are now."""
    tables: dict[str, dict[str, Any]] = {"product": {}, "producer": {}, "event": {}}
    index = state.index
    for kind, slugs in (("product", index.products), ("producer", index.producers), ("event", index.events)):
        for slug in slugs:
            ident = f"{kind}/{slug}"
            tables[kind][slug] = fresh.get(ident) or CachedEntry(kind, slug, state.entries[ident],
                                                                 state.record_keys[ident], source)
    return Site(tables["product"], tables["producer"], tables["event"], index.products_by_producer,
                index.events_by_product, index.events_by_producer)


def decode_media(data: bytes) -> EntryMedia | None:
    try:
        raw = decode(data, dict[str, Any])
        return from_plain(raw["media"], EntryMedia)
    except (Malformed, KeyError, TypeError):
        return None
