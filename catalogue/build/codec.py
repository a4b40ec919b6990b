"""Plain data for the build cache: frozen dataclasses to JSON and back, nothing else.

The cache is a file anyone can replace (a pull request can add one), so what it holds is
read as data only: JSON, turned back into the types the caller names, field by field, from
their type hints. No class is looked up by a name found in the data, no code is run; data of
the wrong shape is an error (the caller treats it as a miss).
"""

from __future__ import annotations

import collections.abc
import dataclasses
import json
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

T = typing.TypeVar("T")


class Malformed(ValueError):
    """Data that is not of the expected shape."""


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    packed = getattr(value, "__plain__", None)
    if packed is not None:
        return packed()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # by position: short, quick to read
        return [_plain(getattr(value, name)) for name in _init_fields(type(value))]
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, frozenset):
        return sorted(_plain(item) for item in value)
    if isinstance(value, typing.Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    raise TypeError(f"cannot keep a {type(value).__name__} in the build cache")


@lru_cache(maxsize=None)
def _init_fields(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind) if f.init)


def encode(value: Any) -> bytes:
    return json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"), check_circular=False).encode("utf-8")


def decode(data: bytes, kind: Any) -> Any:
    """`data` (from encode) as a value of type `kind`; Malformed when it is not one."""
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Malformed(str(exc)) from None
    return from_plain(raw, kind)


def from_plain(raw: Any, kind: Any) -> Any:
    """Parsed JSON as a value of type `kind`; Malformed when it is not one."""
    try:
        return _decoder(kind)(raw)
    except Malformed:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError) as exc:
        raise Malformed(f"{type(exc).__name__}: {exc}") from None


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise Malformed(what)


@lru_cache(maxsize=None)
def _decoder(kind: Any) -> Callable[[Any], Any]:
    """A function turning plain JSON data into a value of type `kind` (made once per type)."""
    if kind is Any:
        return lambda raw: raw
    if kind in (str, bool):
        def scalar(raw: Any) -> Any:
            _expect(type(raw) is kind, f"not a {kind.__name__}")
            return raw
        return scalar
    if kind is int:
        def integer(raw: Any) -> int:
            _expect(type(raw) is int, "not a whole number")
            return typing.cast(int, raw)
        return integer
    if kind is float:
        return lambda raw: float(raw)
    if kind is Decimal:
        return lambda raw: Decimal(raw) if isinstance(raw, str) else _fail("not a number")
    if kind is datetime:
        return lambda raw: datetime.fromisoformat(raw)
    if kind is date:
        return lambda raw: date.fromisoformat(raw)
    if kind is Path:
        return lambda raw: Path(raw) if isinstance(raw, str) else _fail("not a path")
    if kind is bytes:
        return lambda raw: bytes.fromhex(raw)
    if kind is type(None):
        return lambda raw: None if raw is None else _fail("not null")
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        return _union_decoder(args)
    if origin is typing.Literal:
        allowed = set(args)
        return lambda raw: raw if raw in allowed else _fail(f"not one of {sorted(map(str, allowed))}")
    if origin in (tuple,):
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])
            return lambda raw: tuple(item(x) for x in _list(raw))
        items = [_decoder(a) for a in args]

        def fixed(raw: Any) -> tuple[Any, ...]:
            values = _list(raw)
            _expect(len(values) == len(items), "wrong length")
            return tuple(decode_item(x) for decode_item, x in zip(items, values))
        return fixed
    if origin in (list,):
        item = _decoder(args[0])
        return lambda raw: [item(x) for x in _list(raw)]
    if origin in (frozenset,):
        item = _decoder(args[0])
        return lambda raw: frozenset(item(x) for x in _list(raw))
    if origin in (dict, collections.abc.Mapping):
        key_of, value_of = _decoder(args[0]), _decoder(args[1])

        def mapping(raw: Any) -> dict[Any, Any]:
            _expect(isinstance(raw, dict), "not a mapping")
            return {key_of(k): value_of(v) for k, v in raw.items()}
        return mapping
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        unpack = getattr(kind, "__from_plain__", None)
        if unpack is not None:
            return typing.cast(Callable[[Any], Any], unpack)
        hints = typing.get_type_hints(kind)
        decoders = [_decoder(hints[name]) for name in _init_fields(kind)]
        count = len(decoders)

        def record(raw: Any) -> Any:
            _expect(type(raw) is list and len(raw) == count, f"not a {kind.__name__}")
            return kind(*[decode_field(item) for decode_field, item in zip(decoders, raw)])
        return record
    unpack = getattr(kind, "__from_plain__", None)
    if unpack is not None:
        return typing.cast(Callable[[Any], Any], unpack)
    raise TypeError(f"no plain form for {kind!r}")


def _union_decoder(options: tuple[Any, ...]) -> Callable[[Any], Any]:
    if type(None) in options:
        rest = tuple(o for o in options if o is not type(None))
        inner = _decoder(rest[0]) if len(rest) == 1 else _union_decoder(rest)
        return lambda raw: None if raw is None else inner(raw)
    if set(options) == {datetime, date}:  # an event's time: a date alone is a whole day
        return lambda raw: datetime.fromisoformat(raw) if "T" in raw else date.fromisoformat(raw)
    raise TypeError(f"no plain form for a union of {options}")


def _list(raw: Any) -> list[Any]:
    _expect(isinstance(raw, list), "not a list")
    return typing.cast(list[Any], raw)


def _fail(what: str) -> Any:
    raise Malformed(what)
