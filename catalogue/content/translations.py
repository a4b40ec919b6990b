"""Source hashes, translation status and the fallback decision, made once in the model.

The hash covers what a translator translates: the name, the summary and the body of the
source-language file. Line endings and trailing spaces are normalised first, so that an
editor's tooling cannot make every translation stale.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from catalogue.content.model import Entry, Text

Status = Literal["source", "translated", "missing", "stale", "untracked"]
HASH_LENGTH = 8


def normalise(value: str) -> str:
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def source_hash(text: Text) -> str:
    payload = "\x1f".join((normalise(text.name), normalise(text.summary), normalise(text.body)))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def status_of(entry: Entry, lang: str, source_lang: str) -> Status:
    if lang == source_lang:
        return "source"
    text = entry.texts.get(lang)
    if text is None:
        return "missing"
    if not text.translation_of:
        return "untracked"
    if text.translation_of != source_hash(entry.texts[source_lang]):
        return "stale"
    return "translated"


@dataclass(frozen=True)
class ShownText:
    """The text a reader of `lang` sees, and whether it is a stand-in or out of date."""

    text: Text
    requested_lang: str
    status: Status

    @property
    def is_fallback(self) -> bool:
        return self.text.lang != self.requested_lang

    @property
    def is_stale(self) -> bool:
        return self.status == "stale"


def shown_text(entry: Entry, lang: str, source_lang: str) -> ShownText:
    status = status_of(entry, lang, source_lang)
    text = entry.texts.get(lang) or entry.texts[source_lang]
    return ShownText(text, lang, status)
