"""Values described by what they are made of: a function and its arguments, with a digest.

A page's context, a card, a rendered body, a search item: each is `derive(function, *args)`,
and its digest is made from the function's name and the digests of its arguments, never from
a list written by hand. Every argument must carry a digest of its own (a record carries the
digest of its folder's files, the settings theirs, another derived value its own): an
argument that has none is refused at once, so a value cannot quietly depend on something its
key does not cover. The functions are pure; nothing is computed until a value is asked for,
and then by an evaluator (build/memo.py), which may answer from the build cache.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Generic, Mapping, TypeVar

T = TypeVar("T")


def digest(*parts: object) -> str:
    """A short, stable digest of text and bytes parts (each part delimited)."""
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        hasher.update(part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogatepass"))
        hasher.update(b"\x1f")
    return hasher.hexdigest()


class NotDigested(TypeError):
    """An argument whose content has no digest: the value would depend on more than its key says."""


def digest_of(value: object) -> str:
    """The digest of an argument: its own for digested values, else of its plain content."""
    own = getattr(value, "digest", None)
    if isinstance(own, str):
        return own
    if value is None or isinstance(value, (str, int, float, bool, Decimal, date, datetime)):
        return digest(type(value).__name__, value)
    if isinstance(value, bytes):
        return digest("bytes", value)
    if isinstance(value, (tuple, list, frozenset)):
        items = sorted(map(digest_of, value)) if isinstance(value, frozenset) else map(digest_of, value)
        return digest(type(value).__name__, *items)
    if isinstance(value, Mapping):
        return digest("map", *(f"{digest_of(k)}={digest_of(v)}" for k, v in sorted(value.items(), key=repr)))
    raise NotDigested(f"{type(value).__name__} has no digest: give it one, or pass what it is made of")


@dataclass(frozen=True, eq=False)
class Derived(Generic[T]):
    """`function(*args)`, not yet computed; `digest` stands for its value."""

    function: Callable[..., T]
    args: tuple[Any, ...]
    digest: str
    stored: bool = False  # dear to make and small to keep: the evaluator may keep it in the cache
    kind: str = field(default="")
    once: bool = False  # used by one page only: not kept in memory once made

    def __repr__(self) -> str:
        return f"Derived({self.kind}, {self.digest[:8]})"


def derive(function: Callable[..., T], *args: Any, stored: bool = False, once: bool = False) -> Derived[T]:
    """The value `function(*args)` as a description, keyed by what it is made of."""
    kind = f"{function.__module__}.{function.__qualname__}"
    return Derived(function, args, digest(kind, *map(digest_of, args)), stored, kind, once)


def derive_as(value_digest: str, function: Callable[..., T], *args: Any) -> Derived[T]:
    """`function(*args)` keyed by a digest of its value made beforehand (not of its arguments):
    where a value is a projection of a bigger one, its key then changes only when it does."""
    kind = f"{function.__module__}.{function.__qualname__}"
    return Derived(function, args, digest(kind, "value", value_digest), False, kind)


class Evaluator:
    """Computes derived values, each once per build (shared arguments are not made again)."""

    def __init__(self) -> None:
        self._known: dict[str, Any] = {}

    def value(self, item: Any) -> Any:
        if not isinstance(item, Derived):
            if isinstance(item, tuple) and any(isinstance(x, Derived) for x in item):
                return tuple(self.value(x) for x in item)
            return item
        found = self._known.get(item.digest, _MISSING)
        if found is _MISSING:
            found = self.compute(item)
            if not item.once:
                self._known[item.digest] = found
        return found

    def value_once(self, item: Derived[Any]) -> Any:
        """The value, not kept once made (a page's own data: no other page uses it)."""
        found = self._known.get(item.digest, _MISSING)
        return self.compute(item) if found is _MISSING else found

    def compute(self, item: Derived[Any]) -> Any:
        """What the value is; a cached evaluator first looks for it in its store."""
        return item.function(*(self.value(arg) for arg in item.args))

    def forget(self) -> None:
        """Drop the values kept so far (a process that renders one language after another)."""
        self._known.clear()


_MISSING = object()
