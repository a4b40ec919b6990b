"""Locale-aware formatting through Babel (CLDR), bound to one language."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Callable

from babel import Locale
from babel.dates import format_date, format_interval, format_time, get_timezone_gmt
from babel.numbers import format_currency, format_decimal
from babel.units import format_unit

from catalogue.content.codes import Codes
from catalogue.content.model import EventTime, Money, Quantity


@dataclass(frozen=True)
class EventMoment:
    """An event time as a reader sees it: local date, local time and the UTC offset."""

    iso: str  # machine-readable, for <time datetime>
    date: str
    time: str | None  # None for all-day events
    offset: str | None  # "GMT+07:00", localised
    text: str = ""  # date and time as the locale joins them ("{1} {0}", "{1}، {0}"); the date alone all day


@dataclass(frozen=True)
class EventSpan:
    """When an event happens, as one phrase of CLDR's interval formats: "Thu, Mar 4 – Sun, Mar 7,
    2027", "2027年3月4日(木)～7日(日)", or one day with its hours "…, 14:00 – 16:30"."""

    text: str
    offset: str | None  # shown after the hours of a one-day event
    whole: bool  # the phrase says all (a day, days, one day's hours): start and end need no rows of their own


_QUOTED = re.compile(r"'([^']*)'")


@functools.lru_cache(maxsize=None)
def place_separator(locale: Locale) -> str:
    """The punctuation the locale's lists put between items (", ", "、", "، "), without their
    words ("và", "و"): CLDR has no pattern for the parts of an address."""
    for style in ("standard", "unit", "unit-short", "or"):
        start = dict(locale.list_patterns.get(style, {})).get("start")
        if not start:
            continue
        between = start.replace("{0}", "").replace("{1}", "")
        marks = "".join(ch for ch in between if unicodedata.category(ch).startswith("P"))
        if marks:
            return marks if unicodedata.east_asian_width(marks[-1]) in ("W", "F") else marks + " "
    return ", "


@dataclass(frozen=True)
class Formatter:
    locale: Locale
    lang: str
    source_lang: str
    codes: Codes
    _labels: dict[tuple[str, str], str] = field(default_factory=dict, compare=False, repr=False)
    _made: dict[tuple[str, ...], str] = field(default_factory=dict, compare=False, repr=False)

    def _once(self, key: tuple[str, ...], make: Callable[[], str]) -> str:
        """Babel parses its patterns on every call; a catalogue repeats a few values many times.
        Keys hold values as text, so Decimal 1.50 and 1.5 stay apart."""
        found = self._made.get(key)
        if found is None:
            found = self._made[key] = make()
        return found

    def money(self, money: Money) -> str:
        return self._once(("money", str(money.amount), money.currency),
                          lambda: format_currency(money.amount, money.currency, locale=self.locale))

    def number(self, value: int | Decimal) -> str:
        return self._once(("number", type(value).__name__, str(value)),
                          lambda: format_decimal(value, locale=self.locale))

    def integer(self, value: int) -> str:
        return self._once(("integer", str(value)),
                          lambda: format_decimal(value, locale=self.locale, group_separator=False))

    def date(self, value: date, style: str = "long") -> str:
        return self._once(("date", repr(value), style), lambda: format_date(value, style, locale=self.locale))

    def days(self, value: int) -> str:
        return self._once(("days", str(value)),
                          lambda: format_unit(value, "duration-day", length="long", locale=self.locale))

    def quantity(self, quantity: Quantity) -> str:
        return self._once(("quantity", str(quantity.quantity), quantity.unit), lambda: self._quantity(quantity))

    def _quantity(self, quantity: Quantity) -> str:
        units = self.codes.get("units")
        cldr_unit = units.cldr_units.get(quantity.unit)
        if cldr_unit:
            return format_unit(quantity.quantity, cldr_unit, length="short", locale=self.locale)
        label = units.label(quantity.unit, self.lang, self.source_lang)
        return f"{self.number(quantity.quantity)} {label}"

    def label(self, list_name: str, code: str) -> str:
        key = (list_name, code)
        found = self._labels.get(key)
        if found is None:
            found = self._labels[key] = self.codes.label(list_name, code, self.lang, self.source_lang)
        return found

    def moment(self, when: EventTime) -> EventMoment:
        value = when.value
        if isinstance(value, datetime):
            return EventMoment(
                iso=value.isoformat(),
                date=format_date(value.date(), "full", locale=self.locale),
                time=format_time(value.time(), "short", locale=self.locale),
                offset=get_timezone_gmt(value, locale=self.locale),
                text=self._joined(format_date(value.date(), "full", locale=self.locale),
                                  format_time(value.time(), "short", locale=self.locale)),
            )
        day = format_date(value, "full", locale=self.locale)
        return EventMoment(iso=value.isoformat(), date=day, time=None, offset=None, text=day)

    def span(self, start: EventTime, end: EventTime | None) -> EventSpan:
        first = start.value
        if end is None:
            moment = self.moment(start)
            return EventSpan(moment.text, moment.offset, True)
        last = end.value
        if isinstance(first, datetime) and isinstance(last, datetime):
            last = last.astimezone(first.tzinfo)  # the hours as the place of the event has them
            if last.date() == first.date():
                hours = format_interval(first, last, "hm" if "h" in self.locale.time_formats["short"].pattern
                                        else "Hm", tzinfo=first.tzinfo, locale=self.locale)
                day = format_date(first.date(), "full", locale=self.locale)
                text = self._joined(day, hours)
                return EventSpan(text, get_timezone_gmt(first, locale=self.locale), True)
        timed = isinstance(first, datetime) or isinstance(last, datetime)
        first = first.date() if isinstance(first, datetime) else first  # days apart: the days say it,
        last = last.date() if isinstance(last, datetime) else last  # and the rows give the hours
        return EventSpan(format_interval(first, last, "yMMMEd", locale=self.locale), None, not timed)

    def _joined(self, day: str, hours: str) -> str:
        """A date and a time (or hours) as the locale joins them: its full date-time pattern,
        "{1}, {0}", "{1} {0}", "{1} 'um' {0}", with its quoted words unquoted ('' is ')."""
        glue = _QUOTED.sub(lambda found: found.group(1) or "'", str(self.locale.datetime_formats["full"]))
        return glue.replace("{1}", day).replace("{0}", hours)
