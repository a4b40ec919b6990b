"""What a forked process of the build does first, whichever stage forked it."""

from __future__ import annotations

import sys
from typing import Any


def own_std_streams() -> None:
    """In a forked worker process, before it writes anything: stdout and stderr of its own.

    The preview server builds in one thread while others log requests to stderr; a process
    forked at that moment inherits the streams' lock as taken, and the flush at its exit
    would wait for it forever. New stream objects over the same descriptors have free locks.
    """
    for name, descriptor in (("stdout", 1), ("stderr", 2)):
        stream = getattr(sys, name)
        if stream is None:
            continue
        fresh: Any
        try:
            descriptor = stream.fileno()
        except (OSError, ValueError, AttributeError):  # not a file: the process's own number
            pass
        try:
            fresh = open(descriptor, "w", buffering=1, closefd=False,
                         encoding=getattr(stream, "encoding", None) or "utf-8",
                         errors=getattr(stream, "errors", None) or "backslashreplace")
        except (OSError, ValueError):  # no such descriptor: nothing to flush at exit either
            fresh = None
        setattr(sys, name, fresh)
