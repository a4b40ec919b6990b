"""Page weights of a built site: the heaviest HTML pages and the most elements a listing has.

`make bench` prints them for the 10,000-product build; also usable alone:
    python bench/weights.py OUT_DIR
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_TAG = re.compile(rb"<[a-zA-Z][^>]*>")
LISTINGS = ("products", "categories", "districts", "markets", "producers", "events")


def weights(out: Path) -> dict[str, object]:
    pages = sorted(out.rglob("*.html"), key=lambda p: p.stat().st_size, reverse=True)
    heaviest = pages[0]
    listing_pages = [p for p in pages if len(p.relative_to(out).parts) > 1 and p.relative_to(out).parts[1] in LISTINGS
                     and (p.name == "index.html" and (p.parent.parent.name in LISTINGS or p.parent.name in LISTINGS
                                                      or p.parent.parent.name == "page"))]
    most = max(listing_pages or pages, key=lambda p: len(_TAG.findall(p.read_bytes())))
    indexes = sorted(out.glob("*/search-index*.js"))
    return {"html_pages": len(pages), "heaviest_page": (heaviest.relative_to(out).as_posix(), heaviest.stat().st_size),
            "most_elements_listing": (most.relative_to(out).as_posix(), len(_TAG.findall(most.read_bytes()))),
            "search_index": (indexes[0].relative_to(out).as_posix(), indexes[0].stat().st_size) if indexes else None}


def report(out: Path) -> str:
    found = weights(out)
    page, size = found["heaviest_page"]  # type: ignore[misc]
    listing, elements = found["most_elements_listing"]  # type: ignore[misc]
    lines = [f"page weights: {found['html_pages']} HTML pages; heaviest {size / 1024:.0f} KB ({page}); "
             f"most elements on a listing {elements} ({listing})"]
    if found["search_index"]:
        name, index_size = found["search_index"]  # type: ignore[misc]
        lines.append(f"search index: {index_size / 1024:.0f} KB ({name})")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(Path(sys.argv[1])))
