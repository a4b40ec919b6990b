"""Source hashes, translation status and the fallback decision, made once in the model.

The hash covers what a translator translates: the name, the summary and the body of the
source-language file. Line endings and trailing spaces are normalised first, so that an
editor's tooling cannot make every translation stale.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal, Mapping, Protocol, TypeVar

from catalogue.content.model import Entry, Text

Status = Literal["source", "translated", "missing", "stale", "untracked"]
T = TypeVar("T")
HASH_LENGTH = 8


def normalise(value: str) -> str:
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def source_hash(text: Text) -> str:
    """The hash a translation names as its translation_of (kept with each text when parsed)."""
    return text.source_hash


def hash_of_source(name: str, summary: str, body: str) -> str:
    payload = "\x1f".join((normalise(name), normalise(summary), normalise(body)))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:HASH_LENGTH]


class TextLike(Protocol):
    """A record's text or its facts' (content/facts.py): what choosing the text shown needs."""

    @property
    def lang(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def summary(self) -> str: ...


def status_in(texts: Mapping[str, Text], lang: str, source_lang: str) -> Status:
    if lang == source_lang:
        return "source"
    text = texts.get(lang)
    if text is None:
        return "missing"
    if not text.translation_of:
        return "untracked"
    if text.translation_of != texts[source_lang].source_hash:
        return "stale"
    return "translated"


def status_of(entry: Entry, lang: str, source_lang: str) -> Status:
    return status_in(entry.texts, lang, source_lang)


def first_text(texts: Mapping[str, T], lang: str, chain: tuple[str, ...], source_lang: str) -> T:
    """The text of the first language of [lang, *chain] that has one (the source always does)."""
    return next((texts[code] for code in (lang, *chain) if code in texts), texts[source_lang])


@dataclass(frozen=True)
class ShownText:
    """What a reader of `requested_lang` sees of an entry: the name and summary of `text`, the
    body of `body` (each the first of the fallback chain that has one), and their status."""

    text: Text
    body: Text
    requested_lang: str
    status: Status

    @property
    def is_fallback(self) -> bool:
        return self.text.lang != self.requested_lang

    @property
    def body_is_fallback(self) -> bool:
        return self.body.lang != self.requested_lang

    @property
    def is_stale(self) -> bool:
        return self.status == "stale"


def shown_text(entry: Entry, lang: str, chain: tuple[str, ...], source_lang: str) -> ShownText:
    """Decided once, field by field: a translation with a name but no body shows its own name
    and the body of the first language of `chain` (ending with the source) that has one."""
    texts = entry.texts
    candidates = (lang, *chain)
    text = next((texts[code] for code in candidates if code in texts), texts[source_lang])
    body = next((texts[code] for code in candidates if code in texts and texts[code].has_body), text)
    return ShownText(text, body, lang, status_of(entry, lang, source_lang))
