"""The build cache: a cached rebuild after any kind of input change gives the same bytes as a
cold build, does work in proportion to the edit, survives a damaged or hostile cache, and a
build killed at any moment leaves the published folder exactly old or exactly new."""

from __future__ import annotations

import hashlib
import io
import multiprocessing.process
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterator, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from conftest import NOW, REPO, messages
from sitekit import jpeg_bytes, text_file, write

from catalogue.build.pipeline import build, load_site
from catalogue.content.model import EntryKind
from catalogue.problems import Problems


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def assert_as_a_cold_build(site: Path, out: Path, tmp_path: Path) -> None:
    """`out` holds exactly what a build without the cache makes."""
    assert build(site, tmp_path / "cold", NOW, use_cache=False).ok
    assert snapshot(out) == snapshot(tmp_path / "cold")


def theme_template(site: Path, name: str, old: str, new: str) -> None:
    """A site-level override of a theme template, made from the theme's own with one change."""
    target = site / "templates" / name
    source = target if target.is_file() else REPO / "themes/default/templates" / name
    text = source.read_text(encoding="utf-8")
    assert old in text, (name, old)
    write(target, text.replace(old, new, 1))


def body(site: Path) -> None:
    edit(site / "content/products/che-ta-leng/vi.md", "Dùng nước 85 °C.", "Dùng nước 90 °C.")


def producer_name(site: Path) -> None:
    edit(site / "content/producers/htx-ta-leng/en.md", "name: Ta Leng Cooperative", "name: Ta Leng Tea Cooperative")


def template(site: Path) -> None:
    theme_template(site, "product.html", "<h1", '<h1 data-edited="1"')


def base_template(site: Path) -> None:
    """Every page extends base.html: all of them must change."""
    theme_template(site, "base.html", '<main id="main"', '<main data-edited="base" id="main"')


def partial_template(site: Path) -> None:
    """A macro in partials/macros.html, which pages import (and cards use)."""
    theme_template(site, "partials/macros.html", '<p class="card-kicker">', '<p class="card-kicker" data-edited="1">')


def override_added_then_removed(site: Path) -> None:
    """A site override that a build used, removed again: the theme's own template is back."""
    from catalogue.build.pipeline import build as run

    theme_template(site, "listing.html", "<h1>", '<h1 data-edited="1">')
    assert run(site, site.parent / "published", NOW).ok
    (site / "templates/listing.html").unlink()


def catalogue_string(site: Path) -> None:
    po = site / "locales/en/LC_MESSAGES/messages.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "Producers"\nmsgstr "Makers"\n', encoding="utf-8")


def site_yaml(site: Path) -> None:
    edit(site / "site.yaml", 'en: "Test Products"', 'en: "Test Catalogue"')


def code_label(site: Path) -> None:
    """A district's label, declared in site.yaml, shown on cards and pages."""
    edit(site / "site.yaml", 'tam-duong: {vi: "Tam Đường", en: "Tam Duong"', 'tam-duong: {vi: "Tam Đường", en: "Tam Duong District"')


def photo_replaced(site: Path) -> None:
    """The editor's commonest action: a new photo under the old name."""
    (site / "content/products/che-ta-leng/cover.jpg").write_bytes(jpeg_bytes((160, 100), "#a53"))


def photo_replaced_twice(site: Path) -> None:
    """Each rebuild replans the product alone: the first new photo's files must go too."""
    photo_replaced(site)
    assert build(site, site.parent / "published", NOW).ok
    (site / "content/products/che-ta-leng/cover.jpg").write_bytes(jpeg_bytes((160, 100), "#35a"))


def translation_added(site: Path) -> None:
    """A text in a language the entry had none in: its page there is listed (sitemap, hreflang)."""
    write(site / "content/products/mac-ca/en.md", text_file("Tam Duong macadamia", "Cracked macadamia.", "Big nuts.\n"))


def photo_added(site: Path) -> None:
    write(site / "content/products/mac-ca/nut.jpg", jpeg_bytes((80, 80), "#753"))
    edit(site / "content/products/mac-ca/product.yaml", "district: sin-ho", "district: sin-ho\nimages: [nut.jpg]")


def static_file(site: Path) -> None:
    css = (REPO / "themes/default/static/css/site.css").read_text(encoding="utf-8")
    write(site / "static/css/site.css", css + "\n.card { outline: 0; }\n")


def deleted_product(site: Path) -> None:
    shutil.rmtree(site / "content/products/mac-ca")
    edit(site / "content/events/tu-van-nhat-ban/event.yaml", "[che-ta-leng, mac-ca]", "[che-ta-leng]")


def producer_body(site: Path) -> None:
    edit(site / "content/producers/htx-ta-leng/en.md", "Founded 2015.", "Founded in 2015 by 12 families.")


def event_body(site: Path) -> None:
    edit(site / "content/events/tu-van-nhat-ban/vi.md", "Nội dung.", "Nội dung mới.")


def stamped_source_body(site: Path) -> None:
    """The translation names the source it was made from: a source edit makes it stale."""
    from catalogue.commands.cli import main

    assert main(["i18n", "stamp", "products/che-ta-leng", "en", "--site", str(site)]) == 0
    assert "translation_of:" in (site / "content/products/che-ta-leng/en.md").read_text(encoding="utf-8")
    assert build(site, site.parent / "published", NOW).ok  # the stamp matches: not stale yet
    body(site)


def body_there_and_back(site: Path) -> None:
    """An edit, then the text back as it was and an edit elsewhere: the pages made from the
    first edit must not pass for the ones made from the first text."""
    body(site)
    assert build(site, site.parent / "published", NOW).ok
    edit(site / "content/products/che-ta-leng/vi.md", "Dùng nước 90 °C.", "Dùng nước 85 °C.")
    edit(site / "content/products/mac-ca/vi.md", "name: Hạt mắc ca Tam Đường", "name: Mắc ca Tam Đường")


def touched_only(site: Path) -> None:
    """A save without a change (a new modification time, the same bytes)."""
    path = site / "content/products/che-ta-leng/vi.md"
    os.utime(path, ns=(time.time_ns(), time.time_ns()))


