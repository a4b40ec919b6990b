"""sitemap.xml with xhtml:link alternates per language (split, with an index, past the
protocol's limits), and robots.txt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Iterator
from xml.sax.saxutils import quoteattr, escape

from catalogue.site import urls
from catalogue.derive import digest


# The sitemap protocol's limits per file; a bigger site gets several files and an index.
MAX_URLS = 50_000
MAX_BYTES = 50 * 1024 * 1024
_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
         '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
         'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n')
_TAIL = "</urlset>\n"


@dataclass(frozen=True)
class SitemapEntry:
    out_path: str
    alternates: tuple[tuple[str, str], ...]  # (language, out_path)
    lastmod: date | None
    x_default: str | None = None  # the page for readers of no listed language; else the source language's

    def line(self) -> str:
        return f"{self.out_path}|{'|'.join(f'{lang}={path}' for lang, path in self.alternates)}|{self.lastmod}" \
               f"|{self.x_default}"


@dataclass(frozen=True)
class SitemapEntries:
    """Every page a sitemap lists; its digest made in one pass over them (tens of thousands)."""

    entries: tuple[SitemapEntry, ...]

    @property
    def digest(self) -> str:
        return digest("sitemap", "\n".join(entry.line() for entry in self.entries))


def _estimate(base_url: str, entry: SitemapEntry) -> int:
    """An upper bound of the bytes of an entry's <url> element (addresses quoted at most 3x)."""
    return 220 + 6 * (len(base_url) + len(entry.out_path)) + sum(
        90 + 3 * (len(base_url) + len(path)) for _, path in entry.alternates) * 2


def layout(base_url: str, entries: tuple[SitemapEntry, ...], max_urls: int = MAX_URLS,
           max_bytes: int = MAX_BYTES) -> list[tuple[int, int]]:
    """(start, end) of each sitemap file's entries: one file, or several under an index."""
    parts: list[tuple[int, int]] = []
    start, size = 0, len(_HEAD) + len(_TAIL)
    for index, entry in enumerate(entries):
        grown = _estimate(base_url, entry)
        if index > start and (index - start >= max_urls or size + grown > max_bytes):
            parts.append((start, index))
            start, size = index, len(_HEAD) + len(_TAIL)
        size += grown
    parts.append((start, len(entries)))
    return parts


def sitemap_names(base_url: str, entries: tuple[SitemapEntry, ...], max_urls: int = MAX_URLS,
                  max_bytes: int = MAX_BYTES) -> list[str]:
    parts = layout(base_url, entries, max_urls, max_bytes)
    if len(parts) == 1:
        return ["sitemap.xml"]
    return ["sitemap.xml"] + [f"sitemap-{number}.xml" for number in range(1, len(parts) + 1)]


def sitemap_file(base_url: str, entries: tuple[SitemapEntry, ...], default_lang: str, name: str,
                 max_urls: int = MAX_URLS, max_bytes: int = MAX_BYTES) -> bytes:
    """sitemap.xml, or, past the protocol's limits, sitemap-1.xml, sitemap-2.xml... and
    sitemap.xml as their index (what robots.txt names either way)."""
    parts = layout(base_url, entries, max_urls, max_bytes)
    if len(parts) == 1:
        return _urlset(list(_url_entries(base_url, entries, default_lang)))
    if name != "sitemap.xml":
        start, end = parts[int(name[len("sitemap-"):-len(".xml")]) - 1]
        return _urlset(list(_url_entries(base_url, entries[start:end], default_lang)))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    lines += [f"  <sitemap><loc>{escape(urls.absolute(base_url, f'sitemap-{n}.xml'))}</loc></sitemap>"
              for n in range(1, len(parts) + 1)]
    lines.append("</sitemapindex>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def sitemap_files(base_url: str, entries: tuple[SitemapEntry, ...], default_lang: str, max_urls: int = MAX_URLS,
                  max_bytes: int = MAX_BYTES) -> dict[str, bytes]:
    """Every sitemap file by name (what the build writes one by one)."""
    return {name: sitemap_file(base_url, entries, default_lang, name, max_urls, max_bytes)
            for name in sitemap_names(base_url, entries, max_urls, max_bytes)}


def _urlset(entries: list[bytes]) -> bytes:
    return _HEAD.encode("utf-8") + b"".join(entries) + _TAIL.encode("utf-8")


def _url_entries(base_url: str, entries: Iterable[SitemapEntry], default_lang: str) -> Iterator[bytes]:
    """One <url> element per entry, as UTF-8."""
    quoted: dict[str, str] = {}  # each address appears once per language of its page

    def address(out_path: str) -> str:
        found = quoted.get(out_path)
        if found is None:
            found = quoted[out_path] = quoteattr(urls.absolute(base_url, out_path))
        return found

    for entry in entries:
        lines = ["  <url>", f"    <loc>{escape(urls.absolute(base_url, entry.out_path))}</loc>"]
        if entry.lastmod is not None:
            lines.append(f"    <lastmod>{entry.lastmod.isoformat()}</lastmod>")
        alternates = dict(entry.alternates)
        for lang, out_path in entry.alternates:
            lines.append(f'    <xhtml:link rel="alternate" hreflang={quoteattr(lang)} href={address(out_path)}/>')
        x_default = entry.x_default or alternates.get(default_lang)
        if x_default is not None:
            lines.append(f'    <xhtml:link rel="alternate" hreflang="x-default" href={address(x_default)}/>')
        lines.append("  </url>\n")
        yield "\n".join(lines).encode("utf-8")


def robots_txt(base_url: str) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {base_url}sitemap.xml\n".encode("utf-8")
