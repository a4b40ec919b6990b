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
from itertools import chain
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


# Items whose JSON form is the value itself, or one C function away from it: a container of
# them is checked in one pass over its items' types, not a call per item (a 10,000-product
# site's index holds 100,000 of them).
_SAME: dict[Any, frozenset[type]] = {str: frozenset({str}), int: frozenset({int}), bool: frozenset({bool})}
_CONVERTED: dict[Any, Callable[[Any], Any]] = {date: date.fromisoformat, datetime: datetime.fromisoformat}


def _same_types(kind: Any) -> frozenset[type] | None:
    """The types a value of `kind` may have in parsed JSON where it is kept as itself."""
    if kind in _SAME:
        return _SAME[kind]
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        parts = [_same_types(option) for option in typing.get_args(kind) if option is not type(None)]
        if type(None) in typing.get_args(kind) and len(parts) == 1 and parts[0] is not None:
            return parts[0] | {type(None)}
    return None


def _same_rows(kind: Any) -> tuple[int, frozenset[type]] | None:
    """(width, item types) of a fixed tuple whose items are all of one kind kept as itself."""
    args = typing.get_args(kind)
    if typing.get_origin(kind) is tuple and args and Ellipsis not in args and len(set(args)) == 1:
        same = _same_types(args[0])
        return (len(args), same) if same is not None else None
    return None


def _items(raw: Any, same: frozenset[type] | None, convert: Callable[[Any], Any] | None,
           item: Callable[[Any], Any], rows: tuple[int, frozenset[type]] | None = None) -> Any:
    """The items of a parsed JSON list as values: as they are, converted, rows of equal
    items checked a column at a time, or one by one."""
    if same is not None:
        _expect(type(raw) is list and set(map(type, raw)) <= same, "not a list of the right kind")
        return raw
    if rows is not None:
        width, kinds = rows
        _expect(type(raw) is list and set(map(type, raw)) <= {list} and set(map(len, raw)) <= {width}
                and set(map(type, chain.from_iterable(raw))) <= kinds, f"not rows of {width}")
        return map(tuple, raw)
    if convert is not None:
        return map(convert, _list(raw))
    return map(item, _list(raw))


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
    if origin in (tuple, list, frozenset) and (origin is not tuple or (len(args) == 2 and args[1] is Ellipsis)):
        item, same, convert = _decoder(args[0]), _same_types(args[0]), _CONVERTED.get(args[0])
        return lambda raw: origin(_items(raw, same, convert, item))
    if origin in (tuple,):
        items = [_decoder(a) for a in args]

        def fixed(raw: Any) -> tuple[Any, ...]:
            values = _list(raw)
            _expect(len(values) == len(items), "wrong length")
            return tuple(decode_item(x) for decode_item, x in zip(items, values))
        return fixed
    if origin in (dict, collections.abc.Mapping):
        key_of, value_of = _decoder(args[0]), _decoder(args[1])
        same, convert, rows = _same_types(args[1]), _CONVERTED.get(args[1]), _same_rows(args[1])

        def mapping(raw: Any) -> dict[Any, Any]:
            _expect(isinstance(raw, dict), "not a mapping")
            if args[0] is not str:
                return {key_of(k): value_of(v) for k, v in raw.items()}
            _expect(set(map(type, raw)) <= _SAME[str], "not a mapping of texts")
            return dict(zip(raw, _items(list(raw.values()), same, convert, value_of, rows)))
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