def renamed_folder(site: Path) -> None:
    """An entry folder renamed (its slug corrected), its files as they were, and the event
    naming it brought along: its pages move, and nothing keeps the old name."""
    os.rename(site / "content/products/mac-ca", site / "content/products/mac-ca-tam-duong")
    edit(site / "content/events/tu-van-nhat-ban/event.yaml", "[che-ta-leng, mac-ca]", "[che-ta-leng, mac-ca-tam-duong]")


def fallback_setting(site: Path) -> None:
    """Arabic shows no English any more: the source language instead."""
    edit(site / "site.yaml", "languages: [vi, en, ar, ja]", "languages: [vi, en, ar, ja]\nfallback: {ar: []}")


EDITS: dict[str, Callable[[Path], None]] = {
    "body": body, "producer_name": producer_name, "template": template, "base_template": base_template,
    "partial_template": partial_template, "override_added_then_removed": override_added_then_removed,
    "catalogue_string": catalogue_string, "site_yaml": site_yaml, "code_label": code_label,
    "photo_replaced": photo_replaced, "photo_added": photo_added, "static_file": static_file,
    "deleted_product": deleted_product, "producer_body": producer_body, "event_body": event_body,
    "stamped_source_body": stamped_source_body, "body_there_and_back": body_there_and_back,
    "touched_only": touched_only, "fallback_setting": fallback_setting, "renamed_folder": renamed_folder,
    "photo_replaced_twice": photo_replaced_twice, "translation_added": translation_added,
}
EVERY_PAGE = ("base_template", "site_yaml", "code_label", "static_file", "partial_template",
              "fallback_setting")


@pytest.mark.parametrize("name", sorted(EDITS))
def test_cached_rebuild_equals_a_cold_build(site: Path, tmp_path: Path, name: str) -> None:
    published = site.parent / "published"
    first = build(site, published, NOW)
    assert first.ok and first.rendered == first.pages
    before = snapshot(published)
    EDITS[name](site)
    cached = build(site, published, NOW)
    assert cached.ok, [p.format() for p in cached.problems.sorted()]
    cold = build(site, tmp_path / "cold", NOW, use_cache=False)
    assert cold.ok
    after = snapshot(published)
    assert after == snapshot(tmp_path / "cold")
    if name in ("touched_only", "override_added_then_removed"):  # the site is as it was at the first build
        assert after == before and cached.rendered == 0
        return
    assert after != before
    if name in EVERY_PAGE:
        assert cached.rendered > cached.pages / 2
    elif name == "catalogue_string":  # the English pages
        assert cached.rendered == len([p for p in after if p.startswith("en/") and p.endswith(".html")])
    elif name in ("body", "producer_body", "event_body", "body_there_and_back"):
        assert 0 < cached.rendered < cached.pages / 2, (cached.rendered, cached.pages)
    else:
        assert 0 < cached.rendered < cached.pages, (cached.rendered, cached.pages)
    if name == "deleted_product":
        assert not (published / "en/products/mac-ca").exists()
        assert not any("mac-ca" in path for path in after)
    if name == "photo_replaced":
        old = {p for p in before if p.startswith("media/products/che-ta-leng/cover-")}
        new = {p for p in after if p.startswith("media/products/che-ta-leng/cover-")}
        assert old and new and not old & new  # new names: hosts may cache the old for a year
        for lang in ("vi", "en", "ar", "ja"):
            html = (published / f"{lang}/products/che-ta-leng/index.html").read_text(encoding="utf-8")
            assert all(path.rsplit("/", 1)[1] not in html for path in old)
            assert any(path.rsplit("/", 1)[1] in html for path in new)


