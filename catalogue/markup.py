"""Markdown bodies -> sanitised HTML fragments.

Python-Markdown renders (tables, attribute lists, footnotes); a tree pass demotes headings
under the page's own h1, wraps tables for narrow screens and points images at the entry's
media folder; nh3 then removes anything executable, whatever the source contained.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as etree
from typing import Any, Callable

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

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
_RELATIVE_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
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
            if _RELATIVE_FILE.match(src):
                resolved = self.renderer.resolve(src)
                if resolved is not None:
                    url, width, height = resolved
                    image.set("src", url)
                    image.set("width", str(width))
                    image.set("height", str(height))
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
# Python-Markdown tries every inline pattern on every piece of text, which is most of its
# time; a pattern cannot match in a body without the characters it starts with. Two spaces or
# a tab may end a line in a hard line break (tabs become spaces first).
INLINE_NEEDS: dict[str, tuple[str, ...]] = {
    "backtick": ("`",), "escape": ("\\",),
    "reference": ("[",), "link": ("[",), "short_reference": ("[",),
    "image_link": ("![",), "image_reference": ("![",), "short_image_ref": ("![",),
    "autolink": ("<",), "automail": ("<",), "html": ("<",), "entity": ("&",),
    "linebreak": ("  ", "\t"), "em_strong": ("*", "_"),
}

_NEEDLES = frozenset(needle for needs in INLINE_NEEDS.values() for needle in needs)


@functools.lru_cache(maxsize=None)
def _unused_patterns(found: frozenset[str]) -> frozenset[str]:
    """The inline patterns that cannot match in a body holding (of the needles) only `found`."""
    return frozenset(name for name, needs in INLINE_NEEDS.items() if found.isdisjoint(needs))


class MarkdownRenderer:
    """Reusable Markdown converters, one per set of optional extensions; the inline patterns
    a body cannot use are taken out of its converter for that body. Cheap per page."""

    def __init__(self) -> None:
        self.resolve: ImageResolver = _no_images
        self._converters: dict[tuple[str, ...], markdown.Markdown] = {}
        self._patterns: dict[tuple[str, ...], list[tuple[str, Any, float]]] = {}  # all, by priority
        self._left_out: dict[tuple[str, ...], frozenset[str]] = {}

    def converter(self, source: str) -> markdown.Markdown:
        if "<" in source or "\x02" in source or "\x03" in source:
            # raw HTML is cut out, and these control characters dropped, before the patterns
            # run: what was apart in the source may meet
            wanted, unused = tuple(OPTIONAL_EXTENSIONS), frozenset[str]()
        else:
            wanted = tuple(name for name, needed in OPTIONAL_EXTENSIONS.items() if needed(source))
            unused = _unused_patterns(frozenset(needle for needle in _NEEDLES if needle in source))
        md = self._converters.get(wanted)
        if md is None:
            md = self._converters[wanted] = markdown.Markdown(
                extensions=[*(name for name in EXTENSIONS if name in wanted or name not in OPTIONAL_EXTENSIONS),
                            _BodyExtension(self)],
                extension_configs={"footnotes": FOOTNOTES} if "footnotes" in wanted else {},
                output_format="html",
            )
            registry = md.inlinePatterns
            # names and priorities as registered (Registry keeps them, in order, in _priority)
            self._patterns[wanted] = [(entry.name, registry[entry.name], entry.priority)
                                      for entry in getattr(registry, "_priority")]
            self._left_out[wanted] = frozenset()
        if self._left_out[wanted] != unused:
            registry = md.inlinePatterns
            for name, pattern, priority in self._patterns[wanted]:
                if name in unused:
                    registry.deregister(name, strict=False)
                elif name not in registry:
                    registry.register(pattern, name, priority)
            self._left_out[wanted] = unused
        return md

    def render(self, source: str, resolve: "ImageResolver | None" = None) -> str:
        """Markdown -> safe HTML; `resolve` maps an image file of the entry to (url, width, height)."""
        self.resolve = resolve or _no_images
        md = self.converter(source)
        md.reset()
        return sanitise(md.convert(source))


_DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template"}


def _clean_with_nh3(html: str) -> str:
    return nh3.clean(html, tags=ALLOWED_TAGS, clean_content_tags=_DROPPED_WITH_CONTENT,
                     attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     filter_style_properties={"text-align"}, link_rel="noopener noreferrer",
                     strip_comments=True)


# A Cleaner holds its rules once, where nh3.clean rebuilds them on every call.
sanitise: Callable[[str], str] = nh3.Cleaner(
    tags=ALLOWED_TAGS, clean_content_tags=_DROPPED_WITH_CONTENT, attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES, filter_style_properties={"text-align"}, link_rel="noopener noreferrer",
    strip_comments=True,
).clean if hasattr(nh3, "Cleaner") else _clean_with_nh3


BODY_IMAGE_RE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^)]*)?\)")


_NOT_MARKDOWN = re.compile(r"<!--.*?-->|^(```|~~~).*?^\1|`[^`\n]*`", re.S | re.M)


def body_image_refs(source: str) -> list[tuple[int, str]]:
    """(line within body, target) of every Markdown image, for checking before rendering.

    Comments and code are blanked first (keeping their line breaks): an example in them is
    not an image.
    """
    source = _NOT_MARKDOWN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), source)
    refs = []
    for match in BODY_IMAGE_RE.finditer(source):
        refs.append((source.count("\n", 0, match.start()), match.group(1)))
    return refs


