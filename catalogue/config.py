"""site.yaml -> SiteConfig, with every problem located in site.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from babel import Locale, UnknownLocaleError

from catalogue.content.codes import Codes, merge_codes
from catalogue.problems import Problems
from catalogue.content.schema import INVALID, SLUG_RE, Ctx, FieldSpec, RecordSpec, email, text, url
from catalogue.content.yamlio import YamlDoc, read_mapping
from catalogue.derive import digest

SITE_FILE = "site.yaml"
LANG_RE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")  # whole strings: fullmatch


@dataclass(frozen=True)
class SiteContact:
    email: str | None = None
    phone: str | None = None
    address: Mapping[str, str] | None = None


@dataclass(frozen=True)
class SiteConfig:
    root: Path
    title: Mapping[str, str]
    description: Mapping[str, str]
    base_url: str  # absolute, ends with "/"
    languages: tuple[str, ...]
    theme: str
    contact: SiteContact
    codes: Codes
    fallback: Mapping[str, tuple[str, ...]]  # as site.yaml gives it: language -> languages to show instead
    digest: str  # of site.yaml's bytes: everything above is made from them

    @property
    def source_lang(self) -> str:
        return self.languages[0]

    def fallback_chain(self, lang: str) -> tuple[str, ...]:
        """The languages whose text a reader of `lang` is shown where `lang` has none, in order:
        site.yaml's `fallback` for `lang`, else English where the site has it; the source
        language always comes last."""
        if lang == self.source_lang:
            return ()
        chosen = self.fallback.get(lang)
        if chosen is None:
            chosen = ("en",) if "en" in self.languages else ()
        chain = [code for code in dict.fromkeys((*chosen, self.source_lang)) if code != lang]
        return tuple(chain)

    def localized(self, values: Mapping[str, str], lang: str) -> str:
        return values.get(lang) or values.get(self.source_lang) or next(iter(values.values()), "")


def _localized_text(value: Any, path: str, ctx: Ctx) -> Any:
    """Either one text for all languages, or a mapping language -> text."""
    if isinstance(value, dict):
        result = {}
        for lang, item in value.items():
            checked = text(item, f"{path}.{lang}", ctx)
            if checked is not INVALID:
                result[str(lang)] = checked
        return result if result else INVALID
    checked = text(value, path, ctx)
    return checked if checked is INVALID else {"*": checked}


def _languages(value: Any, path: str, ctx: Ctx) -> Any:
    if not isinstance(value, list) or not value:
        return ctx.error(path, "must be a list of language codes, the source language first: [vi, en]")
    result: list[str] = []
    for index, item in enumerate(value):
        child = f"{path}[{index}]"
        if not isinstance(item, str) or not LANG_RE.fullmatch(item):
            ctx.error(child, f"{item!r} is not a language code such as vi, en, ar, ja, zh-Hant")
            continue
        try:
            Locale.parse(item, sep="-")
        except (UnknownLocaleError, ValueError):
            ctx.error(child, f"unknown language {item!r} (no CLDR locale data for it)")
            continue
        if item in result:
            ctx.error(child, f"{item!r} is listed twice")
            continue
        result.append(item)
    return tuple(result) if len(result) == len(value) else INVALID


def _codes(value: Any, path: str, ctx: Ctx) -> Any:
    if not isinstance(value, dict):
        return ctx.error(path, "must map a list name (districts, certifications, ...) to its codes")
    result: dict[str, dict[str, dict[str, str]]] = {}
    for list_name, entries in value.items():
        list_path = f"{path}.{list_name}"
        if not isinstance(entries, dict):
            ctx.error(list_path, "must map each code to its labels, e.g. sin-ho: {vi: Sìn Hồ, en: Sin Ho}")
            continue
        for code_, labels in entries.items():
            code_path = f"{list_path}.{code_}"
            if not SLUG_RE.fullmatch(code_):
                ctx.error(code_path, f"code {code_!r} must be lowercase letters, digits and single hyphens")
                continue
            if not isinstance(labels, dict):
                ctx.error(code_path, "must give a label per language, e.g. {vi: ..., en: ...}")
                continue
            row = {}
            for lang, label in labels.items():
                checked = text(label, f"{code_path}.{lang}", ctx)
                if checked is not INVALID:
                    row[str(lang)] = checked
            result.setdefault(list_name, {})[code_] = row
    return result


def _fallback(value: Any, path: str, ctx: Ctx) -> Any:
    """language -> list of languages, e.g. {ar: [en], ja: [en], ko: [en, ja]}; [] for none."""
    if not isinstance(value, dict):
        return ctx.error(path, "must map a language to the languages shown where it has no text, "
                               "e.g. {ar: [en], ja: [en]}")
    result: dict[str, tuple[str, ...]] = {}
    for lang, chain in value.items():
        child = f"{path}.{lang}"
        if chain is None:
            chain = []
        if not isinstance(chain, list) or not all(isinstance(code, str) for code in chain):
            ctx.error(child, "must be a list of language codes, e.g. [en] ([] for none)")
            continue
        result[str(lang)] = tuple(code.strip() for code in chain)
    return result


def _site_contact(value: Any, path: str, ctx: Ctx) -> Any:
    return RecordSpec({
        "email": FieldSpec(email),
        "phone": FieldSpec(text),
        "address": FieldSpec(_localized_text),
    }, allow_custom=False)(value, path, ctx)


SITE = RecordSpec({
    "title": FieldSpec(_localized_text, True, "the site's name, e.g. {vi: ..., en: ...}"),
    "description": FieldSpec(_localized_text, False, "one sentence per language"),
    "base_url": FieldSpec(url, True, "the published address, e.g. https://ocop.example.org/"),
    "languages": FieldSpec(_languages, True, "list of language codes, source language first"),
    "theme": FieldSpec(text, False, "theme folder name; default"),
    "contact": FieldSpec(_site_contact, False, "{email, phone, address}"),
    "codes": FieldSpec(_codes, False, "site codes: districts and additions"),
    "fallback": FieldSpec(_fallback, False, "per language, the languages shown where it has no text"),
})


def _spread(values: Mapping[str, str] | None, languages: tuple[str, ...]) -> Mapping[str, str]:
    if not values:
        return {}
    if "*" in values:
        return {lang: values["*"] for lang in languages}
    return dict(values)


def load_config(root: Path, problems: Problems) -> SiteConfig | None:
    doc = read_mapping(root / SITE_FILE, SITE_FILE, problems,
                       f"no {SITE_FILE} in {root}: is --site the site's folder?",
                       "must hold fields such as title:, base_url:, languages:", kind="site")
    if doc is None:
        return None
    ctx = Ctx(SITE_FILE, doc, merge_codes({}), "en", problems)
    # A field in error is reported and left out; the rest still serves to check the content,
    # so that one run lists every problem (the build refuses to write while there are any).
    values, _ = SITE.check(doc.data, "", ctx)
    if "languages" not in values:  # without them no language file can be checked
        return None
    languages: tuple[str, ...] = values["languages"]
    _check_language_keys(doc, values, languages, problems)
    base_url = values.get("base_url", "https://example.invalid/")
    contact = values.get("contact", {})
    return SiteConfig(
        root=root,
        title=_spread(values.get("title"), languages),
        description=_spread(values.get("description"), languages),
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        languages=languages,
        theme=values.get("theme", "default"),
        contact=SiteContact(contact.get("email"), contact.get("phone"),
                            _spread(contact.get("address"), languages) or None),
        codes=merge_codes(values.get("codes", {})),
        fallback=values.get("fallback", {}),
        digest=digest("site.yaml", doc.source),
    )


def _check_language_keys(doc: YamlDoc, values: Mapping[str, Any], languages: tuple[str, ...],
                         problems: Problems) -> None:
    """A label for a language the site does not list is almost always a typo."""
    def check(mapping: Mapping[str, Any] | None, path: str) -> None:
        for lang in mapping or {}:
            if lang != "*" and lang not in languages:
                problems.error(SITE_FILE, doc.line(f"{path}.{lang}"), f"{path}.{lang}",
                               f"language {lang!r} is not in languages: {list(languages)}")
    check(values.get("title"), "title")
    check(values.get("description"), "description")
    check(values.get("contact", {}).get("address"), "contact.address")
    for lang, chain in values.get("fallback", {}).items():
        if lang not in languages:
            problems.error(SITE_FILE, doc.line(f"fallback.{lang}"), f"fallback.{lang}",
                           f"language {lang!r} is not in languages: {list(languages)}")
        for index, code in enumerate(chain):
            if code not in languages or code == lang:
                problems.error(SITE_FILE, doc.line(f"fallback.{lang}[{index}]"), f"fallback.{lang}[{index}]",
                               f"{code!r} is not another of the site's languages {list(languages)}")
    for list_name, entries in values.get("codes", {}).items():
        for code_, labels in entries.items():
            for lang in labels:
                if lang not in languages and lang != "cldr":
                    problems.warning(SITE_FILE, doc.line(f"codes.{list_name}.{code_}.{lang}"),
                                     f"codes.{list_name}.{code_}.{lang}",
                                     f"label for language {lang!r}, which the site does not list")
