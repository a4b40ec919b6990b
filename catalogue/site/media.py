"""Images of entries: checked and measured when the site is loaded, resized when it is written.

Every image becomes a few widths in WebP plus the same widths in its own format (JPEG or PNG)
for browsers without WebP; EXIF orientation is applied and all metadata (GPS, camera) is
dropped. Encoding is a derived value of the source's content, which the build cache keeps,
so an unchanged photo is never encoded twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Iterator, Mapping

from catalogue.content.load import IMAGE_SUFFIXES, KIND_FOLDERS
from catalogue.content.files import Refusal, check_file, read_input
from catalogue.content.model import Entry
from catalogue.derive import digest
from catalogue.problems import Problems

if TYPE_CHECKING:
    from PIL import Image

# Pillow is imported where an image is opened, not with this module: a rebuild after a text
# edit opens none, and importing Pillow was a tenth of such a build's start.

MAX_PIXELS = 40_000_000  # larger is a raw camera file, not a catalogue photo
WIDTHS = (320, 640, 1280)
QUALITY = {"webp": 80, "jpg": 82}
PIPELINE_VERSION = "1"  # bump when encoding changes, so caches are not reused
EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class Variant:
    width: int
    height: int
    out_path: str
    mime: str

    @property
    def extension(self) -> str:
        return PurePosixPath(self.out_path).suffix.lstrip(".")

    @property
    def digest(self) -> str:
        return digest("variant", self.out_path, self.width, self.height, self.mime)


@dataclass(frozen=True)
class ImageAsset:
    src_path: Path
    rel_path: str  # relative to the site, for messages
    digest: str  # sha256 of the source bytes
    width: int  # after EXIF orientation
    height: int
    has_alpha: bool
    variants: tuple[Variant, ...]

    @property
    def largest(self) -> Variant:
        return max((v for v in self.variants if v.mime != "image/webp"), key=lambda v: v.width)

    def of(self, mime: str) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if v.mime == mime)

    @property
    def fallback_mime(self) -> str:
        return "image/png" if self.has_alpha else "image/jpeg"


@dataclass(frozen=True)
class EntryMedia:
    """The images of one entry folder, measured; its digest is made of them (media_digest)."""

    images: Mapping[str, ImageAsset]
    unreadable: frozenset[str]  # image files whose problems were reported
    digest: str
    owner: str = ""  # "kind/slug" of its entry

    def get(self, name: str) -> ImageAsset | None:
        return self.images.get(name)

    def named(self) -> list[tuple[str, ImageAsset]]:
        return sorted(self.images.items())

    @property
    def has_images(self) -> bool:
        return bool(self.images)

    @property
    def out_paths(self) -> list[str]:
        return [variant.out_path for asset in self.images.values() for variant in asset.variants]


def measure_entry(entry: Entry, problems: Problems) -> EntryMedia:
    """Every image file of one entry's folder, measured (and its problems reported)."""
    found = entry_images(entry, problems)
    images = {name: asset for name, asset in found.items() if asset is not None}
    unreadable = frozenset(name for name, asset in found.items() if asset is None)
    owner = f"{entry.kind}/{entry.slug}"
    return EntryMedia(images, unreadable, media_digest(owner, images, unreadable), owner)


def media_digest(owner: str, images: Mapping[str, ImageAsset], unreadable: frozenset[str]) -> str:
    """What the entry's images are made of: each file's name and content digest, sizes and
    kind (so a text edited beside them leaves it as it was), and whose they are."""
    return digest("media", PIPELINE_VERSION, owner, *sorted(unreadable),
                  *(f"{name}:{asset.digest}:{asset.width}x{asset.height}:{asset.has_alpha}:"
                    f"{'|'.join(v.out_path for v in asset.variants)}" for name, asset in sorted(images.items())))


def entry_images(entry: Entry, problems: Problems) -> dict[str, ImageAsset | None]:
    """Every image file of one entry's folder, measured (None: its problem was reported)."""
    found: dict[str, ImageAsset | None] = {}
    folder = KIND_FOLDERS[entry.kind]
    for path in sorted(entry.src_dir.iterdir()):
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        if check_file(path, entry.src_dir, "image") is not None:
            continue  # a link out of the folder, a folder named x.jpg: reported if used, never read
        found[path.name] = probe(path, f"{entry.rel_dir}/{path.name}", f"media/{folder}/{entry.slug}", problems)
    return found


# What each file name promises, in Pillow's names: nothing else is opened (no GIF, TIFF or
# PostScript handed to Ghostscript under a .jpg name).
FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}


_OBJECT_REPR = re.compile(r"\s*<[^<>]* object at 0x[0-9a-fA-F]+>")


def readable_reason(exc: BaseException) -> str:
    """Pillow's reason, without the Python object names some of its messages carry."""
    reason = _OBJECT_REPR.sub("", str(exc)).strip().rstrip(":")
    if reason == "cannot identify image file":
        return "the file is damaged or not an image"
    return reason or "the file is damaged"


