"""Declared fields of every record kind: one table drives loading, validation and docs.

A spec converts one YAML value into a checked Python value, or reports a problem naming the
field and returns INVALID. Specs never raise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping

from babel.numbers import get_currency_precision, list_currencies

from catalogue.content.codes import Codes
from catalogue.content.model import LocalText
from catalogue.problems import Problems
from catalogue.content.yamlio import YamlDoc

# Patterns that validate input match whole strings (fullmatch): "$" also matches before a
# final newline, which would let "slug\n" through.
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
EMAIL_RE = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+")
URL_RE = re.compile(r"https?://[^\s<>\"'/]+\.[^\s<>\"']*|https?://(localhost|127\.0\.0\.1)(:\d+)?(/[^\s<>\"']*)?")
CURRENCIES = frozenset(list_currencies())


PLACEHOLDER = "FILL_IN"  # what `new` writes into required fields


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()


@dataclass
class Ctx:
    """Where a value came from, so a problem can name the file, line and field."""

    rel_path: str
    doc: YamlDoc
    codes: Codes
    source_lang: str
    problems: Problems

    def error(self, path: str, message: str) -> Any:
        self.problems.error(self.rel_path, self.doc.line(path), path or None, message)
        return INVALID

    def warning(self, path: str, message: str) -> None:
        self.problems.warning(self.rel_path, self.doc.line(path), path or None, message)

    def quoted_hint(self, path: str) -> str:
        raw = self.doc.raw.get(path)
        return f'"{raw}"' if raw is not None else '"..."'


Spec = Callable[[Any, str, Ctx], Any]


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the yes/no value {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, datetime):
        return "a date and time"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a group of fields"
    if value is None:
        return "nothing"
    return "text"


def text(value: Any, path: str, ctx: Ctx) -> Any:
    if isinstance(value, str):
        if not value.strip():
            return ctx.error(path, "must not be empty")
        problem = unusable_character(value)
        if problem:
            return ctx.error(path, problem)
        bidi = direction_control(value)
        if bidi:
            ctx.warning(path, bidi)
        return value.strip()
    if isinstance(value, (int, float, bool, date)):
        hint = ""
        if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
            raw = ctx.doc.raw.get(path, "")
            if raw != str(value):
                hint = f" (YAML read {raw} as the number {value}, losing characters)"
        return ctx.error(path, f"must be text, not {_describe(value)}{hint}; write it in quotes: "
                               f"{path.rsplit('.', 1)[-1]}: {ctx.quoted_hint(path)}")
    return ctx.error(path, f"must be text, not {_describe(value)}")


# C0 controls but tab, line feed and carriage return; DEL and the C1 controls; lone
# surrogates and the two noncharacters XML refuses. None is visible, and each makes a feed,
# a calendar or a page invalid.
_UNUSABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Embeddings, overrides and isolates: invisible, they reorder the text around them.
_DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _code_point(char: str) -> str:
    import unicodedata
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def unusable_character(value: str) -> str | None:
    """Why `value` cannot be published (a control character), or None."""
    found = _UNUSABLE.search(value)
    if found is None:
        return None
    return (f"contains the invisible control character {_code_point(found.group())} at character "
            f"{found.start() + 1}; delete it (it makes feeds and calendars invalid)")


def direction_control(value: str) -> str | None:
    """A warning for text holding a bidirectional control, or None."""
    found = _DIRECTION_CONTROLS.search(value)
    if found is None:
        return None
    return (f"contains the invisible direction control {_code_point(found.group())}, which can make "
            "the text around it read in a misleading order; delete it")


def integer(low: int | None = None, high: int | None = None) -> Spec:
    def check(value: Any, path: str, ctx: Ctx) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            return ctx.error(path, f"must be a whole number, not {_describe(value)}")
        if low is not None and value < low or high is not None and value > high:
            return ctx.error(path, f"must be between {low} and {high}, not {value}")
        return value
    return check


MAX_NUMBER = Decimal(10) ** 15  # amounts and quantities: more digits than Babel's formats keep
MAX_DECIMALS = 4
# Dates a page, a feed and a calendar can all show (a year-1 time with an offset has no UTC
# time; the day after 9999-12-31, which a calendar's all-day end needs, does not exist).
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _year_problem(value: date) -> str | None:
    if FIRST_YEAR <= value.year <= LAST_YEAR:
        return None
    return f"the year {value.year} is out of range: write a date between {FIRST_YEAR} and {LAST_YEAR}"


def number(value: Any, path: str, ctx: Ctx) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return ctx.error(path, f"must be a number, not {_describe(value)}")
    try:
        amount = Decimal(ctx.doc.raw.get(path, str(value)) if not isinstance(value, str) else value)
    except InvalidOperation:
        return ctx.error(path, f"must be a number, not {value!r}")
    if not amount.is_finite() or amount <= 0:
        return ctx.error(path, "must be a number greater than zero")
    if amount >= MAX_NUMBER:
        return ctx.error(path, f"{raw_number(value, path, ctx)} is too large: write a number below "
                               "1,000,000,000,000,000 (without separators)")
    if amount.as_tuple().exponent < -MAX_DECIMALS:  # type: ignore[operator]
        return ctx.error(path, f"{raw_number(value, path, ctx)} has too many decimals: at most {MAX_DECIMALS}")
    return amount


def raw_number(value: Any, path: str, ctx: Ctx) -> str:
    return ctx.doc.raw.get(path, str(value)).strip() if not isinstance(value, str) else value.strip()


_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _no_such_day(text: str) -> str | None:
    """What is wrong with a text that starts as a date, YYYY-MM-DD, of a day that does not exist."""
    if not _DATE_SHAPE.match(text):
        return None
    try:
        date.fromisoformat(text[:10])
    except ValueError as exc:
        return f"{text[:10]} is not a day of the calendar ({exc}); write a date that exists, e.g. 2027-06-30"
    return None


def a_date(value: Any, path: str, ctx: Ctx) -> Any:
    day: date | None = None
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError as exc:
            if _DATE_SHAPE.fullmatch(value.strip()):  # written as a date, but no such day: 2025-02-30
                return ctx.error(path, _no_such_day(value.strip()) or f"must be a date: {exc}")
    if day is None:
        return ctx.error(path, f"must be a date written YYYY-MM-DD, e.g. 2027-06-30, not {_describe(value)}")
    problem = _year_problem(day)
    return ctx.error(path, problem) if problem else day


def moment(value: Any, path: str, ctx: Ctx) -> Any:
    """A datetime with its UTC offset, or a date alone for an all-day event."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip()) if "T" in value or ":" in value \
                else date.fromisoformat(value.strip())
        except ValueError:
            return ctx.error(path, _no_such_day(value.strip()) or "must be a date (2027-03-15) or a date and time "
                                   "with offset (2027-03-15T08:30:00+07:00; hours 00-23, offsets -23:59 to +23:59)")
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return ctx.error(path, "needs its UTC offset, e.g. 2027-03-15T08:30:00+07:00 "
                                   "(+07:00 is Vietnam time)")
        problem = _year_problem(value.date())
        return ctx.error(path, problem) if problem else value
    if isinstance(value, date):
        problem = _year_problem(value)
        return ctx.error(path, problem) if problem else value
    return ctx.error(path, f"must be a date or a date and time, not {_describe(value)}")


