"""The project's own checks of a built site: a link crawler and the Nu HTML checker."""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html

REPO = Path(__file__).resolve().parent.parent
LINK_ATTRS = (("a", "href"), ("link", "href"), ("img", "src"), ("script", "src"), ("source", "src"),
              ("iframe", "src"))


@dataclass(frozen=True)
class Broken:
    page: str
    target: str
    reason: str

    def __str__(self) -> str:
        return f"{self.page}: {self.target} ({self.reason})"


def _ids(path: Path, cache: dict[Path, set[str]]) -> set[str]:
    if path not in cache:
        doc = lxml.html.fromstring(path.read_bytes())
        cache[path] = {e.get("id") for e in doc.iter() if e.get("id")} | \
                      {e.get("name") for e in doc.iter("a") if e.get("name")}
    return cache[path]


def _resolve(site: Path, page: Path, url: str, base_url: str, files_only: bool) -> tuple[Path | None, str, str]:
    """(file the link points at, fragment, problem) for an internal link; (None, '', '') if external."""
    if base_url and url.startswith(base_url):
        url = "/" + url[len(base_url):]
        absolute = True
    else:
        absolute = False
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None, "", ""
    if url.startswith("/") and not absolute:
        return site / "__root-absolute__", "", "root-absolute link breaks under a sub-path and from file://"
    rel = unquote(parts.path)
    if absolute:
        target = site / rel.lstrip("/")
    elif rel == "":
        target = page
    else:
        target = Path(posixpath.normpath(posixpath.join(page.parent.as_posix(), rel)))
    if not target.resolve().is_relative_to(site.resolve()):
        return target, "", "points outside the site"
    if target.is_dir() or rel.endswith("/"):
        if files_only and not absolute:
            return target, "", "links to a folder; from file:// it must name index.html"
        target = target / "index.html"
    return target, parts.fragment, ""


def crawl(site: Path, base_url: str = "", files_only: bool = False) -> tuple[list[Broken], int]:
    """Every internal link, image, script, stylesheet and #anchor of every page must resolve."""
    broken: list[Broken] = []
    checked = 0
    base_path = urlsplit(base_url).path if base_url else ""
    ids: dict[Path, set[str]] = {}
    for page in sorted(site.rglob("*.html")):
        rel_page = page.relative_to(site).as_posix()
        doc = lxml.html.fromstring(page.read_bytes())
        urls: list[str] = []
        for tag, attr in LINK_ATTRS:
            urls += [e.get(attr) for e in doc.iter(tag) if e.get(attr) is not None]
        for element in doc.iter("img", "source"):
            if element.get("srcset"):
                urls += [c.strip().split(" ")[0] for c in element.get("srcset").split(",") if c.strip()]
        for url in urls:
            if url.startswith(("mailto:", "tel:", "data:")):
                continue
            if page.name == "404.html":
                if not url.startswith(("http:", "https:", "#", "/")):
                    broken.append(Broken(rel_page, url, "a 404 page is served at any depth: use root-based links"))
                    continue
                if url.startswith("/") and base_path and url.startswith(base_path):
                    url = base_url + url[len(base_path):]
            target, fragment, problem = _resolve(site, page, url, base_url, files_only)
            if target is None:
                continue
            checked += 1
            if problem:
                broken.append(Broken(rel_page, url, problem))
            elif not target.is_file():
                broken.append(Broken(rel_page, url, "no such file"))
            elif fragment and target.suffix == ".html" and fragment not in _ids(target, ids):
                broken.append(Broken(rel_page, url, f"no element with id {fragment!r}"))
    return broken, checked


def vnu_jar() -> Path | None:
    candidates = [os.environ.get("VNU_JAR", ""), str(REPO / ".cache/vnu/node_modules/vnu-jar/build/dist/vnu.jar")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def validate_html(site: Path) -> list[str]:
    """Nu HTML checker errors over every page of `site`, as 'file:line: message'."""
    jar = vnu_jar()
    java = shutil.which("java")
    if jar is None or java is None:
        raise RuntimeError("the Nu HTML checker needs Java and vnu.jar: run `make vnu` (or `make test`)")
    done = subprocess.run([java, "-Xss4m", "-jar", str(jar), "--errors-only", "--skip-non-html", "--format",
                           "json", "--stdout", str(site)], capture_output=True, text=True, timeout=600)
    report = json.loads(done.stdout or "{}")
    errors = []
    for message in report.get("messages", []):
        if message.get("type") in ("error", "non-document-error"):
            where = message.get("url", "").replace("file:" + str(site), "")
            errors.append(f"{where}:{message.get('lastLine', '?')}: {message.get('message')}")
    return errors
