"""sitemap.xml with xhtml:link alternates per language, and robots.txt."""

from __future__ import annotations

from datetime import date
from typing import Iterable, Mapping
from xml.sax.saxutils import quoteattr, escape

from catalogue import urls
from catalogue.plan import Page


def sitemap_xml(base_url: str, pages: Iterable[Page], lastmod: Mapping[str, date],
                default_lang: str) -> bytes:
    quoted: dict[str, str] = {}  # each address appears once per language of its page

    def address(out_path: str) -> str:
        found = quoted.get(out_path)
        if found is None:
            found = quoted[out_path] = quoteattr(urls.absolute(base_url, out_path))
        return found

    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
             'xmlns:xhtml="http://www.w3.org/1999/xhtml">']
    for page in pages:
        if not page.indexable or not page.is_html:
            continue
        lines.append("  <url>")
        lines.append(f"    <loc>{escape(urls.absolute(base_url, page.out_path))}</loc>")
        if page.out_path in lastmod:
            lines.append(f"    <lastmod>{lastmod[page.out_path].isoformat()}</lastmod>")
        for lang, out_path in (page.alternates or {}).items():
            lines.append(f'    <xhtml:link rel="alternate" hreflang={quoteattr(lang)} href={address(out_path)}/>')
        if page.alternates and default_lang in page.alternates:
            lines.append(f'    <xhtml:link rel="alternate" hreflang="x-default" '
                         f'href={address(page.alternates[default_lang])}/>')
        lines.append("  </url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def robots_txt(base_url: str) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {base_url}sitemap.xml\n".encode("utf-8")