def url(value: Any, path: str, ctx: Ctx) -> Any:
    checked = text(value, path, ctx)
    if checked is INVALID:
        return checked
    if not URL_RE.fullmatch(checked):
        return ctx.error(path, f"must be a full web address starting with https:// or http://, not {checked!r}")
    return checked


def email(value: Any, path: str, ctx: Ctx) -> Any:
    checked = text(value, path, ctx)
    if checked is INVALID:
        return checked
    if not EMAIL_RE.fullmatch(checked):
        return ctx.error(path, f"is not an email address: {checked!r}")
    return checked


def slug(value: Any, path: str, ctx: Ctx) -> Any:
    checked = text(value, path, ctx)
    if checked is INVALID:
        return checked
    if not SLUG_RE.fullmatch(checked):
        return ctx.error(path, f"{checked!r} is not a slug: use lowercase letters a-z, digits and "
                               "single hyphens, e.g. che-shan-tuyet")
    return checked


def currency(value: Any, path: str, ctx: Ctx) -> Any:
    checked = text(value, path, ctx)
    if checked is INVALID:
        return checked
    if checked.upper() not in CURRENCIES:
        return ctx.error(path, f"unknown currency {checked!r}: use an ISO 4217 code such as VND, USD, JPY")
    return checked.upper()


