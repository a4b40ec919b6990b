"""What one build makes: the published site, the preview, or an offline bundle."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from catalogue.derive import digest, digest_of
from catalogue.site.urls import LinkStyle


@dataclass(frozen=True)
class BundleCover:
    """Facts an offline bundle's cover shows."""

    languages: tuple[str, ...]
    market_code: str | None
    dates: Mapping[str, str]  # language -> export date, formatted
    markets: Mapping[str, str]  # language -> the market's name
    pdfs: Mapping[str, str]  # language -> PDF file name
    product_count: int

    @property
    def digest(self) -> str:
        return digest("cover", *(digest_of(getattr(self, name)) for name in self.__dataclass_fields__))


@dataclass(frozen=True)
class Edition:
    languages: tuple[str, ...]
    link_style: LinkStyle = "pretty"
    web: bool = True  # sitemap, robots.txt and 404 pages: only where a web server serves them
    preview: bool = False
    bundle: BundleCover | None = None
    digest: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", digest("edition", *self.languages, self.link_style, self.web, self.preview,
                                                  digest_of(self.bundle)))
