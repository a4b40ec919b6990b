"""The cost of one keystroke in the product list's search, in Chromium, from file://.

    python bench/search_keystroke.py OUT_DIR [LANG]

Types queries letter by letter (each a search of the whole index, its ranking and the cards
shown), in three fresh pages: a keystroke's cost is the median of its three times (a pause
of the machine or of the garbage collector is not the keystroke's). Prints the median and
the slowest of those costs, and the slowest single time, in milliseconds. Needs Playwright
and a Chromium (the test set-up's).
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


ROUNDS = 3


def keystrokes(out: Path, lang: str = "en") -> tuple[list[list[float]], float]:
    """Each keystroke's times, one per round; and when the search was ready (ms after the page began)."""
    from playwright.sync_api import sync_playwright

    rounds, ready = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for _ in range(ROUNDS):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto((out / lang / "products" / "index.html").resolve().as_uri())
            page.wait_for_function("window.catalogueSearch && document.getElementById('facet-form').hidden === false")
            # its words are sorted just after it is shown, in small tasks: a keystroke then costs what it finds
            page.wait_for_selector("#product-search[data-ready]", state="attached")
            ready.append(int(page.get_attribute("#product-search", "data-ready") or 0))
            rounds.append([page.evaluate(_ONE_KEYSTROKE, query[:end])
                           for query in QUERIES for end in range(1, len(query) + 1)])
            page.close()
        browser.close()
    return [list(times) for times in zip(*rounds)], statistics.median(ready)


def report(found: list[list[float]], ready: float) -> str:
    costs = [statistics.median(times) for times in found]
    return (f"search keystroke: median {statistics.median(costs):.1f} ms, slowest {max(costs):.1f} ms "
            f"({len(costs)} keystrokes, each the median of {ROUNDS} rounds; slowest single time "
            f"{max(max(times) for times in found):.1f} ms); ready {ready:.0f} ms after the page began")


if __name__ == "__main__":
    print(report(*keystrokes(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "en")))