def code(list_name: str, what: str) -> Spec:
    def check(value: Any, path: str, ctx: Ctx) -> Any:
        checked = text(value, path, ctx)
        if checked is INVALID:
            return checked
        codes = ctx.codes.get(list_name)
        if checked not in codes:
            known = ", ".join(
                f"{c} ({_known_label(ctx, list_name, c)})" for c in codes.codes()) or "none declared"
            extra = (" Declare it in site.yaml under codes: " + list_name + ":") if list_name == "districts" else ""
            return ctx.error(path, f"unknown {what} {checked!r}; known: {known}.{extra}")
        return checked
    return check


def local_text(value: Any, path: str, ctx: Ctx) -> Any:
    """One text for every language, or a map of texts per language: {vi: ..., en: ...}."""
    if isinstance(value, dict):
        result: dict[str, str] = {}
        for lang, item in value.items():
            if not isinstance(lang, str) or not re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*", lang):
                ctx.error(f"{path}.{lang}", f"{lang!r} is not a language code such as vi, en, ar, ja")
                continue
            checked = text(item, f"{path}.{lang}", ctx)
            if checked is not INVALID:
                result[lang] = checked
        if not value:
            return ctx.error(path, "must hold a text, or a text per language such as {vi: ..., en: ...}")
        return LocalText.of(result) if result else INVALID
    checked = text(value, path, ctx)
    return checked if checked is INVALID else LocalText.of(checked)


# common spellings of the built-in units, beyond their codes and their labels in each language
UNIT_SPELLINGS = {
    "t": ("tonne", "tonnes", "ton", "tons", "metric ton", "metric tons", "mt"),
    "kg": ("kilogram", "kilograms", "kilogramme", "kilogrammes", "kilo", "kilos", "kgs"),
    "g": ("gram", "grams", "gramme", "grammes", "gr"),
    "l": ("litre", "litres", "liter", "liters", "ltr"),
    "ml": ("millilitre", "millilitres", "milliliter", "milliliters"),
    "box": ("boxes",), "bag": ("bags",), "bottle": ("bottles",), "jar": ("jars",),
    "piece": ("pieces", "pcs", "pc"), "carton": ("cartons",), "pack": ("packs", "packet", "packets"),
    "set": ("sets",),
}


def unit(value: Any, path: str, ctx: Ctx) -> Any:
    """A unit is free text: a known one (by its code, a label in any language or a common
    spelling, in any case) becomes its code, shown translated; any other is kept as written."""
    checked = text(value, path, ctx)
    if checked is INVALID:
        return checked
    units = ctx.codes.get("units")
    wanted = " ".join(checked.split()).casefold()
    for code_ in units.codes():
        spellings = {code_, *units.labels.get(code_, {}).values(), *UNIT_SPELLINGS.get(code_, ())}
        if wanted in {spelling.casefold() for spelling in spellings}:
            return code_
    return checked


def _known_label(ctx: Ctx, list_name: str, code_: str) -> str:
    labels = ctx.codes.get(list_name).labels.get(code_, {})
    shown = [labels[lang] for lang in dict.fromkeys((ctx.source_lang, "en")) if lang in labels]
    return " / ".join(dict.fromkeys(shown)) or code_


def list_of(item: Spec, unique: bool = True) -> Spec:
    def check(value: Any, path: str, ctx: Ctx) -> Any:
        if value is None:
            return ()
        if not isinstance(value, list):
            return ctx.error(path, f"must be a list (one '- item' per line), not {_describe(value)}")
        result = []
        seen: set[Any] = set()
        for index, element in enumerate(value):
            checked = item(element, f"{path}[{index}]", ctx)
            if checked is INVALID:
                continue
            key = repr(checked)
            if unique and key in seen:
                ctx.error(f"{path}[{index}]", f"{checked!r} is listed twice")
                continue
            seen.add(key)
            result.append(checked)
        return tuple(result)
    return check


