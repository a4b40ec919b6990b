"""Speed-ups that lean on Python-Markdown's, Jinja2's and MarkupSafe's private internals.

Everything in this program that reaches into a library past its public API is here, and
nowhere else. Each speed-up is used only with the release series it was tested with
(TESTED), and all are off with the environment variable CATALOGUE_SPEEDUPS=off; otherwise
the library's public behaviour is used: slower, the same output. tests/test_speedups.py
renders bodies and templates both ways and compares them.

They pay for themselves on a cold build (every body is rendered once, then cached) and on
a template edit (every page's template runs again): `make bench` with and without.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import os
import re
import xml.etree.ElementTree as etree
from typing import Any, Callable

import markdown
from jinja2.compiler import CodeGenerator, Frame
from markdown.preprocessors import NormalizeWhitespace
from markdown.treeprocessors import InlineProcessor
from markdown.util import AtomicString
from markupsafe import escape

SWITCH = "CATALOGUE_SPEEDUPS"
# release series (major.minor) each speed-up was tested with, by the distribution it leans on
TESTED = {"Markdown": "3.11", "Jinja2": "3.1", "MarkupSafe": "3.0"}


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return ""


def active(distribution: str) -> bool:
    """Whether the speed-ups leaning on `distribution` are on: its installed version is of
    the tested series and they are not switched off."""
    if os.environ.get(SWITCH, "").strip().lower() in ("off", "0", "no", "false"):
        return False
    series = TESTED[distribution]
    version = _version(distribution)
    return version == series or version.startswith(series + ".")


def state() -> str:
    """Which speed-ups are on, for the build's key (they must not change output; if one
    did, switching them would still rebuild every page)."""
    return ",".join(f"{name}:{active(name)}" for name in sorted(TESTED))


# --- Jinja2 and MarkupSafe: `{{ value }}` written as a plain str -------------------------

def _escape_text(s: str, /) -> str:
    return str(escape(s))


# the escaping escape() wraps in Markup (markupsafe 3), where this is that MarkupSafe
_ESCAPE_INNER: "Callable[[str], str] | None" = getattr(importlib.import_module("markupsafe"), "_escape_inner", None)
_escape_str: Callable[[str], str] = (
    _ESCAPE_INNER if _ESCAPE_INNER is not None and active("MarkupSafe") else _escape_text)


def escape_output(value: Any) -> str:
    """What `{{ value }}` writes with autoescape: the same text as markupsafe's escape(), as
    a plain str. Written text is only ever joined, so it needs no Markup wrapper, whose making
    (a copy of the text, an attribute lookup that fails) cost 15% of a product page."""
    if type(value) is str:
        return _escape_str(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return _escape_str(str(value))


class OutputCodeGenerator(CodeGenerator):
    """Compiles `{{ value }}` to escape_output(value) where Jinja's would call escape()."""

    def visit_Template(self, node: Any, frame: Frame | None = None) -> None:  # noqa: N802 - Jinja's API
        self.writeline(f"from {__name__} import escape_output")
        super().visit_Template(node, frame)

    def _output_child_pre(self, node: Any, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile:
            self.write("escape_output(")
            if finalize.src is not None:
                self.write(finalize.src)
        else:
            super()._output_child_pre(node, frame, finalize)


def code_generator() -> type[CodeGenerator]:
    """The code generator for a theme's environments."""
    usable = active("Jinja2") and hasattr(CodeGenerator, "_output_child_pre")
    return OutputCodeGenerator if usable else CodeGenerator


# --- Python-Markdown ----------------------------------------------------------------------

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
_INLINE_TABLE = tuple(INLINE_NEEDS.items())
_BLOCK_TABLE = tuple(BLOCK_NEEDS.items())


@functools.lru_cache(maxsize=None)
def _unused(found: frozenset[str], table: tuple[tuple[str, tuple[str, ...]], ...]) -> frozenset[str]:
    """The names in `table` whose syntax cannot be in a body holding (of the needles) only `found`."""
    return frozenset(name for name, needs in table if found.isdisjoint(needs))


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
    starts with.
    """

    starts: "Callable[[str], object] | None" = None  # set for each body

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


def _priority_of(registry: Any, name: str) -> float:
    return float(next(entry.priority for entry in getattr(registry, "_priority") if entry.name == name))


class QuickMarkdown:
    """One Markdown converter made quicker: each body's converter leaves out, for that body,
    the inline patterns, block processors and passes whose syntax it cannot hold."""

    def __init__(self, md: markdown.Markdown):
        self.md = md
        md.is_block_level = _block_level_test(md.block_level_elements)  # type: ignore[method-assign,assignment]
        for name, prefilter in BLOCK_PREFILTERS.items():
            if name in md.parser.blockprocessors:
                processor = md.parser.blockprocessors[name]
                processor.test = _only_if(prefilter, processor.test)  # type: ignore[method-assign,assignment]
        table = md.parser.blockprocessors["table"] if "table" in md.parser.blockprocessors else None
        if table is not None and hasattr(table, "_split"):
            table._split = _quick_cell_split(table._split)
        self.inline: _QuickInline | None = None
        if _HANDLE_INLINE is not None:
            self.inline = _QuickInline(md)
            md.treeprocessors.register(self.inline, "inline", _priority_of(md.treeprocessors, "inline"))
        md.preprocessors.register(_QuickWhitespace(md), "normalize_whitespace",
                                  _priority_of(md.preprocessors, "normalize_whitespace"))
        self.patterns = _Switchable(md.inlinePatterns)
        self.blocks = _Switchable(md.parser.blockprocessors, frozenset(BLOCK_NEEDS))
        self.passes = _Switchable(md.treeprocessors, frozenset({"unescape"}))  # restores what escape hides
        # the raw HTML pass finds nothing in a body without '<' or '&', and gives it back as it was
        self.raw_html = _Switchable(md.preprocessors, frozenset({"html_block"}))

    def prepare(self, source: str) -> markdown.Markdown:
        """The converter, with only what `source` may use."""
        if "<" in source or "\x02" in source or "\x03" in source:
            # raw HTML is cut out, and these control characters dropped, before the patterns
            # run: what was apart in the source may meet
            unused, blocks = frozenset[str](), frozenset[str]()
        else:
            found = frozenset(needle for needle in _NEEDLES if needle in source)
            unused, blocks = _unused(found, _INLINE_TABLE), _unused(found, _BLOCK_TABLE)
        if self.patterns.leave_out(unused):
            self.passes.leave_out(frozenset({"unescape"}) if "escape" in unused else frozenset())
            if self.inline is not None:
                self.inline.starts = _needle_search(tuple(name for name, _, _ in self.patterns.items
                                                          if name not in unused))
        self.blocks.leave_out(blocks)
        self.raw_html.leave_out(frozenset() if "<" in source or "&" in source else frozenset({"html_block"}))
        return self.md


class PlainMarkdown:
    """A converter as Python-Markdown makes it (the speed-ups off)."""

    def __init__(self, md: markdown.Markdown):
        self.md = md

    def prepare(self, source: str) -> markdown.Markdown:
        return self.md


def quicken(md: markdown.Markdown) -> "QuickMarkdown | PlainMarkdown":
    """`md`, made quicker where this Python-Markdown is of the tested series."""
    return QuickMarkdown(md) if active("Markdown") else PlainMarkdown(md)