@contextlib.contextmanager
def strict_decoding() -> Iterator[None]:
    """Pillow set to refuse truncated files while our images decode. The setting is global
    (ImageFile.LOAD_TRUNCATED_IMAGES), and WeasyPrint turns it on when it is imported: a
    bundle made with its PDF would otherwise publish a truncated photo."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def open_image(data: bytes, suffix: str) -> Image.Image:
    """An image of the format its suffix names, from its bytes; raises ValueError otherwise."""
    from PIL import Image, UnidentifiedImageError

    expected = FORMATS[suffix.lower()]
    try:
        image = Image.open(io.BytesIO(data), formats=[expected])
    except UnidentifiedImageError:
        try:
            with Image.open(io.BytesIO(data)) as other:
                actual = other.format
        except Exception:  # noqa: BLE001 - anything Pillow cannot read is no image of ours
            actual = None
        if actual:
            raise ValueError(f"the file is in {actual} format, not {expected} as its name ({suffix}) says; "
                             f"save it as {expected} or rename it") from None
        raise ValueError(f"the file is not a {expected} image (damaged, or another kind of file)") from None
    return image


def probe(path: Path, rel: str, out_dir: str, problems: Problems) -> ImageAsset | None:
    """Measure an image (after EXIF rotation), or report why it cannot be used."""
    from PIL import Image

    data = read_input(path, path.parent, "image")
    if isinstance(data, Refusal):
        problems.error(rel, None, None, f"image file {data.message}")
        return None
    try:
        with strict_decoding(), open_image(data, path.suffix) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                problems.error(rel, None, None, f"image is {width}×{height} pixels; resize it below "
                                                f"{MAX_PIXELS // 1_000_000} megapixels")
                return None
            orientation = image.getexif().get(EXIF_ORIENTATION, 1)
            has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
            image.load()  # decode fully: a truncated file fails here, not in the middle of a build
    except ValueError as exc:
        problems.error(rel, None, None, f"cannot use image: {exc}")
        return None
    except (OSError, SyntaxError, Image.DecompressionBombError, EOFError) as exc:
        reason = readable_reason(exc)
        problems.error(rel, None, None, f"cannot read image: {reason} (save it again as a "
                                        f"{FORMATS[path.suffix.lower()]} file)")
        return None
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    stem = PurePosixPath(path.name).stem
    digest = hashlib.sha256(data).hexdigest()
    tag = digest[:8]  # content in the name: safe to cache for a year, and x.jpg/x.png never collide
    fallback_ext, fallback_mime = ("png", "image/png") if has_alpha else ("jpg", "image/jpeg")
    variants = []
    for target in planned_widths(width):
        h = max(1, round(height * target / width))
        variants.append(Variant(target, h, f"{out_dir}/{stem}-{target}.{tag}.webp", "image/webp"))
        variants.append(Variant(target, h, f"{out_dir}/{stem}-{target}.{tag}.{fallback_ext}", fallback_mime))
    return ImageAsset(path, rel, digest, width, height, has_alpha, tuple(variants))


def planned_widths(width: int) -> list[int]:
    return sorted({w for w in WIDTHS if w < width} | {min(width, WIDTHS[-1])})


# --- encoding ---------------------------------------------------------------------------

def encode_image(asset: ImageAsset) -> bytes:
    """Every variant of `asset`, resized and encoded, as one piece (see variant_bytes): a
    derived value the build cache keeps, so an unchanged photo is never encoded twice."""
    from PIL import Image, ImageOps

    data = read_input(asset.src_path, asset.src_path.parent, "image")
    if isinstance(data, Refusal) or hashlib.sha256(data).hexdigest() != asset.digest:
        raise ImageChanged(asset.rel_path)
    pieces = []
    with strict_decoding(), open_image(data, asset.src_path.suffix) as original:
        image = ImageOps.exif_transpose(original)
        image = image.convert("RGBA" if asset.has_alpha else "RGB")
        # what the source carried beside its pixels (a JPEG comment, XMP, text chunks) goes:
        # the savers write some of it back from here (Pillow's JPEG saver keeps "comment")
        image.info.clear()
        for variant in asset.variants:
            resized = image if variant.width == image.width else \
                image.resize((variant.width, variant.height), Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            if variant.extension == "webp":
                resized.save(buffer, "WEBP", quality=QUALITY["webp"], method=4)
            elif variant.extension == "png":
                resized.save(buffer, "PNG", optimize=True)
            else:
                resized.save(buffer, "JPEG", quality=QUALITY["jpg"], optimize=True, progressive=True)
            encoded = buffer.getvalue()
            pieces.append(len(encoded).to_bytes(8, "big") + encoded)
    return b"".join(pieces)


def variant_bytes(encoded: bytes, asset: ImageAsset, variant: Variant) -> bytes:
    """One variant out of what encode_image made."""
    offset = 0
    for candidate in asset.variants:
        size = int.from_bytes(encoded[offset:offset + 8], "big")
        if candidate == variant:
            return encoded[offset + 8:offset + 8 + size]
        offset += 8 + size
    raise KeyError(variant.out_path)


class ImageChanged(Exception):
    """The image file changed while the build ran: the next build takes the new one."""
