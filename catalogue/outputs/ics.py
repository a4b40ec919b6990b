"""iCalendar (RFC 5545): escaped text, lines folded at 75 octets, CRLF, UTC times."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Iterable

from catalogue.content.model import EventTime

PRODID = "-//catalogue//OCOP product catalogue//EN"


def escape_text(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Split a content line into 75-octet pieces without cutting a UTF-8 character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    pieces: list[str] = []
    current = ""
    limit = 75
    for char in line:
        if len((current + char).encode("utf-8")) > limit:
            pieces.append(current)
            current = char
            limit = 74  # continuation lines start with a space
        else:
            current += char
    pieces.append(current)
    return "\r\n ".join(pieces)


def _utc(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def time_properties(start: EventTime, end: EventTime | None) -> list[str]:
    if start.all_day:
        last = end.day if end else start.day
        return [f"DTSTART;VALUE=DATE:{start.day.strftime('%Y%m%d')}",
                f"DTEND;VALUE=DATE:{(last + timedelta(days=1)).strftime('%Y%m%d')}"]
    assert isinstance(start.value, datetime)
    props = [f"DTSTART:{_utc(start.value)}"]
    if end is not None:
        end_value = end.value if isinstance(end.value, datetime) else \
            datetime.combine(end.day + timedelta(days=1), datetime.min.time(), start.value.tzinfo)
        props.append(f"DTEND:{_utc(end_value)}")
    return props


def calendar(events: Iterable[list[str]], name: str | None = None) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH"]
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for event_lines in events:
        lines.extend(event_lines)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")


def vevent(uid: str, stamp: date, start: EventTime, end: EventTime | None, summary: str,
           description: str, location: str | None, url: str, lang: str) -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp.strftime('%Y%m%d')}T000000Z"]
    lines += time_properties(start, end)
    lines.append(f"SUMMARY;LANGUAGE={lang}:{escape_text(summary)}")
    if description:
        lines.append(f"DESCRIPTION;LANGUAGE={lang}:{escape_text(description)}")
    if location:
        lines.append(f"LOCATION;LANGUAGE={lang}:{escape_text(location)}")
    lines.append(f"URL:{url}")
    lines.append("END:VEVENT")
    return lines
