"""Forked processes of the build: what one does first, whichever stage forked it, and a
map split in two between this process and a forked one."""

from __future__ import annotations

import marshal
import os
import signal
import sys
import threading
from typing import Any, Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")


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


PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent ends


def die_with_parent(parent: int) -> None:
    """In a forked process, first: end when the process that forked it (`parent`, its pid)
    ends, however it ends. A build killed with SIGKILL otherwise left its helpers running,
    some blocked for ever on a pipe nobody reads, holding the output's lock (shared with them
    through the fork): every later build was told another one was writing. Linux only; where
    the call is missing, a helper ends once it finds its work or its pipe gone."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # it ended before the call above: no signal will come
        os._exit(1)


def own_process(parent: int) -> None:
    """What every forked process of the build does first (see the two functions it calls)."""
    die_with_parent(parent)
    own_std_streams()


def in_two(function: Callable[[T], R], items: Sequence[T], least: int = 2000) -> list[R]:
    """[function(item) for item in items], the second half in a forked process: a scan of a
    big site is mostly system calls (a stat per file), and a second core halves them.

    Results pass through a pipe with marshal (plain values only). Where a process cannot be
    forked, the process has other threads (one of them may hold a lock the child would
    need), the child fails or what it sends does not read back, this process does that half
    itself: the result is the same list whichever way it was made."""
    half = len(items) // 2
    if len(items) < least or not hasattr(os, "fork") or threading.active_count() > 1:
        return [function(item) for item in items]
    try:
        reading, writing = os.pipe()
    except OSError:
        return [function(item) for item in items]
    parent = os.getpid()
    try:
        child = os.fork()
    except OSError:
        os.close(reading)
        os.close(writing)
        return [function(item) for item in items]
    if child == 0:  # the child: compute, send, leave without running this process's exit handlers
        status = 1
        try:
            die_with_parent(parent)
            os.close(reading)
            data = marshal.dumps([function(item) for item in items[half:]])
            view = memoryview(data)
            while view:
                view = view[os.write(writing, view):]
            status = 0
        finally:
            os._exit(status)
    os.close(writing)
    data = b""
    try:
        with os.fdopen(reading, "rb") as pipe:
            first = [function(item) for item in items[:half]]
            data = pipe.read()
    except BaseException:
        os.kill(child, signal.SIGKILL)  # it would wait for a reader forever
        raise
    finally:
        _, status = os.waitpid(child, 0)
    second: Any = None
    if os.waitstatus_to_exitcode(status) == 0:
        try:
            second = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            second = None
    if type(second) is not list or len(second) != len(items) - half:
        second = [function(item) for item in items[half:]]
    return first + second
