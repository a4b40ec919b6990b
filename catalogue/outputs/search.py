"""The search index of one language, as a script file (works over http and from file://).

Text is folded here and, identically, in the browser (themes/default/static/js/catalogue.js):
lower case, accents removed (Vietnamese đ -> d), Arabic letter variants, diacritics and
tatweel normalised. Unspaced scripts (Japanese, Chinese) are matched by character bigrams in
the browser, so the index stays plain text.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata

from catalogue.builtin import package_data
from catalogue.content.load import body_text
from catalogue.content.model import Producer, Product
from catalogue.content.translations import shown_text
from catalogue.outputs.embed import escape_json_text
from catalogue.site.index import FACETS, facet_values
from catalogue.site.media import EntryMedia
from catalogue.site.views import LanguageContext, card_of

INDEX_VERSION = 2  # 2: keywords (k), summary as shown (t, folded by the page), cover (c), HS code (h),
# minimum order (q); kana folded
BODY_WORDS = 60  # distinct words of the description kept per product: recall without bulk
# and at most this many bytes of them (UTF-8): an unspaced script (Japanese) makes whole
# phrases of its "words", of three bytes a character
BODY_BYTES = 600

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
    """str.translate table: punctuation and symbols (Unicode P* and S*) become spaces, and
    katakana the same kana in hiragana."""

    def __missing__(self, code: int) -> str:
        if 0x30A1 <= code <= 0x30F6:  # katakana as hiragana: 'マカダミア' and 'まかだみあ' meet
            value = chr(code - 0x60)
        else:
            value = " " if unicodedata.category(chr(code))[0] in "PS" else chr(code)
        self[code] = value
        return value


_BLANKS = _PunctuationToSpace()


# ASCII, kana and CJK punctuation, ideographs, half- and full-width forms: none of them
# decomposes into a mark that folding strips, or is a letter it unifies.
_UNSPACED = re.compile("[\x00-\x7f\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]*")


_WIDTHS = re.compile("[\uff00-\uffef]")


def fold(text: str) -> str:
    """The form both sides compare: 'Mắc ca Đông' -> 'mac ca dong'; 'المكاديميا' unified;
    half-width katakana and full-width Latin ('ﾏｶﾀﾞﾐｱ', 'ＯＣＯＰ') as their usual forms."""
    if _WIDTHS.search(text) is not None:
        text = _widths_folded(text)
    if text.isascii():  # nothing to decompose, strip or unify: the same result, sooner
        return _collapse_spaces(text.lower().translate(_BLANKS))
    if _UNSPACED.fullmatch(text):  # Japanese: composing is all that is left of the long way
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        return _collapse_spaces(text.lower().translate(_BLANKS))
    return fold_any(text)


def _widths_folded(text: str) -> str:
    """The half- and full-width forms (U+FF00 to U+FFEF) by compatibility (NFKC), the rest
    as it was: NFKC of the whole text would also turn '²' into '2' and 'ﬁ' into 'fi'."""
    return _WIDTHS.sub(lambda match: unicodedata.normalize("NFKC", match.group()), text)


def fold_any(text: str) -> str:
    """fold() for any text, the long way."""
    if _WIDTHS.search(text) is not None:
        text = _widths_folded(text)
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
    kept = _KEPT if kept is None else kept
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
                size = len(word) if word.isascii() else len(word.encode("utf-8", "surrogatepass"))
                if length + size > BODY_BYTES:
                    return " ".join(seen)
                seen[word] = None
                length += size + 1
                if len(seen) == BODY_WORDS:
                    return " ".join(seen)
    return " ".join(seen)


FOLDED_WORDS = 200_000  # tokens remembered before starting afresh
_KEPT: dict[str, tuple[str, ...]] = {}  # this process's folded tokens: bodies share most of their words
# Longer tokens are seldom met twice: whole phrases of unspaced scripts (Japanese, Chinese)
REMEMBERED_LENGTH = 24


def search_item(lc: LanguageContext, product: Product, producer: Producer | None, media: EntryMedia) -> str:
    """One product's item of the index of one language, as the JSON text the index holds."""
    card = card_of(lc, product, producer, media)
    shown = shown_text(product, lc.code, lc.chain, lc.source_lang)
    own = fold(card.words.name)
    alternates = " ".join(dict.fromkeys(
        folded for folded in (fold(text.name) for text in product.texts.values()) if folded != own))
    values = facet_values(product, producer.type if producer else None)
    item: dict[str, object] = {
        "id": product.slug,
        "name": card.words.name,
        "n": own,
        "b": body_words(body_text(product, shown.body)),
        "a": alternates,
        "k": " ".join(filter(None, (keywords(lc, product, producer),
                                    other_spellings(lc.code, f"{own} {alternates} {fold(card.words.summary)}")))),
        "f": {facet: codes for facet, codes in values.items() if codes},
    }
    # what a card shows, for the products of other pages that a search brings up
    item["t"] = card.words.summary
    if card.words.notice == "fallback":
        item["l"] = [card.words.lang, card.words.dir]
    if card.cover is not None:
        smallest = min(card.cover.srcset or ((card.cover.path, card.cover.width),), key=lambda pair: pair[1])
        item["c"] = [smallest[0], card.cover.width, card.cover.height]
    if product.hs_code:
        item["h"] = product.hs_code
    if product.moq:
        item["q"] = lc.fmt.quantity(product.moq)
    return encode(item)


