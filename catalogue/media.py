"""Images of entries: checked with Pillow, measured, and planned into the output."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from PIL import Image, UnidentifiedImageError

from catalogue import urls
from catalogue.load import IMAGE_SUFFIXES, KIND_FOLDERS
from catalogue.model import Site
from catalogue.problems import Problems

MAX_PIXELS = 40_000_000  # larger images are a mistake (a raw camera file), not a catalogue photo


@dataclass(frozen=True)
class ImageAsset:
    src_path: Path
    out_path: str  # inside the output folder
    width: int
    height: int


@dataclass(frozen=True)
class MediaIndex:
    """Every image file of every entry folder, by (entry rel_dir, file name)."""

    images: Mapping[tuple[str, str], ImageAsset]

    def get(self, rel_dir: str, name: str) -> ImageAsset | None:
        return self.images.get((rel_dir, name))


def collect_media(site: Site, problems: Problems) -> MediaIndex:
    images: dict[tuple[str, str], ImageAsset] = {}
    for entries in (site.products, site.producers, site.events):
        for entry in entries.values():
            folder = KIND_FOLDERS[entry.kind]
            for path in sorted(entry.src_dir.iterdir()):
                if path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
                    continue
                rel = f"{entry.rel_dir}/{path.name}"
                size = probe(path, rel, problems)
                if size is not None:
                    images[(entry.rel_dir, path.name)] = ImageAsset(
                        path, urls.media(folder, entry.slug, path.name), *size)
    return MediaIndex(images)


def probe(path: Path, rel: str, problems: Problems) -> tuple[int, int] | None:
    """Width and height, or a problem naming the file when Pillow cannot read it."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                problems.error(rel, None, None, f"image is {width}×{height} pixels; resize it below "
                                                f"{MAX_PIXELS // 1_000_000} megapixels")
                return None
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        problems.error(rel, None, None, f"cannot read image: {exc.__class__.__name__}: "
                                        f"{str(exc) or 'the file is damaged or not an image'}")
        return None
    return width, height
