"""The interpreter's cyclic garbage collector during a build.

A build loads a site that lives until the build ends: for a national catalogue, millions of
objects, none of them garbage. Left to itself the collector scans them all each time the heap
grows by a quarter (while loading: a second of a 10,000-product build, freeing nothing); in
the render processes its scans would write to, and so copy, the pages they share with the
main process; and the interpreter's last collection, at exit, scans them once more. A
rebuild reads the last build's state (100,000 objects, all kept) and makes a few pages: the
collector runs only while a full build renders, in a process that does not build again.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic collection within: for making objects that are all meant to last."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def collection_resumed() -> Iterator[None]:
    """Automatic collection within a paused stretch: for making many objects that do not last."""
    paused = not gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if paused:
            gc.disable()


def keep_alive_objects(collect: bool = False) -> None:
    """Every object alive now is left out of later collections (collected first if `collect`),
    until release_kept_objects()."""
    if collect:
        gc.collect()
    gc.freeze()


def release_kept_objects() -> None:
    """Kept objects are collected again: a process that goes on (the preview) frees what its
    last build held."""
    gc.unfreeze()
