"""Markdown bodies: the converter that leaves out extensions and inline patterns a body does not use."""

from __future__ import annotations

import markdown
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogue.site.markup import EXTENSIONS, FOOTNOTES, OPTIONAL_EXTENSIONS, MarkdownRenderer, _BodyExtension, sanitise

_MARKDOWN_BITS = st.sampled_from([
    "word", " ", "  ", "\n", "\n\n", "    ", "\t", "\r\n", "\r", ": ", ":", "> ", "- ", "* ", "1. ", "1) ", "+ ", "#",
    "[^1]", "[^1]: note", "{", "}", "{: .x}", "{#id}", "[a](b)", "[a]", "[a][b]", "[b]: http://x.y", "![i](p.png)",
    "![i][b]", "|", "|---|", "---", "**", "*", "_", "__", "`", "``", "```", "\\", "\\*", "<b>", "</b>", "<br/>",
    "<http://a.b>", "<a@b.c>", "<!-- c -->", "&", "&amp;", "&#65;", "&x", "Term", "[", "]", "!", "^", "ü", "ـ",
    "\x02", "\x03", "=", "===", "12. ", "٣. ", "   - ", "___", " * * *",
])


def _full_render(source: str) -> str:
    """Every extension, always: what a body must render as."""
    holder = MarkdownRenderer()
    full = markdown.Markdown(extensions=[*EXTENSIONS, _BodyExtension(holder)],
                             extension_configs={"footnotes": FOOTNOTES}, output_format="html")
    return sanitise(full.convert(source))


@settings(max_examples=400, deadline=None)
@given(st.lists(_MARKDOWN_BITS, max_size=40).map("".join))
def test_a_body_renders_the_same_without_the_extensions_and_patterns_it_does_not_use(source: str) -> None:
    # one renderer for every example: patterns left out for a body must come back for the next
    assert _SHARED.render(source) == _full_render(source)
    assert len(_SHARED._converters) <= 2 ** len(OPTIONAL_EXTENSIONS)


_SHARED = MarkdownRenderer()


def test_each_block_syntax_gets_past_the_quick_tests() -> None:
    """The block processors' quick tests rule out only blocks the processor would not take."""
    cases = {"Title\n=====\n\ntext": "<h2>", "Title\n-----": "<h2>", "text\n## Heading": "<h2>",
             "---": "<hr>", "* * *": "<hr>", "___": "<hr>", "1. one\n2. two": "<ol>", "٣. one": "<ol start=",
             "   - one": "<ul>", "+ one": "<ul>", "a | b\n--|--\n1 | 2": "<table>",
             "a | `b|c`\n--|--\n1 | 2\\|3": "<code>b|c</code>"}
    for source, mark in cases.items():
        html = _SHARED.render(source)
        assert mark in html and html == _full_render(source), source


def test_whitespace_is_normalised_as_python_markdown_does_it() -> None:
    cases = {"one\n   \ntwo": "<p>one</p>\n<p>two</p>", "one\r\n\r\ntwo\rthree": "<p>one</p>\n<p>two\nthree</p>",
             "\tcode": "<pre><code>code\n</code></pre>", "a\x02b\x03c": "<p>abc</p>",
             "Tom &amp; Jerry &copy;": "<p>Tom &amp; Jerry ©</p>"}
    for source, html in cases.items():
        assert _SHARED.render(source) == html == _full_render(source), source


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
    assert renderer.render("plain words") == "<p>plain words</p>"
    assert renderer.render("some *stress*") == "<p>some <em>stress</em></p>"  # the pattern is back