def keywords(lc: LanguageContext, product: Product, producer: Producer | None) -> str:
    """What a buyer may type besides the product's texts, folded: the codes of its
    certifications, markets, group and district (the page adds their labels, which the index
    holds once), its producer's name as this language shows it and in the source language,
    and its HS code (which folding splits at the dot: '0902' finds 0902.10)."""
    words = [code.replace("-", " ") for code in (*product.certifications, *product.markets, product.category,
                                                 product.district)]
    if producer is not None:
        words.extend(text.name for lang, text in producer.texts.items() if lang in (lc.code, lc.source_lang))
    if product.hs_code:
        words.append(product.hs_code)
    return " ".join(dict.fromkeys(folded for folded in (fold(word) for word in words) if folded))


@functools.lru_cache(maxsize=None)
def _spellings(lang: str) -> tuple[tuple[str, ...], ...]:
    """The words of `lang` written more than one way (data/readings.yaml), folded."""
    table = package_data("readings.yaml")
    return tuple(tuple(dict.fromkeys(fold(word) for word in words)) for words in (table or {}).get(lang, ()))


def other_spellings(lang: str, folded: str) -> str:
    """The other spellings of the words of `folded` that are written more than one way: the
    item holding はちみつ is found by 蜂蜜 as well."""
    found: list[str] = []
    for words in _spellings(lang):
        if any(word in folded for word in words):
            found.extend(word for word in words if word not in folded)
    return " ".join(found)


def search_labels(lc: LanguageContext, counts: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]) -> str:
    """The labels of every filter option of one language, as JSON text."""
    lists = {"category": "categories", "district": "districts", "certification": "certifications",
             "market": "markets", "producer_type": "producer_types"}
    labels: dict[str, dict[str, str]] = {}
    for facet, options in counts:
        if facet == "stars":
            made = {code: "★" * int(code) for code, _ in sorted(options, key=lambda kv: -int(kv[0]))}
        else:
            made = dict(sorted(((code, lc.fmt.label(lists[facet], code)) for code, _ in options),
                               key=lambda kv: kv[1].casefold()))
        labels[facet] = made
    return encode(labels)


SCRIPT_PREFIX = "window.catalogueSearch="
SCRIPT_SUFFIX = ";\n"


def encode(value: object) -> str:
    """JSON as the index file holds it (safe in a script: see embed.py)."""
    return escape_json_text(json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False,
                                       check_circular=False))


def index_script(lang: str, labels: str, items: tuple[bytes, ...]) -> bytes:
    """The index file of one language, from its labels and items (each already JSON in UTF-8;
    a piece may be a run of items joined by commas)."""
    head = f'{SCRIPT_PREFIX}{{"v":{INDEX_VERSION},"lang":{encode(lang)},"facets":{encode(list(FACETS))},' \
           f'"labels":{labels},"items":['
    return head.encode("utf-8") + b",".join(items) + ("]}" + SCRIPT_SUFFIX).encode("utf-8")
