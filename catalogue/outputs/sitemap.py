"""sitemap.xml with xhtml:link alternates per language (split, with an index, past the
protocol's limits), and robots.txt."""

from __future__ import annotations

from datetime import date
from typing import Iterable, Iterator, Mapping
from xml.sax.saxutils import quoteattr, escape

from catalogue.site import urls
from catalogue.site.plan import Page


# The sitemap protocol's limits per file; a bigger site gets several files and an index.
MAX_URLS = 50_000
MAX_BYTES = 50 * 1024 * 1024
_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
         '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
         'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n')
_TAIL = "</urlset>\n"


def sitemap_files(base_url: str, pages: Iterable[Page], lastmod: Mapping[str, date], default_lang: str,
                  max_urls: int = MAX_URLS, max_bytes: int = MAX_BYTES) -> dict[str, bytes]:
    """sitemap.xml, or, past the protocol's limits, sitemap-1.xml, sitemap-2.xml... and
    sitemap.xml as their index (what robots.txt names either way)."""
    parts: list[list[bytes]] = [[]]
    size = len(_HEAD) + len(_TAIL)
    for entry in _url_entries(base_url, pages, lastmod, default_lang):
        if parts[-1] and (len(parts[-1]) >= max_urls or size + len(entry) > max_bytes):
            parts.append([])
            size = len(_HEAD) + len(_TAIL)
        parts[-1].append(entry)
        size += len(entry)
    if len(parts) == 1:
        return {"sitemap.xml": _urlset(parts[0])}
    files = {f"sitemap-{number}.xml": _urlset(part) for number, part in enumerate(parts, 1)}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    lines += [f"  <sitemap><loc>{escape(urls.absolute(base_url, name))}</loc></sitemap>" for name in files]
    lines.append("</sitemapindex>")
    files["sitemap.xml"] = ("\n".join(lines) + "\n").encode("utf-8")
    return files


def _urlset(entries: list[bytes]) -> bytes:
    return _HEAD.encode("utf-8") + b"".join(entries) + _TAIL.encode("utf-8")


def _url_entries(base_url: str, pages: Iterable[Page], lastmod: Mapping[str, date],
                 default_lang: str) -> Iterator[bytes]:
    """One <url> element per indexable page, as UTF-8."""
    quoted: dict[str, str] = {}  # each address appears once per language of its page

    def address(out_path: str) -> str:
        found = quoted.get(out_path)
        if found is None:
            found = quoted[out_path] = quoteattr(urls.absolute(base_url, out_path))
        return found

    for page in pages:
        if not page.indexable or not page.is_html:
            continue
        lines = ["  <url>", f"    <loc>{escape(urls.absolute(base_url, page.out_path))}</loc>"]
        if page.out_path in lastmod:
            lines.append(f"    <lastmod>{lastmod[page.out_path].isoformat()}</lastmod>")
        for lang, out_path in (page.alternates or {}).items():
            lines.append(f'    <xhtml:link rel="alternate" hreflang={quoteattr(lang)} href={address(out_path)}/>')
        if page.alternates and default_lang in page.alternates:
            lines.append(f'    <xhtml:link rel="alternate" hreflang="x-default" '
                         f'href={address(page.alternates[default_lang])}/>')
        lines.append("  </url>\n")
        yield "\n".join(lines).encode("utf-8")


def robots_txt(base_url: str) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {base_url}sitemap.xml\n".encode("utf-8")
