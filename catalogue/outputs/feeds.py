"""Atom feeds per language: products by their review date, events by their start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Sequence
from xml.sax.saxutils import escape, quoteattr


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    summary: str
    url: str
    updated: datetime
    lang: str
    categories: tuple[str, ...] = ()
    image: str | None = None


def as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.combine(value, time(0, 0), timezone.utc)


def _stamp(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def atom(feed_id: str, title: str, self_url: str, site_url: str, author: str, lang: str,
         entries: Sequence[FeedEntry], fallback_updated: datetime) -> bytes:
    updated = max((e.updated for e in entries), default=fallback_updated)
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(lang)}>',
             f"  <id>{escape(feed_id)}</id>",
             f"  <title>{escape(title)}</title>",
             f"  <updated>{_stamp(updated)}</updated>",
             f'  <link rel="self" type="application/atom+xml" href={quoteattr(self_url)}/>',
             f'  <link rel="alternate" type="text/html" href={quoteattr(site_url)}/>',
             f"  <author><name>{escape(author)}</name></author>",
             '  <generator uri="https://pypi.org/project/catalogue/">catalogue</generator>']
    for entry in entries:
        lines.append(f"  <entry xml:lang={quoteattr(entry.lang)}>")
        lines.append(f"    <id>{escape(entry.id)}</id>")
        lines.append(f"    <title>{escape(entry.title)}</title>")
        lines.append(f'    <link rel="alternate" type="text/html" href={quoteattr(entry.url)}/>')
        lines.append(f"    <updated>{_stamp(entry.updated)}</updated>")
        lines.append(f'    <summary type="text">{escape(entry.summary)}</summary>')
        for category in entry.categories:
            lines.append(f"    <category term={quoteattr(category)}/>")
        if entry.image:
            lines.append(f'    <link rel="enclosure" type="image/jpeg" href={quoteattr(entry.image)}/>')
        lines.append("  </entry>")
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")
