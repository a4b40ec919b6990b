"""Problems are values: every stage adds to one collector, the CLI prints them together."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Literal

Severity = Literal["error", "warning"]


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _printable(text: str) -> str:
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as precisely as the source allows."""

    path: str  # relative to the site root, with forward slashes
    line: int | None
    field: str | None
    message: str
    severity: Severity = "error"

    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def format(self) -> str:
        """`path:line: field: message` on one line (a control character in a path, such as a
        folder name ending in a newline, is shown as an escape)."""
        where = _printable(self.location())
        prefix = "warning: " if self.severity == "warning" else ""
        what = f"{self.field}: {self.message}" if self.field else self.message
        return f"{where}: {prefix}{what}"

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.path, self.line or 0, self.field or "", self.message)


@dataclass
class Problems:
    """Collects problems across a whole run; never raises."""

    items: list[Problem] = field(default_factory=list)

    def error(self, path: str, line: int | None, field: str | None, message: str) -> None:
        self.items.append(Problem(path, line, field, message, "error"))

    def warning(self, path: str, line: int | None, field: str | None, message: str) -> None:
        self.items.append(Problem(path, line, field, message, "warning"))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return sorted((p for p in self.items if p.severity == "error"), key=Problem.sort_key)

    @property
    def warnings(self) -> list[Problem]:
        return sorted((p for p in self.items if p.severity == "warning"), key=Problem.sort_key)

    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.items)

    def sorted(self) -> list[Problem]:
        return sorted(set(self.items), key=Problem.sort_key)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.sorted())

    def __len__(self) -> int:
        return len(self.items)


class BuildFailed(Exception):
    """Raised by the pipeline when problems stop a build; carries them for the CLI."""

    def __init__(self, problems: Problems):
        super().__init__(f"{len(problems.errors)} problem(s)")
        self.problems = problems
