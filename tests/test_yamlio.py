"""YAML with lines, front matter, slugs: unit and property tests (never a traceback)."""

from __future__ import annotations

import pickle
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from catalogue.content.model import FieldLines
from catalogue.problems import Problems
from catalogue.content.schema import SLUG_RE
from catalogue.content.slugs import slugify
from catalogue.content.yamlio import parse_yaml, read_text, split_front_matter


def test_lines_of_nested_fields() -> None:
    problems = Problems()
    doc = parse_yaml("a: 1\nocop:\n  stars: 4\n  year: 2022\npackaging:\n  - size: x\n  - size: y\n",
                     "f.yaml", problems)
    assert doc is not None and not problems.items
    assert doc.line("ocop.year") == 4
    assert doc.line("packaging[1].size") == 7
    assert doc.line("packaging[1].missing") == 7
    assert doc.raw["ocop.stars"] == "4"


def test_duplicate_keys_at_any_depth() -> None:
    problems = Problems()
    parse_yaml("ocop:\n  stars: 4\n  stars: 5\n", "f.yaml", problems)
    assert [p.format() for p in problems.items] == [
        "f.yaml:3: ocop.stars: duplicate key (first given at line 2); keep only one"]


def test_line_offset_for_front_matter() -> None:
    problems = Problems()
    parse_yaml("name: [x\n", "f.md", problems, line_offset=1)
    # the bracket is opened on the file's line 2 (YAML notices it is not closed one line later)
    assert problems.items[0].line == 2 and problems.items[0].message.startswith("YAML syntax error")


def test_a_bracket_or_quote_left_open_is_reported_where_it_was_opened() -> None:
    cases = {"a: 1\nmarkets: [japan, korea\nb: 2\nc: 3\n": (2, "the list opened by '[' here is not closed with ']'"),
             "a: 1\nm: {x: 1, y: 2\nb: 2\n": (2, "the mapping opened by '{' here is not closed with '}'"),
             'a: 1\nb: "unclosed\nc: 3\n': (2, "the quoted text that starts here has no closing quote")}
    for text, (line, message) in cases.items():
        problems = Problems()
        parse_yaml(text, "f.yaml", problems)
        assert [(p.line, p.message) for p in problems.items] == [(line, f"YAML syntax error: {message}")], text


def test_alias_bomb_is_refused() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))
    problems = Problems()
    assert parse_yaml(bomb, "bomb.yaml", problems) is None
    assert "too large" in problems.items[0].message


def test_front_matter_split_and_crlf() -> None:
    problems = Problems()
    front = split_front_matter("---\r\nname: x\r\n---\r\nBody\r\n", "f.md", problems)
    assert front is not None and front.body_line == 4
    assert front.body.strip() == "Body"


def test_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_bytes(b"\xef\xbb\xbf---\nname: x\n---\n")
    assert read_text(path, "x.md", Problems()) == "---\nname: x\n---\n"


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_front_matter_never_raises(text: str) -> None:
    problems = Problems()
    front = split_front_matter(text, "f.md", problems)
    assert (front is None) == bool(problems.items)
    if front is None:
        assert all(p.path == "f.md" and p.line == 1 for p in problems.items)
    else:
        assert front.body_line >= 3


yaml_chars = st.sampled_from(list("ab:- \n[]{}&*!|>'\"#%@`,?\t0123456789.") + ["\u00e9", "\u0111", "\x85"])


@given(st.text(yaml_chars, max_size=120) | st.text(max_size=120))
@settings(max_examples=400, deadline=None)
def test_yaml_parser_never_raises(text: str) -> None:
    problems = Problems()
    doc = parse_yaml(text, "f.yaml", problems)
    if doc is None:
        assert problems.items and all(p.path == "f.yaml" for p in problems.items)


@given(st.binary(max_size=200))
@settings(max_examples=200, deadline=None)
def test_reading_any_bytes_never_raises(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("bytes") / "x.md"
    path.write_bytes(data)
    problems = Problems()
    text = read_text(path, "x.md", problems)
    assert (text is None) == bool(problems.items)


@given(st.text(max_size=80))
@settings(max_examples=400, deadline=None)
def test_slugify_gives_a_valid_slug_or_nothing(name: str) -> None:
    slug = slugify(name)
    assert slug == "" or SLUG_RE.match(slug)


def test_slugify_vietnamese() -> None:
    assert slugify("Chè Shan tuyết Đông Pao") == "che-shan-tuyet-dong-pao"
    assert slugify("  Hợp tác xã  Mường Sô!! ") == "hop-tac-xa-muong-so"
    assert slugify("Miến dong riềng") == "mien-dong-rieng"


field_values = st.one_of(
    st.integers(-10, 10**6), st.floats(allow_nan=True), st.booleans(), st.none(), st.text(max_size=20),
    st.dates(), st.lists(st.text(max_size=8), max_size=3),
    st.dictionaries(st.sampled_from(["amount", "currency", "size", "unit", "stars", "year", "online"]),
                    st.one_of(st.integers(), st.text(max_size=8)), max_size=3))
product_fields = st.dictionaries(
    st.sampled_from(["producer", "category", "ocop", "district", "images", "hs_code", "certifications",
                     "markets", "packaging", "moq", "shelf_life_days", "marketplaces", "updated", "bogus"]),
    field_values, max_size=8)


@given(product_fields)
@settings(max_examples=150, deadline=None)
def test_any_product_record_gives_a_record_or_located_problems(tmp_path_factory, fields: dict) -> None:
    import yaml

    from catalogue.build.pipeline import load_site
    from sitekit import make_site

    site = make_site(tmp_path_factory.mktemp("prop") / "site")
    (site / "content/products/mac-ca/product.yaml").write_text(yaml.safe_dump(fields, allow_unicode=True),
                                                               encoding="utf-8")
    problems = Problems()
    loaded = load_site(site, problems)
    assert loaded is not None
    if "mac-ca" not in loaded.site.products:
        assert any(p.path.startswith("content/products/mac-ca/") for p in problems.errors)
    for problem in problems.items:
        assert problem.path and problem.message


@given(st.dictionaries(st.text(max_size=30), st.integers(min_value=1, max_value=10**6), max_size=40))
@settings(max_examples=200, deadline=None)
def test_field_lines_keep_every_line_of_the_yaml(lines: dict[str, int]) -> None:
    kept = FieldLines(lines)
    clean = {path: line for path, line in lines.items() if "\x1e" not in path and "\x1f" not in path}
    for path, line in clean.items():
        assert kept.get(path) == line
    assert kept.get("\x1eno such field") is None
    assert len(kept) == len(lines)
    assert pickle.loads(pickle.dumps(kept)) == kept


def test_field_lines_of_a_loaded_record() -> None:
    problems = Problems()
    doc = parse_yaml("producer: a\nimages:\n  - x.jpg\n  - y.jpg\nocop:\n  stars: 4\n", "f.yaml", problems)
    assert doc is not None
    kept = FieldLines(doc.lines)
    assert (kept.get("images[1]"), kept.get("ocop.stars"), kept.get("ocop.year")) == (4, 6, None)
    assert dict(kept.items()) == dict(doc.lines)
