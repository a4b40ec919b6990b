"""Code lists (categories, markets, ...): built-in ones merged with the site's own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from catalogue.builtin import package_data

BUILTIN_LISTS = ("categories", "certifications", "markets", "event_kinds", "producer_types", "units")


@dataclass(frozen=True)
class CodeList:
    name: str
    labels: Mapping[str, Mapping[str, str]]  # code -> language -> label
    cldr_units: Mapping[str, str]  # only for `units`: code -> CLDR unit id

    def __contains__(self, code: object) -> bool:
        return code in self.labels

    def codes(self) -> list[str]:
        return sorted(self.labels)

    def label(self, code: str, lang: str, source_lang: str) -> str:
        """Label in `lang`, else in the source language, else English, else the code."""
        labels = self.labels.get(code, {})
        return labels.get(lang) or labels.get(source_lang) or labels.get("en") or code


@dataclass(frozen=True)
class Codes:
    lists: Mapping[str, CodeList]

    def get(self, name: str) -> CodeList:
        return self.lists.get(name) or CodeList(name, {}, {})

    def label(self, list_name: str, code: str, lang: str, source_lang: str) -> str:
        return self.get(list_name).label(code, lang, source_lang)


def builtin_code_data() -> dict[str, dict[str, dict[str, str]]]:
    data: dict[str, dict[str, dict[str, str]]] = package_data("codes.yaml")
    return data


def merge_codes(site_codes: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> Codes:
    """Site codes add new lists and codes, and relabel built-in codes language by language."""
    merged: dict[str, dict[str, dict[str, str]]] = {}
    cldr: dict[str, dict[str, str]] = {}
    for source in (builtin_code_data(), site_codes):
        for list_name, entries in source.items():
            target = merged.setdefault(list_name, {})
            for code, labels in entries.items():
                row = target.setdefault(code, {})
                for lang, label in labels.items():
                    if lang == "cldr":
                        cldr.setdefault(list_name, {})[code] = str(label)
                    else:
                        row[lang] = str(label)
    return Codes({name: CodeList(name, entries, cldr.get(name, {})) for name, entries in merged.items()})
