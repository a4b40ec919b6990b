"""The cost of one keystroke in the product list's search, in Chromium, from file://.

    python bench/search_keystroke.py OUT_DIR [LANG]

Types queries letter by letter (each a search of the whole index, its ranking and the cards
shown) and prints the median and the slowest, in milliseconds. Needs Playwright and a
Chromium (the test set-up's).
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

QUERIES = ("macadamia", "tea green", "product 42", "honey", "halal", "0902", "hoeny")

_ONE_KEYSTROKE = """(q) => {
  const form = document.getElementById('product-search');
  form.querySelector('input[name=q]').value = q;
  const started = performance.now();
  form.dispatchEvent(new Event('submit', {cancelable: true}));
  return performance.now() - started;
}"""


def keystrokes(out: Path, lang: str = "en") -> list[float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto((out / lang / "products" / "index.html").resolve().as_uri())
        page.wait_for_function("window.catalogueSearch && document.getElementById('facet-form').hidden === false")
        times = []
        for query in QUERIES:
            for end in range(1, len(query) + 1):
                times.append(page.evaluate(_ONE_KEYSTROKE, query[:end]))
        browser.close()
    return times


if __name__ == "__main__":
    found = keystrokes(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "en")
    print(f"search keystroke: median {statistics.median(found):.1f} ms, slowest {max(found):.1f} ms "
          f"({len(found)} keystrokes)")
