"""The inquiry in Firefox (Debian's firefox-esr), from a site opened from disk, as in Chromium
(test_search.py): two products from their cards, the buyer's details, the mail with public
addresses, the CSV file, and a confirmation before emptying the list. Driven by
firefox_inquiry.mjs over WebDriver BiDi; `make test` installs puppeteer-core for it."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
BASE = "https://ocop.laichau.example.org/en/products/"

pytestmark = pytest.mark.browser


def _tools() -> tuple[str, str]:
    puppeteer = os.environ.get("PUPPETEER_DIR", "")
    firefox = shutil.which("firefox-esr") or shutil.which("firefox")
    node = shutil.which("node")
    if not (puppeteer and (Path(puppeteer) / "package.json").is_file() and firefox and node):
        if os.environ.get("CI"):
            pytest.fail("Firefox, Node.js or puppeteer-core is missing: .ci/run and `make test` install them")
        pytest.skip("needs firefox-esr, node and PUPPETEER_DIR (run the tests with `make test`)")
    return puppeteer, firefox


def test_an_inquiry_from_a_site_on_disk_works_in_firefox(example_files: Path) -> None:
    puppeteer, firefox = _tools()
    done = subprocess.run(["node", str(HERE / "firefox_inquiry.mjs"), puppeteer, firefox, example_files.as_uri() + "/"],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    made = json.loads(done.stdout.strip().splitlines()[-1])
    assert made["errors"] == []
    reference = made["reference"]
    body = urllib.parse.parse_qs(made["mail"].split("?", 1)[1])["body"][0]
    assert made["mail"].startswith("mailto:xuctien@laichau.example.org?")
    assert f"{BASE}nhan-mac-ca-tam-duong/" in body and f"{BASE}che-xanh-shan-tuyet-ta-leng/" in body
    assert "file:" not in body and "Aisha Rahman" in body and reference in body
    assert made["csv"]["name"] == f"{reference}.csv"
    href = made["csv"]["href"]
    assert href.startswith("data:text/csv;charset=utf-8,")
    text = urllib.parse.unquote(href.split(",", 1)[1])
    assert text.startswith("\ufeff")  # spreadsheets then read UTF-8
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert [r["url"] for r in rows] == [f"{BASE}nhan-mac-ca-tam-duong/", f"{BASE}che-xanh-shan-tuyet-ta-leng/"]
    assert rows[0]["quantity"] == "2 t" and rows[0]["company"] == "'=Gulf Foods"
    assert {r["reference"] for r in rows} == {reference}
    assert made["afterDownload"].endswith("/en/inquiry/index.html")  # saved, the page kept
    assert [(a["accept"], a["rows"]) for a in made["answered"]] == [(False, 2), (True, 0)]
    assert "Empty the inquiry list?" in made["answered"][0]["message"]
