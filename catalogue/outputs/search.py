"""The search index of one language, as a script file (works over http and from file://).

Text is folded here and, identically, in the browser (themes/default/static/js/catalogue.js):
lower case, accents removed (Vietnamese đ -> d), Arabic letter variants, diacritics and
tatweel normalised. Unspaced scripts (Japanese, Chinese) are matched by character bigrams in
the browser, so the index stays plain text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Iterable, Mapping

from catalogue.content.model import Product, Site
from catalogue.outputs.embed import escape_json_text
from catalogue.site.views import LanguageViews

INDEX_VERSION = 1
BODY_WORDS = 60  # distinct words of the description kept per product: recall without bulk
# and at most this many bytes of them (UTF-8): an unspaced script (Japanese) makes whole
# phrases of its "words", of three bytes a character
BODY_BYTES = 600
FACETS = ("category", "stars", "district", "certification", "market", "producer_type")

_ARABIC = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ئ": "ي", "ؤ": "و", "ة": "ه",
                         "ـ": None})
_MARKS = re.compile(r"[\u0300-\u036f\u064b-\u065f\u0670\u06d6-\u06ed]")
# the lookahead lets the matcher pass over plain text without trying each alternative
_MARKUP = re.compile(r"(?=[<!\]#>*_`|~\[-])(?:<[^>]*>|!\[[^\]]*\]\([^)]*\)|\]\([^)]*\)|[#>*_`|~\[\]-]+)")


def _collapse_spaces(text: str) -> str:
    """Runs of whitespace as single spaces, none at the ends, as the browser's
    /[\\s\\u00a0\\u3000]+/ and trim() give them: str.split() splits at the same characters."""
    return " ".join(text.split())


class _PunctuationToSpace(dict):
    """str.translate table: punctuation and symbols (Unicode P* and S*) become spaces."""

    def __missing__(self, code: int) -> str:
        value = " " if unicodedata.category(chr(code))[0] in "PS" else chr(code)
        self[code] = value
        return value


_BLANKS = _PunctuationToSpace()


# ASCII, kana and CJK punctuation, ideographs, half- and full-width forms: none of them
# decomposes into a mark that folding strips, or is a letter it unifies.
_UNSPACED = re.compile("[\x00-\x7f\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]*")


def fold(text: str) -> str:
    """The form both sides compare: 'Mắc ca Đông' -> 'mac ca dong'; 'المكاديميا' unified."""
    if text.isascii():  # nothing to decompose, strip or unify: the same result, sooner
        return _collapse_spaces(text.lower().translate(_BLANKS))
    if _UNSPACED.fullmatch(text):  # Japanese: composing is all that is left of the long way
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        return _collapse_spaces(text.lower().translate(_BLANKS))
    return fold_any(text)


def fold_any(text: str) -> str:
    """fold() for any text, the long way."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFD", text).lower()
    text = _MARKS.sub("", text).translate(_ARABIC)
    text = unicodedata.normalize("NFC", text)
    return _collapse_spaces(text.translate(_BLANKS))


def body_words(markdown: str, kept: dict[str, tuple[str, ...]] | None = None) -> str:
    """The first BODY_WORDS distinct folded words of a body, as fold() would give them.

    Folding goes token by token (whitespace-separated), each token once, and `kept`
    remembers the words each token gives: descriptions of one language share most of their
    words. Short words of ASCII letters are left out.
    """
    kept = {} if kept is None else kept
    seen: dict[str, None] = {}
    length = 0
    for token in dict.fromkeys(_MARKUP.sub(" ", markdown).split()):
        words = kept.get(token)
        if words is None:
            words = tuple(word for word in fold(token).split(" ") if len(word) > 1 or (word and not word.isascii()))
            if len(token) <= REMEMBERED_LENGTH:
                if len(kept) >= FOLDED_WORDS:
                    kept.clear()
                kept[token] = words
        for word in words:
            if word not in seen:
                size = len(word) if word.isascii() else len(word.encode("utf-8"))
                if length + size > BODY_BYTES:
                    return " ".join(seen)
                seen[word] = None
                length += size + 1
                if len(seen) == BODY_WORDS:
                    return " ".join(seen)
    return " ".join(seen)


FOLDED_WORDS = 200_000  # tokens remembered per language before starting afresh
# Longer tokens are seldom met twice: whole phrases of unspaced scripts (Japanese, Chinese)
REMEMBERED_LENGTH = 24


def facet_values(product: Product, producer_type: str | None) -> dict[str, list[str]]:
    return {
        "category": [product.category],
        "stars": [str(product.ocop.stars)],
        "district": [product.district],
        "certification": list(product.certifications),
        "market": list(product.markets),
        "producer_type": [producer_type] if producer_type else [],
    }


def search_index(site: Site, views: LanguageViews, other_names: Mapping[str, Iterable[str]],
                 known_items: Mapping[str, dict[str, object]] | None = None,
                 folded_names: dict[str, str] | None = None) -> dict[str, object]:
    """The index of one language; `known_items` (by slug) are items made by an earlier build.
    `folded_names` remembers names as folded, for the indexes of the other languages, which
    fold the same names again."""
    names_folded = {} if folded_names is None else folded_names

    def fold_name(name: str) -> str:
        found = names_folded.get(name)
        if found is None:
            found = names_folded[name] = fold(name)
        return found

    lang = views.lang.code
    items = []
    labels: dict[str, dict[str, str]] = {facet: {} for facet in FACETS}
    kept: dict[str, tuple[str, ...]] = {}
    for slug, product in site.products.items():
        card = views.products[slug]
        producer = site.producers.get(product.producer)
        text = product.texts[card.words.lang]  # the text the page shows
        values = facet_values(product, producer.type if producer else None)
        labels["category"][product.category] = card.category.text
        labels["district"][product.district] = card.district.text
        labels["stars"][str(product.ocop.stars)] = "★" * product.ocop.stars
        for label in card.certifications:
            labels["certification"][label.code] = label.text
        for label in card.markets:
            labels["market"][label.code] = label.text
        if producer:
            labels["producer_type"][producer.type] = views.fmt.label("producer_types", producer.type)
        if known_items and slug in known_items:
            items.append(known_items[slug])
            continue
        own = fold_name(card.words.name)
        alternates = " ".join(dict.fromkeys(
            folded_name for folded_name in map(fold_name, other_names.get(slug, ())) if folded_name != own))
        items.append({
            "id": slug,
            "name": card.words.name,
            "n": own,
            "s": fold(card.words.summary),
            "b": body_words(text.body, kept),
            "a": alternates,
            "f": {facet: codes for facet, codes in values.items() if codes},
        })
    ordered_labels = {facet: dict(sorted(values.items(), key=lambda kv: (-int(kv[0]) if facet == "stars" else 0,
                                                                         kv[1].casefold())))
                      for facet, values in labels.items()}
    return {"v": INDEX_VERSION, "lang": lang, "facets": list(FACETS), "labels": ordered_labels, "items": items}


SCRIPT_PREFIX = "window.catalogueSearch="
SCRIPT_SUFFIX = ";\n"


def encode(value: object) -> str:
    """JSON as the index file holds it: an item encoded alone is the same text as inside it."""
    return escape_json_text(json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False,
                                       check_circular=False))


def index_script(index: Mapping[str, object]) -> bytes:
    return f"{SCRIPT_PREFIX}{encode(index)}{SCRIPT_SUFFIX}".encode("utf-8")
