"""The writer's promises: atomic swap, byte-identical rebuilds, refusing dangerous folders."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import NOW, REPO, build_fails, build_ok

from catalogue.build.pipeline import build


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_failed_build_leaves_previous_output_untouched(site: Path) -> None:
    out = build_ok(site)
    before = snapshot(out)
    (site / "content/products/che-ta-leng/product.yaml").write_text("producer: [unclosed\n", encoding="utf-8")
    build_fails(site, out)
    assert snapshot(out) == before
    leftovers = [p.name for p in out.parent.iterdir() if ".staging-" in p.name or ".old-" in p.name]
    assert leftovers == []


def test_template_error_keeps_previous_output(site: Path) -> None:
    out = build_ok(site)
    before = snapshot(out)
    (site / "templates").mkdir()
    (site / "templates/product.html").write_text("{% extends 'base.html' %}{% block main %}{{ product.nope }}"
                                                 "{% endblock %}", encoding="utf-8")
    result = build_fails(site, out)
    assert any("templates/product.html" in p.format() and "nope" in p.format() for p in result.problems.errors)
    assert snapshot(out) == before


def test_successful_rebuild_replaces_removed_pages(site: Path) -> None:
    out = build_ok(site)
    assert (out / "en/products/mac-ca/index.html").exists()
    import shutil
    shutil.rmtree(site / "content/products/mac-ca")
    (site / "content/events/tu-van-nhat-ban/event.yaml").write_text(
        (site / "content/events/tu-van-nhat-ban/event.yaml").read_text().replace(", mac-ca", ""))
    build_ok(site, out)
    assert not (out / "en/products/mac-ca").exists()


def test_two_builds_give_identical_bytes(site: Path, tmp_path: Path) -> None:
    first = build_ok(site, tmp_path / "one")
    second = build_ok(site, tmp_path / "two")
    assert snapshot(first) == snapshot(second)
    assert len(snapshot(first)) > 50


def test_source_date_epoch_fixes_the_build_date(site: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1900000000")  # 2030-03-17: every event is past
    result = build(site, tmp_path / "out", None)
    assert result.ok
    html = (tmp_path / "out/en/events/index.html").read_text()
    assert "No upcoming events have been announced yet." in html


@pytest.mark.parametrize("value", ["99999999999999", "yesterday", "-5", "1.5e9"])
def test_a_malformed_source_date_epoch_is_a_usage_error(site: Path, value: str) -> None:
    """As its specification asks: a tool stops rather than build with another date."""
    import os

    for command in (["build"], ["check"], ["bundle", "--no-pdf"]):
        done = subprocess.run([sys.executable, str(REPO / "build.py"), *command, "--site", str(site)],
                              capture_output=True, text=True, env={**os.environ, "SOURCE_DATE_EPOCH": value})
        assert done.returncode == 2, (command, done.stderr)
        assert f"SOURCE_DATE_EPOCH={value!r} is not a number of seconds since 1970-01-01" in done.stderr
        assert "Traceback" not in done.stderr
    assert not (site / "public").exists() and not (site / "dist").exists()


def test_a_mistyped_site_folder_is_said_and_not_made(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-site"
    for command in (["build"], ["bundle", "--no-pdf"], ["pdf", "--lang", "en"]):
        done = subprocess.run([sys.executable, str(REPO / "build.py"), *command, "--site", str(missing)],
                              capture_output=True, text=True)
        assert done.returncode == 1 and "site.yaml" in done.stderr, (command, done.stderr)
        assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # not even its .cache/


def test_an_unknown_language_or_market_is_the_same_message_for_bundle_and_pdf(site: Path, tmp_path: Path) -> None:
    """Both name what the site has, and both exit 1: the site's languages are its content."""
    for command in (["bundle", "--no-pdf"], ["pdf"]):
        for option, value, said in (("--lang", "en,fr", "--lang: fr not among the site's languages ['vi', 'en', "),
                                    ("--market", "mars", "--market: unknown market 'mars'; known: ")):
            done = subprocess.run([sys.executable, str(REPO / "build.py"), *command, option, value,
                                   "--site", str(site), "--out", str(tmp_path / ("b.zip" if "bundle" in command
                                                                                   else "pdfs"))],
                                  capture_output=True, text=True)
            assert done.returncode == 1 and said in done.stderr, (command, done.stderr)


def test_a_language_asked_for_twice_is_bundled_once(site: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "bundle", "--no-pdf", "--lang", "en,en,vi",
                           "--site", str(site), "--out", str(tmp_path / "b.zip")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    names = zipfile.ZipFile(tmp_path / "b.zip").namelist()
    assert {name.split("/")[0] for name in names if name.endswith("index.html") and "/" in name} >= {"en", "vi"}


def test_a_source_date_epoch_past_year_9999_is_no_traceback_for_a_program_either(site: Path, tmp_path: Path,
                                                                                 monkeypatch) -> None:
    """Called as a library, with no command line to refuse it: the clock, not an exception."""
    from catalogue.build.pipeline import resolve_now

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "99999999999999")
    assert resolve_now().year >= 2026
    assert build(site, tmp_path / "out", None).ok


