"""Markdown bodies -> sanitised HTML fragments.

Python-Markdown renders (tables, attribute lists, footnotes); a tree pass demotes headings
under the page's own h1, wraps tables for narrow screens and points images at the entry's
media folder; nh3 then removes anything executable, whatever the source contained.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from typing import Any, Callable

import markdown
import nh3
from markdown.extensions import Extension
from markdown.preprocessors import NormalizeWhitespace
from markdown.treeprocessors import InlineProcessor, Treeprocessor
from markdown.util import AtomicString

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

# Block processors tried on every block, which a body without these cannot use: a quote's
# lines start with '>'; a link reference definition holds ']:'.
BLOCK_NEEDS: dict[str, tuple[str, ...]] = {"quote": (">",), "reference": ("]:",)}

_NEEDLES = frozenset(needle for table in (INLINE_NEEDS, BLOCK_NEEDS) for needs in table.values() for needle in needs)


@functools.lru_cache(maxsize=None)
def _unused(found: frozenset[str], table: tuple[tuple[str, tuple[str, ...]], ...]) -> frozenset[str]:
    """The names in `table` whose syntax cannot be in a body holding (of the needles) only `found`."""
    return frozenset(name for name, needs in table if found.isdisjoint(needs))


_INLINE_TABLE = tuple(INLINE_NEEDS.items())
_BLOCK_TABLE = tuple(BLOCK_NEEDS.items())


def _priority_of(registry: Any, name: str) -> float:
    return next(entry.priority for entry in getattr(registry, "_priority") if entry.name == name)


def _first_mark(block: str) -> str:
    return block.lstrip(" ")[:1]


# What every block a processor takes holds, looked at before its own test (a regular
# expression, or for the table a split of every block of several lines into cells), which
# BlockParser tries on every block until one takes it. Looser than each syntax: a block that
# fails here fails the processor's own test.
BLOCK_PREFILTERS: dict[str, Callable[[str], bool]] = {
    "table": lambda block: "|" in block,
    "hashheader": lambda block: "#" in block,  # '#' to '######' opening a line
    "setextheader": lambda block: "\n=" in block or "\n-" in block,  # a line of '=' or '-' under the first
    "hr": lambda block: "-" in block or "*" in block or "_" in block,  # a line of three of them
    "olist": lambda block: _first_mark(block).isdigit(),  # up to 3 spaces, then '1.'
    "ulist": lambda block: _first_mark(block) in ("*", "+", "-"),  # up to 3 spaces, then '*', '+' or '-'
}


def _only_if(prefilter: Callable[[str], bool], test: Callable[[Any, str], bool]) -> Callable[[Any, str], bool]:
    """A block processor's test, after a quicker one that rules out most blocks."""
    def quick_test(parent: Any, block: str) -> bool:
        return prefilter(block) and test(parent, block)
    return quick_test


