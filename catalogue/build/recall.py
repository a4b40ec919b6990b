"""What a process that builds again and again (the preview) keeps in memory between builds.

Nothing here changes what a build makes: each thing kept is either keyed by a digest of what
it is made of (store rows, the templates compiled for one set of settings) or handed back
only for inputs equal to those it was made from. A build without it (the command line) does
the same work from the store and the files.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from catalogue.build.cache import RowMemory

T = TypeVar("T")


class Recall:
    def __init__(self, keep: bool = True) -> None:
        self.rows = RowMemory()
        self.keep = keep
        self._last: dict[str, tuple[Any, Any]] = {}

    @staticmethod
    def none() -> "Recall":
        """For a build that is the process's only one: keeps nothing."""
        return Recall(keep=False)

    def same(self, name: str, inputs: Any, make: Callable[[], T]) -> T:
        """`make()`, or what it made last time for `inputs` equal to these (bytes compare
        whole: the plan state read back, the templates of the same settings)."""
        last = self._last.get(name)
        if last is not None and last[0] == inputs:
            return last[1]
        value = make()
        self.remember(name, inputs, value)
        return value

    def remember(self, name: str, inputs: Any, value: Any) -> None:
        """`value` is what `inputs` make (the next build may read the same bytes back)."""
        if self.keep:
            self._last[name] = (inputs, value)
