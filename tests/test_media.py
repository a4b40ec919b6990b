"""Images: orientation applied, metadata gone, responsive widths, cache hits, clear problems."""

from __future__ import annotations

import io
import re
from pathlib import Path

from conftest import NOW, build_fails, build_ok, messages, page
from PIL import Image

from catalogue.build.pipeline import build

FOLDER = "content/products/che-ta-leng"


PRIVATE = b"PRIVATE NOTE: shot at 21.39N 103.45E"


def photo_with_exif(path: Path, size=(1600, 1000), orientation: int = 6) -> None:
    """A landscape photo whose EXIF says 'rotate 90°', with GPS and camera tags."""
    image = Image.new("RGB", size, "#2a7")
    for x in range(0, 200):  # a red block in the top-left corner of the stored pixels
        for y in range(0, 100):
            image.putpixel((x, y), (220, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "CameraMaker"
    exif[0x8825] = {1: "N", 2: (21.0, 24.0, 0.0)}
    buffer = io.BytesIO()
    if path.suffix == ".png":  # the content must be what the name says
        from PIL.PngImagePlugin import PngInfo

        text = PngInfo()
        text.add_text("Comment", PRIVATE.decode())
        image.save(buffer, "PNG", exif=exif, pnginfo=text)
    else:  # and a comment (a JPEG COM segment), which the saving of every variant would copy
        image.save(buffer, "JPEG", exif=exif, quality=90, comment=PRIVATE)
    path.write_bytes(buffer.getvalue())


def test_orientation_metadata_and_widths(site: Path) -> None:
    photo_with_exif(site / FOLDER / "cover.jpg")
    out = build_ok(site)
    media = out / "media/products/che-ta-leng"
    names = sorted(p.name for p in media.iterdir() if p.name.startswith("cover"))
    tag = names[0].split(".")[1]
    assert names == [f"cover-1000.{tag}.jpg", f"cover-1000.{tag}.webp", f"cover-320.{tag}.jpg",
                     f"cover-320.{tag}.webp", f"cover-640.{tag}.jpg", f"cover-640.{tag}.webp"]
    for name in names:
        with Image.open(media / name) as image:
            width = int(name.split("-")[1].split(".")[0])
            assert image.size == (width, round(1600 * width / 1000))  # portrait once rotated
            assert not image.getexif(), f"{name} still carries EXIF"
            assert "exif" not in image.info and "xmp" not in image.info and "comment" not in image.info
        assert PRIVATE not in (media / name).read_bytes(), f"{name} still carries the photo's comment"
    with Image.open(media / f"cover-1000.{tag}.jpg") as image:
        rgb = image.convert("RGB")
        assert rgb.getpixel((1000 - 20, 20))[0] > 180  # the red corner moved to the top right
        assert rgb.getpixel((20, 20))[1] > 100
    doc = page(out, "en/products/che-ta-leng/index.html")
    cover = doc.cssselect(".gallery-main img")[0]
    assert (cover.get("width"), cover.get("height")) == ("1000", "1600")
    assert cover.get("srcset") == (f"../../../media/products/che-ta-leng/cover-320.{tag}.jpg 320w, "
                                   f"../../../media/products/che-ta-leng/cover-640.{tag}.jpg 640w, "
                                   f"../../../media/products/che-ta-leng/cover-1000.{tag}.jpg 1000w")
    assert cover.get("sizes")
    card = page(out, "en/products/index.html").cssselect("[data-product=che-ta-leng] img")[0]
    assert card.get("loading") == "lazy" and card.get("width") == "1000"


def test_second_build_uses_the_cache(site: Path) -> None:
    photo_with_exif(site / FOLDER / "cover.jpg")
    first = build(site, site / "public", NOW)
    assert first.ok and first.encoded == 2
    cached = sorted((site / ".cache/catalogue/images").rglob("*.*"))
    stamps = {p: p.stat().st_mtime_ns for p in cached}
    second = build(site, site / "public", NOW)
    assert second.ok and second.encoded == 0
    assert {p: p.stat().st_mtime_ns for p in cached} == stamps
    (site / FOLDER / "pack.png").write_bytes((site / FOLDER / "pack.png").read_bytes() + b"")
    photo_with_exif(site / FOLDER / "pack.png", size=(400, 300), orientation=1)
    third = build(site, site / "public", NOW)
    assert third.ok and third.encoded == 1


def test_no_cache_leaves_the_cache_alone(site: Path) -> None:
    result = build(site, site / "public", NOW, use_cache=False)
    assert result.ok and result.encoded == 2
    assert not (site / ".cache").exists()


def test_transparent_png_keeps_alpha(site: Path) -> None:
    image = Image.new("RGBA", (500, 400), (0, 0, 0, 0))
    image.save(site / FOLDER / "pack.png")
    out = build_ok(site)
    (png,) = (out / "media/products/che-ta-leng").glob("pack-320.*.png")
    with Image.open(png) as result:
        assert result.mode == "RGBA" and result.getpixel((5, 5))[3] == 0


def test_corrupt_jpeg_is_reported_with_its_path(site: Path) -> None:
    good = (site / FOLDER / "cover.jpg").read_bytes()
    (site / FOLDER / "cover.jpg").write_bytes(good[: len(good) // 2])
    found = messages(build_fails(site))
    assert any(m.startswith(f"{FOLDER}/cover.jpg: cannot read image") for m in found), found
    assert f"{FOLDER}/product.yaml:5: images[0]: 'cover.jpg' cannot be used (see the image's own problem)" in found


def test_oversized_image_is_a_problem(site: Path) -> None:
    Image.new("L", (8000, 6000)).save(site / FOLDER / "cover.jpg", quality=10)
    found = messages(build_fails(site))
    assert f"{FOLDER}/cover.jpg: image is 8000×6000 pixels; resize it below 40 megapixels" in found


def test_body_images_point_at_a_resized_copy(site: Path) -> None:
    (site / FOLDER / "en.md").write_text("---\nname: Tea\nsummary: Good.\n---\n![The packet](pack.png)\n",
                                         encoding="utf-8")
    out = build_ok(site)
    img = page(out, "en/products/che-ta-leng/index.html").cssselect(".prose img")[0]
    assert re.fullmatch(r"\.\./\.\./\.\./media/products/che-ta-leng/pack-90\.[0-9a-f]{8}\.jpg", img.get("src"))
    assert (img.get("width"), img.get("height"), img.get("alt")) == ("90", "90", "The packet")


def test_same_name_different_format_do_not_collide(site: Path) -> None:
    Image.new("RGB", (200, 150), "#c33").save(site / FOLDER / "cover.png")
    out = build_ok(site)
    names = sorted(p.name for p in (out / "media/products/che-ta-leng").glob("cover-*"))
    assert len(names) == 4 and len({n.split(".")[1] for n in names}) == 2


def test_assets_are_fingerprinted(built: Path) -> None:
    css = sorted((built / "static/css").iterdir())
    assert len(css) == 1 and re.fullmatch(r"site\.[0-9a-f]{10}\.css", css[0].name)
    html = (built / "en/index.html").read_text(encoding="utf-8")
    assert f'href="../static/css/{css[0].name}"' in html


def test_a_broken_image_is_explained_without_python_object_names(tmp_path: Path) -> None:
    import io as _io

    from PIL import Image as _Image, UnidentifiedImageError

    from catalogue.problems import Problems
    from catalogue.site.media import probe, readable_reason

    assert readable_reason(UnidentifiedImageError("cannot identify image file <_io.BytesIO object at 0x7f31d09d9710>")) \
        == "the file is damaged or not an image"
    buffers = {}
    for fmt in ("PNG", "WEBP", "JPEG"):
        buffer = _io.BytesIO()
        _Image.effect_noise((200, 150), 60).convert("RGB").save(buffer, fmt)
        buffers[fmt] = buffer.getvalue()
    half = len(buffers["PNG"]) // 2
    cases = {"a.png": buffers["PNG"][:40], "b.png": buffers["PNG"][:half] + b"x" * 10, "c.webp": buffers["WEBP"][:30],
             "d.jpg": buffers["JPEG"][:3] + bytes(300), "e.jpg": b"", "f.jpg": buffers["PNG"]}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        problems = Problems()
        assert probe(tmp_path / name, name, "media", problems) is None
        [problem] = problems.items
        assert problem.path == name and " object at 0x" not in problem.message and "BytesIO" not in problem.message
        assert problem.message.startswith(("cannot use image: ", "cannot read image: ")), problem.message


def test_a_truncated_photo_is_refused_even_where_a_library_allows_them(tmp_path: Path, monkeypatch) -> None:
    """WeasyPrint, once imported (for a bundle's PDF), sets Pillow to accept truncated files
    for the whole process."""
    import io as _io

    from PIL import Image as _Image, ImageFile

    from catalogue.problems import Problems
    from catalogue.site.media import probe

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    buffer = _io.BytesIO()
    _Image.effect_noise((300, 200), 60).convert("RGB").save(buffer, "JPEG")
    (tmp_path / "cut.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    problems = Problems()
    assert probe(tmp_path / "cut.jpg", "cut.jpg", "media", problems) is None
    assert [p.message for p in problems.items][0].startswith("cannot read image:")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # the setting is given back as it was