@dataclass(frozen=True)
class FieldSpec:
    spec: Spec
    required: bool = False
    doc: str = ""
    example: str = ""


@dataclass(frozen=True)
class RecordSpec:
    fields: Mapping[str, FieldSpec]
    allow_custom: bool = True  # x_ fields
    noun: str = "field"

    def __call__(self, value: Any, path: str, ctx: Ctx) -> Any:
        result, ok = self.check(value, path, ctx)
        return result if ok else INVALID

    def check(self, value: Any, path: str, ctx: Ctx) -> tuple[dict[str, Any], bool]:
        """The fields that are valid, and whether all were: a caller that can go on with
        part of a record (site.yaml, for the content's own checks) takes the first."""
        if not isinstance(value, dict):
            ctx.error(path, f"must be a group of fields ({', '.join(self.fields)}), not {_describe(value)}")
            return {}, False
        result: dict[str, Any] = {}
        ok = True
        for key, raw in value.items():
            child = f"{path}.{key}" if path else key
            if key not in self.fields:
                if self.allow_custom and key.startswith("x_"):
                    continue
                suggestion = _closest(key, self.fields)
                hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
                ctx.error(child, f"unknown {self.noun}{hint}; known: {', '.join(self.fields)}"
                                 + ("; prefix custom fields with x_" if self.allow_custom else ""))
                ok = False
        for name, spec in self.fields.items():
            child = f"{path}.{name}" if path else name
            if name not in value or value[name] is None:
                if spec.required:
                    where = f" ({spec.doc})" if spec.doc else ""
                    ctx.problems.error(ctx.rel_path, ctx.doc.line(path) if path else 1, child,
                                       f"required field is missing{where}")
                    ok = False
                continue
            if value[name] == PLACEHOLDER:
                what = f": {spec.doc}" if spec.doc else ""
                ctx.error(child, f"still {PLACEHOLDER}; replace it{what}")
                ok = False
                continue
            checked = spec.spec(value[name], child, ctx)
            if checked is INVALID:
                ok = False
            else:
                result[name] = checked
        return result, ok


def _closest(word: str, candidates: Mapping[str, Any]) -> str | None:
    import difflib
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.75)
    return matches[0] if matches else None


# --- the records of CONTENT.md ----------------------------------------------------------

_MONEY_FIELDS = RecordSpec({
    "amount": FieldSpec(number, True, "a number, e.g. 85000"),
    "currency": FieldSpec(currency, True, "ISO 4217 code, e.g. VND"),
}, allow_custom=False)


def money(value: Any, path: str, ctx: Ctx) -> Any:
    """Amount and currency; 120.000 VND is a thousands separator that YAML read as 120."""
    checked = _MONEY_FIELDS(value, path, ctx)
    if checked is INVALID:
        return checked
    raw = ctx.doc.raw.get(f"{path}.amount", "")
    if get_currency_precision(checked["currency"]) == 0 and ("." in raw or "," in raw):
        digits = raw.replace(".", "").replace(",", "")
        return ctx.error(f"{path}.amount", f"{checked['currency']} has no decimals, so {raw} is read as "
                                           f"{checked['amount'].normalize():f}; write the whole amount "
                                           f"without separators, e.g. {digits}")
    return checked

