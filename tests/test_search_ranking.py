"""The product list's search ranks as its rules say, however the page finds the matches.

The rules, written here the plain way (every item, every field, every word): a query's words
must all be found in an item; each counts the weight of the best field it is in (name 10,
other names 6, keywords 5, summary 4, body 1), at the start of a word in spaced scripts and
anywhere in Arabic and unspaced ones; a word of five letters or more not found counts 2 where
a word of the name, other names, keywords or summary is one typo from it (or starts so); the
words together, in order, add 20 in the name or 8 in the summary or other names. Best first,
then in the site's order. The page, which looks words up in a sorted vocabulary and keeps
what it found for the next keystroke, must show exactly that for many queries typed letter
by letter, in every language of the example.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from catalogue.outputs.search import fold

pytestmark = [pytest.mark.browser]

WEIGHTS = (10, 6, 5, 4, 1)
PAGE = 36  # cards shown at once for a search
UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af\u0e00-\u0e7f]")
ANYWHERE = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af\u0e00-\u0e7f]")

_SEARCH = """(q) => {
  const form = document.getElementById('product-search');
  form.querySelector('input[name=q]').value = q;
  form.dispatchEvent(new Event('submit', {cancelable: true}));
  return [Array.from(document.querySelectorAll('#product-list [data-product]:not([hidden])'), c => c.dataset.product),
          document.getElementById('result-count').textContent];
}"""


def read_index(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return json.loads(text[text.index("=") + 1:].rstrip().rstrip(";"))


def stem(word: str) -> str:
    if not re.fullmatch(r"[a-z]{4,}", word):
        return word
    if word.endswith("ies"):
        return word[:-3]
    if re.search(r"(ches|shes|sses|xes|zes)$", word):
        return word[:-2]
    if re.search(r"[^su]s$", word):
        return word[:-1]
    return word


def terms(query: str) -> list[str]:
    out = []
    for word in fold(query).split(" "):
        if not word:
            continue
        word = stem(re.sub(r"^[おご](?=[\u3400-\u9fff])", "", word))
        if UNSPACED.search(word) and len(word) > 2:
            out += [word[i:i + 2] for i in range(len(word) - 1)]
        else:
            out.append(word)
    return out


def nearly(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    i = 0
    while i < len(a) and i < len(b) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i]
                                          and a[i + 2:] == b[i + 2:])
    return a[i + 1:] == b[i:] if len(a) > len(b) else a[i:] == b[i + 1:]


def fields_of(index: dict) -> list[list[str]]:
    """Each item's five fields as the page keeps them: folded, a space in front."""
    labels = {(facet, code): fold(label) for facet, codes in index.get("labels", {}).items()
              for code, label in codes.items()}
    out = []
    for item in index["items"]:
        extra = [labels[(facet, code)] for facet, codes in item["f"].items() for code in codes
                 if labels.get((facet, code))]
        keywords = (item.get("k", "") + " " + " ".join(extra)).strip()
        out.append([" " + item["n"], " " + item.get("a", ""), " " + keywords, " " + fold(item.get("t", "")),
                    " " + item.get("b", "")])
    return out


def ranked(index: dict, fields: list[list[str]], query: str) -> list[str]:
    words = terms(query)
    joined = " ".join(words)
    phrase = " " + joined if len(words) > 1 and not ANYWHERE.search(joined) else None
    found = []
    for at, (item, item_fields) in enumerate(zip(index["items"], fields)):
        total = 0
        for word in words:
            sought = word if ANYWHERE.search(word) else " " + word
            best = next((WEIGHTS[f] for f in range(5) if sought in item_fields[f]), 0)
            if not best and len(word) >= 5 and not ANYWHERE.search(word):
                others = " ".join(part[1:] for part in item_fields[:4]).split(" ")
                if any(len(o) >= 4 and (nearly(word, o) or (len(o) > len(word) and nearly(word, o[:len(word)])))
                       for o in others):
                    best = 2
            if not best:
                total = 0
                break
            total += best
        if total and phrase:
            if phrase in item_fields[0]:
                total += 20
            elif phrase in item_fields[3] or phrase in item_fields[1]:
                total += 8
        if total:
            found.append((-total, at, item["id"]))
    return [ident for _, _, ident in sorted(found)]


def queries(index: dict, fields: list[list[str]], seed: int) -> list[str]:
    """What buyers type, letter by letter: words of the index, their prefixes, typos, pairs."""
    rng = random.Random(seed)
    vocabulary = sorted({w for item_fields in fields for field in item_fields for w in field.split(" ") if w})
    chosen = rng.sample(vocabulary, min(60, len(vocabulary)))
    typed = []
    for word in chosen:
        variants = [word]
        if len(word) >= 5:
            k = rng.randrange(1, len(word) - 1)
            variants += [word[:k] + word[k + 1] + word[k] + word[k + 2:],  # two letters swapped
                         word[:k] + word[k + 1:],  # one missing
                         word[:k] + "q" + word[k + 1:]]  # one wrong
        for variant in variants:
            typed += [variant[:end] for end in range(1, len(variant) + 1)]
    names = [item["n"] for item in index["items"]]
    for name in rng.sample(names, min(10, len(names))):
        typed += [name[:end] for end in range(1, len(name) + 1)]
    for _ in range(20):
        a, b = rng.sample(chosen, 2)
        typed += [f"{a} {b[:end]}" for end in range(1, len(b) + 1)]
    return [q for q in typed if terms(q)]


@pytest.mark.parametrize("lang", ["vi", "en", "ar", "ja"])
def test_the_page_ranks_as_the_rules_say(chromium, example_http: str, example_public: Path, lang: str) -> None:
    index = read_index(example_public / lang / "search-index.js")
    fields = fields_of(index)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{example_http}{lang}/products/")
    page.wait_for_function("document.getElementById('facet-form').hidden === false")
    typed = queries(index, fields, seed=len(lang))
    assert len(typed) > 300
    wrong = []
    for query in typed:
        shown, count = page.evaluate(_SEARCH, query)
        expected = ranked(index, fields, query)
        if shown != expected[:PAGE] or not re.search(rf"(?<!\d){len(expected)}(?!\d)", count):
            wrong.append((query, shown[:5], expected[:5], count, len(expected)))
    context.close()
    assert errors == []
    assert not wrong, wrong[:5]
    # the queries found several things, one thing, or nothing
    sizes = [len(ranked(index, fields, q)) for q in typed]
    assert sum(1 for n in sizes if n > 1) > 50 and sum(1 for n in sizes if n == 0) > 5
