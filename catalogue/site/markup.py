"""Markdown bodies -> sanitised HTML fragments.

Python-Markdown renders (tables, attribute lists, footnotes); a tree pass demotes headings
under the page's own h1, wraps tables for narrow screens and points images at the entry's
media folder; nh3 then removes anything executable, whatever the source contained.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from typing import Any, Callable

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from catalogue.site import speedups

ALLOWED_TAGS = {
    "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
    "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt",
    "ruby", "s", "samp", "section", "small", "span", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var", "wbr",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading", "decoding"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "scope", "style"},
    "ol": {"start", "reversed"},
    "time": {"datetime"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
_RELATIVE_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
ImageResolver = Callable[[str], "tuple[str, int, int] | None"]


def _no_images(name: str) -> None:
    return None


class _BodyTree(Treeprocessor):
    def __init__(self, md: markdown.Markdown, renderer: "MarkdownRenderer"):
        super().__init__(md)
        self.renderer = renderer

    def run(self, root: etree.Element) -> None:
        if any(element.tag == "h1" for element in root.iter()):
            for element in root.iter():
                if element.tag in ("h1", "h2", "h3", "h4", "h5"):
                    element.tag = f"h{int(element.tag[1]) + 1}"
        tables = [(parent, index, child) for parent in root.iter()
                  for index, child in enumerate(parent) if child.tag == "table"]
        for parent, index, table in tables:
            wrapper = etree.Element("div", {"class": "table-wrap"})
            parent.remove(table)
            wrapper.append(table)
            parent.insert(index, wrapper)
        for image in root.iter("img"):
            src = image.get("src", "")
            resolved = self.renderer.resolve(src) if _RELATIVE_FILE.fullmatch(src) else None
            if resolved is not None:
                url, width, height = resolved
                image.set("src", url)
                image.set("width", str(width))
                image.set("height", str(height))
                self.renderer.produced.add(url)
            elif not src.startswith(("https://", "http://")):
                # not a file of the entry's folder (loading reports it): never a path elsewhere
                alt = image.get("alt", "")
                image.clear()
                image.tag, image.text = "span", alt
                continue
            image.set("loading", "lazy")
            image.set("decoding", "async")


class _BodyExtension(Extension):
    def __init__(self, renderer: "MarkdownRenderer"):
        super().__init__()
        self.renderer = renderer

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - Markdown's API
        md.treeprocessors.register(_BodyTree(md, self.renderer), "catalogue_body", 1)


EXTENSIONS = ("tables", "attr_list", "footnotes", "sane_lists", "def_list")  # in this order
# Extensions a body needs only when it holds their syntax: each costs time on every body.
# The tests are looser than the syntax, so a body without a match renders the same without
# the extension. A definition (a line starting with ':') may sit in a list or a quote, after a
# lone carriage return, after raw HTML split off as a block, or open a footnote.
_DEFINITION_LINE = re.compile(r"(?:^|[\r\n])[ \t>*+\-\d.)]*:")
OPTIONAL_EXTENSIONS: dict[str, Callable[[str], bool]] = {
    "footnotes": lambda source: "[^" in source,
    "def_list": lambda source: ":" in source and (
        "<" in source or "[^" in source or _DEFINITION_LINE.search(source) is not None),
    "attr_list": lambda source: "{" in source,
}
FOOTNOTES = {"BACKLINK_TITLE": "", "SUPERSCRIPT_TEXT": "{}",
             "BACKLINK_TEXT": "↑"}  # an upward arrow reads the same in both directions, unlike ↩
class MarkdownRenderer:
    """Reusable Markdown converters, one per set of optional extensions (made quicker by
    speedups, which leaves out for each body what it cannot use). Cheap per page."""

    def __init__(self) -> None:
        self.resolve: ImageResolver = _no_images
        self.produced: set[str] = set()  # image addresses the tree pass wrote, for raw HTML's check
        self._converters: dict[tuple[str, ...], speedups.QuickMarkdown | speedups.PlainMarkdown] = {}
        self._raw_html_cleaner = _cleaner(self._raw_image_source)

    def _make(self, wanted: tuple[str, ...]) -> "speedups.QuickMarkdown | speedups.PlainMarkdown":
        md = markdown.Markdown(
            extensions=[*(name for name in EXTENSIONS if name in wanted or name not in OPTIONAL_EXTENSIONS),
                        _BodyExtension(self)],
            extension_configs={"footnotes": FOOTNOTES} if "footnotes" in wanted else {},
            output_format="html",
        )
        return speedups.quicken(md)

    def converter(self, source: str) -> markdown.Markdown:
        """The converter for `source`: with only the optional extensions it may use."""
        if "<" in source or "\x02" in source or "\x03" in source:
            # raw HTML is cut out, and these control characters dropped, before the
            # extensions run: what was apart in the source may meet
            wanted = tuple(OPTIONAL_EXTENSIONS)
        else:
            wanted = tuple(name for name, needed in OPTIONAL_EXTENSIONS.items() if needed(source))
        converter = self._converters.get(wanted)
        if converter is None:
            converter = self._converters[wanted] = self._make(wanted)
        return converter.prepare(source)

    def render(self, source: str, resolve: "ImageResolver | None" = None) -> str:
        """Markdown -> safe HTML; `resolve` maps an image file of the entry to (url, width, height)."""
        self.resolve = resolve or _no_images
        self.produced = set()
        md = self.converter(source)
        md.reset()
        html = md.convert(source)
        if "<img" in html and "<img" in source.lower():  # raw HTML may hold an image of its own
            return self._raw_html_cleaner(html)
        return sanitise(html)

    def _raw_image_source(self, tag: str, attribute: str, value: str) -> str | None:
        """nh3's attribute filter: an image in raw HTML shows a file of the entry's folder (as
        its resized copy) or a web address, nothing else."""
        if tag != "img" or attribute != "src":
            return value
        if value in self.produced or value.startswith(("https://", "http://")):
            return value
        resolved = self.resolve(value) if _RELATIVE_FILE.fullmatch(value) else None
        return resolved[0] if resolved is not None else None


_DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template"}


def _cleaner(attribute_filter: "Callable[[str, str, str], str | None] | None" = None) -> Callable[[str], str]:
    """nh3's sanitiser with our rules. A Cleaner holds its rules once, where nh3.clean
    rebuilds them on every call."""
    options: dict[str, Any] = dict(
        tags=ALLOWED_TAGS, clean_content_tags=_DROPPED_WITH_CONTENT, attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES, filter_style_properties={"text-align"}, link_rel="noopener noreferrer",
        strip_comments=True)
    if attribute_filter is not None:
        options["attribute_filter"] = attribute_filter
    cleaner: Callable[[str], str] = nh3.Cleaner(**options).clean
    return cleaner


sanitise: Callable[[str], str] = _cleaner()


_RENDERER: list[MarkdownRenderer] = []  # made on first use in each process: its converters are dear to build


def render_markdown(source: str, resolve: "ImageResolver | None" = None) -> str:
    """Markdown -> safe HTML, with this process's reusable renderer."""
    if not _RENDERER:
        _RENDERER.append(MarkdownRenderer())
    return _RENDERER[0].render(source, resolve)
