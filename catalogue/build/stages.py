"""The values a build passes from stage to stage, and what it reports."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Mapping

from catalogue.build.inputs import InputScan
from catalogue.config import SiteConfig
from catalogue.content.model import Site
from catalogue.problems import Problems
from catalogue.site.index import SiteIndex
from catalogue.site.locales import Catalogues, Language
from catalogue.site.media import EntryMedia
from catalogue.site.themes import Theme


@dataclass(frozen=True)
class LoadedSite:
    """Everything known before planning: what `check` validates and `build` renders."""

    config: SiteConfig
    site: Site
    index: SiteIndex
    media: Mapping[tuple[str, str], EntryMedia]
    languages: Mapping[str, Language]
    theme: Theme
    catalogues: Mapping[str, Catalogues]
    now: datetime


@dataclass
class BuildResult:
    problems: Problems
    pages: int = 0
    files: int = 0  # files written (the others were kept from the last build)
    images: int = 0
    encoded: int = 0  # images resized (the others came from the cache)
    rendered: int = 0  # pages rendered (the others were unchanged since the last build)
    up_to_date: bool = False  # nothing changed since the last build: nothing was done
    replanned: bool = False  # only what the changed entries are on was planned (replan.py)
    languages: int = 0
    seconds: float = 0.0
    out_dir: Path | None = None
    written: list[str] = field(default_factory=list)
    scan: InputScan | None = None  # what the build read, for a watcher's next build
    index_bytes: dict[str, int] = field(default_factory=dict)  # search index size per language
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    changed: list[str] = field(default_factory=list)  # the entry folders whose files changed

    @property
    def ok(self) -> bool:
        return not self.problems.has_errors()


class Clock:
    """Seconds spent in each stage, into `timings` (`build --timings` prints them)."""

    def __init__(self, timings: dict[str, float]):
        self.timings = timings
        self.last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self.last
        self.last = now
