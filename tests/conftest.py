from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import lxml.html
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sitekit import make_site  # noqa: E402

from catalogue.build.pipeline import BuildResult, build  # noqa: E402

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path / "site")


def build_ok(site: Path, out: Path | None = None) -> Path:
    out = out or site / "public"
    result = build(site, out, NOW)
    assert result.ok, "\n".join(p.format() for p in result.problems.sorted())
    return out


def build_fails(site: Path, out: Path | None = None) -> BuildResult:
    result = build(site, out or site / "public", NOW)
    assert not result.ok, "the build was expected to fail"
    return result


def messages(result: BuildResult) -> list[str]:
    return [p.format() for p in result.problems.sorted()]


def page(out: Path, rel: str) -> lxml.html.HtmlElement:
    path = out / rel
    assert path.is_file(), f"missing page {rel}"
    return lxml.html.fromstring(path.read_bytes())


def text_of(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


@pytest.fixture
def built(site: Path) -> Path:
    return build_ok(site)


@pytest.fixture(scope="session")
def example_public(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("example") / "public"
    result = build(REPO, out, NOW)
    assert result.ok, "\n".join(p.format() for p in result.problems.sorted())
    # the example's only warnings: five ratings granted in 2019-2022, never renewed in its records
    assert sorted((p.path, p.field) for p in result.problems.warnings) == LAPSED_IN_EXAMPLE, \
        [p.format() for p in result.problems.warnings]
    return out


LAPSED_IN_EXAMPLE = sorted((f"content/products/{slug}/product.yaml", "ocop.year") for slug in (
    "banh-quy-mac-ca", "thit-lon-gac-bep-lai-chau", "tinh-bot-dong-rieng-tan-uyen", "tra-xanh-tan-uyen",
    "tui-tho-cam-nguoi-dao"))


@pytest.fixture(scope="session")
def fixture_public(tmp_path_factory) -> Path:
    site = make_site(tmp_path_factory.mktemp("fixture") / "site")
    out = site / "public"
    assert build(site, out, NOW).ok
    return out


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright; never a downloaded browser."""
    import os
    import shutil

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install --no-install-recommends chromium)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"])
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def example_http(example_public: Path):
    from sitehttp import serve_folder
    with serve_folder(example_public) as base:
        yield base


@pytest.fixture(scope="session")
def example_files(tmp_path_factory) -> Path:
    """The example site built for opening from disk: every link names its file."""
    out = tmp_path_factory.mktemp("example-files") / "site"
    result = build(REPO, out, NOW, link_style="files")
    assert result.ok, "\n".join(p.format() for p in result.problems.sorted())
    return out