def test_a_file_in_the_way_of_a_bundle_or_a_pdf_is_one_message(site: Path, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("a file", encoding="utf-8")
    for command, target in ((["bundle", "--no-pdf"], "f/x.zip"), (["pdf", "--lang", "en"], "f/sub")):
        done = subprocess.run([sys.executable, str(REPO / "build.py"), *command, "--site", str(site),
                               "--out", str(tmp_path / target)], capture_output=True, text=True)
        assert done.returncode == 1 and f"{tmp_path / 'f'} is a file, not a folder" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize("target", [".", "content", "content/products", ".cache", ".cache/catalogue", ".git"])
def test_refuses_to_replace_the_site_itself(site: Path, target: str) -> None:
    """The site, its sources, and what it keeps beside them: the build cache (an output there
    was swapped out with the cache open in it) and its Git history."""
    result = build(site, site / target, NOW)
    assert not result.ok
    assert (site / "content/products/che-ta-leng/product.yaml").is_file()
    if target.startswith("."):
        assert not (site / target).exists() or not any((site / target).rglob(".catalogue-output")), target


def test_refuses_an_output_holding_or_inside_a_cache_given_elsewhere(site: Path, tmp_path: Path) -> None:
    for out, cache in ((tmp_path / "shared", tmp_path / "shared/cache"), (tmp_path / "cache/out", tmp_path / "cache")):
        result = build(site, out, NOW, cache_dir=cache)
        assert not result.ok
        assert any("build cache" in p.format() for p in result.problems.errors), result.problems.errors


def test_refuses_a_non_empty_folder_that_is_not_a_build(site: Path, tmp_path: Path) -> None:
    precious = tmp_path / "documents"
    precious.mkdir()
    (precious / "letter.txt").write_text("keep me")
    result = build(site, precious, NOW)
    assert not result.ok
    assert result.problems.errors[0].message.endswith(
        "documents is not empty and was not made by this program (it has no .catalogue-output); empty it, delete it, "
        "or choose another folder with --out")
    assert (precious / "letter.txt").read_text() == "keep me"


def test_site_without_theme_or_locales_uses_the_builtin_ones(built: Path, site: Path) -> None:
    assert not (site / "themes").exists() and not (site / "locales").exists()
    html = (built / "vi/products/index.html").read_text(encoding="utf-8")
    assert "Sản phẩm" in html  # the built-in Vietnamese catalogue
    assert len(list((built / "static/css").glob("site.*.css"))) == 1


def test_site_override_of_a_theme_template_and_catalogue(site: Path) -> None:
    (site / "templates/partials").mkdir(parents=True)
    (site / "templates/404.html").write_text("{% extends 'base.html' %}{% block main %}<h1>{{ _('Lost?') }}</h1>"
                                             "{% endblock %}", encoding="utf-8")
    po = site / "locales/en/LC_MESSAGES/messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "Lost?"\nmsgstr "Lost your way?"\n\nmsgid "Products"\nmsgstr "Goods"\n', encoding="utf-8")
    out = build_ok(site)
    assert "<h1>Lost your way?</h1>" in (out / "en/404.html").read_text()
    html = (out / "en/products/index.html").read_text()
    assert "<h1>Goods</h1>" in html and "Skip to content" in html  # the package's strings still apply


@pytest.mark.slow
def test_wheel_ships_the_default_theme_and_catalogues(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(tmp_path), str(REPO)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("catalogue-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "catalogue/builtin/themes/default/templates/base.html" in names
    assert "catalogue/builtin/themes/default/static/css/site.css" in names
    for lang in ("vi", "en", "ar", "ja"):
        assert f"catalogue/builtin/locales/{lang}/LC_MESSAGES/messages.po" in names
    assert "catalogue/data/codes.yaml" in names


def test_a_build_in_a_process_that_goes_on_leaves_the_collector_as_it_found_it(site: Path, tmp_path: Path) -> None:
    """The preview builds again and again in one process: what a build kept out of
    collections is given back, and collection is on again, even after a failed build. The
    command line's build, whose process ends with it, keeps them."""
    import gc

    assert gc.isenabled() and gc.get_freeze_count() == 0
    try:
        assert build(site, tmp_path / "cli", NOW, release_memory=False).ok
        assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert build(site, tmp_path / "out", NOW, workers=2).ok
    assert gc.isenabled() and gc.get_freeze_count() == 0
    (site / "site.yaml").write_text("languages: [\n", encoding="utf-8")
    assert not build(site, tmp_path / "out", NOW).ok
    assert gc.isenabled() and gc.get_freeze_count() == 0
