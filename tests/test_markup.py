"""Markdown bodies: the converter that leaves out extensions a body does not use."""

from __future__ import annotations

import markdown
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogue.markup import EXTENSIONS, FOOTNOTES, MarkdownRenderer, _BodyExtension, sanitise

_MARKDOWN_BITS = st.sampled_from([
    "word", " ", "\n", "\n\n", "    ", "\t", ": ", ":", "> ", "- ", "* ", "1. ", "1) ", "+ ", "#", "[^1]",
    "[^1]: note", "{", "}", "{: .x}", "{#id}", "[a](b)", "|", "|---|", "---", "**", "_", "`", "```", "\\",
    "<b>", "Term", "[", "]", "^", "ü", "ـ",
])


def _full_render(source: str) -> str:
    """Every extension, always: what a body must render as."""
    holder = MarkdownRenderer()
    full = markdown.Markdown(extensions=[*EXTENSIONS, _BodyExtension(holder)],
                             extension_configs={"footnotes": FOOTNOTES}, output_format="html")
    return sanitise(full.convert(source))


@settings(max_examples=400, deadline=None)
@given(st.lists(_MARKDOWN_BITS, max_size=40).map("".join))
def test_a_body_renders_the_same_without_the_extensions_it_does_not_use(source: str) -> None:
    assert MarkdownRenderer().render(source) == _full_render(source)


def test_each_optional_extension_is_used_when_its_syntax_is_there() -> None:
    renderer = MarkdownRenderer()
    cases = {
        "Text[^1]\n\n[^1]: A note.": "footnote",
        "Term\n: Its definition.": "<dl>",
        "- Term\n\n    : Nested definition.": "<dl>",
        "# Heading {: .wide}": 'class="wide"',
    }
    for source, mark in cases.items():
        html = renderer.render(source)
        assert mark in html and html == _full_render(source), source