def _quick_cell_split(split: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """The table's split of a row into cells, which walks the row for code spans and escaped
    pipes: in a row without '`' or '\\', every '|' separates two cells."""
    def quick_split(row: str) -> list[str]:
        if "`" in row or "\\" in row:
            return split(row)
        return row.split("|")
    return quick_split


def _block_level_test(elements: list[str]) -> Callable[[Any], bool]:
    """Markdown.is_block_level with its answers remembered: it scans a list of some fifty
    tag names, and is asked for most elements of every body, several times."""
    names = frozenset(elements)
    known: dict[str, bool] = {}

    def is_block_level(tag: Any) -> bool:
        if not isinstance(tag, str):  # ElementTree's comments and the like
            return False
        found = known.get(tag)
        if found is None:
            found = tag.lower().rstrip("/") in names
            if len(known) < 512:  # raw HTML may bring any number of made-up tags
                known[tag] = found
        return found
    return is_block_level


@functools.lru_cache(maxsize=None)
def _needle_search(patterns: tuple[str, ...]) -> "Callable[[str], object] | None":
    """A test for text in which one of `patterns` could start; None when one of them is not
    known, or there are none."""
    if not patterns or any(name not in INLINE_NEEDS for name in patterns):
        return None
    needles = sorted({needle for name in patterns for needle in INLINE_NEEDS[name]})
    return re.compile("|".join(map(re.escape, needles))).search


_HANDLE_INLINE = getattr(InlineProcessor, "_InlineProcessor__handleInline", None)


class _QuickInline(InlineProcessor):
    """Python-Markdown's inline pass, leaving alone any text none of its patterns can start in.

    Each pattern is tried on each piece of text of a body, at a cost even where it cannot
    match; most pieces of a description hold none of the characters a link or an emphasis
    starts with. (Where Python-Markdown's inner method is not found, nothing is skipped.)
    """

    starts: "Callable[[str], object] | None" = None  # set by the converter

    def run(self, tree: etree.Element, ancestors: list[str] | None = None) -> etree.Element:
        """The texts no pattern can start in are marked atomic first, which Python-Markdown's
        pass leaves alone; else it takes each apart and puts it back (a sixth of a body's
        rendering went to that)."""
        starts = self.starts
        if starts is not None:
            for element in tree.iter():
                text = element.text
                if text and type(text) is str and starts(text) is None:
                    element.text = AtomicString(text)
        result: etree.Element = super().run(tree, ancestors)
        return result

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802,N803
        if self.starts is not None and self.starts(data) is None:
            return data
        assert _HANDLE_INLINE is not None
        result: str = _HANDLE_INLINE(self, data, patternIndex)
        return result


class _Switchable:
    """Items of a Python-Markdown registry that can be taken out for a body and put back."""

    def __init__(self, registry: Any, names: "frozenset[str] | None" = None):
        self.registry = registry
        # names, items and priorities as registered (Registry keeps them, in order, in _priority)
        self.items = [(entry.name, registry[entry.name], entry.priority) for entry in getattr(registry, "_priority")
                      if names is None or entry.name in names]
        self.left_out = frozenset[str]()

    def leave_out(self, unused: frozenset[str]) -> bool:
        """Keep only the items not in `unused`; whether anything changed."""
        if unused == self.left_out:
            return False
        for name, item, priority in self.items:
            if name in unused:
                self.registry.deregister(name, strict=False)
            elif name not in self.registry:
                self.registry.register(item, name, priority)
        self.left_out = unused
        return True


_SPACES_LINE = re.compile(r"(?<=\n) +\n")


class _QuickWhitespace(NormalizeWhitespace):
    """Python-Markdown's whitespace normalising, each step done only where there is
    something for it to do: a body seldom holds a tab, a carriage return or a line of
    spaces, and looking for one costs less than the step (the last, a regular expression
    with a lookbehind at every character, was 5% of a body's rendering)."""

    def run(self, lines: list[str]) -> list[str]:
        source = "\n".join(lines)
        if "\x02" in source or "\x03" in source:  # Python-Markdown's own placeholder marks
            source = source.replace("\x02", "").replace("\x03", "")
        if "\r" in source:
            source = source.replace("\r\n", "\n").replace("\r", "\n")
        source += "\n\n"
        if "\t" in source:
            source = source.expandtabs(self.md.tab_length)
        if " \n" in source:
            source = _SPACES_LINE.sub("\n", source)
        return source.split("\n")


@dataclass
class _Converter:
    md: markdown.Markdown
    patterns: _Switchable
    blocks: _Switchable
    passes: _Switchable  # tree passes: "unescape" restores what only the escape pattern hides
    # the raw HTML pass finds nothing to take out of a body without '<' or '&', and gives it back as it was
    raw_html: _Switchable


class MarkdownRenderer:
    """Reusable Markdown converters, one per set of optional extensions; the inline patterns
    and block processors a body cannot use are taken out of its converter for that body.
    Cheap per page."""

    def __init__(self) -> None:
        self.resolve: ImageResolver = _no_images
        self.produced: set[str] = set()  # image addresses the tree pass wrote, for raw HTML's check
        self._converters: dict[tuple[str, ...], _Converter] = {}
        self._raw_html_cleaner = _cleaner(self._raw_image_source)

    def _make(self, wanted: tuple[str, ...]) -> _Converter:
        md = markdown.Markdown(
            extensions=[*(name for name in EXTENSIONS if name in wanted or name not in OPTIONAL_EXTENSIONS),
                        _BodyExtension(self)],
            extension_configs={"footnotes": FOOTNOTES} if "footnotes" in wanted else {},
            output_format="html",
        )
        md.is_block_level = _block_level_test(md.block_level_elements)  # type: ignore[method-assign,assignment]
        for name, prefilter in BLOCK_PREFILTERS.items():
            if name in md.parser.blockprocessors:
                processor = md.parser.blockprocessors[name]
                processor.test = _only_if(prefilter, processor.test)  # type: ignore[method-assign,assignment]
        table = md.parser.blockprocessors["table"] if "table" in md.parser.blockprocessors else None
        if table is not None and hasattr(table, "_split"):
            table._split = _quick_cell_split(table._split)
        if _HANDLE_INLINE is not None:
            md.treeprocessors.register(_QuickInline(md), "inline", _priority_of(md.treeprocessors, "inline"))
        md.preprocessors.register(_QuickWhitespace(md), "normalize_whitespace",
                                  _priority_of(md.preprocessors, "normalize_whitespace"))
        return _Converter(md, _Switchable(md.inlinePatterns), _Switchable(md.parser.blockprocessors, frozenset(BLOCK_NEEDS)),
                          _Switchable(md.treeprocessors, frozenset({"unescape"})),
                          _Switchable(md.preprocessors, frozenset({"html_block"})))

    def converter(self, source: str) -> markdown.Markdown:
        if "<" in source or "\x02" in source or "\x03" in source:
            # raw HTML is cut out, and these control characters dropped, before the patterns
            # run: what was apart in the source may meet
            wanted, unused, blocks = tuple(OPTIONAL_EXTENSIONS), frozenset[str](), frozenset[str]()
        else:
            wanted = tuple(name for name, needed in OPTIONAL_EXTENSIONS.items() if needed(source))
            found = frozenset(needle for needle in _NEEDLES if needle in source)
            unused, blocks = _unused(found, _INLINE_TABLE), _unused(found, _BLOCK_TABLE)
        converter = self._converters.get(wanted)
        if converter is None:
            converter = self._converters[wanted] = self._make(wanted)
        if converter.patterns.leave_out(unused):
            converter.passes.leave_out(frozenset({"unescape"}) if "escape" in unused else frozenset())
            inline = converter.md.treeprocessors["inline"]
            if isinstance(inline, _QuickInline):
                inline.starts = _needle_search(tuple(name for name, _, _ in converter.patterns.items
                                                     if name not in unused))
        converter.blocks.leave_out(blocks)
        converter.raw_html.leave_out(frozenset() if "<" in source or "&" in source else frozenset({"html_block"}))
        return converter.md

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