def test_work_follows_the_edit(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.html")}
    body(site)
    again = build(site, out, NOW)
    changed = {p.relative_to(out).as_posix() for p, t in stamps.items() if (out / p.relative_to(out)).stat().st_mtime_ns != t}
    # the product's own pages, and the pages showing its card
    assert {f"{lang}/products/che-ta-leng/index.html" for lang in ("vi", "ar", "ja")} <= set(again.written)
    assert again.rendered < again.pages / 3
    assert "vi/search-index.js" in again.written and "media/products/che-ta-leng" not in " ".join(again.written)
    assert changed <= set(again.written)


def test_the_template_closure_decides_what_is_rendered_again(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = build(site, out, NOW)
    assert first.ok
    template(site)
    again = build(site, out, NOW)
    assert again.rendered == 2 * 4  # two products, four languages: no other page uses product.html
    assert 'data-edited="1"' in (out / "en/products/mac-ca/index.html").read_text(encoding="utf-8")
    base_template(site)
    again = build(site, out, NOW)
    assert again.rendered == again.pages - 1  # every page but the root one (root.html) extends base.html
    assert all('data-edited="base"' in p.read_text(encoding="utf-8") for p in out.glob("*/products/*/index.html"))


def test_nothing_changed_means_nothing_done(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    second = build(site, out, NOW)
    assert second.ok and second.up_to_date
    (out / "en/products/che-ta-leng/index.html").unlink()  # the published folder, changed by hand
    third = build(site, out, NOW)
    assert not third.up_to_date and third.ok
    assert_as_a_cold_build(site, out, tmp_path)


def test_a_build_with_warnings_is_up_to_date_next_time_and_says_them_again(site: Path, tmp_path: Path) -> None:
    path = site / "content/products/mac-ca/product.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("year: 2024", "year: 2019"), encoding="utf-8")
    out = tmp_path / "out"
    first = build(site, out, NOW)
    said = [p.format() for p in first.problems.warnings]
    assert first.ok and len(said) == 1 and "ocop.year" in said[0]
    second = build(site, out, NOW)
    assert second.up_to_date and [p.format() for p in second.problems.warnings] == said


def test_a_dependency_upgrade_makes_everything_again(site: Path, tmp_path: Path) -> None:
    """A newer Markdown, nh3 or Babel may write other HTML: the cache must not pass it off."""
    out = tmp_path / "out"
    command = [sys.executable, str(REPO / "build.py"), "build", "--site", str(site), "--out", str(out),
               "--now", NOW.date().isoformat()]
    assert subprocess.run(command, capture_output=True, text=True).returncode == 0
    fake = tmp_path / "fake-site-packages" / "nh3-99.0.0.dist-info"
    write(fake / "METADATA", "Metadata-Version: 2.1\nName: nh3\nVersion: 99.0.0\n")
    upgraded = subprocess.run(command, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(fake.parent)})
    assert upgraded.returncode == 0, upgraded.stderr
    assert "up to date" not in upgraded.stdout
    pages = int(upgraded.stdout.split("built ")[1].split(" pages")[0])
    assert f"built {pages} pages in" in upgraded.stdout  # every page rendered again (none kept)


def test_the_cache_can_be_deleted_at_any_time(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    shutil.rmtree(site / ".cache")
    body(site)
    assert build(site, out, NOW).ok
    assert (out / "en/index.html").is_file()
    assert_as_a_cold_build(site, out, tmp_path)


CACHE = ".cache/catalogue/cache.sqlite"


def _rows(site: Path, table: str) -> list[tuple[str, bytes, bytes]]:
    with sqlite3.connect(site / CACHE) as db:
        return list(db.execute(f"SELECT key, value, seal FROM {table}"))


def test_the_cache_keeps_what_the_output_is_made_of_and_nothing_older(site: Path, tmp_path: Path) -> None:
    """A build that plans every page removes the rows no page of it used: the cache does not
    grow with each edit (a body edited again and again leaves one rendered body)."""
    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    counts = {table: len(_rows(site, table)) for table in ("values_", "records", "files")}
    for text in ("90", "91", "92"):
        edit(site / "content/products/che-ta-leng/vi.md", "Dùng nước 85 °C." if text == "90" else
             f"Dùng nước {int(text) - 1} °C.", f"Dùng nước {text} °C.")
        theme_template(site, "product.html", "<h1", f'<h1 data-edited="{text}"')  # every page planned
        assert build(site, out, NOW).ok
        assert {table: len(_rows(site, table)) for table in counts} == counts
    assert_as_a_cold_build(site, out, tmp_path)


def test_a_cache_file_that_is_not_a_database_is_started_afresh(site: Path, tmp_path: Path) -> None:
    assert build(site, tmp_path / "out", NOW).ok
    (site / CACHE).write_bytes(b"not a database")
    for suffix in ("-wal", "-shm"):
        Path(str(site / CACHE) + suffix).unlink(missing_ok=True)
    body(site)
    result = build(site, tmp_path / "out", NOW)
    assert result.ok
    assert any("build cache: the cache file was damaged and has been started afresh" in p.message
               for p in result.problems.warnings)


def test_a_cache_of_another_version_is_replaced_without_a_warning(site: Path, tmp_path: Path) -> None:
    """After an upgrade the cache's layout may differ: expected, so no warning, and the same output."""
    assert build(site, tmp_path / "out", NOW).ok
    with sqlite3.connect(site / CACHE) as db:
        db.execute("PRAGMA user_version=1")
    body(site)
    result = build(site, tmp_path / "out", NOW)
    assert result.ok and not result.problems.warnings, [p.format() for p in result.problems.warnings]
    assert_as_a_cold_build(site, tmp_path / "out", tmp_path)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_flipped_bytes_in_the_cache_change_nothing_that_is_made(site: Path, tmp_path: Path, seed: int) -> None:
    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    shutil.rmtree(out)  # every page made again, from what the cache holds
    rng = random.Random(seed)
    data = bytearray((site / CACHE).read_bytes())
    for _ in range(200):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    (site / CACHE).write_bytes(bytes(data))
    result = build(site, out, NOW)
    assert result.ok, [p.format() for p in result.problems.sorted()]
    assert_as_a_cold_build(site, out, tmp_path)


def test_a_damaged_or_hand_made_cache_row_is_dropped_and_runs_no_code(site: Path, tmp_path: Path) -> None:
    import pickle

    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    shutil.rmtree(out)
    ran = tmp_path / "ran"

    class Payload:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (os.system, (f"touch {ran}",))

    with sqlite3.connect(site / CACHE) as db:
        for table in ("records", "values_", "files"):
            for key, value, seal in list(db.execute(f"SELECT key, value, seal FROM {table}")):
                forged = pickle.dumps(Payload()) if table == "records" else value[: len(value) // 2]  # truncated
                db.execute(f"UPDATE {table} SET value=? WHERE key=?", (forged, key))
        db.execute("INSERT OR REPLACE INTO outputs (key, value, seal) VALUES (?, ?, ?)",
                   (f"{os.path.realpath(out)}#published", b'{"build": "x", "files": {}}', b"made by hand"))
    result = build(site, out, NOW)
    assert result.ok and not ran.exists()
    assert any("damaged or foreign" in p.message for p in result.problems.warnings)
    assert_as_a_cold_build(site, out, tmp_path)


def test_the_date_alone_changing_is_a_change(site: Path, tmp_path: Path) -> None:
    """A build on a later day with nothing edited (a nightly build): ratings expire, events
    pass. It must not say 'up to date' and keep the output the last day made."""
    from datetime import datetime, timezone

    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    later = datetime(2028, 1, 5, 12, tzinfo=timezone.utc)
    cached = build(site, out, later)
    assert cached.ok and not cached.up_to_date
    cold = build(site, tmp_path / "cold", later, use_cache=False)
    assert messages(cached) == messages(cold)
    assert snapshot(out) == snapshot(tmp_path / "cold")
    assert build(site, out, later).up_to_date  # and the same day again does nothing


def test_a_timed_event_ending_between_two_builds_of_one_day_is_past(site: Path, tmp_path: Path) -> None:
    """Upcoming and past depend on the hour for an event with times: a rebuild later the same
    day, whether it replans after an edit or finds nothing edited, shows the event as past."""
    from datetime import datetime, timezone

    edit(site / "content/events/hoi-thao-che/event.yaml", "2022-06-14T", "2026-11-29T")
    morning = datetime(2026, 11, 29, 5, 0, tzinfo=timezone.utc)  # noon in Lai Châu: on now
    evening = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)  # it ended at 16:30 there
    for touch in (True, False):
        out = tmp_path / f"out-{touch}"
        assert build(site, out, morning).ok
        if touch:
            edit(site / "content/products/mac-ca/vi.md", "Hạt to", "Hạt rất to")
        cached = build(site, out, evening)
        assert cached.ok and not cached.up_to_date
        cold = build(site, tmp_path / f"cold-{touch}", evening, use_cache=False)
        assert snapshot(out) == snapshot(tmp_path / f"cold-{touch}")


def test_site_yaml_edited_under_the_same_size_and_time_is_seen(site: Path, tmp_path: Path) -> None:
    """As for every other input, a change of site.yaml is seen by its inode's change time too
    (a tool that restores the modification time, a checkout)."""
    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    path = site / "site.yaml"
    before = path.stat()
    edit(path, 'en: "Test Products"', 'en: "Tested Things"')
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert not build(site, out, NOW).up_to_date
    assert_as_a_cold_build(site, out, tmp_path)


def test_a_folder_named_like_a_text_in_an_entry_is_reported_as_without_the_cache(site: Path, tmp_path: Path) -> None:
    assert build(site, tmp_path / "out", NOW).ok
    (site / "content/products/mac-ca/ja.md").mkdir()
    cached = build(site, tmp_path / "out", NOW)
    cold = build(site, tmp_path / "cold", NOW, use_cache=False)
    assert not cold.ok and messages(cached) == messages(cold)


def test_the_preview_sees_an_edit_through_a_linked_entry_folder(site: Path, tmp_path: Path) -> None:
    """An entry folder may be a link to another inside its kind's folder; the watcher names
    the file where it really is, and the linked entry must not keep what it was."""
    import contextlib

    from catalogue.commands.serve import Preview

    os.symlink("mac-ca", site / "content/products/mac-ca-alias")
    preview = Preview(site, tmp_path / "preview", NOW, owned=True)
    with contextlib.redirect_stdout(io.StringIO()):
        assert preview.rebuild().ok
        for text in ("Hạt rất to", "Hạt rất rất to"):
            edit(site / "content/products/mac-ca/vi.md", "Hạt ", text + " ")
            assert preview.rebuild([site / "content/products/mac-ca/vi.md"]).ok
            edit(site / "content/products/mac-ca/product.yaml", "district: sin-ho", "district: sin-ho\nshelf_life_days: 90")
            assert preview.rebuild([site / "content/products/mac-ca/product.yaml"]).ok
            assert build(site, tmp_path / "cold", NOW, preview=True, use_cache=False).ok
            pages = {path: sha for path, sha in snapshot(tmp_path / "preview").items()
                     if path != ".catalogue-output"}
            assert pages == {path: sha for path, sha in snapshot(tmp_path / "cold").items() if path != ".catalogue-output"}
            edit(site / "content/products/mac-ca/product.yaml", "\nshelf_life_days: 90", "")


def test_a_published_file_removed_by_hand_stays_made_again(site: Path, tmp_path: Path) -> None:
    """The next build makes it again; the folder that lacked it, kept aside, must not bring
    the loss back at the build after (it became the spare that build brings up to date)."""
    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    (out / "en/index.html").unlink()
    shutil.rmtree(out / "ja/products")
    assert build(site, out, NOW).ok
    assert (out / "en/index.html").is_file()
    for text in ("Dùng nước 90 °C.", "Dùng nước 95 °C."):
        edit(site / "content/products/che-ta-leng/vi.md", "Dùng nước 85 °C." if "90" in text else "Dùng nước 90 °C.", text)
        assert build(site, out, NOW).ok
        assert_as_a_cold_build(site, out, tmp_path)
        shutil.rmtree(tmp_path / "cold")


def test_a_rebuild_of_an_event_says_again_what_its_organiser_looks_like(site: Path, tmp_path: Path) -> None:
    """A rule between entries (an organiser written like a slug of no producer), said again
    by a rebuild that reads only the edited event."""
    edit(site / "content/events/tu-van-nhat-ban/event.yaml", 'organizer: "Cục Xúc tiến thương mại"', "organizer: htx-ta-lenh")
    assert build(site, tmp_path / "out", NOW).ok
    edit(site / "content/events/tu-van-nhat-ban/vi.md", "Nội dung.", "Nội dung mới.")
    cached = build(site, tmp_path / "out", NOW)
    assert cached.replanned
    cold = build(site, tmp_path / "cold", NOW, use_cache=False)
    assert messages(cached) == messages(cold)
    assert any("looks like a producer slug" in line for line in messages(cached))


def test_a_folder_renamed_under_the_same_files_is_read_under_its_new_name(site: Path, tmp_path: Path) -> None:
    """Nothing the cache kept of the folder under its old name stands for it: an event still
    naming the old folder is an error, as a build without the cache says."""
    assert build(site, tmp_path / "out", NOW).ok
    os.rename(site / "content/products/mac-ca", site / "content/products/mac-ca-tam-duong")
    cached = build(site, tmp_path / "out", NOW)
    cold = build(site, tmp_path / "cold", NOW, use_cache=False)
    assert not cold.ok
    assert messages(cached) == messages(cold)
    assert any("no folder content/products/mac-ca;" in line for line in messages(cached))


def test_a_big_row_kept_in_memory_is_used_only_while_the_file_holds_its_seal(tmp_path: Path) -> None:
    """The preview keeps the megabytes of its manifests between builds; another process's
    build that writes them anew, or removes them, must be seen at once."""
    from catalogue.build.cache import RowMemory, Store

    mine = Store(tmp_path / "cache", memory=RowMemory())
    first, second = b"1" * (200 << 10), b"2" * (200 << 10)
    mine.put_many("outputs", {"published": first, "small": b"s"})
    assert mine.get_many("outputs", ["published", "small"]) == {"published": first, "small": b"s"}
    other = Store(tmp_path / "cache")
    other.put_many("outputs", {"published": second})
    other.close()
    assert mine.get_many("outputs", ["published"]) == {"published": second}
    other = Store(tmp_path / "cache")
    other.delete("outputs", ["published"])
    other.close()
    assert mine.get_many("outputs", ["published", "small"]) == {"small": b"s"}
    mine.close()


def test_a_sealed_manifest_naming_a_file_outside_its_folder_is_damage(site: Path, tmp_path: Path) -> None:
    """A manifest row sealed with this user's own key (a row no pull request can make) that
    names a file beside the output folder: a rebuild carrying what it did not plan must not
    follow it (it would replace that file by a link), but plan everything."""
    from catalogue.build.cache import Store
    from catalogue.build.writer import Manifest, manifest_keys

    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    victim = tmp_path / "victim.txt"
    victim.write_text("not the catalogue's\n")
    published_key, _ = manifest_keys(out)
    store = Store(site / ".cache" / "catalogue")
    manifest = Manifest.decode(store.get("outputs", published_key))
    assert manifest is not None
    manifest.files["../victim.txt"] = "any key"
    store.put_many("outputs", {published_key: manifest.encode()})
    store.close()
    body(site)
    result = build(site, out, NOW)
    assert result.ok, [p.format() for p in result.problems.sorted()]
    assert victim.read_text() == "not the catalogue's\n"
    assert_as_a_cold_build(site, out, tmp_path)


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def test_a_truncated_cached_photo_is_not_published(site: Path, tmp_path: Path) -> None:
    """Resized photos are cache values too, sealed like the rest."""
    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    shutil.rmtree(out)
    with sqlite3.connect(site / CACHE) as db:
        rows = [(key, value) for key, value, _ in db.execute("SELECT key, value, seal FROM values_")
                if value[:1] == b"b" and not _utf8(value[1:])]
        # bytes that are not text: the resized photos (the others are text, or runs of the indexes)
        assert len(rows) == 2
        for key, value in rows:
            db.execute("UPDATE values_ SET value=? WHERE key=?", (value[: len(value) // 3], key))
    result = build(site, out, NOW)
    assert result.ok and result.encoded == len(rows)
    assert_as_a_cold_build(site, out, tmp_path)


def test_a_cache_made_on_another_machine_is_not_trusted(site: Path, tmp_path: Path) -> None:
    """A cache committed to the repository (git add -f) is sealed with another key."""
    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    shutil.rmtree(out)
    other_key = tmp_path / "other-key"
    other_key.write_bytes(os.urandom(32))
    command = [sys.executable, str(REPO / "build.py"), "build", "--site", str(site), "--out", str(out),
               "--now", NOW.date().isoformat()]
    done = subprocess.run(command, capture_output=True, text=True,
                          env={**os.environ, "CATALOGUE_CACHE_SECRET": str(other_key)})
    assert done.returncode == 0, done.stderr
    assert "damaged or foreign" in done.stderr
    assert_as_a_cold_build(site, out, tmp_path)


def test_a_foreign_folder_with_a_sitemap_is_refused_and_left_intact(site: Path, tmp_path: Path) -> None:
    root = tmp_path / "www"
    write(root / "sitemap.xml", "<urlset/>")
    write(root / "important.txt", "keep me")
    write(root / "photos/holiday.jpg", jpeg_bytes())
    before = snapshot(root)
    result = build(site, root, NOW)
    assert not result.ok
    assert "was not made by this program" in result.problems.errors[0].message
    assert snapshot(root) == before


@pytest.mark.slow
def test_parallel_and_serial_builds_are_identical(tmp_path: Path) -> None:
    serial = build(REPO, tmp_path / "serial", NOW, use_cache=False, workers=1)
    parallel = build(REPO, tmp_path / "parallel", NOW, use_cache=False, workers=2)
    assert serial.ok and parallel.ok
    assert snapshot(tmp_path / "serial") == snapshot(tmp_path / "parallel")


def _failing_helpers(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """Make every forked helper fail its first batch in the way `how` says; the main process renders fine."""
    import os

    from catalogue.build import workers as parallel

    main, real = os.getpid(), parallel.render_batch

    def render_batch(job, helper, indices):  # type: ignore[no-untyped-def]
        if os.getpid() != main:
            if how == "raise":
                raise OSError(28, "No space left on device")
            if how == "die":
                os._exit(3)
            return 0, parallel.RenderFailure("product.html", 7, "UndefinedError: 'nope' is undefined")
        return real(job, helper, indices)

    monkeypatch.setattr(parallel, "render_batch", render_batch)


def test_a_page_failing_in_a_helper_process_fails_the_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _failing_helpers(monkeypatch, "fail")
    result = build(REPO, tmp_path / "out", NOW, use_cache=False, workers=2)
    assert not result.ok
    assert [(p.path, p.line) for p in result.problems.errors] == [("themes/default/templates/product.html", 7)]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("how, message", [("raise", "cannot write"), ("die", "a rendering process stopped")])
def test_a_helper_process_that_breaks_stops_the_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                      how: str, message: str) -> None:
    _failing_helpers(monkeypatch, how)
    result = build(REPO, tmp_path / "out", NOW, use_cache=False, workers=2)
    assert not result.ok and message in result.problems.errors[0].message
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no staging folder, no lock left behind


@contextmanager
def _stderr_held_at_a_fork() -> Iterator[list[bool]]:
    """The preview server builds in one thread while another logs requests to stderr. The
    first fork made while the yielded list holds True happens while a thread blocks in a
    flush of stderr: the forked process inherits the lock as taken. The parent gets it back
    once forked."""
    reading, writing = os.pipe()
    stream = io.TextIOWrapper(io.BufferedWriter(io.FileIO(writing, "w"), buffer_size=1 << 20))
    saved = sys.stderr
    sys.stderr = stream
    holders: list[threading.Thread] = []
    armed: list[bool] = []

    def drain() -> None:
        while os.read(reading, 1 << 16):
            pass

    draining = threading.Thread(target=drain, daemon=True)

    def hold() -> None:  # just before the fork: a thread blocks in a flush, the lock taken
        if armed and not holders and sys.stderr is stream:
            stream.write("x" * (1 << 19))
            holders.append(threading.Thread(target=stream.flush, daemon=True))
            holders[0].start()
            time.sleep(0.3)

    def release() -> None:  # in the parent, once forked: the pipe is read, the flush ends
        if holders and not draining.is_alive() and draining.ident is None:
            draining.start()
            holders[0].join()

    os.register_at_fork(before=hold, after_in_parent=release)
    try:
        yield armed
        assert holders, "no process was forked with stderr's lock taken"
    finally:
        armed.clear()
        release()
        sys.stderr = saved
        stream.close()  # the end of the pipe for the draining thread
        if draining.ident is not None:
            draining.join()
        os.close(reading)


def test_helpers_leave_even_when_another_thread_held_stderr_at_the_fork(monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: Path) -> None:
    from catalogue.build import workers as parallel

    stopped: list[int | None] = []
    monkeypatch.setattr(parallel, "HELPER_EXIT_WAIT", 5.0)
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "terminate",
                        lambda self: stopped.append(self.pid) or os.kill(self.pid, 9))
    rendering = parallel._render_with_helpers
    with _stderr_held_at_a_fork() as armed:
        def render_with_helpers(*args, **kwargs):  # type: ignore[no-untyped-def]
            armed.append(True)  # the helper's fork, not another one of the build
            try:
                return rendering(*args, **kwargs)
            finally:
                armed.clear()

        monkeypatch.setattr(parallel, "_render_with_helpers", render_with_helpers)
        assert build(REPO, tmp_path / "out", NOW, use_cache=False, workers=2).ok
    assert stopped == []  # the helper was forked with the lock taken, and left by itself


def _finishes(work: Callable[[], object], seconds: float = 30.0) -> bool:
    """Whether `work` ends in time; forked processes left waiting are killed."""
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        for child in multiprocessing.active_children():
            child.kill()
        return False
    return True


def test_parsing_processes_leave_even_when_another_thread_held_stderr_at_the_fork() -> None:
    from catalogue.build import memo
    from catalogue.config import load_config

    config = load_config(REPO, Problems())
    assert config is not None
    folder = next((REPO / "content/products").iterdir())
    work: list[tuple[EntryKind, Path, str]] = [("product", folder, "x")] * (memo.PARSE_BATCH * 4)
    parsed: list[list[object]] = []
    with _stderr_held_at_a_fork() as armed:
        armed.append(True)
        assert _finishes(lambda: parsed.append(list(memo.parse_folders(config, work, workers=2))))
    assert len(parsed[0]) == len(work)


def test_image_encoders_leave_even_when_another_thread_held_stderr_at_the_fork(tmp_path: Path) -> None:
    from catalogue.build.cache import Store
    from catalogue.build.memo import CachedEvaluator
    from catalogue.derive import derive
    from catalogue.site.media import encode_image

    loaded = load_site(REPO, Problems(), NOW)
    assert loaded is not None
    assets = sorted((asset for media in loaded.media.values() for _, asset in media.named()),
                    key=lambda asset: asset.rel_path)[:3]
    assert len(assets) == 3
    evaluator = CachedEvaluator(Store(None))
    items = [derive(encode_image, asset, stored=True) for asset in assets]
    with _stderr_held_at_a_fork() as armed:
        armed.append(True)
        assert _finishes(lambda: evaluator.compute_many(items, workers=2))
    assert evaluator.made == {"catalogue.site.media.encode_image": 3}


def test_memory_freed_by_a_big_page_is_given_back() -> None:
    from catalogue.build import workers as parallel

    if parallel._TRIM is None:
        pytest.skip("the C library cannot give memory back on demand")

    def resident() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    pieces = [("card %d " % i) * 300 for i in range(30_000)]  # the cards of a big index page
    pinned = [bytearray(600) for _ in range(100)]  # later allocations keep the heap's top in use
    before = resident()
    del pieces
    parallel.give_back_freed_memory()
    assert before - resident() > 30 << 20
    assert len(pinned) == 100




def test_the_libraries_in_every_key_are_read_from_the_packages_metadata() -> None:
    """Each library the package declares (its PDF extra too) and each library those need is in
    every key; none is listed by hand, so a new dependency cannot be forgotten. Test tools are not."""
    import tomllib

    from catalogue.build.keys import shaping_distributions

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["pdf"]]
    names = {re.match(r"[A-Za-z0-9._-]+", need).group(0).lower() for need in declared}
    found = set(shaping_distributions())
    assert names <= found
    assert {"markupsafe", "pydyf", "tinycss2"} <= found  # what Jinja2 and WeasyPrint need
    assert not {"pytest", "playwright", "lxml"} & found


@settings(max_examples=200, deadline=None)
@given(st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True), unique=True, max_size=400),
       st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True), st.integers(min_value=0))
def test_a_product_added_changes_one_run_of_the_big_files(slugs: list[str], new: str, at: int) -> None:
    """The search index and exports are kept as runs of products: every product in one run, in
    order, and one more product changes its own run only (a run may split in two), so a
    rebuild after adding a product makes one piece again, not every piece after it."""
    from catalogue.outputs.files import runs

    before = runs(slugs)
    assert [slug for run in before for slug in run] == slugs
    if new in slugs:
        return
    after_slugs = slugs[:at % (len(slugs) + 1)] + [new] + slugs[at % (len(slugs) + 1):]
    after = runs(after_slugs)
    assert [slug for run in after for slug in run] == after_slugs
    changed = {tuple(run) for run in after} - {tuple(run) for run in before}
    assert len(changed) <= 2 and any(new in run for run in changed)


def test_runs_at_ten_thousand_products() -> None:
    """As above on a catalogue's scale: about RUN products a run, one product added near the
    start changes one run, one removed changes at most two (its run joins the next)."""
    from catalogue.outputs.files import RUN, runs

    slugs = [f"product-{number:05d}" for number in range(10_000)]
    before = {tuple(run) for run in runs(slugs)}
    assert RUN / 2 < 10_000 / len(before) < RUN * 2
    added = {tuple(run) for run in runs(slugs[:10] + ["product-00009a"] + slugs[10:])}
    assert len(added - before) == 1
    removed = {tuple(run) for run in runs(slugs[:10] + slugs[11:])}
    assert len(removed - before) <= 1 and len(before - removed) <= 2


@pytest.mark.parametrize("damage", ["deleted", "foreign"])
def test_a_lost_or_foreign_row_of_what_uses_a_record_plans_everything(site: Path, tmp_path: Path, damage: str) -> None:
    """Which outputs use a record is kept one row per leaf. A row gone, or one put there by
    hand (its seal fails), must not read as "used by nothing": the rebuild plans everything."""
    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    with sqlite3.connect(site / CACHE) as db:
        (key,) = [k for (k,) in db.execute("SELECT key FROM outputs") if k.endswith("#uses/record:product/che-ta-leng")]
        if damage == "deleted":
            db.execute("DELETE FROM outputs WHERE key = ?", (key,))
        else:
            db.execute("UPDATE outputs SET value = ? WHERE key = ?", (b"[]", key))
    body(site)
    again = build(site, out, NOW)
    assert again.ok and not again.replanned
    assert "90 °C" in (out / "vi/products/che-ta-leng/index.html").read_text(encoding="utf-8")
    assert_as_a_cold_build(site, out, tmp_path)


def test_a_process_building_again_and_again_makes_what_a_cold_build_makes(site: Path, tmp_path: Path) -> None:
    """The preview keeps store rows, the plan state and compiled templates in memory between
    its builds (Recall): after each kind of edit, one after the other, its output is a cold
    build's."""
    from catalogue.build.recall import Recall

    recall = Recall()
    published = site.parent / "published"
    assert build(site, published, NOW, recall=recall).ok
    for name in ("body_there_and_back", "template", "body", "catalogue_string", "producer_name", "base_template",
                 "photo_replaced", "partial_template", "code_label", "deleted_product",
                 "override_added_then_removed"):
        EDITS[name](site)
        again = build(site, published, NOW, recall=recall)
        assert again.ok, (name, [p.format() for p in again.problems.sorted()])
        cold = tmp_path / name
        assert build(site, cold, NOW, use_cache=False).ok
        assert snapshot(published) == snapshot(cold), name
    assert recall.rows.size > 0  # it did keep rows


def test_builds_of_another_process_between_a_preview_s_builds_are_seen(site: Path, tmp_path: Path) -> None:
    """Another process (a `build` run beside the preview) writes the same folder and cache:
    what the preview keeps in memory must not hide it."""
    from catalogue.build.recall import Recall

    recall = Recall()
    published = site.parent / "published"
    assert build(site, published, NOW, recall=recall).ok
    for step, name in enumerate(("body_there_and_back", "template", "body", "producer_name", "photo_replaced")):
        EDITS[name](site)
        again = build(site, published, NOW, recall=recall if step % 2 else None)
        assert again.ok, (name, [p.format() for p in again.problems.sorted()])
        cold = tmp_path / name
        assert build(site, cold, NOW, use_cache=False).ok
        assert snapshot(published) == snapshot(cold), name


def test_rows_kept_in_memory_stay_within_their_bound() -> None:
    from catalogue.build.cache import RowMemory

    memory = RowMemory(limit=800)
    for n in range(10):
        memory.put("values_", f"k{n}", bytes(90))
    memory.put("outputs", "manifest", b"x")  # a row whose key is not its content's: never kept
    memory.put("values_", "big", bytes(101))  # over an eighth of the bound: not kept
    assert memory.size <= 800 and memory.get("values_", "k9") is not None and memory.get("values_", "k0") is None
    assert memory.get("outputs", "manifest") is None and memory.get("values_", "big") is None
    memory.drop("values_", "k9")
    assert memory.get("values_", "k9") is None and memory.size == sum(len(v) for v in memory.rows.values())


def test_templates_references_are_kept_and_a_row_of_another_kind_is_not_trusted(site: Path, tmp_path: Path) -> None:
    """What each template extends, includes or imports is kept in the cache (parsing every
    template cost each fresh process a sixth of a second). A row at that key holding bytes
    (sealed with this user's key, so not refused as damage) must not break the plan."""
    from catalogue.build.cache import Store
    from catalogue.build.keys import reference_values
    from catalogue.build.memo import value_key

    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    site_yaml(site)  # a second build that plans everything, reading the references the first kept
    assert build(site, out, NOW).ok
    source = next(path for path in (site / "templates/base.html", REPO / "themes/default/templates/base.html")
                  if path.is_file()).read_text(encoding="utf-8")
    key = value_key(reference_values({"base.html": source})["base.html"].digest)
    store = Store(site / ".cache" / "catalogue")
    assert store.get("values_", key) is not None  # kept by the builds that used it, not only by the one that made it
    store.put_many("values_", {key: b"b" + bytes(range(256))})
    store.close()
    body(site)
    theme_template(site, "partials/macros.html", '<p class="card-kicker">', '<p class="card-kicker" data-edited="1">')
    result = build(site, out, NOW)
    assert result.ok, [p.format() for p in result.problems.sorted()]
    assert_as_a_cold_build(site, out, tmp_path)


_SPLIT_MAP = r'''
import os, sys, threading
from pathlib import Path
from catalogue.build import inputs, processes

parent = os.getpid()
items = list(range(501))
made = processes.in_two(lambda n: (n, [str(n)] * (n % 3), os.getpid() != parent), items, least=0)
assert made == [(n, [str(n)] * (n % 3), n >= 250) for n in items], made[:3]
# the child fails: this process makes its half
assert processes.in_two(lambda n: n if os.getpid() == parent else 1 // 0, items, least=0) == items
assert processes.in_two(lambda n: n if os.getpid() == parent else object(), items, least=0) == items  # not plain
# another thread may hold a lock the child would need: no child then
stop = threading.Event()
waiting = threading.Thread(target=stop.wait, daemon=True)
waiting.start()
assert not any(done for _, _, done in processes.in_two(
    lambda n: (n, [], os.getpid() != parent), items, least=0))
stop.set()
waiting.join()
# a big site's scan, half of it in a child, finds what a scan in one process finds
root = Path(sys.argv[1])
for number in range(2100):
    folder = root / "content" / "products" / f"p-{number:04d}"
    folder.mkdir(parents=True)
    (folder / "product.yaml").write_text(f"n: {number}\n")
    (folder / "en.md").write_text("text" * (number % 7))
split = inputs.scan_inputs(root, "", lambda labels: {})
for (kind, name), folder in split.folders.items():  # each folder's own stamp and digest
    assert folder.stamp == inputs._stamp_row((kind, name, folder.where, False))[0]
    assert folder.digest == inputs.content_digest(folder.where, sorted(os.listdir(folder.where)), f"{kind}/{name}")
inputs.in_two = lambda function, work, least=0: [function(item) for item in work]
alone = inputs.scan_inputs(root, "", lambda labels: {})
assert split == alone and len(split.folders) == 2100 and len(set(split.fresh.values())) == 2100
print("ok")
'''


def test_a_map_split_with_a_forked_process_makes_the_same_list(tmp_path: Path) -> None:
    """The scan stamps and digests half of a big site's folders in a forked process: the same
    list whichever process made which half, and this process makes what a child could not."""
    done = subprocess.run([sys.executable, "-c", _SPLIT_MAP, str(tmp_path)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


@dataclass(frozen=True)
class _Shape:
    """Of the kinds of containers a plan state holds."""
    names: tuple[str, ...]
    owner: Mapping[str, str | None]
    day: Mapping[str, date]
    tags: frozenset[str]
    counts: list[int]
    groups: Mapping[str, tuple[str, ...]]
    flags: tuple[bool, ...]


def test_the_cache_codec_reads_back_what_it_wrote_and_refuses_every_other_shape() -> None:
    """Containers of plain items are read in one pass over their items' types: what was
    written comes back equal; an item of another type anywhere is Malformed, never kept."""
    import json

    from catalogue.build.codec import Malformed, decode, encode, from_plain

    value = _Shape(("a", "b"), {"a": "x", "b": None}, {"a": date(2026, 5, 1)}, frozenset({"t", "u"}), [1, 2],
                  {"g": ("a",), "h": ()}, (True, False))
    assert decode(encode(value), _Shape) == value
    plain = json.loads(encode(value))
    wrong = [(0, ["a", None]), (0, ["a", 1]), (1, {"a": 1}), (1, {"a": ["x"]}), (2, {"a": "not a day"}),
             (2, {"a": 20260501}), (3, ["t", 2]), (4, [1, True]), (4, [1, "2"]), (5, {"g": ["a", 3]}),
             (5, {"g": "a"}), (6, [1]), (0, "ab"), (1, ["a"])]
    for field, bad in wrong:
        damaged = list(plain)
        damaged[field] = bad
        with pytest.raises(Malformed):
            decode(json.dumps(damaged).encode(), _Shape)
    with pytest.raises(Malformed):  # plain data not parsed from JSON text may have other keys
        from_plain({1: "x"}, Mapping[str, str])


def test_a_manifest_or_plan_state_of_the_wrong_shape_is_damage() -> None:
    """Their big tables are checked a column at a time: any one bad cell makes the whole row
    damage (read as nothing kept), never a value of another type kept."""
    import json

    from catalogue.build.replan import PlanState
    from catalogue.build.writer import Manifest

    good = {"build": "b", "files": {"index.html": "k1", "en/index.html": "k2"}}
    assert Manifest.decode(json.dumps(good).encode()) == Manifest("b", good["files"])
    for files in ({"index.html": 1}, {"index.html": None}, {"index.html": ["k"]}, ["index.html"]):
        assert Manifest.decode(json.dumps({"build": "b", "files": files}).encode()) is None

    index = PlanState("s", {}, load_index_of_nothing(), (), {}).encode_index()
    row = ["d1", "d2", "d3", "d4", "d5"]

    def state(entries: object) -> bytes:
        return json.dumps({"settings": "s", "entries": entries, "records": {}, "warnings": []}).encode()

    assert PlanState.decode(state({"product/a": row}), index).entries == {"product/a": tuple(row)}
    for entries in ({"product/a": row[:4]}, {"product/a": row + ["d6"]}, {"product/a": row[:4] + [5]},
                    {"product/a": "d1d2d3d4d5"}, {"product/a": "abcde"}, {"product/a": row, "product/b": [None] * 5},
                    [row]):
        assert PlanState.decode(state(entries), index) is None


def load_index_of_nothing():  # type: ignore[no-untyped-def]
    from catalogue.content.model import Site
    from catalogue.site.index import index_site

    return index_site(Site({}, {}, {}, {}, {}, {}), NOW)


def test_the_scan_reads_its_digests_from_one_kept_row(site: Path, tmp_path: Path) -> None:
    """The last scan's stamps and digests are one row, kept by the build that retains what the
    output is made of; the next scan looks up no row per folder. A folder changed since is
    looked up and digested anew, and then the row says so."""
    from catalogue.build.cache import Store
    from catalogue.build.memo import KnownDigests
    from catalogue.build.pipeline import scan_site

    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    body(site)
    assert build(site, out, NOW).ok  # a rebuild: the row now says what the body edit made
    site_yaml(site)
    assert build(site, out, NOW).ok  # a build of everything retains the row
    store = Store(site / ".cache" / "catalogue")
    asked: list[str] = []
    get_many = store.get_many
    store.get_many = lambda table, keys: (asked.extend(keys), get_many(table, keys))[1]  # type: ignore[method-assign]
    digests = KnownDigests(store)
    folders = scan_site(site, store, "pretty|False").folders.values()
    assert digests.indexed and set(asked) == {KnownDigests.ROW}  # the one row, read twice
    assert digests.indexed == {folder.stamp: folder.digest for folder in folders}
    store.close()


def test_the_collector_runs_only_while_a_full_build_renders(site: Path, tmp_path: Path) -> None:
    """A rebuild reads the last build's state and makes a few pages: no collection scans what
    it read. A full build's pages are garbage once written: the collector runs then."""
    import gc

    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    seen: list[int] = []

    def started(phase: str, info: dict[str, int]) -> None:
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_name != "_build":
            frame = frame.f_back  # type: ignore[assignment]
        if phase == "start" and frame is not None:  # while a build runs (not as it ends)
            seen.append(info["generation"])

    threshold = gc.get_threshold()
    gc.set_threshold(50, 1, 1)
    gc.callbacks.append(started)
    try:
        body(site)
        again = build(site, out, NOW, workers=1)
        assert again.ok and again.replanned and seen == []
        site_yaml(site)
        everything = build(site, out, NOW, workers=1)
        assert everything.ok and not everything.replanned and seen
    finally:
        gc.callbacks.remove(started)
        gc.set_threshold(*threshold)
    assert gc.isenabled()


def test_what_uses_a_record_follows_a_build_that_planned_everything(site: Path, tmp_path: Path) -> None:
    """A build that plans everything writes again which outputs use each record unless its
    outputs are made of what the last such build's were (a template edited): here a product
    moves to another district (a full plan), then its name changes (a rebuild of what shows
    it): the new district's pages must be among them."""
    out = tmp_path / "out"
    assert build(site, out, NOW).ok
    template(site)  # outputs made of what they were: the rows stand
    assert build(site, out, NOW).ok
    edit(site / "content/products/mac-ca/product.yaml", "district: sin-ho", "district: tam-duong")
    assert not build(site, out, NOW).replanned
    name = site / "content/products/mac-ca/vi.md"
    old = next(line for line in name.read_text(encoding="utf-8").splitlines() if line.startswith("name:"))
    edit(name, old, "name: Mắc ca Sìn Hồ loại một")
    again = build(site, out, NOW)
    assert again.replanned
    assert any("tam-duong" in path for path in again.written)
    assert_as_a_cold_build(site, out, tmp_path)
