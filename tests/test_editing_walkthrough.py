"""docs/editing.md, walked through as a new editor would: on a copy of the example site, its
commands in order, its example files written as they are shown; what the program prints is
what the page says it prints."""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
import sys
from pathlib import Path

import pytest
from conftest import REPO, page, text_of
from sitekit import jpeg_bytes

GUIDE = REPO / "docs" / "editing.md"
SLUG = "che-shan-tuyet-dong-pao"

pytestmark = pytest.mark.slow


def _blocks_after(text: str, marker: str) -> list[str]:
    """The fenced blocks that follow `marker` in the guide, in order."""
    rest = text[text.index(marker) + len(marker):]
    return [textwrap.dedent(match.group(1)) for match in re.finditer(r"```[a-z]*\n(.*?)```", rest, re.S)]


def _example(text: str, path: str) -> str:
    return _blocks_after(text, f"<!-- example: {path} -->")[0]


def _run(site: Path, command: str) -> subprocess.CompletedProcess[str]:
    """A command as the guide writes it (`.venv/bin/python build.py ...`), run with this Python."""
    assert command.startswith(".venv/bin/python build.py ")
    args = [part.strip('"') for part in re.findall(r'"[^"]*"|\S+', command[len(".venv/bin/python build.py "):])]
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args, "--now", "2026-11-29"]
                          if args[0] in ("check", "i18n") else [sys.executable, str(REPO / "build.py"), *args],
                          cwd=site, capture_output=True, text=True, timeout=300)


def test_the_editors_guide_does_what_it_says(tmp_path: Path) -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(REPO / "site.yaml", site / "site.yaml")
    shutil.copytree(REPO / "content", site / "content")
    folder = site / "content" / "products" / SLUG

    # Step 4: the folder, and what `new` prints
    command, printed = _blocks_after(guide, "### Step 4. Create the product folder")[:2]
    done = _run(site, command.strip())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == printed.strip()

    # Step 9 (run right after Step 4): the problems of the new product, as listed
    command, printed = _blocks_after(guide, "### Step 9. Run the checker")[:2]
    done = _run(site, command.strip())
    assert done.returncode == 1
    said = [line for line in done.stdout.splitlines() if SLUG in line or line.startswith("check:")]
    assert said == printed.strip().splitlines()

    # Steps 5 to 7: the files as the guide shows them, the photos they name
    for name in ("product.yaml", "vi.md"):
        (folder / name).write_text(_example(guide, f"content/products/{SLUG}/{name}"), encoding="utf-8")
    for photo in set(re.findall(r"[\w-]+\.(?:jpg|png|webp)", (folder / "product.yaml").read_text(encoding="utf-8")
                                + (folder / "vi.md").read_text(encoding="utf-8"))):
        (folder / photo).write_bytes(jpeg_bytes((800, 600)))
    done = _run(site, ".venv/bin/python build.py check")
    assert done.returncode == 0, done.stdout
    assert not [line for line in done.stdout.splitlines() if SLUG in line]
    ok = _blocks_after(guide, "Work through the list from the top")[0].strip()
    assert done.stdout.strip().splitlines()[-1] == ok

    # Step 10: the English text, and what the stamp prints
    (folder / "en.md").write_text(_example(guide, f"content/products/{SLUG}/en.md"), encoding="utf-8")
    command, printed = _blocks_after(guide, "### Step 10. Write the English text and stamp it")[1:3]
    done = _run(site, command.strip())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == printed.strip()

    # and the site builds, with the product's page in both languages
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "build", "--now", "2026-11-29", "--quiet"],
                          cwd=site, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert text_of(page(site / "public", f"en/products/{SLUG}/index.html").cssselect("h1")[0]) == \
        "Dong Pao Shan Tuyet Tea"
    assert not page(site / "public", f"en/products/{SLUG}/index.html").cssselect(".notice-fallback")