PRODUCT = RecordSpec({
    "producer": FieldSpec(slug, True, "the slug of a folder in content/producers/", "ht-che-ta-leng"),
    "category": FieldSpec(code("categories", "category"), True, "OCOP product group", "beverage"),
    "ocop": FieldSpec(RecordSpec({
        "stars": FieldSpec(integer(1, 5), True, "OCOP rating, 1 to 5", "4"),
        "year": FieldSpec(integer(2000, 2100), True, "year the rating was granted", "2022"),
        "certificate": FieldSpec(text, False, "decision number", '"1234/QĐ-UBND"'),
        "valid_until": FieldSpec(a_date, False, "date the rating expires", "2025-12-31"),
    }), True, "the OCOP rating: stars and year", ""),
    "district": FieldSpec(code("districts", "district"), True, "a district code declared in site.yaml", ""),
    "images": FieldSpec(list_of(text), False, "image files in this folder; the first is the cover", ""),
    "hs_code": FieldSpec(text, False, "customs code, in quotes", '"0902.10"'),
    "certifications": FieldSpec(list_of(code("certifications", "certification")), False, "certification codes"),
    "markets": FieldSpec(list_of(code("markets", "market")), False, "target market codes"),
    "packaging": FieldSpec(list_of(RecordSpec({
        "size": FieldSpec(text, True, "e.g. \"500 g\""),
        "unit_price": FieldSpec(money, False, "amount and currency"),
    }, allow_custom=False), unique=False), False, "variants sold"),
    "moq": FieldSpec(RecordSpec({
        "quantity": FieldSpec(number, True, "a number"),
        "unit": FieldSpec(unit, True, "kg, tonne, box, bag, or any text such as \"bao 50 kg\""),
    }, allow_custom=False), False, "minimum order quantity"),
    "shelf_life_days": FieldSpec(integer(1, 100_000), False, "days"),
    "marketplaces": FieldSpec(list_of(RecordSpec({
        "name": FieldSpec(text, True, "e.g. Shopee"),
        "url": FieldSpec(url, True, "the listing's address"),
    }, allow_custom=False)), False, "e-commerce listings"),
    "updated": FieldSpec(a_date, False, "last review of the record"),
})

PRODUCER = RecordSpec({
    "type": FieldSpec(code("producer_types", "producer type"), True, "cooperative, enterprise or household"),
    "district": FieldSpec(code("districts", "district"), True, "a district code declared in site.yaml"),
    "contact": FieldSpec(RecordSpec({
        "phone": FieldSpec(text, False, "in quotes, e.g. \"+84 213 000 000\""),
        "email": FieldSpec(email, False),
        "website": FieldSpec(url, False),
        "address": FieldSpec(local_text, False, "a text, or {vi: ..., en: ...}"),
    }, allow_custom=False), False, "how buyers reach the producer"),
    "founded": FieldSpec(integer(1800, 2100), False, "year"),
})


def location(value: Any, path: str, ctx: Ctx) -> Any:
    if isinstance(value, dict) and value.get("online") is not None:
        spec = RecordSpec({
            "online": FieldSpec(_true, True),
            "url": FieldSpec(url, False),
        }, allow_custom=False)
    else:
        spec = RecordSpec({
            "venue": FieldSpec(local_text, True, "e.g. Giảng Võ Exhibition Centre, or {vi: ..., en: ...}"),
            "city": FieldSpec(local_text, True, "e.g. Hà Nội, or {vi: Hà Nội, en: Hanoi}"),
            "country": FieldSpec(text, True, "ISO code such as VN, JP, AE, or a name"),
        }, allow_custom=False)
    return spec(value, path, ctx)


def _true(value: Any, path: str, ctx: Ctx) -> Any:
    if value is not True:
        return ctx.error(path, "must be true for an online event (or give venue, city and country)")
    return True


EVENT = RecordSpec({
    "kind": FieldSpec(code("event_kinds", "event kind"), True, "trade-fair, workshop, online-consultation, ..."),
    "start": FieldSpec(moment, True, "2027-03-15T08:30:00+07:00, or a date alone for all day"),
    "end": FieldSpec(moment, False, "not before start"),
    "location": FieldSpec(location, True, "{venue, city, country} or {online: true, url}"),
    "markets": FieldSpec(list_of(code("markets", "market")), False, "target market codes"),
    "products": FieldSpec(list_of(slug), False, "product slugs"),
    "organizer": FieldSpec(local_text, False, "a name, a name per language, or a producer slug"),
    "registration": FieldSpec(url, False, "sign-up address"),
})

def source_digest(value: Any, path: str, ctx: Ctx) -> Any:
    """A hash as written: 8 hex digits may look like a number (12345678, 1e100000) to YAML."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and path in ctx.doc.raw:
        return ctx.doc.raw[path].strip()
    return text(value, path, ctx)


TEXT = RecordSpec({
    "name": FieldSpec(text, True, "the entry's name in this language"),
    "summary": FieldSpec(text, True, "one or two sentences"),
    "translation_of": FieldSpec(source_digest, False, "hash of the source text this translates"),
})

RECORDS: Mapping[str, RecordSpec] = {"product": PRODUCT, "producer": PRODUCER, "event": EVENT}

