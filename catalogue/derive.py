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

import abc
import hashlib
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Generic, Mapping, TypeVar

T = TypeVar("T")


def digest(*parts: object) -> str:
    """A short, stable digest of text parts, each delimited (bytes: digest_bytes)."""
    joined = "\x1f".join([part if type(part) is str else _text(part) for part in parts])
    return hashlib.blake2b(joined.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def digest_bytes(label: str, data: bytes) -> str:
    """A short, stable digest of a file's or a value's bytes."""
    hasher = hashlib.blake2b(label.encode("utf-8") + b"\x1f", digest_size=16)
    hasher.update(data)
    return hasher.hexdigest()


def _text(part: object) -> str:
    if isinstance(part, (bytes, bytearray, memoryview)):
        raise TypeError("digest() takes text: use digest_bytes() for bytes")
    return str(part)


class NotDigested(TypeError):
    """An argument whose content has no digest: the value would depend on more than its key says."""


_SCALARS = (str, int, float, bool, Decimal, date, datetime)


def digest_of(value: object) -> str:
    """What stands for an argument in a key: its own digest for digested values, else its
    plain content (a scalar as a tagged text, a collection as the digest of its items')."""
    own = getattr(value, "digest", None)
    if type(own) is str:
        return own
    kind = type(value)
    if isinstance(value, str):
        if kind is str and len(value) < 200 and "\x1f" not in value:
            return "s:" + value
        return digest("s", kind.__name__, value)
    if value is None:
        return "none"
    if kind in _SCALARS or isinstance(value, _SCALARS):
        return f"{kind.__name__}:{value}"
    if kind is bytes:
        return digest_bytes("bytes", value)  # type: ignore[arg-type]
    if kind is tuple or kind is list:
        return digest(kind.__name__, *[digest_of(item) for item in value])  # type: ignore[attr-defined]
    if kind is frozenset:
        return digest("frozenset", *sorted(digest_of(item) for item in value))  # type: ignore[attr-defined]
    if isinstance(value, Mapping):
        return digest("map", *(f"{digest_of(k)}={digest_of(v)}" for k, v in sorted(value.items(), key=repr)))
    raise NotDigested(f"{kind.__name__} has no digest: give it one, or pass what it is made of")


class Deferred(abc.ABC):
    """An argument that stands for a value read when a function needs it (a record kept in
    the build cache): its `digest` is known at once, the value is made by resolve()."""

    __slots__ = ()

    @abc.abstractmethod
    def resolve(self) -> Any:
        """The value it stands for."""


class Derived(Generic[T]):
    """`function(*args)`, not yet computed; `digest` stands for its value."""

    __slots__ = ("function", "args", "digest", "stored", "kind", "once")

    def __init__(self, function: Callable[..., T], args: tuple[Any, ...], digest: str, stored: bool = False,
                 kind: str = "", once: bool = False):
        self.function = function
        self.args = args
        self.digest = digest
        self.stored = stored  # dear to make and small to keep: the evaluator may keep it in the cache
        self.kind = kind
        self.once = once  # used by one page only: not kept in memory once made

    def __repr__(self) -> str:
        return f"Derived({self.kind}, {self.digest[:8]})"


_KINDS: dict[Callable[..., Any], str] = {}


def _kind(function: Callable[..., Any]) -> str:
    found = _KINDS.get(function)
    if found is None:
        found = _KINDS[function] = f"{function.__module__}.{function.__qualname__}"
    return found


def derive(function: Callable[..., T], *args: Any, stored: bool = False, once: bool = False) -> Derived[T]:
    """The value `function(*args)` as a description, keyed by what it is made of."""
    kind = _kind(function)
    return Derived(function, args, digest(kind, *map(digest_of, args)), stored, kind, once)


def derive_as(value_digest: str, function: Callable[..., T], *args: Any) -> Derived[T]:
    """`function(*args)` keyed by a digest of its value made beforehand (not of its arguments):
    where a value is a projection of a bigger one, its key then changes only when it does."""
    kind = _kind(function)
    return Derived(function, args, digest(kind, "value", value_digest), False, kind)


class Evaluator:
    """Computes derived values, each once per build (shared arguments are not made again)."""

    def __init__(self) -> None:
        self._known: dict[str, Any] = {}

    def value(self, item: Any) -> Any:
        if not isinstance(item, Derived):
            if isinstance(item, Deferred):
                return item.resolve()
            if isinstance(item, tuple) and any(isinstance(x, (Derived, Deferred)) for x in item):
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

    def prefetch(self, items: Any) -> None:
        """Look up stored values ahead, where there is a store (see build/memo.py)."""

    def flush(self) -> None:
        """Keep the stored values made so far, where there is a store."""


_MISSING = object()
