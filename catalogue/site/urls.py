"""The URL scheme: where every page and file goes, and how pages link to each other.

Links between pages are relative, so a site works under any sub-path of a host and, in the
`files` style, from a folder on disk (every link names its index.html).
"""

from __future__ import annotations

import posixpath
import re
from typing import Literal
from urllib.parse import quote, urlsplit

LinkStyle = Literal["pretty", "files"]


def home(lang: str) -> str:
    return f"{lang}/index.html"


def section(lang: str, name: str) -> str:
    return f"{lang}/{name}/index.html"


def entry(lang: str, folder: str, slug: str) -> str:
    return f"{lang}/{folder}/{slug}/index.html"


def listing(lang: str, list_name: str, code: str) -> str:
    return f"{lang}/{list_name}/{code}/index.html"


def event_ics(lang: str, slug: str) -> str:
    return f"{lang}/events/{slug}/{slug}.ics"


def feed(lang: str, name: str) -> str:
    return f"{lang}/{name}.atom"


def data_file(lang: str, extension: str) -> str:
    return f"{lang}/catalogue.{extension}"


def search_index(lang: str) -> str:
    return f"{lang}/search-index.js"


def media(folder: str, slug: str, file_name: str) -> str:
    return f"media/{folder}/{slug}/{file_name}"


def not_found(lang: str) -> str:
    return f"{lang}/404.html"


_SAFE = re.compile(r"[A-Za-z0-9/._~-]*")


def relative(from_out_path: str, to_out_path: str, style: LinkStyle = "pretty") -> str:
    """Link from one output file to another (paths inside the output folder).

    Links climb to the site's root and come down again ("../../en/products/x/"): the same
    target then has the same link from every page of a depth, so rendered cards can be reused.
    """
    to_path, _, fragment = to_out_path.partition("#")
    if to_path == from_out_path:
        rel = "./" if style == "pretty" and to_path.endswith("index.html") else posixpath.basename(to_path)
    elif not to_path:
        rel = ""
    else:
        rel = "../" * from_out_path.count("/") + to_path
        if style == "pretty" and (rel == "index.html" or rel.endswith("/index.html")):
            rel = rel[: -len("index.html")] or "./"
    url = rel if _SAFE.fullmatch(rel) else quote(rel, safe="/._-~")
    return f"{url}#{fragment}" if fragment else url


def absolute(base_url: str, out_path: str) -> str:
    """Public address of an output file, for canonical links, hreflang, sitemaps, feeds."""
    path = out_path[: -len("index.html")] if out_path.endswith("index.html") else out_path
    return base_url + (path if _SAFE.fullmatch(path) else quote(path, safe="/._-~"))


def root_relative(base_url: str, out_path: str) -> str:
    """"/ocop/en/" for base_url https://host/ocop/: right at any depth of the same host."""
    return urlsplit(absolute(base_url, out_path)).path
